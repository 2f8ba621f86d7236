//! Fuzz target: one Engine.IO packet, as a WebSocket text frame
//! (`engine::decode_text`) and as a WebSocket binary frame (`engine::decode_binary`).
//!
//! Invariants, under default and tight limits:
//! - a decoded packet re-encodes (`Packet::encode`, exactly `encoded_len` bytes) to
//!   bytes that decode to the same packet, and re-encoding that is a fixed point;
//! - the re-encoding is byte-identical to the input except for the two forms with
//!   more than one spelling (the open packet's JSON, `b`+base64 padding);
//! - message / ping / pong data is the input after the type byte, as a slice of the
//!   input buffer (zero-copy); a binary frame is the input buffer itself;
//! - `to_frame` and a one-frame `encode_payload` agree with `encode`;
//! - every error names the rule actually broken (type byte, offset, limit);
//! - tight limits only ever refuse more (`limits::check_monotonic`).
#![no_main]

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use huddle_fuzz::{limits, slices};
use huddle_protocol::engine::{
    Data, Frame, Handshake, Packet, decode_binary, decode_text, encode_payload,
};
use huddle_protocol::{Error, Limits, Str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let [default, tight] = limits::sets();

    let d = check_binary(&input, &default);
    let t = check_binary(&input, &tight);
    limits::check_monotonic(&d, &t);

    if let Ok(text) = Str::from_utf8(input.clone()) {
        let d = check_text(&input, text.clone(), &default);
        let t = check_text(&input, text, &tight);
        limits::check_monotonic(&d, &t);
    }
});

fn check_binary(input: &Bytes, limits: &Limits) -> Result<Packet, Error> {
    let result = decode_binary(input.clone(), limits);
    match &result {
        Ok(Packet::Message(Data::Binary(b))) => {
            assert!(input.len() <= limits.max_payload);
            assert_eq!(b, input);
            slices::assert_slice_of(input, b, "binary frame data");
            let packet = Packet::binary(b.clone());
            assert_eq!(packet.to_frame(), Frame::Binary(input.clone()));
            // Its polling form, `b`+base64, decodes back to the same data.
            let mut out = BytesMut::new();
            packet.encode(&mut out);
            assert_eq!(out.len(), packet.encoded_len());
            let text = Str::from_utf8(out.freeze()).expect("base64 is ASCII");
            let again = decode_text(text, &limits::unbounded_payload(limits)).unwrap();
            assert_eq!(again, packet);
        }
        Ok(other) => panic!("a binary frame decoded to {other:?}"),
        Err(Error::PayloadTooLarge { size, max }) => {
            assert_eq!(*size, input.len());
            assert_eq!(*max, limits.max_payload);
            assert!(size > max);
        }
        Err(e) => panic!("binary frame refused with {e:?}"),
    }
    result
}

fn check_text(input: &Bytes, text: Str, limits: &Limits) -> Result<Packet, Error> {
    let result = decode_text(text, limits);
    match &result {
        Ok(p) => check_packet(input, p, limits),
        Err(e) => check_error(input, e, limits),
    }
    result
}

fn check_packet(input: &Bytes, p: &Packet, limits: &Limits) {
    assert!(input.len() <= limits.max_payload);
    let first = input[0];
    let mut canonical = true;
    match p {
        Packet::Message(Data::Text(t)) | Packet::Ping(t) | Packet::Pong(t) => {
            assert_eq!(first, p.packet_type().as_ascii());
            assert_eq!(t.as_bytes(), &input[1..]);
            slices::assert_slice_of(input, t.as_bytes(), "packet data");
        }
        Packet::Message(Data::Binary(b)) => {
            assert_eq!(first, b'b');
            let spelled = standard_base64().encode(b);
            assert_eq!(
                spelled.trim_end_matches('='),
                std::str::from_utf8(&input[1..])
                    .unwrap()
                    .trim_end_matches('='),
                "base64 decoded to other bytes than it spells"
            );
            canonical = false;
        }
        Packet::Open(h) => {
            assert_eq!(first, b'0');
            let reference: Handshake = serde_json::from_slice(&input[1..]).unwrap();
            assert_eq!(&reference, h);
            canonical = false;
        }
        Packet::Close | Packet::Upgrade | Packet::Noop => {
            assert_eq!(&input[..], &[p.packet_type().as_ascii()]);
        }
    }

    let mut out = BytesMut::new();
    p.encode(&mut out);
    assert_eq!(out.len(), p.encoded_len(), "encoded_len is exact");
    if canonical {
        assert_eq!(&out[..], &input[..], "re-encoding differs from the input");
    }
    let out = out.freeze();
    let again = decode_text(
        Str::from_utf8(out.clone()).expect("encoder writes UTF-8"),
        &limits::unbounded_payload(limits),
    )
    .unwrap_or_else(|e| panic!("re-encoding {out:?} does not decode: {e}"));
    assert_eq!(&again, p, "decode(encode(p)) != p");
    let mut twice = BytesMut::new();
    again.encode(&mut twice);
    assert_eq!(twice, out, "re-encoding is not a fixed point");

    match p.to_frame() {
        Frame::Binary(b) => {
            assert!(matches!(p, Packet::Message(Data::Binary(d)) if *d == b));
        }
        Frame::Text(t) => assert_eq!(t, out),
    }
    let mut body = BytesMut::new();
    encode_payload(&[p.to_frame()], &mut body);
    assert_eq!(
        body, out,
        "a one-frame polling body is the packet's text form"
    );
}

fn check_error(input: &Bytes, e: &Error, limits: &Limits) {
    match e {
        Error::PayloadTooLarge { size, max } => {
            assert_eq!(*size, input.len());
            assert_eq!(*max, limits.max_payload);
            assert!(size > max);
        }
        Error::EmptyPacket { record } => {
            assert!(input.is_empty());
            assert_eq!(*record, 0);
        }
        Error::UnknownPacketType { byte, offset } => {
            assert_eq!(*offset, 0);
            assert_eq!(*byte, input[0]);
            assert!(!matches!(byte, b'0'..=b'6' | b'b'));
        }
        Error::UnexpectedEngineData { kind, offset } => {
            assert_eq!(*offset, 1);
            assert_eq!(kind.as_ascii(), input[0]);
            assert!(matches!(input[0], b'1' | b'5' | b'6'));
            assert!(input.len() > 1);
        }
        Error::InvalidHandshake(_) => {
            assert_eq!(input[0], b'0');
            assert!(serde_json::from_slice::<Handshake>(&input[1..]).is_err());
        }
        Error::InvalidBase64 { record } => {
            assert_eq!(input[0], b'b');
            assert_eq!(*record, 0);
        }
        other => panic!("text frame refused with an unexpected error: {other:?}"),
    }
}

/// The alphabet the engine decoder documents (standard, padded).
fn standard_base64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}
