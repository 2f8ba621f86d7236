//! Malformed input gets the typed error naming the rule it broke, and where.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use huddle_protocol::engine::{self, PacketType as EngineType, decode_payload, decode_text};
use huddle_protocol::socketio::{self, PacketType, Reassembler, Value, decode};
use huddle_protocol::{Error, Limits, Str};

fn limits() -> Limits {
    Limits::default()
}

fn sio(text: &'static str) -> Result<socketio::Packet, Error> {
    decode(Str::from(text), &limits())
}

#[test]
fn engine_errors() {
    let l = limits();
    assert!(matches!(
        decode_text(Str::new(), &l),
        Err(Error::EmptyPacket { record: 0 })
    ));
    assert!(matches!(
        decode_text(Str::from("7"), &l),
        Err(Error::UnknownPacketType {
            byte: b'7',
            offset: 0
        })
    ));
    for (wire, kind) in [
        ("1x", EngineType::Close),
        ("5probe", EngineType::Upgrade),
        ("6 ", EngineType::Noop),
    ] {
        let err = decode_text(Str::from(wire), &l).unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedEngineData { kind: k, offset: 1 } if k == kind),
            "{wire}: {err}"
        );
    }
    assert!(matches!(
        decode_text(Str::from("0{bad"), &l),
        Err(Error::InvalidHandshake(_))
    ));
    assert!(matches!(
        decode_text(Str::from("0"), &l),
        Err(Error::InvalidHandshake(_))
    ));
    assert!(matches!(
        decode_text(Str::from("b!!"), &l),
        Err(Error::InvalidBase64 { record: 0 })
    ));
}

#[test]
fn polling_errors_name_the_record() {
    let l = limits();
    assert!(matches!(
        decode_payload(Bytes::from_static(b"4a\x1e\x1e4b"), &l),
        Err(Error::EmptyPacket { record: 1 })
    ));
    assert!(matches!(
        decode_payload(Bytes::from_static(b"4a\x1e4b\x1eb!!!"), &l),
        Err(Error::InvalidBase64 { record: 2 })
    ));
    assert!(matches!(
        decode_payload(Bytes::new(), &l),
        Err(Error::EmptyPacket { record: 0 })
    ));
    assert!(matches!(
        decode_payload(Bytes::from_static(b"4ab\xffc"), &l),
        Err(Error::InvalidUtf8 { offset: 3 })
    ));
    assert!(matches!(
        decode_payload(Bytes::from_static(b"4a\x1e9"), &l),
        Err(Error::UnknownPacketType {
            byte: b'9',
            offset: 0
        })
    ));
    // The iterator stops after the first error.
    let mut it = engine::PayloadDecoder::new(Bytes::from_static(b"4a\x1e9\x1e4b"), &l).unwrap();
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
}

#[test]
fn base64_padding_is_optional_on_input() {
    let l = limits();
    let padded = decode_payload(Bytes::from_static(b"bAQIDBA=="), &l).unwrap();
    let bare = decode_payload(Bytes::from_static(b"bAQIDBA"), &l).unwrap();
    assert_eq!(padded, bare);
}

#[test]
fn socketio_header_errors() {
    use PacketType::*;
    assert!(matches!(sio(""), Err(Error::EmptyPacket { .. })));
    assert!(matches!(
        sio("7[]"),
        Err(Error::UnknownPacketType {
            byte: b'7',
            offset: 0
        })
    ));
    for wire in [r#"5["e"]"#, r#"5-["e"]"#, r#"51["e"]"#, "5"] {
        assert!(
            matches!(sio(wire), Err(Error::InvalidAttachmentCount { offset: 1 })),
            "{wire}"
        );
    }
    assert!(matches!(sio("3[]"), Err(Error::MissingAckId { kind: Ack })));
    assert!(matches!(
        sio(r#"61-[{"_placeholder":true,"num":0}]"#),
        Err(Error::MissingAckId { kind: BinaryAck })
    ));
    assert!(matches!(
        sio("012{}"),
        Err(Error::UnexpectedAckId {
            kind: Connect,
            offset: 1
        })
    ));
    assert!(matches!(
        sio("1/a,5"),
        Err(Error::UnexpectedAckId {
            kind: Disconnect,
            offset: 4
        })
    ));
    assert!(matches!(
        sio("2"),
        Err(Error::MissingPayload { kind: Event })
    ));
    assert!(matches!(
        sio("3/a,1"),
        Err(Error::MissingPayload { kind: Ack })
    ));
    assert!(matches!(
        sio("4"),
        Err(Error::MissingPayload { kind: ConnectError })
    ));
}

#[test]
fn socketio_payload_shape_errors() {
    use PacketType::*;
    let cases: [(&str, PacketType, usize); 8] = [
        ("1x", Disconnect, 1),
        ("0[1]", Connect, 1),
        ("4[1]", ConnectError, 1),
        ("31{}", Ack, 2),
        ("2[]", Event, 2),
        ("2[1]", Event, 2),
        ("2 [ 1]", Event, 4),
        (r#"51-{"_placeholder":true,"num":0}"#, BinaryEvent, 3),
    ];
    for (wire, kind, offset) in cases {
        let err = decode(Str::from(wire), &limits()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidPayload { kind: k, offset: o, .. } if k == kind && o == offset),
            "{wire}: {err:?}"
        );
    }
    // Whitespace before the payload is JSON, and accepted.
    assert!(sio(r#"2 [ "e" ]"#).is_ok());
    assert!(sio(r#"4"refused""#).is_ok());
}

#[test]
fn event_payload_errors_surface_when_read() {
    let l = limits();
    let p = sio(r#"2["\x"]"#).unwrap();
    assert!(matches!(
        p.event_name(&l),
        Err(Error::InvalidEventName { offset: 2 })
    ));
    let p = sio(r#"2["abc"#).unwrap();
    assert!(matches!(
        p.event_name(&l),
        Err(Error::InvalidEventName { offset: 5 })
    ));
    let p = sio(r#"2["a\"bc"#).unwrap();
    assert!(matches!(
        p.event_name(&l),
        Err(Error::InvalidEventName { .. })
    ));
    // Malformed JSON: the offset in the payload, the same as `check` reports.
    let p = sio(r#"2["e",}"#).unwrap();
    assert!(matches!(
        p.args::<Vec<Value>>(&l),
        Err(Error::InvalidJson { offset: 5 })
    ));
    assert!(matches!(p.check(&l), Err(Error::InvalidJson { offset: 5 })));
    let p = sio(r#"2["e",1] trailing"#).unwrap();
    assert!(matches!(
        p.args::<Vec<Value>>(&l),
        Err(Error::InvalidJson { offset: 8 })
    ));
    assert!(matches!(p.check(&l), Err(Error::InvalidJson { offset: 8 })));
    let p = sio(r#"2["e"]"#).unwrap();
    assert!(matches!(
        p.first_arg::<String>(&l),
        Err(Error::MissingArgument { index: 0 })
    ));
    assert_eq!(p.first_arg::<Option<String>>(&l).unwrap(), None);
    let p = sio(r#"2["e","not a number"]"#).unwrap();
    assert!(matches!(p.first_arg::<u32>(&l), Err(Error::Json(_))));
    let ack = sio(r#"31["e"]"#).unwrap();
    assert!(matches!(
        ack.event_name(&l),
        Err(Error::InvalidPayload { .. })
    ));
}

/// Found by fuzzing: accessors of one packet used to disagree on JSON that
/// serde_json cannot hold. Now every reader and `check` refuse it.
#[test]
fn unrepresentable_json_is_refused_by_every_reader() {
    let l = limits();
    // A lone surrogate in the event name: the name reader and the argument
    // readers (which skip the name) agree.
    let p = sio(r#"2["\ud800",1]"#).unwrap();
    assert!(matches!(
        p.event_name(&l),
        Err(Error::InvalidEventName { .. })
    ));
    assert!(matches!(
        p.args::<(u8,)>(&l),
        Err(Error::InvalidJson { offset: 2 })
    ));
    assert!(matches!(
        p.first_arg::<u8>(&l),
        Err(Error::InvalidJson { offset: 2 })
    ));
    assert!(matches!(p.check(&l), Err(Error::InvalidJson { offset: 2 })));
    // A number beyond f64, even where nothing reads it.
    let p = sio(r#"2["e",1,1e400]"#).unwrap();
    assert!(matches!(
        p.first_arg::<u8>(&l),
        Err(Error::InvalidJson { offset: 7 })
    ));
    assert!(matches!(p.check(&l), Err(Error::InvalidJson { offset: 7 })));
    // In a binary payload: `check` and `value` agree.
    let mut r = Reassembler::new(l);
    let done = r.start(sio(r#"50-["e",1e400]"#).unwrap()).unwrap().unwrap();
    assert!(matches!(
        done.check(),
        Err(Error::InvalidJson { offset: 5 })
    ));
    assert!(matches!(
        done.value(),
        Err(Error::InvalidJson { offset: 5 })
    ));
    assert!(matches!(
        done.args::<Vec<Value>>(),
        Err(Error::InvalidJson { offset: 5 })
    ));
    assert!(matches!(
        done.first_arg::<Option<u8>>(),
        Err(Error::InvalidJson { offset: 5 })
    ));
    let done = r.start(sio(r#"50-["e",1e308]"#).unwrap()).unwrap().unwrap();
    assert!(done.check().is_ok());
    assert_eq!(done.first_arg::<f64>().unwrap(), 1e308);
}

/// Collects `text` and as many one-byte attachments as it announces, then
/// checks the completed packet's payload.
fn start(text: &'static str) -> Result<Option<socketio::BinaryPacket>, Error> {
    let packet = sio(text).unwrap();
    let announced = packet.attachments;
    let mut r = Reassembler::new(limits());
    let mut done = r.start(packet)?;
    for _ in 0..announced {
        done = r.feed_attachment(Bytes::from_static(b"x"))?;
    }
    let done = done.expect("complete once every announced attachment arrived");
    done.check()?;
    Ok(Some(done))
}

#[test]
fn reassembler_errors() {
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true,"num":"0"}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true,"num":-1}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true,"num":0.5}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    // `-0` is a float to serde_json (and to the tree `value` builds): not an index.
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true,"num":-0}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true,"num":1}]"#),
        Err(Error::PlaceholderOutOfRange { num: 1, count: 1 })
    ));
    assert!(matches!(
        start(r#"51-["e",{"_placeholder":true,"num":18446744073709551615}]"#),
        Err(Error::PlaceholderOutOfRange {
            num: u64::MAX,
            count: 1
        })
    ));
    assert!(matches!(
        start(r#"52-["e",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":0}]]"#),
        Err(Error::DuplicatePlaceholder { num: 0 })
    ));
    assert!(matches!(
        start(r#"52-["e",{"_placeholder":true,"num":1}]"#),
        Err(Error::MissingPlaceholder { num: 0 })
    ));
    assert!(matches!(
        start(r#"51-["e",1]"#),
        Err(Error::MissingPlaceholder { num: 0 })
    ));
    assert!(matches!(
        start(r#"50-["e",]"#),
        Err(Error::InvalidJson { offset: 5 })
    ));
    // `_placeholder` other than `true` is ordinary data.
    let done = start(r#"50-["e",{"_placeholder":false,"num":0}]"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        done.values().unwrap()[0].get("num"),
        Some(&Value::Number(0.into()))
    );
    // A placeholder is replaced whole: placeholders nested in it are refused.
    assert!(matches!(
        start(r#"52-["e",{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":1}}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    assert!(matches!(
        start(r#"52-["e",{"x":{"_placeholder":true,"num":1},"_placeholder":true,"num":0}]"#),
        Err(Error::InvalidPlaceholder)
    ));
    // Placeholders nested in ordinary data are found at any depth and key order.
    let done = start(r#"50-["e",{"a":[{"b":{"c":1}}]}]"#).unwrap().unwrap();
    assert!(done.attachments.is_empty());
    let done = start(r#"52-["e",{"a":[{"num":1,"_placeholder":true}],"_placeholder":false,"b":{"_placeholder":true,"num":0}}]"#)
        .unwrap()
        .unwrap();
    assert_eq!(done.value().unwrap().count_binary(), 2);
    // Reading an unchecked bad packet checks it first: nothing is built.
    let mut r = Reassembler::new(limits());
    r.start(sio(r#"51-["e",{"_placeholder":true,"num":5}]"#).unwrap())
        .unwrap();
    let bad = r
        .feed_attachment(Bytes::from_static(b"x"))
        .unwrap()
        .unwrap();
    assert!(matches!(
        bad.value(),
        Err(Error::PlaceholderOutOfRange { num: 5, count: 1 })
    ));
    assert!(matches!(
        bad.args::<Vec<Value>>(),
        Err(Error::PlaceholderOutOfRange { .. })
    ));
    assert!(matches!(
        bad.first_arg::<Value>(),
        Err(Error::PlaceholderOutOfRange { .. })
    ));
    // The payload as received is not checked until read: the field says so.
    assert_eq!(bad.data, r#"["e",{"_placeholder":true,"num":5}]"#);

    let mut r = Reassembler::new(limits());
    assert!(matches!(
        r.feed_attachment(Bytes::new()),
        Err(Error::UnexpectedAttachment)
    ));
    assert!(matches!(
        r.start(sio(r#"2["e"]"#).unwrap()),
        Err(Error::NotBinaryPacket {
            kind: PacketType::Event
        })
    ));
    r.feed_packet(
        sio(r#"52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#).unwrap(),
    )
    .unwrap();
    r.feed_attachment(Bytes::from_static(b"a")).unwrap();
    assert!(matches!(
        r.feed_packet(sio(r#"2["e"]"#).unwrap()),
        Err(Error::UnexpectedTextPacket { pending: 1 })
    ));
    // After an error the reassembler is idle again.
    assert_eq!(r.pending(), 0);
    assert!(matches!(
        r.feed_attachment(Bytes::new()),
        Err(Error::UnexpectedAttachment)
    ));
    // A second header while one is pending is a text packet too.
    r.feed_packet(sio(r#"51-["e",{"_placeholder":true,"num":0}]"#).unwrap())
        .unwrap();
    assert!(matches!(
        r.feed_packet(sio(r#"51-["e",{"_placeholder":true,"num":0}]"#).unwrap()),
        Err(Error::UnexpectedTextPacket { pending: 1 })
    ));
    // More frames than announced, fed in one go.
    r.feed_packet(sio(r#"51-["e",{"_placeholder":true,"num":0}]"#).unwrap())
        .unwrap();
    assert!(matches!(
        r.feed_attachments([Bytes::new(), Bytes::new()]),
        Err(Error::UnexpectedAttachment)
    ));
}

#[test]
fn encoding_errors() {
    let mut out = BytesMut::new();
    // Map keys must be strings (or numbers / bools, written as strings).
    let mut bad = BTreeMap::new();
    bad.insert(vec![1u8], 1);
    assert!(matches!(
        socketio::encode_event(&mut out, "/", "e", &bad, None),
        Err(Error::Serialize { .. })
    ));
    assert!(
        out.is_empty(),
        "a failed encode leaves the buffer as it was"
    );
    let mut ok = BTreeMap::new();
    ok.insert(7u32, true);
    socketio::encode_event(&mut out, "/", "e", &ok, None).unwrap();
    assert_eq!(&out[..], br#"2["e",{"7":true}]"#);

    // CONNECT / CONNECT_ERROR payloads cannot carry binary parts.
    out.clear();
    let binary = Value::Binary(Bytes::from_static(b"x"));
    assert!(matches!(
        socketio::encode_connect(&mut out, "/", Some(&binary)),
        Err(Error::BinaryInJson)
    ));
    assert!(matches!(
        socketio::encode_connect_error(&mut out, "/", "no", Some(&binary)),
        Err(Error::BinaryInJson)
    ));
    assert!(out.is_empty());
    assert!(matches!(
        socketio::split(PacketType::Connect, Str::from("/"), None, &binary),
        Err(Error::BinaryInJson)
    ));
    assert!(matches!(
        serde_json::Value::try_from(binary),
        Err(Error::BinaryInJson)
    ));
}

#[test]
fn errors_display_the_rule_and_the_place() {
    let err = sio("7").unwrap_err();
    assert_eq!(err.to_string(), "unknown packet type byte 0x37 at offset 0");
    let err = decode(Str::from(r#"5999-["e"]"#), &limits()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "packet announces 999 attachments, the limit is 10"
    );
}
