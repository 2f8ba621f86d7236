//! Every limit at its boundary: exactly at the limit is accepted, one over is
//! refused with the error that names it.

use bytes::{Bytes, BytesMut};
use huddle_protocol::engine::{decode_binary, decode_payload, decode_text};
use huddle_protocol::socketio::{self, Reassembler, Value, decode};
use huddle_protocol::{Error, JS_MAX_SAFE_INTEGER, Limits, Str};

fn s(text: String) -> Str {
    Str::from(text)
}

#[test]
fn defaults_are_the_documented_safe_values() {
    let l = Limits::default();
    assert_eq!(l.max_payload, 1_000_000);
    assert_eq!(l.max_packets_per_payload, 4096);
    assert_eq!(l.max_attachments, 10);
    assert_eq!(l.max_attachments_size, 1_000_000);
    assert_eq!(l.max_depth, 32);
    assert_eq!(l.max_namespace_len, 256);
    assert_eq!(l.max_event_name_len, 256);
    assert_eq!(l.max_ack_id, JS_MAX_SAFE_INTEGER);
}

#[test]
fn max_payload_bounds_every_unit_of_input() {
    let limits = Limits {
        max_payload: 16,
        ..Limits::default()
    };
    let at = "4".to_string() + &"x".repeat(15);
    let over = at.clone() + "x";

    assert!(decode_text(s(at.clone()), &limits).is_ok());
    assert!(matches!(
        decode_text(s(over.clone()), &limits),
        Err(Error::PayloadTooLarge { size: 17, max: 16 })
    ));

    assert!(decode_binary(Bytes::from(vec![0; 16]), &limits).is_ok());
    assert!(matches!(
        decode_binary(Bytes::from(vec![0; 17]), &limits),
        Err(Error::PayloadTooLarge { size: 17, max: 16 })
    ));

    assert!(decode_payload(Bytes::from(at.clone()), &limits).is_ok());
    assert!(matches!(
        decode_payload(Bytes::from(over.clone()), &limits),
        Err(Error::PayloadTooLarge { size: 17, max: 16 })
    ));

    let event_at = format!(r#"2["{}"]"#, "e".repeat(11));
    assert_eq!(event_at.len(), 16);
    assert!(decode(s(event_at.clone()), &limits).is_ok());
    assert!(matches!(
        decode(s(event_at.replace("e\"", "ee\"")), &limits),
        Err(Error::PayloadTooLarge { size: 17, max: 16 })
    ));
}

#[test]
fn max_packets_per_payload() {
    let limits = Limits {
        max_packets_per_payload: 3,
        ..Limits::default()
    };
    assert_eq!(
        decode_payload(Bytes::from_static(b"2\x1e3\x1e6"), &limits)
            .unwrap()
            .len(),
        3
    );
    assert!(matches!(
        decode_payload(Bytes::from_static(b"2\x1e3\x1e6\x1e6"), &limits),
        Err(Error::TooManyPackets { max: 3 })
    ));
}

#[test]
fn max_attachments_in_the_header_and_in_the_reassembler() {
    let limits = Limits {
        max_attachments: 2,
        ..Limits::default()
    };
    let at = r#"52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    let over = r#"53-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]"#;
    assert_eq!(decode(Str::from(at), &limits).unwrap().attachments, 2);
    assert!(matches!(
        decode(Str::from(over), &limits),
        Err(Error::TooManyAttachments { count: 3, max: 2 })
    ));
    // A count beyond u64 is reported saturated, not overflowed.
    assert!(matches!(
        decode(Str::from(r#"5999999999999999999999999-["e"]"#), &limits),
        Err(Error::TooManyAttachments {
            count: usize::MAX,
            max: 2
        })
    ));

    // The reassembler enforces its own copy of the limit on packets built by hand.
    let mut packet = decode(Str::from(over), &Limits::default()).unwrap();
    let mut r = Reassembler::new(limits);
    assert!(matches!(
        r.start(packet.clone()),
        Err(Error::TooManyAttachments { count: 3, max: 2 })
    ));
    packet.attachments = 2;
    packet.data = Some(Str::from(&at[3..]));
    assert!(r.start(packet).unwrap().is_none());
}

#[test]
fn max_attachments_size_counts_the_sum_of_attachments() {
    let limits = Limits {
        max_attachments_size: 10,
        ..Limits::default()
    };
    let header = r#"52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;

    let mut r = Reassembler::new(limits);
    r.feed_packet(decode(Str::from(header), &limits).unwrap())
        .unwrap();
    assert!(
        r.feed_attachment(Bytes::from(vec![1; 4]))
            .unwrap()
            .is_none()
    );
    assert!(
        r.feed_attachment(Bytes::from(vec![2; 6]))
            .unwrap()
            .is_some()
    );

    let mut r = Reassembler::new(limits);
    r.feed_packet(decode(Str::from(header), &limits).unwrap())
        .unwrap();
    assert!(
        r.feed_attachment(Bytes::from(vec![1; 4]))
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        r.feed_attachment(Bytes::from(vec![2; 7])),
        Err(Error::AttachmentsTooLarge { size: 11, max: 10 })
    ));
    // The error dropped the partial packet.
    assert_eq!(r.pending(), 0);
}

fn nested(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

#[test]
fn max_depth_guards_every_json_parse() {
    let limits = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    // The payload array itself is one level.
    let at = format!(r#"2["e",{}]"#, nested(3));
    let over = format!(r#"2["e",{}]"#, nested(4));

    let p = decode(s(at), &limits).unwrap();
    assert!(p.args::<Vec<Value>>(&limits).is_ok());
    assert!(p.first_arg::<serde_json::Value>(&limits).is_ok());
    let p = decode(s(over), &limits).unwrap();
    assert!(matches!(
        p.args::<Vec<Value>>(&limits),
        Err(Error::NestingTooDeep { max: 4 })
    ));
    assert!(matches!(
        p.first_arg::<serde_json::Value>(&limits),
        Err(Error::NestingTooDeep { max: 4 })
    ));

    // CONNECT payloads.
    let at = decode(Str::from(r#"0{"a":{"b":{"c":{}}}}"#), &limits).unwrap();
    assert!(at.payload::<serde_json::Value>(&limits).is_ok());
    let over = decode(Str::from(r#"0{"a":{"b":{"c":{"d":{}}}}}"#), &limits).unwrap();
    assert!(matches!(
        over.payload::<serde_json::Value>(&limits),
        Err(Error::NestingTooDeep { max: 4 })
    ));

    // Binary packets are checked with the reassembler's limit when read.
    let at = format!(r#"50-["e",{}]"#, nested(3));
    let over = format!(r#"50-["e",{}]"#, nested(4));
    let mut r = Reassembler::new(limits);
    let done = r.start(decode(s(at), &limits).unwrap()).unwrap().unwrap();
    assert!(done.check().is_ok());
    let done = r.start(decode(s(over), &limits).unwrap()).unwrap().unwrap();
    assert!(matches!(
        done.check(),
        Err(Error::NestingTooDeep { max: 4 })
    ));
    assert!(matches!(
        done.value(),
        Err(Error::NestingTooDeep { max: 4 })
    ));
}

/// The depth is counted while the payload is read, in every reader, in arrays
/// and objects, in the parts a reader skips, and in binary payloads.
#[test]
fn max_depth_is_enforced_by_every_reader_exactly_at_the_limit() {
    use serde::de::IgnoredAny;
    let limits = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    let objects = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
    // The payload array is the first level: 3 more are allowed.
    for inner in [nested(3), objects(3)] {
        for text in [
            format!(r#"2["e",{inner}]"#),
            format!(r#"2["e",1,{inner}]"#),
            format!(r#"37[{inner}]"#),
        ] {
            let p = decode(s(text.clone()), &limits).unwrap();
            assert!(p.check(&limits).is_ok(), "{text}");
            assert!(p.args::<Vec<Value>>(&limits).is_ok(), "{text}");
            assert!(p.args::<IgnoredAny>(&limits).is_ok(), "{text}");
            assert!(p.first_arg::<IgnoredAny>(&limits).is_ok(), "{text}");
        }
    }
    for inner in [nested(4), objects(4)] {
        for text in [
            format!(r#"2["e",{inner}]"#),
            // Deep in an argument the reader skips.
            format!(r#"2["e",1,{inner}]"#),
            format!(r#"37[{inner}]"#),
        ] {
            let p = decode(s(text.clone()), &limits).unwrap();
            // A reader that wants a number where the deep array is stops at its
            // type; one that reads a number first still meets the depth later.
            let typed = p.first_arg::<Option<u8>>(&limits).map(drop);
            if text.contains(",1,") {
                assert!(matches!(typed, Err(Error::NestingTooDeep { max: 4 })));
            }
            for result in [
                p.check(&limits),
                p.args::<Vec<Value>>(&limits).map(drop),
                p.args::<IgnoredAny>(&limits).map(drop),
                p.first_arg::<IgnoredAny>(&limits).map(drop),
            ] {
                assert!(
                    matches!(result, Err(Error::NestingTooDeep { max: 4 })),
                    "{text}: {result:?}"
                );
            }
        }
    }
    // CONNECT payloads: the object is the first level.
    let at = decode(s(format!("0{}", objects(4))), &limits).unwrap();
    assert!(at.payload::<IgnoredAny>(&limits).is_ok());
    assert!(at.check(&limits).is_ok());
    let over = decode(s(format!("0{}", objects(5))), &limits).unwrap();
    assert!(matches!(
        over.payload::<IgnoredAny>(&limits),
        Err(Error::NestingTooDeep { max: 4 })
    ));

    // Binary payloads, read straight from the text: a placeholder is a level too.
    let mut r = Reassembler::new(limits);
    let at = r#"51-["e",[[{"_placeholder":true,"num":0}]]]"#.to_owned();
    let over = r#"51-["e",[[[{"_placeholder":true,"num":0}]]]]"#.to_owned();
    assert!(r.start(decode(s(at), &limits).unwrap()).unwrap().is_none());
    let done = r
        .feed_attachment(Bytes::from_static(b"x"))
        .unwrap()
        .unwrap();
    assert_eq!(
        done.first_arg::<Vec<Vec<Bytes>>>().unwrap(),
        vec![vec![Bytes::from_static(b"x")]]
    );
    assert!(
        r.start(decode(s(over), &limits).unwrap())
            .unwrap()
            .is_none()
    );
    let done = r
        .feed_attachment(Bytes::from_static(b"x"))
        .unwrap()
        .unwrap();
    for result in [
        done.check(),
        done.first_arg::<IgnoredAny>().map(drop),
        done.args::<Vec<Value>>().map(drop),
        done.value().map(drop),
    ] {
        assert!(
            matches!(result, Err(Error::NestingTooDeep { max: 4 })),
            "{result:?}"
        );
    }
}

#[test]
fn hostile_depth_with_default_limits_is_refused_not_overflowed() {
    let limits = Limits::default();
    let deep = format!(r#"2["e",{}]"#, nested(100_000));
    let p = decode(s(deep), &limits).unwrap();
    assert!(matches!(
        p.args::<Vec<Value>>(&limits),
        Err(Error::NestingTooDeep { max: 32 })
    ));
    assert!(matches!(
        p.check(&limits),
        Err(Error::NestingTooDeep { max: 32 })
    ));
    // A limit above serde_json's own acts as serde_json's (127), typed.
    let high = Limits {
        max_depth: 1000,
        ..Limits::default()
    };
    let p = decode(s(format!(r#"2["e",{}]"#, nested(127))), &high).unwrap();
    assert!(matches!(
        p.first_arg::<Value>(&high),
        Err(Error::NestingTooDeep { max: 127 })
    ));
    let p = decode(s(format!(r#"2["e",{}]"#, nested(126))), &high).unwrap();
    assert!(p.first_arg::<Value>(&high).is_ok());
}

#[test]
fn max_namespace_len() {
    let limits = Limits {
        max_namespace_len: 8,
        ..Limits::default()
    };
    let at = "/1234567"; // 8 bytes
    let over = "/12345678"; // 9 bytes
    for wire in [
        format!("2{at},[\"e\"]"),
        format!("1{at}"),
        format!("1{at},"),
    ] {
        assert_eq!(decode(s(wire.clone()), &limits).unwrap().nsp, at, "{wire}");
    }
    for wire in [
        format!("2{over},[\"e\"]"),
        format!("1{over}"),
        format!("1{over},"),
    ] {
        assert!(
            matches!(
                decode(s(wire.clone()), &limits),
                Err(Error::NamespaceTooLong { len: 9, max: 8 })
            ),
            "{wire}"
        );
    }
    // A megabyte-long namespace is refused after max + 1 bytes.
    let huge = format!("2/{}", "n".repeat(1_000_000 - 2));
    assert!(matches!(
        decode(s(huge), &Limits::default()),
        Err(Error::NamespaceTooLong { len: 257, max: 256 })
    ));
}

#[test]
fn max_event_name_len_counts_unescaped_bytes() {
    let limits = Limits {
        max_event_name_len: 4,
        ..Limits::default()
    };
    let p = decode(Str::from(r#"2["abcd",1]"#), &limits).unwrap();
    assert_eq!(p.event_name(&limits).unwrap(), "abcd");
    let p = decode(Str::from(r#"2["abcde",1]"#), &limits).unwrap();
    assert!(matches!(
        p.event_name(&limits),
        Err(Error::EventNameTooLong { max: 4 })
    ));

    // With escapes: `a\"\u0062c` is 4 bytes once unescaped.
    let p = decode(Str::from(r#"2["a\"\u0062c",1]"#), &limits).unwrap();
    assert_eq!(p.event_name(&limits).unwrap(), "a\"bc");
    let p = decode(Str::from(r#"2["a\"\u0062cd",1]"#), &limits).unwrap();
    assert!(matches!(
        p.event_name(&limits),
        Err(Error::EventNameTooLong { max: 4 })
    ));

    // A huge name is refused without scanning it all.
    let huge = format!(r#"2["{}"]"#, "x".repeat(100_000));
    let p = decode(s(huge), &limits).unwrap();
    assert!(matches!(
        p.event_name(&limits),
        Err(Error::EventNameTooLong { max: 4 })
    ));
}

#[test]
fn max_ack_id() {
    let limits = Limits {
        max_ack_id: 1000,
        ..Limits::default()
    };
    assert_eq!(
        decode(Str::from(r#"21000["e"]"#), &limits).unwrap().id,
        Some(1000)
    );
    assert!(matches!(
        decode(Str::from(r#"21001["e"]"#), &limits),
        Err(Error::AckIdOutOfRange {
            offset: 1,
            max: 1000
        })
    ));
    // Default: JavaScript's largest exact integer; anything beyond, including
    // numbers that overflow u64, is refused.
    let d = Limits::default();
    let at = format!(r#"3/a,{JS_MAX_SAFE_INTEGER}[]"#);
    assert_eq!(decode(s(at), &d).unwrap().id, Some(JS_MAX_SAFE_INTEGER));
    let over = format!(r#"3/a,{}[]"#, JS_MAX_SAFE_INTEGER + 1);
    assert!(matches!(
        decode(s(over), &d),
        Err(Error::AckIdOutOfRange { offset: 4, .. })
    ));
    assert!(matches!(
        decode(Str::from(r#"3123456789012345678901234567890[]"#), &d),
        Err(Error::AckIdOutOfRange { offset: 1, .. })
    ));
    // With no practical limit, u64 itself is the bound: overflow is refused,
    // never wrapped or saturated.
    let any = Limits {
        max_ack_id: u64::MAX,
        ..Limits::default()
    };
    assert_eq!(
        decode(Str::from("318446744073709551615[]"), &any)
            .unwrap()
            .id,
        Some(u64::MAX)
    );
    assert!(matches!(
        decode(Str::from("318446744073709551616[]"), &any),
        Err(Error::AckIdOutOfRange {
            offset: 1,
            max: u64::MAX
        })
    ));
}

#[test]
fn encoders_refuse_namespaces_the_standard_parser_cannot_carry() {
    let mut out = BytesMut::new();
    for bad in ["", "admin", "/a,b"] {
        assert!(matches!(
            socketio::encode_event(&mut out, bad, "e", &(), None),
            Err(Error::InvalidNamespace { .. })
        ));
        assert!(matches!(
            socketio::encode_disconnect(&mut out, bad),
            Err(Error::InvalidNamespace { .. })
        ));
    }
    assert!(out.is_empty());
}
