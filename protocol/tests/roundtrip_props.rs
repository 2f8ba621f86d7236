//! Property tests: decode(encode(p)) == p for every packet kind, binary included,
//! polling payloads of mixed text and binary packets, and split-point invariance
//! of the stream consumers (polling bodies split at any record boundary, the
//! reassembler fed attachments in any grouping).

use bytes::{Bytes, BytesMut};
use huddle_protocol::engine::{self, Data, Frame, Handshake};
use huddle_protocol::socketio::{self, PacketType, Reassembler, Value};
use huddle_protocol::{Limits, Str};
use proptest::collection::vec;
use proptest::prelude::*;

fn limits() -> Limits {
    Limits::default()
}

// ---- Engine.IO -------------------------------------------------------------------

/// Text without the record separator: the protocol assumes data never contains it.
fn text() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| s.replace('\u{1e}', ""))
}

fn handshake() -> impl Strategy<Value = Handshake> {
    (
        any::<String>(),
        vec(text(), 0..3),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(sid, upgrades, ping_interval, ping_timeout, max_payload)| Handshake {
                sid,
                upgrades,
                ping_interval,
                ping_timeout,
                max_payload,
            },
        )
}

fn engine_packet() -> impl Strategy<Value = engine::Packet> {
    prop_oneof![
        handshake().prop_map(engine::Packet::Open),
        Just(engine::Packet::Close),
        text().prop_map(|s| engine::Packet::Ping(Str::from(s))),
        text().prop_map(|s| engine::Packet::Pong(Str::from(s))),
        text().prop_map(engine::Packet::text),
        vec(any::<u8>(), 0..64).prop_map(engine::Packet::binary),
        Just(engine::Packet::Upgrade),
        Just(engine::Packet::Noop),
    ]
}

proptest! {
    #[test]
    fn engine_packets_round_trip_as_text(p in engine_packet()) {
        let mut out = BytesMut::new();
        p.encode(&mut out);
        prop_assert_eq!(out.len(), p.encoded_len());
        let decoded = engine::decode_text(Str::from_utf8(out.freeze()).unwrap(), &limits()).unwrap();
        prop_assert_eq!(decoded, p);
    }

    #[test]
    fn engine_packets_round_trip_as_websocket_frames(p in engine_packet()) {
        let decoded = match p.to_frame() {
            Frame::Text(t) => engine::decode_text(Str::from_utf8(t).unwrap(), &limits()).unwrap(),
            Frame::Binary(b) => engine::decode_binary(b, &limits()).unwrap(),
        };
        prop_assert_eq!(decoded, p);
    }

    #[test]
    fn polling_payloads_of_mixed_packets_round_trip(packets in vec(engine_packet(), 1..20)) {
        let frames: Vec<Frame> = packets.iter().map(engine::Packet::to_frame).collect();
        let mut body = BytesMut::new();
        engine::encode_payload(&frames, &mut body);
        prop_assert_eq!(body.len(), engine::payload_len(&frames));
        let decoded = engine::decode_payload(body.freeze(), &limits()).unwrap();
        prop_assert_eq!(decoded, packets);
    }

    /// Sending the same packets in several polling requests, split anywhere
    /// between records, yields the same packet sequence.
    #[test]
    fn polling_payloads_split_at_any_record_boundary_decode_the_same(
        packets in vec(engine_packet(), 2..20),
        cuts in vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let frames: Vec<Frame> = packets.iter().map(engine::Packet::to_frame).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| 1 + c.index(frames.len() - 1)).collect();
        points.sort_unstable();
        points.dedup();
        let mut decoded = Vec::new();
        let mut start = 0;
        for end in points.into_iter().chain([frames.len()]) {
            let mut body = BytesMut::new();
            engine::encode_payload(&frames[start..end], &mut body);
            decoded.extend(engine::decode_payload(body.freeze(), &limits()).unwrap());
            start = end;
        }
        prop_assert_eq!(decoded, packets);
    }

    /// Every text record decodes to a slice of the body: no copy.
    #[test]
    fn polling_text_records_are_slices_of_the_body(texts in vec(text(), 1..10)) {
        let frames: Vec<Frame> = texts.iter().map(|t| engine::Packet::text(t.clone()).to_frame()).collect();
        let mut body = BytesMut::new();
        engine::encode_payload(&frames, &mut body);
        let body = body.freeze();
        for p in engine::decode_payload(body.clone(), &limits()).unwrap() {
            let engine::Packet::Message(Data::Text(t)) = p else { panic!("text expected") };
            let range = body.as_ptr_range();
            prop_assert!(t.is_empty() || range.contains(&t.as_ptr()));
        }
    }
}

// ---- Socket.IO -------------------------------------------------------------------

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_string()), "/[^,]{0,20}"]
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<u64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        any::<String>().prop_map(serde_json::Value::String),
    ]
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    json_leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            vec(("[a-z_\"\\\\é]{0,6}", inner), 0..4)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = serde_json::Value> {
    vec(("[a-z]{0,6}", json()), 0..4)
        .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect()))
}

/// A socket.io packet whose data has the shape its kind requires.
fn socketio_packet() -> impl Strategy<Value = socketio::Packet> {
    let id = proptest::option::of(0..=huddle_protocol::JS_MAX_SAFE_INTEGER);
    (
        0u8..7,
        namespace(),
        id,
        0usize..=10,
        any::<String>(),
        vec(json(), 0..4),
        object(),
        any::<bool>(),
    )
        .prop_map(|(kind, nsp, id, attachments, name, args, obj, flag)| {
            let kind = PacketType::from_ascii(b'0' + kind).unwrap();
            let array = |with_name: bool| {
                let mut items = Vec::new();
                if with_name {
                    items.push(serde_json::Value::String(name.clone()));
                }
                items.extend(args.iter().cloned());
                serde_json::Value::Array(items).to_string()
            };
            let (id, data) = match kind {
                PacketType::Connect => (None, flag.then(|| obj.to_string())),
                PacketType::Disconnect => (None, None),
                PacketType::ConnectError => (
                    None,
                    Some(if flag {
                        obj.to_string()
                    } else {
                        serde_json::Value::String(name.clone()).to_string()
                    }),
                ),
                PacketType::Event | PacketType::BinaryEvent => (id, Some(array(true))),
                PacketType::Ack | PacketType::BinaryAck => {
                    (Some(id.unwrap_or(0)), Some(array(false)))
                }
            };
            socketio::Packet {
                kind,
                nsp: Str::from(nsp),
                id,
                attachments: if kind.is_binary() { attachments } else { 0 },
                data: data.map(Str::from),
            }
        })
}

fn value_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_leaf().prop_map(Value::from),
        vec(any::<u8>(), 0..16).prop_map(|b| Value::Binary(Bytes::from(b))),
    ]
}

/// Values with binary parts; no key is `_placeholder`, which would be read as one.
fn value() -> impl Strategy<Value = Value> {
    value_leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(("[a-z]{0,6}", inner), 0..4).prop_map(Value::Object),
        ]
    })
}

proptest! {
    #[test]
    fn socketio_packets_round_trip(p in socketio_packet()) {
        let mut out = BytesMut::new();
        p.encode(&mut out).unwrap();
        prop_assert_eq!(out.len(), p.encoded_len());
        let decoded = socketio::decode(Str::from_utf8(out.freeze()).unwrap(), &limits()).unwrap();
        prop_assert_eq!(decoded, p);
    }

    #[test]
    fn events_round_trip_through_encode_event_and_the_lazy_readers(
        nsp in namespace(),
        name in any::<String>().prop_filter("within the name limit", |n| n.len() <= 256),
        args in vec(json(), 0..4),
        id in proptest::option::of(any::<u32>()),
    ) {
        let mut out = BytesMut::new();
        let parts = socketio::encode_event(&mut out, &nsp, &name, &socketio::Spread(&args), id.map(u64::from)).unwrap();
        prop_assert!(parts.is_empty());
        let p = socketio::decode(Str::from_utf8(out.freeze()).unwrap(), &limits()).unwrap();
        prop_assert_eq!(p.kind, PacketType::Event);
        prop_assert_eq!(p.nsp.as_str(), nsp.as_str());
        prop_assert_eq!(p.id, id.map(u64::from));
        let read = p.event_name(&limits()).unwrap();
        prop_assert_eq!(read.as_str(), name.as_str());
        prop_assert_eq!(p.args::<Vec<serde_json::Value>>(&limits()).unwrap(), args);
    }

    #[test]
    fn encode_event_matches_serde_json_byte_for_byte(name in any::<String>(), args in vec(json(), 0..4)) {
        let mut out = BytesMut::new();
        socketio::encode_event(&mut out, "/", &name, &socketio::Spread(&args), None).unwrap();
        let mut all = vec![serde_json::Value::String(name)];
        all.extend(args);
        let expected = format!("2{}", serde_json::to_string(&all).unwrap());
        prop_assert_eq!(std::str::from_utf8(&out).unwrap(), expected.as_str());
    }

    /// split → encode → decode → reassemble gives back the value, for events and
    /// acks, whatever the binary parts.
    #[test]
    fn binary_packets_round_trip_through_split_and_reassembly(
        ack in any::<bool>(),
        nsp in namespace(),
        name in "[a-z:]{1,10}",
        args in vec(value(), 0..4),
        id in proptest::option::of(0u64..1000),
    ) {
        let (kind, id, data) = if ack {
            (PacketType::Ack, Some(id.unwrap_or(0)), Value::Array(args))
        } else {
            let mut items = vec![Value::String(name)];
            items.extend(args);
            (PacketType::Event, id, Value::Array(items))
        };
        let limits = Limits { max_attachments: usize::MAX, ..limits() };
        let (packet, parts) = socketio::split(kind, Str::from(nsp.clone()), id, &data).unwrap();
        prop_assert_eq!(packet.attachments, data.count_binary());
        prop_assert_eq!(packet.kind.is_binary(), data.has_binary());

        let mut out = BytesMut::new();
        packet.encode(&mut out).unwrap();
        let decoded = socketio::decode(Str::from_utf8(out.freeze()).unwrap(), &limits).unwrap();
        prop_assert_eq!(&decoded, &packet);

        if !packet.kind.is_binary() {
            prop_assert!(parts.is_empty());
            return Ok(());
        }
        let mut r = Reassembler::new(limits);
        let mut done = r.start(decoded).unwrap();
        for part in parts {
            prop_assert!(done.is_none());
            done = r.feed_attachment(part).unwrap();
        }
        let done = done.unwrap();
        prop_assert_eq!(done.value().unwrap(), data);
        prop_assert_eq!(done.nsp.as_str(), nsp.as_str());
        prop_assert_eq!(done.id, id);
    }

    /// The reassembler's result does not depend on how the attachment frames are
    /// grouped into calls.
    #[test]
    fn reassembly_is_independent_of_how_attachments_are_grouped(
        parts in vec(vec(any::<u8>(), 0..8), 1..10),
        cuts in vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let data = Value::Array(
            std::iter::once(Value::String("e".into()))
                .chain(parts.iter().map(|p| Value::Binary(Bytes::from(p.clone()))))
                .collect(),
        );
        let (packet, frames) = socketio::split(PacketType::Event, Str::from("/"), None, &data).unwrap();

        let mut one_by_one = Reassembler::new(limits());
        let mut expected = one_by_one.start(packet.clone()).unwrap();
        for f in frames.clone() {
            expected = one_by_one.feed_attachment(f).unwrap();
        }
        let expected = expected.unwrap();
        prop_assert_eq!(&expected.value().unwrap(), &data);

        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(frames.len() + 1)).collect();
        points.sort_unstable();
        let mut grouped = Reassembler::new(limits());
        prop_assert!(grouped.start(packet).unwrap().is_none());
        let mut result = None;
        let mut start = 0;
        for end in points.into_iter().chain([frames.len()]) {
            let r = grouped.feed_attachments(frames[start..end].iter().cloned()).unwrap();
            if end < frames.len() {
                prop_assert!(r.is_none());
            }
            result = r.or(result);
            start = end;
        }
        prop_assert_eq!(result.unwrap(), expected);
    }
}
