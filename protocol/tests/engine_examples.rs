//! Every example of the Engine.IO v4 protocol document (and the v4 test suite's
//! literal packets), byte-exact in both directions: decode(bytes) == packet and
//! encode(packet) == bytes.

use bytes::{Bytes, BytesMut};
use huddle_protocol::engine::{
    self, Data, Frame, Handshake, Packet, PacketType, decode_binary, decode_payload, decode_text,
    encode_payload,
};
use huddle_protocol::{Error, Limits, Str};

fn limits() -> Limits {
    Limits::default()
}

fn encode(p: &Packet) -> Vec<u8> {
    let mut out = BytesMut::new();
    p.encode(&mut out);
    assert_eq!(out.len(), p.encoded_len(), "encoded_len is exact for {p:?}");
    out.to_vec()
}

/// Text packets: (wire text, packet).
fn text_table() -> Vec<(&'static str, Packet)> {
    vec![
        // "Heartbeat": ping / pong.
        ("2", Packet::Ping(Str::new())),
        ("3", Packet::Pong(Str::new())),
        // "Upgrade": probe ping / pong, then upgrade.
        ("2probe", Packet::Ping(Str::from("probe"))),
        ("3probe", Packet::Pong(Str::from("probe"))),
        ("5", Packet::Upgrade),
        // "Packet encoding / WebSocket": `4hello`.
        ("4hello", Packet::text("hello")),
        // Test suite: close and noop.
        ("1", Packet::Close),
        ("6", Packet::Noop),
        // Socket.IO sample session riding on engine.io messages.
        ("40", Packet::text("0")),
        ("42[\"hey\",\"Jude\"]", Packet::text("2[\"hey\",\"Jude\"]")),
    ]
}

#[test]
fn text_packets_of_the_document_decode_and_encode_byte_exact() {
    for (wire, packet) in text_table() {
        let decoded = decode_text(Str::from(wire), &limits()).unwrap();
        assert_eq!(decoded, packet, "decode {wire:?}");
        assert_eq!(encode(&packet), wire.as_bytes(), "encode {packet:?}");
    }
}

#[test]
fn handshake_matches_the_document_byte_for_byte() {
    let cases = [
        (
            r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
            Handshake {
                sid: "lv_VI97HAXpY6yYWAAAC".into(),
                upgrades: vec!["websocket".into()],
                ping_interval: 25000,
                ping_timeout: 20000,
                max_payload: 1_000_000,
            },
        ),
        // The socket.io document's sample session.
        (
            r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}"#,
            Handshake {
                sid: "lv_VI97HAXpY6yYWAAAC".into(),
                upgrades: vec!["websocket".into()],
                ping_interval: 25000,
                ping_timeout: 5000,
                max_payload: 1_000_000,
            },
        ),
        // Test suite, WebSocket-only session: no upgrades.
        (
            r#"0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#,
            Handshake {
                sid: "abc".into(),
                upgrades: vec![],
                ping_interval: 300,
                ping_timeout: 200,
                max_payload: 1_000_000,
            },
        ),
    ];
    for (wire, handshake) in cases {
        let packet = Packet::Open(handshake);
        assert_eq!(decode_text(Str::from(wire), &limits()).unwrap(), packet);
        assert_eq!(encode(&packet), wire.as_bytes());
    }
}

#[test]
fn websocket_binary_frame_is_message_data_as_is() {
    // "Binary payloads are sent as is, without modification."
    let data = Bytes::from_static(&[1, 2, 3, 4]);
    let packet = decode_binary(data.clone(), &limits()).unwrap();
    assert_eq!(packet, Packet::Message(Data::Binary(data.clone())));
    assert_eq!(packet.to_frame(), Frame::Binary(data));
}

/// Polling bodies: (wire body, packets).
fn payload_table() -> Vec<(&'static [u8], Vec<Packet>)> {
    vec![
        // "HTTP long-polling" example 1.
        (
            b"4hello\x1e2\x1e4world",
            vec![
                Packet::text("hello"),
                Packet::Ping(Str::new()),
                Packet::text("world"),
            ],
        ),
        // Example 2: a binary record is `b` + base64.
        (
            b"4hello\x1ebAQIDBA==",
            vec![
                Packet::text("hello"),
                Packet::binary(Bytes::from_static(&[1, 2, 3, 4])),
            ],
        ),
        // Test suite.
        (
            b"4test1\x1e4test2\x1e4test3",
            vec![
                Packet::text("test1"),
                Packet::text("test2"),
                Packet::text("test3"),
            ],
        ),
        (b"4hello", vec![Packet::text("hello")]),
        (b"3", vec![Packet::Pong(Str::new())]),
        (b"1", vec![Packet::Close]),
        (b"6", vec![Packet::Noop]),
        // Socket.IO sample session, request 5.
        (
            b"42[\"hello\"]\x1e42[\"world\"]",
            vec![Packet::text("2[\"hello\"]"), Packet::text("2[\"world\"]")],
        ),
    ]
}

#[test]
fn polling_payloads_of_the_document_decode_and_encode_byte_exact() {
    for (wire, packets) in payload_table() {
        let decoded = decode_payload(Bytes::from_static(wire), &limits()).unwrap();
        assert_eq!(
            decoded,
            packets,
            "decode {:?}",
            String::from_utf8_lossy(wire)
        );
        let frames: Vec<Frame> = packets.iter().map(Packet::to_frame).collect();
        let mut out = BytesMut::new();
        encode_payload(&frames, &mut out);
        assert_eq!(&out[..], wire);
        assert_eq!(out.len(), engine::payload_len(&frames));
    }
}

#[test]
fn decoded_text_is_a_slice_of_the_input() {
    let body = Bytes::from_static(b"4hello\x1e4world");
    let packets = decode_payload(body.clone(), &limits()).unwrap();
    let Packet::Message(Data::Text(world)) = &packets[1] else {
        panic!("expected text")
    };
    assert_eq!(world.as_ptr(), body[8..].as_ptr());
}

#[test]
fn invalid_packet_format_from_the_test_suite_is_refused() {
    // "closes the session upon invalid packet format": body `abc`.
    let err = decode_text(Str::from("abc"), &limits()).unwrap_err();
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
    let err = decode_payload(Bytes::from_static(b"abc"), &limits()).unwrap_err();
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
}

#[test]
fn packet_type_digits() {
    for (digit, kind) in [
        (b'0', PacketType::Open),
        (b'1', PacketType::Close),
        (b'2', PacketType::Ping),
        (b'3', PacketType::Pong),
        (b'4', PacketType::Message),
        (b'5', PacketType::Upgrade),
        (b'6', PacketType::Noop),
    ] {
        assert_eq!(PacketType::from_ascii(digit), Some(kind));
        assert_eq!(kind.as_ascii(), digit);
    }
    assert_eq!(PacketType::from_ascii(b'7'), None);
}

#[test]
fn a_message_encoded_once_serves_websocket_and_polling() {
    let mut out = BytesMut::new();
    engine::write_message_prefix(&mut out);
    huddle_protocol::socketio::encode_event(&mut out, "/", "hey", &("Jude",), None).unwrap();
    let frame = Frame::Text(out.freeze());
    // WebSocket: the frame's bytes as they are.
    let Frame::Text(ws) = &frame else {
        unreachable!()
    };
    assert_eq!(&ws[..], b"42[\"hey\",\"Jude\"]");
    // Polling: the same bytes joined with another record.
    let mut body = BytesMut::new();
    encode_payload(&[frame.clone(), frame], &mut body);
    assert_eq!(&body[..], b"42[\"hey\",\"Jude\"]\x1e42[\"hey\",\"Jude\"]");
}
