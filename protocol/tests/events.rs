//! Event and ack payloads: the argument rules shared by the encoders and the
//! lazy readers, and byte equality with serde_json for every serde data shape.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use huddle_protocol::socketio::{self, PacketType, Spread, Value, decode};
use huddle_protocol::{Limits, Str};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn limits() -> Limits {
    Limits::default()
}

fn event(args: &(impl Serialize + ?Sized)) -> String {
    let mut out = BytesMut::new();
    let parts = socketio::encode_event(&mut out, "/", "e", args, None).unwrap();
    assert!(parts.is_empty());
    String::from_utf8(out.to_vec()).unwrap()
}

fn ack(args: &(impl Serialize + ?Sized)) -> String {
    let mut out = BytesMut::new();
    socketio::encode_ack(&mut out, "/", 1, args).unwrap();
    String::from_utf8(out.to_vec()).unwrap()
}

#[test]
fn tuples_spread_unit_is_empty_anything_else_is_one_argument() {
    assert_eq!(event(&()), r#"2["e"]"#);
    assert_eq!(event(&("a",)), r#"2["e","a"]"#);
    assert_eq!(event(&("a", 1, true)), r#"2["e","a",1,true]"#);
    assert_eq!(event(&vec![1, 2]), r#"2["e",[1,2]]"#);
    assert_eq!(event(&(vec![1, 2],)), r#"2["e",[1,2]]"#);
    // Fixed-size arrays are tuples to serde: they spread too.
    assert_eq!(event(&[1, 2]), r#"2["e",1,2]"#);
    assert_eq!(event(&json!({"a": 1})), r#"2["e",{"a":1}]"#);
    assert_eq!(event(&"x"), r#"2["e","x"]"#);
    assert_eq!(event(&Option::<u8>::None), r#"2["e",null]"#);
    assert_eq!(event(&Some(3)), r#"2["e",3]"#);
    assert_eq!(event(&Spread(&[json!(1), json!("b")])), r#"2["e",1,"b"]"#);
    assert_eq!(event(&Spread::<u8>(&[])), r#"2["e"]"#);

    #[derive(Serialize)]
    struct Pair(u8, &'static str);
    assert_eq!(event(&Pair(1, "x")), r#"2["e",1,"x"]"#);

    assert_eq!(ack(&()), "31[]");
    assert_eq!(ack(&("a", 2)), r#"31["a",2]"#);
    assert_eq!(ack(&vec!["a"]), r#"31[["a"]]"#);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Text,
    Image { url: String, width: u32 },
    File(String),
    Pair(u8, i8),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    room_id: u64,
    content: String,
    reply_to: Option<i64>,
    kinds: Vec<Kind>,
    score: f64,
    small: f32,
    tags: BTreeMap<String, bool>,
    ch: char,
    unit: (),
    big: i128,
}

fn sample() -> Message {
    Message {
        room_id: 42,
        content: "hello \"world\"\n\u{1}é€😀".into(),
        reply_to: None,
        kinds: vec![
            Kind::Text,
            Kind::Image {
                url: "u".into(),
                width: 3,
            },
            Kind::File("f".into()),
            Kind::Pair(1, -1),
        ],
        score: -1.5e-7,
        small: 0.1,
        tags: [("a".to_string(), true), ("b\"".to_string(), false)].into(),
        ch: '\t',
        unit: (),
        big: -170141183460469231731687303715884105728,
    }
}

#[test]
fn serialisation_is_byte_identical_to_serde_json() {
    let m = sample();
    let expected = format!(r#"2["e",{}]"#, serde_json::to_string(&m).unwrap());
    assert_eq!(event(&m), expected);
    for f in [0.0, -0.0, 1.0, 1e300, f64::MIN_POSITIVE, 123.456] {
        assert_eq!(
            event(&f),
            format!(r#"2["e",{}]"#, serde_json::to_string(&f).unwrap())
        );
    }
    // Non-finite floats become null, as in serde_json and JSON.stringify.
    assert_eq!(
        event(&(f64::NAN, f64::INFINITY, f32::NEG_INFINITY)),
        r#"2["e",null,null,null]"#
    );
}

#[test]
fn arguments_round_trip_through_the_lazy_readers() {
    let m = sample();
    let mut out = BytesMut::new();
    socketio::encode_event(&mut out, "/chat", "message:send", &(&m, 7u8), Some(9)).unwrap();
    let p = decode(Str::from_utf8(out.freeze()).unwrap(), &limits()).unwrap();
    assert_eq!(p.kind, PacketType::Event);
    assert_eq!(p.nsp, "/chat");
    assert_eq!(p.id, Some(9));
    assert_eq!(p.event_name(&limits()).unwrap(), "message:send");
    assert_eq!(p.first_arg::<Message>(&limits()).unwrap(), m);
    assert_eq!(p.args::<(Message, u8)>(&limits()).unwrap(), (m.clone(), 7));
    // Extra arguments are ignored, as by a JavaScript handler.
    assert_eq!(p.args::<(Message,)>(&limits()).unwrap(), (m.clone(),));
    assert_eq!(
        p.args::<Vec<serde_json::Value>>(&limits()).unwrap().len(),
        2
    );

    let mut out = BytesMut::new();
    socketio::encode_ack(&mut out, "/", 3, &("ok", 1)).unwrap();
    let p = decode(Str::from_utf8(out.freeze()).unwrap(), &limits()).unwrap();
    assert_eq!(
        p.args::<(String, u8)>(&limits()).unwrap(),
        ("ok".to_string(), 1)
    );
    assert_eq!(p.first_arg::<String>(&limits()).unwrap(), "ok");
}

#[test]
fn arguments_can_borrow_from_the_packet() {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        text: &'a str,
    }
    let p = decode(Str::from(r#"2["e",{"text":"zero-copy"}]"#), &limits()).unwrap();
    let b: Borrowed<'_> = p.first_arg(&limits()).unwrap();
    assert_eq!(b.text, "zero-copy");
    let data = p.data.as_ref().unwrap();
    assert!(data.as_bytes().as_ptr_range().contains(&b.text.as_ptr()));
}

#[test]
fn event_names_are_zero_copy_unless_escaped() {
    let p = decode(Str::from(r#"2["plain",1]"#), &limits()).unwrap();
    let name = p.event_name(&limits()).unwrap();
    assert_eq!(name, "plain");
    let data = p.data.as_ref().unwrap();
    assert!(data.as_bytes().as_ptr_range().contains(&name.as_ptr()));

    let p = decode(Str::from(r#"2 [ "tab\there\u00e9" ]"#), &limits()).unwrap();
    assert_eq!(p.event_name(&limits()).unwrap(), "tab\there\u{e9}");
}

#[test]
fn connect_payloads() {
    let p = decode(Str::from(r#"0{"token":"abc"}"#), &limits()).unwrap();
    #[derive(Deserialize, PartialEq, Debug)]
    struct Auth {
        token: String,
    }
    assert_eq!(
        p.payload::<Auth>(&limits()).unwrap(),
        Some(Auth {
            token: "abc".into()
        })
    );
    let p = decode(Str::from("0"), &limits()).unwrap();
    assert_eq!(p.payload::<Auth>(&limits()).unwrap(), None);

    let mut out = BytesMut::new();
    socketio::encode_connect_error(
        &mut out,
        "/",
        "Not \"allowed\"",
        Some(&json!({"code": 403})),
    )
    .unwrap();
    assert_eq!(
        &out[..],
        br#"4{"message":"Not \"allowed\"","data":{"code":403}}"#
    );
    let p = decode(Str::from_utf8(out.freeze()).unwrap(), &limits()).unwrap();
    assert_eq!(
        p.payload::<serde_json::Value>(&limits()).unwrap(),
        Some(json!({"message": "Not \"allowed\"", "data": {"code": 403}}))
    );
}

#[test]
fn binary_packets_deserialise_into_typed_arguments() {
    let (packet, parts) = socketio::split(
        PacketType::Event,
        Str::from("/"),
        Some(4),
        &Value::Array(vec![
            "upload".into(),
            Value::Object(vec![
                ("name".into(), "a.png".into()),
                ("data".into(), Value::Binary(Bytes::from_static(&[1, 2, 3]))),
            ]),
        ]),
    )
    .unwrap();
    assert_eq!(packet.kind, PacketType::BinaryEvent);
    let mut r = socketio::Reassembler::new(limits());
    assert!(r.start(packet).unwrap().is_none());
    let done = r.feed_attachments(parts).unwrap().unwrap();

    #[derive(Deserialize, PartialEq, Debug)]
    struct Upload {
        name: String,
        data: Vec<u8>,
    }
    let expected = Upload {
        name: "a.png".into(),
        data: vec![1, 2, 3],
    };
    assert_eq!(done.first_arg::<Upload>().unwrap(), expected);
    assert_eq!(done.args::<(Upload,)>().unwrap(), (expected,));
    assert_eq!(done.event_name(&limits()).unwrap(), "upload");
    assert_eq!(done.values().unwrap().len(), 1);
}

/// Binary arguments are read straight from the payload text: each placeholder
/// becomes its attachment, for `Bytes`, `Vec<u8>`, `Value` and `Option`, at any
/// depth and in any key order, in events and acks.
#[test]
fn binary_arguments_read_straight_from_the_text() {
    #[derive(Deserialize, PartialEq, Debug)]
    struct Files {
        name: String,
        files: Vec<File>,
        cover: Option<Bytes>,
    }
    #[derive(Deserialize, PartialEq, Debug)]
    struct File {
        data: Bytes,
        meta: Value,
    }
    let text = r#"52-/chat,9["upload",{"name":"two","files":[{"data":{"num":1,"_placeholder":true},"meta":{"raw":{"_placeholder":true,"num":0},"n":1}}],"cover":null},"tail"]"#;
    let mut r = socketio::Reassembler::new(limits());
    assert!(
        r.start(decode(Str::from(text), &limits()).unwrap())
            .unwrap()
            .is_none()
    );
    let (a, b) = (Bytes::from_static(b"first"), Bytes::from_static(b"second"));
    let done = r.feed_attachments([a.clone(), b.clone()]).unwrap().unwrap();
    let expected = Files {
        name: "two".into(),
        files: vec![File {
            data: b.clone(),
            meta: Value::Object(vec![
                ("raw".into(), Value::Binary(a.clone())),
                ("n".into(), Value::Number(1.into())),
            ]),
        }],
        cover: None,
    };
    assert_eq!(done.first_arg::<Files>().unwrap(), expected);
    let (files, tail): (Files, String) = done.args().unwrap();
    assert_eq!((files, tail.as_str()), (expected, "tail"));
    // The same as through the tree.
    assert_eq!(
        done.first_arg::<Value>().unwrap(),
        done.values().unwrap()[0]
    );
    assert_eq!(done.args::<Vec<Value>>().unwrap(), done.values().unwrap());

    // An ack has no event name: every element is an argument.
    let mut r = socketio::Reassembler::new(limits());
    let ack = decode(
        Str::from(r#"61-3[{"_placeholder":true,"num":0},7]"#),
        &limits(),
    )
    .unwrap();
    assert!(r.start(ack).unwrap().is_none());
    let done = r.feed_attachment(a.clone()).unwrap().unwrap();
    assert_eq!(
        done.args::<(Vec<u8>, u8)>().unwrap(),
        (b"first".to_vec(), 7)
    );
    assert_eq!(done.first_arg::<Bytes>().unwrap(), a);

    // A binary packet built by hand around a payload that is not an array has
    // no arguments, as `values` says.
    let mut p = socketio::Packet::new(PacketType::BinaryAck);
    p.id = Some(1);
    p.data = Some(Str::from(r#"{"a":1}"#));
    let done = socketio::Reassembler::new(limits())
        .start(p)
        .unwrap()
        .unwrap();
    assert!(done.values().unwrap().is_empty());
    assert_eq!(done.first_arg::<Option<u8>>().unwrap(), None);
    assert!(done.first_arg::<u8>().is_err());
    assert_eq!(done.args::<Vec<u8>>().unwrap(), Vec::<u8>::new());
}

#[test]
fn values_convert_to_and_from_serde_json() {
    let j = json!({"a": [1, -2, 3.5, "x", null, true, {"b": {}}]});
    let v = Value::from(j.clone());
    assert_eq!(serde_json::Value::try_from(v.clone()).unwrap(), j);
    assert_eq!(serde_json::to_value(&v).unwrap(), j);
    assert_eq!(v.deserialize_into::<serde_json::Value>().unwrap(), j);
}

#[test]
fn encoders_size_the_buffer_exactly_when_nothing_needs_escaping() {
    // An exactly sized buffer freezes into `Bytes` without a second allocation.
    let m = sample_plain();
    let mut out = BytesMut::new();
    socketio::encode_event(
        &mut out,
        "/chat",
        "message:send",
        &(&m, 7u8, [1, 2]),
        Some(12),
    )
    .unwrap();
    assert_eq!(out.len(), out.capacity());
    let mut out = BytesMut::new();
    socketio::encode_ack(&mut out, "/", 3, &m).unwrap();
    assert_eq!(out.len(), out.capacity());
    let mut out = BytesMut::new();
    let values = [
        Value::from(serde_json::to_value(&m).unwrap()),
        Value::Binary(Bytes::from_static(b"b")),
    ];
    socketio::encode_event_values(&mut out, "/", "e", &values, Some(1)).unwrap();
    assert_eq!(out.len(), out.capacity());
    let mut out = BytesMut::new();
    socketio::encode_ack_values(&mut out, "/", 1, &values).unwrap();
    assert_eq!(out.len(), out.capacity());
}

fn sample_plain() -> Message {
    Message {
        content: "plain text, no escapes".into(),
        ch: 'x',
        tags: [("a".to_string(), true)].into(),
        big: 5,
        ..sample()
    }
}
