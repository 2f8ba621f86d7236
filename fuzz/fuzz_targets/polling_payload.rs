//! Fuzz target: an HTTP long-polling body (`engine::decode_payload` and the
//! `engine::PayloadDecoder` iterator).
//!
//! Invariants, under default and tight limits:
//! - the iterator and `decode_payload` agree: the same packets, or the same error,
//!   and the iterator yields at most one error, last, then stays exhausted;
//! - the body means what its records mean: split at every `0x1e` and decoded one by
//!   one with `decode_text`, the records give the same packets or the same error at
//!   the same record index;
//! - never more packets than `max_packets_per_payload`;
//! - text data is a slice of the body (zero-copy);
//! - the packets re-encoded with `encode_payload` (exactly `payload_len` bytes)
//!   decode to the same packets, byte-identical to the body when no record has a
//!   second spelling (open JSON, base64 padding);
//! - invalid UTF-8 is reported at the offset the standard library finds.
#![no_main]

use bytes::{Bytes, BytesMut};
use huddle_fuzz::{errors, limits, slices};
use huddle_protocol::engine::{
    self, Data, Frame, Packet, PayloadDecoder, RECORD_SEPARATOR, decode_payload, decode_text,
    encode_payload,
};
use huddle_protocol::{Error, Limits, Str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = Bytes::copy_from_slice(data);
    let [default, tight] = limits::sets();
    let d = check(&body, &default);
    let t = check(&body, &tight);
    limits::check_monotonic(&d, &t);
});

fn check(body: &Bytes, limits: &Limits) -> Result<Vec<Packet>, Error> {
    let collected = decode_payload(body.clone(), limits);
    check_iterator(body, limits, &collected);
    check_against_records(body, limits, &collected);
    if let Ok(packets) = &collected {
        check_packets(body, limits, packets);
    }
    collected
}

fn check_iterator(body: &Bytes, limits: &Limits, collected: &Result<Vec<Packet>, Error>) {
    let mut iter = match PayloadDecoder::new(body.clone(), limits) {
        Ok(iter) => iter,
        Err(e) => {
            let c = collected
                .as_ref()
                .expect_err("decode_payload accepted what new refused");
            assert!(errors::same_variant(&e, c));
            match e {
                Error::PayloadTooLarge { size, max } => {
                    assert_eq!(size, body.len());
                    assert!(size > max);
                }
                Error::InvalidUtf8 { offset } => {
                    let std = std::str::from_utf8(body).expect_err("body is UTF-8");
                    assert_eq!(offset, std.valid_up_to());
                }
                other => panic!("PayloadDecoder::new refused with {other:?}"),
            }
            return;
        }
    };
    let mut items = Vec::new();
    for item in iter.by_ref() {
        items.push(item);
    }
    assert!(iter.next().is_none(), "the iterator is fused");
    let errors_seen = items.iter().filter(|i| i.is_err()).count();
    assert!(errors_seen <= 1);
    if errors_seen == 1 {
        assert!(items.last().unwrap().is_err(), "the error is the last item");
    }
    match collected {
        Ok(packets) => {
            assert_eq!(errors_seen, 0);
            let items: Vec<Packet> = items.into_iter().map(Result::unwrap).collect();
            assert_eq!(&items, packets);
        }
        Err(c) => {
            let e = items
                .last()
                .unwrap()
                .as_ref()
                .expect_err("iterator ended with an error");
            assert!(errors::same_variant(e, c));
            assert_eq!(e.to_string(), c.to_string());
        }
    }
}

/// Decodes the records one by one with the single-packet decoder.
fn check_against_records(body: &Bytes, limits: &Limits, collected: &Result<Vec<Packet>, Error>) {
    if body.len() > limits.max_payload || std::str::from_utf8(body).is_err() {
        return;
    }
    let unbounded = limits::unbounded_payload(limits);
    let mut expected = Vec::new();
    let mut start = 0;
    for (index, record) in body.split(|&b| b == RECORD_SEPARATOR).enumerate() {
        let range = start..start + record.len();
        start = range.end + 1;
        if index >= limits.max_packets_per_payload {
            assert!(
                matches!(collected, Err(Error::TooManyPackets { max }) if *max == limits.max_packets_per_payload),
                "record {index} is past the limit, got {collected:?}"
            );
            return;
        }
        let text = Str::from_utf8(body.slice(range)).expect("records of a UTF-8 body are UTF-8");
        match decode_text(text, &unbounded) {
            Ok(p) => expected.push(p),
            Err(e) => {
                let c = collected
                    .as_ref()
                    .expect_err("a bad record was accepted in a body");
                assert!(
                    errors::same_variant(&e, c),
                    "record {index}: {e:?} vs {c:?}"
                );
                match c {
                    Error::EmptyPacket { record } | Error::InvalidBase64 { record } => {
                        assert_eq!(*record, index)
                    }
                    _ => {}
                }
                return;
            }
        }
    }
    match collected {
        Ok(packets) => assert_eq!(packets, &expected),
        Err(e) => panic!("every record decodes alone, but the body is refused: {e:?}"),
    }
}

fn check_packets(body: &Bytes, limits: &Limits, packets: &[Packet]) {
    assert!(body.len() <= limits.max_payload);
    assert!(packets.len() <= limits.max_packets_per_payload);
    assert_eq!(
        packets.len(),
        body.iter().filter(|&&b| b == RECORD_SEPARATOR).count() + 1,
        "one packet per record"
    );
    let mut canonical = true;
    for p in packets {
        match p {
            Packet::Message(Data::Text(t)) | Packet::Ping(t) | Packet::Pong(t) => {
                slices::assert_slice_of(body, t.as_bytes(), "record data");
            }
            Packet::Message(Data::Binary(_)) | Packet::Open(_) => canonical = false,
            Packet::Close | Packet::Upgrade | Packet::Noop => {}
        }
    }

    let frames: Vec<Frame> = packets.iter().map(Packet::to_frame).collect();
    let mut out = BytesMut::new();
    encode_payload(&frames, &mut out);
    assert_eq!(
        out.len(),
        engine::payload_len(&frames),
        "payload_len is exact"
    );
    if canonical {
        assert_eq!(&out[..], &body[..], "re-encoding differs from the body");
    }
    // The same body written packet by packet.
    let mut joined = BytesMut::new();
    for (i, p) in packets.iter().enumerate() {
        if i > 0 {
            joined.extend_from_slice(&[RECORD_SEPARATOR]);
        }
        p.encode(&mut joined);
    }
    assert_eq!(joined, out, "encode_payload and Packet::encode disagree");

    let again = decode_payload(out.freeze(), &limits::unbounded_payload(limits))
        .unwrap_or_else(|e| panic!("re-encoded body does not decode: {e}"));
    assert_eq!(again, packets, "decode(encode(packets)) != packets");
}
