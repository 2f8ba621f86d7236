//! Property tests: no decoder panics on any input, and what they accept obeys the
//! limits. Inputs are both arbitrary bytes and strings over the protocol's own
//! alphabet (digits, separators, brackets, placeholder words), which reach far
//! deeper into the parsers than random bytes do.

use bytes::Bytes;
use huddle_protocol::engine;
use huddle_protocol::socketio::{self, Reassembler, Value};
use huddle_protocol::{Limits, Str};
use proptest::collection::vec;
use proptest::prelude::*;

fn small_limits() -> Limits {
    Limits {
        max_payload: 512,
        max_packets_per_payload: 8,
        max_attachments: 3,
        max_attachments_size: 64,
        max_depth: 4,
        max_namespace_len: 8,
        max_event_name_len: 8,
        max_ack_id: 1000,
    }
}

/// Fragments that make up real packets.
fn protocolish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("0"),
        Just("1"),
        Just("2"),
        Just("3"),
        Just("4"),
        Just("5"),
        Just("6"),
        Just("7"),
        Just("9"),
        Just("-"),
        Just("/"),
        Just("/admin"),
        Just(","),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just("\""),
        Just("\\"),
        Just("\\u00"),
        Just(":"),
        Just("_placeholder"),
        Just("true"),
        Just("num"),
        Just("\"e\""),
        Just(" "),
        Just("\u{1e}"),
        Just("b"),
        Just("AQID"),
        Just("é"),
        Just("12345678901234567890"),
        Just("{\"_placeholder\":true,\"num\":0}"),
        Just("{\"_placeholder\":true,\"num\":1}"),
    ];
    vec(token, 0..40).prop_map(|t| t.concat())
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..200),
        protocolish().prop_map(String::into_bytes)
    ]
}

fn exercise_socketio(text: Str, limits: &Limits) {
    if let Ok(p) = socketio::decode(text.clone(), limits) {
        // The default namespace is always allowed; a custom one obeys the limit.
        assert!(p.nsp == "/" || p.nsp.len() <= limits.max_namespace_len);
        assert!(p.id.is_none_or(|id| id <= limits.max_ack_id));
        assert!(p.attachments <= limits.max_attachments);
        if let Ok(name) = p.event_name(limits) {
            assert!(name.len() <= limits.max_event_name_len);
        }
        let _ = p.args::<Vec<Value>>(limits);
        let _ = p.first_arg::<serde_json::Value>(limits);
        let _ = p.payload::<serde_json::Value>(limits);
        let mut out = bytes::BytesMut::new();
        // Whatever was accepted re-encodes to the same packet.
        p.encode(&mut out).unwrap();
        let again = socketio::decode(Str::from_utf8(out.freeze()).unwrap(), limits).unwrap();
        assert_eq!(again, p);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn engine_decoders_never_panic(bytes in input()) {
        let limits = small_limits();
        let _ = engine::decode_binary(Bytes::from(bytes.clone()), &limits);
        let text = Str::from(String::from_utf8_lossy(&bytes).into_owned());
        if let Ok(p) = engine::decode_text(text.clone(), &limits) {
            // Accepted packets re-encode to what was received, except for the
            // lenient base64 padding and the handshake's JSON spelling.
            if !matches!(p, engine::Packet::Message(engine::Data::Binary(_)) | engine::Packet::Open(_)) {
                let mut out = bytes::BytesMut::new();
                p.encode(&mut out);
                prop_assert_eq!(&out[..], text.as_bytes());
            }
        }
        if let Ok(packets) = engine::decode_payload(Bytes::from(bytes), &limits) {
            prop_assert!(!packets.is_empty() && packets.len() <= limits.max_packets_per_payload);
        }
    }

    #[test]
    fn socketio_decoder_and_readers_never_panic(bytes in input()) {
        let text = Str::from(String::from_utf8_lossy(&bytes).into_owned());
        exercise_socketio(text.clone(), &small_limits());
        exercise_socketio(text.clone(), &Limits::default());
        // Extreme configurations must not overflow any arithmetic.
        let unbounded = Limits {
            max_payload: usize::MAX,
            max_packets_per_payload: usize::MAX,
            max_attachments: usize::MAX,
            max_attachments_size: usize::MAX,
            max_depth: usize::MAX,
            max_namespace_len: usize::MAX,
            max_event_name_len: usize::MAX,
            max_ack_id: u64::MAX,
        };
        exercise_socketio(text.clone(), &unbounded);
        let zero = Limits {
            max_payload: 0,
            max_packets_per_payload: 0,
            max_attachments: 0,
            max_attachments_size: 0,
            max_depth: 0,
            max_namespace_len: 0,
            max_event_name_len: 0,
            max_ack_id: 0,
        };
        exercise_socketio(text.clone(), &zero);
        let _ = engine::decode_payload(text.clone().into_bytes(), &unbounded);
        let _ = engine::decode_payload(text.into_bytes(), &zero);
    }
}

proptest! {
    // Each case is a whole sequence of packets: fewer cases, as much coverage.
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any interleaving of text packets and binary frames: the reassembler never
    /// panics, never holds more than the limits allow, and anything it completes
    /// has every placeholder resolved.
    #[test]
    fn reassembler_never_panics(events in vec(prop_oneof![
        protocolish().prop_map(|s| (true, s.into_bytes())),
        vec(any::<u8>(), 0..40).prop_map(|b| (false, b)),
    ], 0..12)) {
        let limits = small_limits();
        let mut r = Reassembler::new(limits);
        for (is_text, bytes) in events {
            let result = if is_text {
                match socketio::decode(Str::from(String::from_utf8_lossy(&bytes).into_owned()), &limits) {
                    Ok(p) => r.feed_packet(p).map(|a| match a {
                        Some(socketio::Assembled::Binary(b)) => Some(b),
                        _ => None,
                    }),
                    Err(_) => continue,
                }
            } else {
                r.feed_attachment(Bytes::from(bytes))
            };
            prop_assert!(r.pending() <= limits.max_attachments);
            if let Ok(Some(done)) = result {
                let total: usize = done.attachments.iter().map(Bytes::len).sum();
                prop_assert!(total <= limits.max_attachments_size);
                // A packet whose payload checks out builds a value holding
                // exactly its attachments; one that does not, builds nothing.
                match done.check() {
                    Ok(()) => {
                        let value = done.value().unwrap();
                        prop_assert_eq!(value.count_binary(), done.attachments.len());
                    }
                    Err(_) => prop_assert!(done.value().is_err()),
                }
            }
        }
    }
}
