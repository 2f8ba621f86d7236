//! Every example of the Socket.IO v5 protocol document ("Packet encoding",
//! "Exchange protocol", "Sample session") and the literal packets of the v5 test
//! suite, byte-exact in both directions.

use bytes::{Bytes, BytesMut};
use huddle_protocol::socketio::{
    self, Assembled, BinaryPacket, Packet, PacketType, Reassembler, Value, decode,
};
use huddle_protocol::{Error, Limits, Str};
use serde_json::json;

fn limits() -> Limits {
    Limits::default()
}

fn packet(
    kind: PacketType,
    nsp: &'static str,
    id: Option<u64>,
    attachments: usize,
    data: Option<&'static str>,
) -> Packet {
    Packet {
        kind,
        nsp: Str::from(nsp),
        id,
        attachments,
        data: data.map(Str::from),
    }
}

use PacketType::*;

/// (wire text, decoded packet): text forms from the documents.
fn table() -> Vec<(&'static str, Packet)> {
    vec![
        // Packet encoding / Connection to a namespace.
        ("0", packet(Connect, "/", None, 0, None)),
        (
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            packet(
                Connect,
                "/admin",
                None,
                0,
                Some(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#),
            ),
        ),
        (
            r#"4{"message":"Not authorized"}"#,
            packet(
                ConnectError,
                "/",
                None,
                0,
                Some(r#"{"message":"Not authorized"}"#),
            ),
        ),
        // Exchange protocol: connect with an additional payload; responses with sids.
        (
            r#"0/admin,{"token":"123"}"#,
            packet(Connect, "/admin", None, 0, Some(r#"{"token":"123"}"#)),
        ),
        (
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
            packet(
                Connect,
                "/",
                None,
                0,
                Some(r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#),
            ),
        ),
        (
            r#"0/admin,{"sid":"iLnRaVGHY4B75TeVAAAB"}"#,
            packet(
                Connect,
                "/admin",
                None,
                0,
                Some(r#"{"sid":"iLnRaVGHY4B75TeVAAAB"}"#),
            ),
        ),
        // Sending and receiving data.
        (
            r#"2["foo"]"#,
            packet(Event, "/", None, 0, Some(r#"["foo"]"#)),
        ),
        (
            r#"2/admin,["bar"]"#,
            packet(Event, "/admin", None, 0, Some(r#"["bar"]"#)),
        ),
        (
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryEvent,
                "/",
                None,
                1,
                Some(r#"["baz",{"_placeholder":true,"num":0}]"#),
            ),
        ),
        (
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            packet(
                BinaryEvent,
                "/admin",
                None,
                2,
                Some(r#"["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            ),
        ),
        // Acknowledgement.
        (
            r#"212["foo"]"#,
            packet(Event, "/", Some(12), 0, Some(r#"["foo"]"#)),
        ),
        ("312[]", packet(Ack, "/", Some(12), 0, Some("[]"))),
        (
            r#"2/admin,13["foo"]"#,
            packet(Event, "/admin", Some(13), 0, Some(r#"["foo"]"#)),
        ),
        (
            r#"3/admin,13["bar"]"#,
            packet(Ack, "/admin", Some(13), 0, Some(r#"["bar"]"#)),
        ),
        (
            r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryEvent,
                "/",
                Some(14),
                1,
                Some(r#"["foo",{"_placeholder":true,"num":0}]"#),
            ),
        ),
        (
            r#"314["bar"]"#,
            packet(Ack, "/", Some(14), 0, Some(r#"["bar"]"#)),
        ),
        (
            r#"215["foo"]"#,
            packet(Event, "/", Some(15), 0, Some(r#"["foo"]"#)),
        ),
        (
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryAck,
                "/",
                Some(15),
                1,
                Some(r#"["bar",{"_placeholder":true,"num":0}]"#),
            ),
        ),
        // Disconnection.
        ("1", packet(Disconnect, "/", None, 0, None)),
        ("1/admin,", packet(Disconnect, "/admin", None, 0, None)),
        // Sample session (the leading engine.io `4` removed).
        (
            r#"2["hey","Jude"]"#,
            packet(Event, "/", None, 0, Some(r#"["hey","Jude"]"#)),
        ),
        (
            r#"2["hello"]"#,
            packet(Event, "/", None, 0, Some(r#"["hello"]"#)),
        ),
        (
            r#"2["world"]"#,
            packet(Event, "/", None, 0, Some(r#"["world"]"#)),
        ),
        ("0/admin,", packet(Connect, "/admin", None, 0, None)),
        (
            r#"0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
            packet(
                Connect,
                "/admin",
                None,
                0,
                Some(r#"{"sid":"-G5j-67EZFp-q59rADQM"}"#),
            ),
        ),
        (
            r#"2/admin,1["tellme"]"#,
            packet(Event, "/admin", Some(1), 0, Some(r#"["tellme"]"#)),
        ),
        (
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryAck,
                "/admin",
                Some(1),
                1,
                Some(r#"[{"_placeholder":true,"num":0}]"#),
            ),
        ),
        // v5 test suite.
        (
            r#"0{"token":"123"}"#,
            packet(Connect, "/", None, 0, Some(r#"{"token":"123"}"#)),
        ),
        ("0/custom,", packet(Connect, "/custom", None, 0, None)),
        (
            r#"0/custom,{"token":"abc"}"#,
            packet(Connect, "/custom", None, 0, Some(r#"{"token":"abc"}"#)),
        ),
        (
            r#"4/random,{"message":"Invalid namespace"}"#,
            packet(
                ConnectError,
                "/random",
                None,
                0,
                Some(r#"{"message":"Invalid namespace"}"#),
            ),
        ),
        (
            r#"2["auth",{}]"#,
            packet(Event, "/", None, 0, Some(r#"["auth",{}]"#)),
        ),
        (
            r#"2["auth",{"token":"123"}]"#,
            packet(Event, "/", None, 0, Some(r#"["auth",{"token":"123"}]"#)),
        ),
        (
            r#"2/custom,["auth",{}]"#,
            packet(Event, "/custom", None, 0, Some(r#"["auth",{}]"#)),
        ),
        (
            r#"2/custom,["auth",{"token":"abc"}]"#,
            packet(
                Event,
                "/custom",
                None,
                0,
                Some(r#"["auth",{"token":"abc"}]"#),
            ),
        ),
        (
            r#"2["message",1,"2",{"3":[true]}]"#,
            packet(
                Event,
                "/",
                None,
                0,
                Some(r#"["message",1,"2",{"3":[true]}]"#),
            ),
        ),
        (
            r#"2["message-back",1,"2",{"3":[true]}]"#,
            packet(
                Event,
                "/",
                None,
                0,
                Some(r#"["message-back",1,"2",{"3":[true]}]"#),
            ),
        ),
        (
            r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            packet(
                BinaryEvent,
                "/",
                None,
                2,
                Some(r#"["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            ),
        ),
        (
            r#"2456["message-with-ack",1,"2",{"3":[false]}]"#,
            packet(
                Event,
                "/",
                Some(456),
                0,
                Some(r#"["message-with-ack",1,"2",{"3":[false]}]"#),
            ),
        ),
        (
            r#"3456[1,"2",{"3":[false]}]"#,
            packet(Ack, "/", Some(456), 0, Some(r#"[1,"2",{"3":[false]}]"#)),
        ),
        (
            r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            packet(
                BinaryAck,
                "/",
                Some(789),
                2,
                Some(r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            ),
        ),
    ]
}

#[test]
fn document_packets_decode_and_encode_byte_exact() {
    for (wire, expected) in table() {
        let decoded = decode(Str::from(wire), &limits()).unwrap_or_else(|e| panic!("{wire}: {e}"));
        assert_eq!(decoded, expected, "decode {wire}");
        let mut out = BytesMut::new();
        expected.encode(&mut out).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), wire, "encode");
        assert_eq!(out.len(), expected.encoded_len());
    }
}

#[test]
fn namespace_without_trailing_comma_is_read_to_the_end() {
    // Test suite: `40/random` and `41/custom` (the reference parser accepts them;
    // the canonical encoding has the comma).
    for (wire, kind, nsp, canonical) in [
        ("0/random", Connect, "/random", "0/random,"),
        ("1/custom", Disconnect, "/custom", "1/custom,"),
        ("0/custom", Connect, "/custom", "0/custom,"),
    ] {
        let p = decode(Str::from(wire), &limits()).unwrap();
        assert_eq!(p, packet(kind, nsp, None, 0, None));
        let mut out = BytesMut::new();
        p.encode(&mut out).unwrap();
        assert_eq!(&out[..], canonical.as_bytes());
    }
}

#[test]
fn typed_encoders_reproduce_the_document_bytes() {
    let mut out = BytesMut::new();
    let check = |out: &mut BytesMut, expected: &str| {
        assert_eq!(std::str::from_utf8(out).unwrap(), expected);
        out.clear();
    };

    socketio::encode_connect::<()>(&mut out, "/", None).unwrap();
    check(&mut out, "0");
    socketio::encode_connect_sid(&mut out, "/admin", "oSO0OpakMV_3jnilAAAA").unwrap();
    check(&mut out, r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#);
    socketio::encode_connect(&mut out, "/admin", Some(&json!({"token": "123"}))).unwrap();
    check(&mut out, r#"0/admin,{"token":"123"}"#);
    socketio::encode_connect_sid(&mut out, "/", "wZX3oN0bSVIhsaknAAAI").unwrap();
    check(&mut out, r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#);
    socketio::encode_connect_error::<()>(&mut out, "/", "Not authorized", None).unwrap();
    check(&mut out, r#"4{"message":"Not authorized"}"#);
    socketio::encode_connect_error::<()>(&mut out, "/random", "Invalid namespace", None).unwrap();
    check(&mut out, r#"4/random,{"message":"Invalid namespace"}"#);
    socketio::encode_event(&mut out, "/", "foo", &(), None).unwrap();
    check(&mut out, r#"2["foo"]"#);
    socketio::encode_event(&mut out, "/admin", "bar", &(), None).unwrap();
    check(&mut out, r#"2/admin,["bar"]"#);
    socketio::encode_event(&mut out, "/", "foo", &(), Some(12)).unwrap();
    check(&mut out, r#"212["foo"]"#);
    socketio::encode_ack(&mut out, "/", 12, &()).unwrap();
    check(&mut out, "312[]");
    socketio::encode_ack(&mut out, "/admin", 13, &("bar",)).unwrap();
    check(&mut out, r#"3/admin,13["bar"]"#);
    socketio::encode_event(&mut out, "/", "hey", &"Jude", None).unwrap();
    check(&mut out, r#"2["hey","Jude"]"#);
    socketio::encode_event(&mut out, "/", "auth", &json!({}), None).unwrap();
    check(&mut out, r#"2["auth",{}]"#);
    socketio::encode_event(&mut out, "/custom", "auth", &json!({"token": "abc"}), None).unwrap();
    check(&mut out, r#"2/custom,["auth",{"token":"abc"}]"#);
    socketio::encode_event(
        &mut out,
        "/",
        "message-back",
        &(1, "2", json!({"3": [true]})),
        None,
    )
    .unwrap();
    check(&mut out, r#"2["message-back",1,"2",{"3":[true]}]"#);
    socketio::encode_ack(&mut out, "/", 456, &(1, "2", json!({"3": [false]}))).unwrap();
    check(&mut out, r#"3456[1,"2",{"3":[false]}]"#);
    socketio::encode_disconnect(&mut out, "/").unwrap();
    check(&mut out, "1");
    socketio::encode_disconnect(&mut out, "/admin").unwrap();
    check(&mut out, "1/admin,");
}

fn bin(bytes: &'static [u8]) -> Value {
    Value::Binary(Bytes::from_static(bytes))
}

/// The parts of a completed binary packet a test compares.
struct Rebuilt {
    kind: PacketType,
    nsp: Str,
    id: Option<u64>,
    data: Value,
}

/// Binary examples: (wire header, attachments, rebuilt packet).
fn binary_table() -> Vec<(&'static str, Vec<&'static [u8]>, Rebuilt)> {
    vec![
        (
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            vec![&[1, 2, 3, 4]],
            Rebuilt {
                kind: BinaryEvent,
                nsp: Str::from("/"),
                id: None,
                data: Value::Array(vec!["baz".into(), bin(&[1, 2, 3, 4])]),
            },
        ),
        (
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            vec![&[1, 2], &[3, 4]],
            Rebuilt {
                kind: BinaryEvent,
                nsp: Str::from("/admin"),
                id: None,
                data: Value::Array(vec!["baz".into(), bin(&[1, 2]), bin(&[3, 4])]),
            },
        ),
        (
            r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
            vec![&[1, 2, 3, 4]],
            Rebuilt {
                kind: BinaryEvent,
                nsp: Str::from("/"),
                id: Some(14),
                data: Value::Array(vec!["foo".into(), bin(&[1, 2, 3, 4])]),
            },
        ),
        (
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            vec![&[1, 2, 3, 4]],
            Rebuilt {
                kind: BinaryAck,
                nsp: Str::from("/"),
                id: Some(15),
                data: Value::Array(vec!["bar".into(), bin(&[1, 2, 3, 4])]),
            },
        ),
        (
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
            vec![&[9]],
            Rebuilt {
                kind: BinaryAck,
                nsp: Str::from("/admin"),
                id: Some(1),
                data: Value::Array(vec![bin(&[9])]),
            },
        ),
        (
            r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            vec![&[1, 2, 3], &[4, 5, 6]],
            Rebuilt {
                kind: BinaryEvent,
                nsp: Str::from("/"),
                id: None,
                data: Value::Array(vec!["message".into(), bin(&[1, 2, 3]), bin(&[4, 5, 6])]),
            },
        ),
        (
            r#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            vec![&[1, 2, 3], &[4, 5, 6]],
            Rebuilt {
                kind: BinaryEvent,
                nsp: Str::from("/"),
                id: Some(789),
                data: Value::Array(vec![
                    "message-with-ack".into(),
                    bin(&[1, 2, 3]),
                    bin(&[4, 5, 6]),
                ]),
            },
        ),
    ]
}

#[test]
fn binary_examples_reassemble_and_split_back_byte_exact() {
    for (wire, attachments, expected) in binary_table() {
        let mut r = Reassembler::new(limits());
        let header = decode(Str::from(wire), &limits()).unwrap();
        assert!(
            r.feed_packet(header).unwrap().is_none(),
            "{wire} waits for attachments"
        );
        let mut done = None;
        for (i, a) in attachments.iter().enumerate() {
            assert_eq!(r.pending(), attachments.len() - i);
            done = r.feed_attachment(Bytes::from_static(a)).unwrap();
        }
        let done: BinaryPacket = done.expect("complete after the last attachment");
        assert_eq!(done.kind, expected.kind, "{wire}");
        assert_eq!(done.nsp, expected.nsp, "{wire}");
        assert_eq!(done.id, expected.id, "{wire}");
        let value = done.value().unwrap();
        assert_eq!(value, expected.data, "{wire}");
        assert_eq!(r.pending(), 0);

        // And back: split gives the same header text and the same frames.
        let (packet, parts) =
            socketio::split(done.kind, done.nsp.clone(), done.id, &value).unwrap();
        let mut out = BytesMut::new();
        packet.encode(&mut out).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), wire);
        let parts: Vec<&[u8]> = parts.iter().map(|b| &b[..]).collect();
        assert_eq!(parts, attachments);
    }
}

#[test]
fn echo_of_a_binary_event_matches_the_test_suite() {
    // `452-["message",…]` + frames → `452-["message-back",…]` + the same frames.
    let mut r = Reassembler::new(limits());
    let header = decode(
        Str::from(r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
        &limits(),
    )
    .unwrap();
    assert!(r.feed_packet(header).unwrap().is_none());
    assert!(
        r.feed_attachment(Bytes::from_static(&[1, 2, 3]))
            .unwrap()
            .is_none()
    );
    let done = r
        .feed_attachment(Bytes::from_static(&[4, 5, 6]))
        .unwrap()
        .unwrap();
    assert_eq!(done.event_name(&limits()).unwrap(), "message");

    let mut out = BytesMut::new();
    huddle_protocol::engine::write_message_prefix(&mut out);
    let parts =
        socketio::encode_event_values(&mut out, "/", "message-back", &done.values().unwrap(), None)
            .unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(
        parts,
        vec![
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[4, 5, 6])
        ]
    );

    // The ack variant: `452-789["message-with-ack",…]` → `462-789[…]`.
    out.clear();
    huddle_protocol::engine::write_message_prefix(&mut out);
    socketio::encode_ack_values(&mut out, "/", 789, &done.values().unwrap()).unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
}

#[test]
fn serde_bytes_in_event_arguments_become_attachments() {
    // `{ type: BINARY_EVENT, data: ["baz", <Buffer 01 02 03 04>] }` from typed args.
    #[derive(serde::Serialize)]
    struct Raw<'a>(#[serde(with = "serde_bytes_shim")] &'a [u8]);
    mod serde_bytes_shim {
        pub fn serialize<S: serde::Serializer>(v: &&[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }
    let mut out = BytesMut::new();
    let parts = socketio::encode_event(&mut out, "/", "baz", &Raw(&[1, 2, 3, 4]), None).unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"51-["baz",{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(parts, vec![Bytes::from_static(&[1, 2, 3, 4])]);

    out.clear();
    let parts = socketio::encode_ack(&mut out, "/", 15, &("bar", Raw(&[1, 2, 3, 4]))).unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"61-15["bar",{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(parts.len(), 1);

    out.clear();
    let parts = socketio::encode_event(
        &mut out,
        "/admin",
        "baz",
        &(Raw(&[1, 2]), Raw(&[3, 4])),
        None,
    )
    .unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(
        parts,
        vec![Bytes::from_static(&[1, 2]), Bytes::from_static(&[3, 4])]
    );
}

#[test]
fn invalid_formats_from_the_test_suite_are_refused() {
    // `4abc`: unknown packet type.
    let err = decode(Str::from("abc"), &limits()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnknownPacketType {
                byte: b'a',
                offset: 0
            }
        ),
        "{err}"
    );
    // `42{}`: an event payload must be an array.
    let err = decode(Str::from("2{}"), &limits()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidPayload {
                kind: Event,
                offset: 1,
                ..
            }
        ),
        "{err}"
    );
    // `42abc[…]`: invalid ack id.
    let err = decode(
        Str::from(r#"2abc["message-with-ack",1,"2",{"3":[false]}]"#),
        &limits(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidPayload {
                kind: Event,
                offset: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn plain_packets_pass_through_the_reassembler() {
    let mut r = Reassembler::new(limits());
    let p = decode(Str::from(r#"2["foo"]"#), &limits()).unwrap();
    assert_eq!(
        r.feed_packet(p.clone()).unwrap(),
        Some(Assembled::Packet(p))
    );
}
