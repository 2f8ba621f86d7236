//! Fuzz target: one Socket.IO packet text (`socketio::decode`), then the lazy
//! accessors a handler uses on it (`event_name`, `args`, `first_arg`, `payload`).
//!
//! Invariants, under default and tight limits:
//! - the header obeys the protocol and the limits: type digit, attachment count
//!   only on binary packets and at most `max_attachments`, namespace `/…` without
//!   `,` and at most `max_namespace_len`, ack id at most `max_ack_id`, present on
//!   acks and absent on CONNECT / DISCONNECT / CONNECT_ERROR, payload shape per type;
//! - namespace and payload are slices of the input, the payload its exact tail;
//! - the packet re-encodes (exactly `encoded_len` bytes, at most one byte longer
//!   than the input: a missing namespace comma) to text that decodes to the same
//!   packet, and that re-encoding is a fixed point;
//! - non-binary packets pass through a `Reassembler` unchanged;
//! - `event_name` agrees with a full JSON parse of the payload and never returns
//!   a name longer than `max_event_name_len`;
//! - `args::<Vec<Value>>`, `first_arg` and `payload` agree with a full JSON parse:
//!   they succeed exactly when the payload is valid JSON of the right shape nested
//!   at most `max_depth` deep, and return the same values; JSON `serde_json` cannot
//!   hold (a lone surrogate escape, a number beyond `f64`) is refused by all of
//!   them, even in the parts they skip;
//! - `check` passes exactly when the payload is JSON a full parse holds, nested at
//!   most `max_depth` deep, and when it finds malformed JSON at an offset, the
//!   readers that reach that point report the same offset;
//! - tight limits only ever refuse more.
#![no_main]

use bytes::{Bytes, BytesMut};
use huddle_fuzz::{json, limits, slices};
use huddle_protocol::socketio::{Assembled, Packet, PacketType, Reassembler, Value, decode};
use huddle_protocol::{Error, Limits, Str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let Ok(text) = Str::from_utf8(input.clone()) else {
        return;
    };
    let [default, tight] = limits::sets();
    let d = check(&input, text.clone(), &default);
    let t = check(&input, text, &tight);
    limits::check_monotonic(&d, &t);
});

fn check(input: &Bytes, text: Str, limits: &Limits) -> Result<Packet, Error> {
    let result = decode(text, limits);
    match &result {
        Ok(p) => {
            check_header(input, p, limits);
            check_reencoding(input, p, limits);
            check_passthrough(p, limits);
            let parsed = p
                .data
                .as_ref()
                .map(|d| serde_json::from_str::<serde_json::Value>(d.as_str()));
            if p.kind.is_event() {
                check_event_name(p, limits, parsed.as_ref());
            }
            check_args(p, limits, parsed.as_ref());
        }
        Err(e) => check_error(input, e, limits),
    }
    result
}

fn first_non_ws(bytes: &[u8]) -> Option<(usize, u8)> {
    bytes
        .iter()
        .copied()
        .enumerate()
        .find(|(_, b)| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn check_header(input: &Bytes, p: &Packet, limits: &Limits) {
    assert!(input.len() <= limits.max_payload);
    assert_eq!(p.kind.as_ascii(), input[0]);
    assert!(
        p.attachments <= limits.max_attachments,
        "attachment limit exceeded"
    );
    if !p.kind.is_binary() {
        assert_eq!(p.attachments, 0);
    }
    assert!(p.nsp.starts_with('/'), "namespace {:?}", p.nsp);
    assert!(!p.nsp.contains(','));
    assert!(
        p.nsp.len() <= limits.max_namespace_len,
        "namespace limit exceeded"
    );
    if p.nsp != "/" {
        slices::assert_slice_of(input, p.nsp.as_bytes(), "namespace");
    }
    if let Some(id) = p.id {
        assert!(id <= limits.max_ack_id, "ack id limit exceeded");
    }
    match p.kind {
        PacketType::Ack | PacketType::BinaryAck => assert!(p.id.is_some()),
        PacketType::Connect | PacketType::Disconnect | PacketType::ConnectError => {
            assert!(p.id.is_none())
        }
        PacketType::Event | PacketType::BinaryEvent => {}
    }
    match &p.data {
        None => assert!(matches!(
            p.kind,
            PacketType::Connect | PacketType::Disconnect
        )),
        Some(d) => {
            assert!(!d.is_empty());
            slices::assert_slice_of(input, d.as_bytes(), "payload");
            assert!(
                input.ends_with(d.as_bytes()),
                "payload is the tail of the input"
            );
            let (at, first) = first_non_ws(d.as_bytes()).expect("payload is not only blanks");
            match p.kind {
                PacketType::Disconnect => panic!("DISCONNECT with a payload"),
                PacketType::Connect => assert_eq!(first, b'{'),
                PacketType::ConnectError => assert!(matches!(first, b'{' | b'"')),
                PacketType::Ack | PacketType::BinaryAck => assert_eq!(first, b'['),
                PacketType::Event | PacketType::BinaryEvent => {
                    assert_eq!(first, b'[');
                    let rest = &d.as_bytes()[at + 1..];
                    assert_eq!(first_non_ws(rest).map(|(_, b)| b), Some(b'"'));
                }
            }
        }
    }
}

fn check_reencoding(input: &Bytes, p: &Packet, limits: &Limits) {
    let mut out = BytesMut::new();
    p.encode(&mut out)
        .unwrap_or_else(|e| panic!("a decoded packet does not encode: {e}"));
    assert_eq!(out.len(), p.encoded_len(), "encoded_len is exact");
    assert!(
        out.len() <= input.len() + 1,
        "re-encoding grew by more than a comma"
    );
    if let Some(d) = &p.data {
        assert!(out.ends_with(d.as_bytes()), "payload written as received");
    }
    let out = out.freeze();
    let again = decode(
        Str::from_utf8(out.clone()).expect("encoder writes UTF-8"),
        &limits::unbounded_payload(limits),
    )
    .unwrap_or_else(|e| panic!("re-encoding {out:?} does not decode: {e}"));
    assert_eq!(&again, p, "decode(encode(p)) != p");
    let mut twice = BytesMut::new();
    again.encode(&mut twice).unwrap();
    assert_eq!(twice, out, "re-encoding is not a fixed point");
}

fn check_passthrough(p: &Packet, limits: &Limits) {
    if p.kind.is_binary() {
        return; // the binary_reassembly target's business
    }
    let mut r = Reassembler::new(*limits);
    let out = r
        .feed_packet(p.clone())
        .expect("a plain packet passes through");
    assert_eq!(out, Some(Assembled::Packet(p.clone())));
    assert_eq!(r.pending(), 0);
}

type Parsed = Result<serde_json::Value, serde_json::Error>;

fn check_event_name(p: &Packet, limits: &Limits, parsed: Option<&Parsed>) {
    let data = p.data.as_ref().expect("events carry a payload");
    let name = p.event_name(limits);
    if let Ok(n) = &name {
        assert!(
            n.len() <= limits.max_event_name_len,
            "event name limit exceeded"
        );
    }
    // With the whole payload valid JSON, the lazy read must agree with it.
    let Some(Ok(serde_json::Value::Array(items))) = parsed else {
        match &name {
            Ok(_) | Err(Error::EventNameTooLong { .. }) => {}
            Err(Error::InvalidEventName { offset }) => assert!(*offset <= data.len()),
            Err(e) => panic!("event_name failed with {e:?}"),
        }
        return;
    };
    let Some(serde_json::Value::String(reference)) = items.first() else {
        panic!("decode accepted an event whose first element is not a string: {data:?}");
    };
    match name {
        Ok(n) => assert_eq!(
            n.as_str(),
            reference,
            "event name differs from the JSON parse"
        ),
        Err(Error::EventNameTooLong { max }) => {
            assert_eq!(max, limits.max_event_name_len);
            assert!(reference.len() > max, "a name within the limit was refused");
        }
        Err(e) => panic!("event_name refused a valid payload {data:?}: {e:?}"),
    }
}

fn check_args(p: &Packet, limits: &Limits, parsed: Option<&Parsed>) {
    let args = p.args::<Vec<Value>>(limits);
    let first = p.first_arg::<Option<Value>>(limits);
    let payload = p.payload::<serde_json::Value>(limits);
    let checked = p.check(limits);
    // Where `check` finds malformed JSON, a reader that gets there finds it too.
    if let Err(Error::InvalidJson { offset }) = &checked {
        for (what, r) in [
            ("args", args.as_ref().err()),
            ("first_arg", first.as_ref().err()),
            ("payload", payload.as_ref().err()),
        ] {
            if let Some(Error::InvalidJson { offset: o }) = r {
                assert_eq!(
                    o, offset,
                    "{what}: malformed JSON reported elsewhere than by check"
                );
            }
        }
    }
    for (what, r) in [
        ("args", args.as_ref().err()),
        ("first_arg", first.as_ref().err()),
        ("payload", payload.as_ref().err()),
    ] {
        if matches!(
            r,
            Some(Error::InvalidJson { .. } | Error::NestingTooDeep { .. })
        ) {
            assert!(
                checked.is_err(),
                "{what} refused the JSON that check passed: {r:?}"
            );
        }
    }
    let Some(parsed) = parsed else {
        assert!(checked.is_ok(), "{checked:?}");
        assert!(
            matches!(args, Err(Error::MissingPayload { .. })),
            "{args:?}"
        );
        assert!(
            matches!(first, Err(Error::MissingPayload { .. })),
            "{first:?}"
        );
        assert!(matches!(payload, Ok(None)), "{payload:?}");
        return;
    };
    let Ok(reference) = parsed else {
        // Invalid JSON, or valid syntax that a `serde_json::Value` cannot hold (a
        // lone surrogate, a number beyond f64), wherever it is: refused, typed.
        assert!(checked.is_err(), "check accepted invalid JSON");
        assert!(args.is_err(), "args accepted invalid JSON: {args:?}");
        assert!(first.is_err(), "first_arg accepted invalid JSON: {first:?}");
        assert!(
            payload.is_err(),
            "payload accepted invalid JSON: {payload:?}"
        );
        return;
    };
    if json::depth(reference) > limits.max_depth {
        for (what, r) in [
            ("args", args.as_ref().err()),
            ("first_arg", first.as_ref().err()),
            ("payload", payload.as_ref().err()),
            ("check", checked.as_ref().err()),
        ] {
            assert!(
                matches!(r, Some(Error::NestingTooDeep { max }) if *max == limits.max_depth),
                "{what}: nesting beyond max_depth not refused: {r:?}"
            );
        }
        return;
    }
    checked.unwrap_or_else(|e| panic!("check refused valid JSON: {e}"));
    let payload = payload.unwrap_or_else(|e| panic!("payload refused valid JSON: {e}"));
    assert_eq!(payload.as_ref(), Some(reference));
    let serde_json::Value::Array(items) = reference else {
        assert!(args.is_err(), "args of a non-array payload: {args:?}");
        assert!(
            first.is_err(),
            "first_arg of a non-array payload: {first:?}"
        );
        return;
    };
    let skip = usize::from(p.kind.is_event());
    let expected = &items[skip.min(items.len())..];
    let args = args.unwrap_or_else(|e| panic!("args refused a valid array: {e}"));
    assert_eq!(args.len(), expected.len());
    for (a, e) in args.iter().zip(expected) {
        let a = serde_json::Value::try_from(a.clone()).expect("text JSON holds no binary");
        assert_eq!(&a, e, "argument differs from the JSON parse");
    }
    let first = first.unwrap_or_else(|e| panic!("first_arg refused a valid array: {e}"));
    match expected.first() {
        None | Some(serde_json::Value::Null) => assert_eq!(first, None),
        Some(e) => {
            let f = first.expect("first argument present");
            assert_eq!(&serde_json::Value::try_from(f).unwrap(), e);
        }
    }
}

fn check_error(input: &Bytes, e: &Error, limits: &Limits) {
    match e {
        Error::PayloadTooLarge { size, max } => {
            assert_eq!(*size, input.len());
            assert!(size > max);
        }
        Error::EmptyPacket { .. } => assert!(input.is_empty()),
        Error::UnknownPacketType { byte, offset } => {
            assert_eq!((*byte, *offset), (input[0], 0));
            assert!(!matches!(byte, b'0'..=b'6'));
        }
        Error::InvalidAttachmentCount { offset } => {
            assert!(matches!(input[0], b'5' | b'6'));
            assert!(*offset <= input.len());
        }
        Error::TooManyAttachments { count, max } => {
            assert!(matches!(input[0], b'5' | b'6'));
            assert_eq!(*max, limits.max_attachments);
            assert!(count > max);
        }
        Error::NamespaceTooLong { len, max } => {
            assert_eq!(*max, limits.max_namespace_len);
            assert!(len > max);
        }
        Error::AckIdOutOfRange { offset, max } => {
            assert_eq!(*max, limits.max_ack_id);
            assert!(input[*offset].is_ascii_digit());
        }
        Error::MissingAckId { kind } => {
            assert!(kind.is_ack());
            assert_eq!(kind.as_ascii(), input[0]);
        }
        Error::UnexpectedAckId { kind, offset } => {
            assert!(matches!(
                kind,
                PacketType::Connect | PacketType::Disconnect | PacketType::ConnectError
            ));
            assert!(input[*offset].is_ascii_digit());
        }
        Error::MissingPayload { kind } => assert_eq!(kind.as_ascii(), input[0]),
        Error::InvalidPayload { kind, offset, .. } => {
            assert_eq!(kind.as_ascii(), input[0]);
            assert!(*offset <= input.len());
        }
        other => panic!("decode refused with an unexpected error: {other:?}"),
    }
}
