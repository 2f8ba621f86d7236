//! Writes the committed seed corpus: `fuzz/corpus/<target>/seed-*`.
//!
//! The seeds are the examples of the Engine.IO v4 and Socket.IO v5 protocol
//! documents and the literal packets of their test suites (the same byte strings
//! as `protocol/tests/engine_examples.rs` and `protocol/tests/socketio_examples.rs`),
//! plus edge cases for every error branch and limit. Run from `fuzz/`:
//!
//! ```text
//! cargo run --example write_seeds
//! ```
//!
//! Files are named `seed-<NNN>-<what>` and rewritten in place; files the fuzzer
//! added (hash names) are left alone.

use std::fs;
use std::path::{Path, PathBuf};

use huddle_fuzz::steps::{DEFAULT_LIMITS, SeedStep, write_seed};

fn main() -> std::io::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut total = 0;
    for (target, seeds) in [
        ("engine_packet", engine_packet()),
        ("polling_payload", polling_payload()),
        ("socketio_packet", socketio_packet()),
        ("binary_reassembly", binary_reassembly()),
    ] {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        for (i, (name, bytes)) in seeds.iter().enumerate() {
            fs::write(dir.join(format!("seed-{i:03}-{name}")), bytes)?;
        }
        println!("{target}: {} seeds", seeds.len());
        total += seeds.len();
    }
    println!("{total} seeds written under {}", root.display());
    Ok(())
}

type Seeds = Vec<(&'static str, Vec<u8>)>;

fn text(list: &[(&'static str, &str)]) -> Seeds {
    list.iter()
        .map(|(n, s)| (*n, s.as_bytes().to_vec()))
        .collect()
}

const HANDSHAKE: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const HANDSHAKE_SIO: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}"#;
const HANDSHAKE_WS: &str =
    r#"0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;

fn engine_packet() -> Seeds {
    let mut seeds = text(&[
        // The Engine.IO v4 document and test suite.
        ("ping", "2"),
        ("pong", "3"),
        ("probe-ping", "2probe"),
        ("probe-pong", "3probe"),
        ("upgrade", "5"),
        ("message", "4hello"),
        ("close", "1"),
        ("noop", "6"),
        ("sio-connect", "40"),
        ("sio-event", r#"42["hey","Jude"]"#),
        ("open", HANDSHAKE),
        ("open-sio-doc", HANDSHAKE_SIO),
        ("open-ws-only", HANDSHAKE_WS),
        ("base64-binary", "bAQIDBA=="),
        // Edge cases.
        ("empty", ""),
        ("invalid-format", "abc"),
        ("type-7", "7"),
        ("close-with-data", "1x"),
        ("upgrade-with-data", "5probe"),
        ("noop-with-data", "6\u{1e}"),
        ("empty-message", "4"),
        ("unicode-message", "4h\u{e9}llo \u{1f600}"),
        ("open-empty-object", "0{}"),
        ("open-not-json", "0sid"),
        (
            "open-unknown-field",
            r#"0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3,"x":4}"#,
        ),
        (
            "open-escaped-sid",
            r#"0{"sid":"a\u001eb\"","upgrades":["polling"],"pingInterval":0,"pingTimeout":18446744073709551615,"maxPayload":1}"#,
        ),
        (
            "open-whitespace",
            "0 { \"sid\" : \"a\" , \"upgrades\" : [ ] , \"pingInterval\" : 1 , \"pingTimeout\" : 2 , \"maxPayload\" : 3 }",
        ),
        ("base64-empty", "b"),
        ("base64-unpadded", "bAQIDBA"),
        ("base64-one-pad", "bAQI="),
        ("base64-bad-char", "bAQ!D"),
        ("base64-trailing-bits", "bAR=="),
        ("base64-short", "bA"),
    ]);
    seeds.push(("binary-frame", vec![1, 2, 3, 4]));
    seeds.push(("not-utf8", vec![b'4', 0xff, 0xfe]));
    seeds.push(("long-message", [b"4".as_slice(), &[b'x'; 300]].concat()));
    seeds
}

fn polling_payload() -> Seeds {
    let mut seeds = text(&[
        // "HTTP long-polling" examples of the Engine.IO v4 document.
        ("doc-three-packets", "4hello\u{1e}2\u{1e}4world"),
        ("doc-binary-record", "4hello\u{1e}bAQIDBA=="),
        // Test suite.
        ("suite-three-messages", "4test1\u{1e}4test2\u{1e}4test3"),
        ("suite-one-message", "4hello"),
        ("suite-pong", "3"),
        ("suite-close", "1"),
        ("suite-noop", "6"),
        ("suite-invalid", "abc"),
        // Socket.IO sample session, request 5.
        ("sio-two-events", "42[\"hello\"]\u{1e}42[\"world\"]"),
        (
            "sio-session-open",
            "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":5000,\"maxPayload\":1000000}\u{1e}40",
        ),
        // Edge cases.
        ("empty", ""),
        ("only-separator", "\u{1e}"),
        ("trailing-separator", "4a\u{1e}"),
        ("leading-separator", "\u{1e}4a"),
        ("empty-middle-record", "4a\u{1e}\u{1e}4b"),
        ("five-records", "2\u{1e}3\u{1e}4\u{1e}5\u{1e}6"),
        ("unpadded-binary", "bAQIDBA\u{1e}bAQ\u{1e}b"),
        ("bad-base64-second", "4ok\u{1e}b!!!!"),
        ("close-with-data-second", "4ok\u{1e}1data"),
        ("unicode-records", "4\u{e9}\u{1e}4\u{1f600}\u{1e}2\u{4e2d}"),
        ("binary-then-text", "bAA==\u{1e}4x\u{1e}bAAE="),
    ]);
    seeds.push(("not-utf8-second-record", b"4ok\x1e4\xc3\x28".to_vec()));
    seeds.push(("many-records", "4\u{1e}".repeat(60).into_bytes()));
    seeds
}

fn socketio_packet() -> Seeds {
    text(&[
        // "Packet encoding" and "Exchange protocol" of the Socket.IO v5 document.
        ("connect", "0"),
        (
            "connect-admin-sid",
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        ),
        ("connect-error", r#"4{"message":"Not authorized"}"#),
        ("connect-admin-auth", r#"0/admin,{"token":"123"}"#),
        ("connect-sid", r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#),
        ("event", r#"2["foo"]"#),
        ("event-admin", r#"2/admin,["bar"]"#),
        (
            "binary-event",
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
        ),
        (
            "binary-event-admin",
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        ("event-ack-id", r#"212["foo"]"#),
        ("ack", "312[]"),
        ("event-admin-ack-id", r#"2/admin,13["foo"]"#),
        ("ack-admin", r#"3/admin,13["bar"]"#),
        (
            "binary-event-ack-id",
            r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
        ),
        (
            "binary-ack",
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
        ),
        ("disconnect", "1"),
        ("disconnect-admin", "1/admin,"),
        ("sample-hey-jude", r#"2["hey","Jude"]"#),
        ("sample-connect-admin", "0/admin,"),
        (
            "sample-connect-admin-sid",
            r#"0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
        ),
        ("sample-tellme", r#"2/admin,1["tellme"]"#),
        (
            "sample-binary-ack",
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
        ),
        // The v5 test suite.
        ("suite-connect-custom", "0/custom,"),
        (
            "suite-connect-error-random",
            r#"4/random,{"message":"Invalid namespace"}"#,
        ),
        ("suite-auth-empty", r#"2["auth",{}]"#),
        ("suite-message", r#"2["message",1,"2",{"3":[true]}]"#),
        (
            "suite-binary-message",
            r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        (
            "suite-message-with-ack",
            r#"2456["message-with-ack",1,"2",{"3":[false]}]"#,
        ),
        ("suite-ack", r#"3456[1,"2",{"3":[false]}]"#),
        (
            "suite-binary-ack",
            r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        ("suite-nsp-no-comma", "0/random"),
        ("suite-disconnect-no-comma", "1/custom"),
        ("suite-invalid-type", "abc"),
        ("suite-event-object", "2{}"),
        (
            "suite-invalid-ack-id",
            r#"2abc["message-with-ack",1,"2",{"3":[false]}]"#,
        ),
        // Edge cases: every header rule and limit.
        ("empty", ""),
        ("type-7", "7[]"),
        ("binary-no-count", r#"5["a"]"#),
        ("binary-count-no-dash", r#"51["a"]"#),
        ("binary-count-huge", r#"599999999999999999999999-["a"]"#),
        (
            "binary-count-leading-zeros",
            r#"5001-["a",{"_placeholder":true,"num":0}]"#,
        ),
        ("binary-count-zero", r#"50-["a"]"#),
        ("nsp-explicit-default", r#"2/,["a"]"#),
        ("nsp-long", r#"2/aaaaaaaaaaaaaaaaaaaaaaaa,["a"]"#),
        ("nsp-unicode", "2/\u{e9}\u{1f600},[\"a\"]"),
        ("nsp-digits", r#"2/12,34["a"]"#),
        ("ack-id-max-safe", "39007199254740991[]"),
        ("ack-id-over-max-safe", "39007199254740992[]"),
        ("ack-id-over-u64", "3999999999999999999999999[]"),
        ("ack-id-leading-zeros", "3007[]"),
        ("ack-missing-id", "3[]"),
        ("connect-with-id", "0/admin,12{}"),
        ("connect-array", "0[]"),
        ("connect-error-string", r#"4"not allowed""#),
        ("connect-error-missing", "4"),
        ("disconnect-with-payload", "1/admin,{}"),
        ("event-missing-payload", "2"),
        ("event-number-first", "2[1]"),
        ("event-whitespace", "2 [ \"a\" , 1 ]"),
        ("event-escaped-name", r#"2["a\u0062c\n\"",1]"#),
        ("event-lone-surrogate", r#"2["\ud800",1]"#),
        (
            "event-long-name",
            r#"2["abcdefghijklmnopqrstuvwxyz0123456789",1]"#,
        ),
        (
            "event-escaped-long-name",
            r#"2["\u0061\u0061\u0061\u0061\u0061\u0061\u0061\u0061\u0061\u0061",1]"#,
        ),
        ("event-unterminated-name", r#"2["abc"#),
        ("event-deep", r#"2["a",[[[[[[[[{"b":[]}]]]]]]]]]"#),
        ("event-trailing", r#"2["a"] x"#),
        (
            "event-floats",
            r#"2["n",1.5,-0,1e3,-12345678901234567890,18446744073709551615,1e400]"#,
        ),
        (
            "event-duplicate-keys",
            r#"2["k",{"a":1,"a":2,"b":{"a":3}}]"#,
        ),
        ("ack-null-first", "31[null,2]"),
    ])
}

fn binary_reassembly() -> Seeds {
    let d = DEFAULT_LIMITS;
    // max_attachments 1, max_attachments_size 4, max_depth 3, namespace 8, name 4.
    let tight = [1, 4, 0, 2, 8, 4];
    // max_attachments 200: the placeholder check's large-count path.
    let large = [250, 0xff, 0xff, 31, 0, 255];
    let ph = |n: u32| format!(r#"{{"_placeholder":true,"num":{n}}}"#);
    let two = format!(r#"52-["message",{},{}]"#, ph(0), ph(1));
    let many: String = (0..130).map(ph).collect::<Vec<_>>().join(",");
    let many = format!("5130-[\"m\",{many}]");
    let seeds: Vec<(&'static str, Vec<u8>)> = vec![
        // Binary examples of the Socket.IO v5 document and test suite.
        ("doc-baz", write_seed(d, &[SeedStep::Text(r#"51-["baz",{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[1, 2, 3, 4])])),
        (
            "doc-baz-admin",
            write_seed(
                d,
                &[
                    SeedStep::Text(r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
                    SeedStep::Attachment(&[1, 2]),
                    SeedStep::Attachment(&[3, 4]),
                ],
            ),
        ),
        ("doc-foo-ack-id", write_seed(d, &[SeedStep::Text(r#"51-14["foo",{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[1, 2, 3, 4])])),
        ("doc-binary-ack", write_seed(d, &[SeedStep::Text(r#"61-15["bar",{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[1, 2, 3, 4])])),
        ("doc-sample-ack", write_seed(d, &[SeedStep::Text(r#"61-/admin,1[{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[9])])),
        ("suite-message", write_seed(d, &[SeedStep::Text(&two), SeedStep::Attachment(&[1, 2, 3]), SeedStep::Attachment(&[4, 5, 6])])),
        (
            "suite-message-with-ack",
            write_seed(
                d,
                &[
                    SeedStep::Text(r#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
                    SeedStep::Batch(&[&[1, 2, 3], &[4, 5, 6]]),
                ],
            ),
        ),
        (
            "suite-binary-ack",
            write_seed(
                d,
                &[
                    SeedStep::Text(r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
                    SeedStep::Attachment(&[1]),
                    SeedStep::Attachment(&[]),
                ],
            ),
        ),
        // State machine edges.
        ("plain-passes-through", write_seed(d, &[SeedStep::Text(r#"2["foo"]"#), SeedStep::Text("0/admin,")])),
        ("zero-attachments", write_seed(d, &[SeedStep::Text(r#"50-["a",1]"#)])),
        ("attachment-while-idle", write_seed(d, &[SeedStep::Attachment(&[1])])),
        ("text-while-pending", write_seed(d, &[SeedStep::Text(&two), SeedStep::Attachment(&[1]), SeedStep::Text(r#"2["x"]"#), SeedStep::Attachment(&[2])])),
        ("reset-while-pending", write_seed(d, &[SeedStep::Text(&two), SeedStep::Attachment(&[1]), SeedStep::Reset, SeedStep::Attachment(&[2])])),
        ("batch-leftover", write_seed(d, &[SeedStep::Text(r#"51-["baz",{"_placeholder":true,"num":0}]"#), SeedStep::Batch(&[&[1], &[2], &[3]])])),
        ("two-packets-in-a-row", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[1]), SeedStep::Text(r#"61-3[{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[2])])),
        // Placeholder rules.
        ("placeholders-out-of-order", write_seed(d, &[SeedStep::Text(&format!(r#"52-["a",{},{{"x":[{}]}}]"#, ph(1), ph(0))), SeedStep::Attachment(&[1]), SeedStep::Attachment(&[2])])),
        ("placeholder-out-of-range", write_seed(d, &[SeedStep::Text(&format!(r#"51-["a",{}]"#, ph(1)))])),
        ("placeholder-duplicate", write_seed(d, &[SeedStep::Text(&format!(r#"52-["a",{},{}]"#, ph(0), ph(0)))])),
        ("placeholder-missing", write_seed(d, &[SeedStep::Text(&format!(r#"52-["a",{}]"#, ph(0)))])),
        ("placeholder-nested", write_seed(d, &[SeedStep::Text(&format!(r#"52-["a",{{"_placeholder":true,"num":0,"x":{}}}]"#, ph(1)))])),
        ("placeholder-negative", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":true,"num":-1}]"#)])),
        ("placeholder-float", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":true,"num":0.0}]"#)])),
        ("placeholder-no-num", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":true}]"#)])),
        ("placeholder-false-is-data", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":false,"num":0},{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[7])])),
        ("placeholder-duplicate-keys", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":true,"num":5,"num":0}]"#), SeedStep::Attachment(&[7])])),
        ("placeholder-invalid-json", write_seed(d, &[SeedStep::Text(r#"51-["a",{"_placeholder":true,"num":0}"#)])),
        ("placeholder-deep", write_seed(d, &[SeedStep::Text(r#"51-["a",[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"_placeholder":true,"num":0}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#)])),
        ("large-count-missing", write_seed(large, &[SeedStep::Text(&many)])),
        // Limits.
        ("tight-too-large", write_seed(tight, &[SeedStep::Text(r#"51-["a",{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[1, 2, 3, 4, 5])])),
        ("tight-fits", write_seed(tight, &[SeedStep::Text(r#"51-["abcde",{"_placeholder":true,"num":0}]"#), SeedStep::Attachment(&[1, 2, 3, 4])])),
        ("tight-deep", write_seed(tight, &[SeedStep::Text(r#"51-["a",[[{"_placeholder":true,"num":0}]]]"#)])),
        // Values split and reassembled (bytes read by `arbitrary`).
        ("built-zeros", write_seed(d, &[SeedStep::Built(&[0; 32])])),
        ("built-mixed", write_seed(d, &[SeedStep::Built(b"\x00\x01\x07\x06\x05\x04binary\x03\x02\x01\x00\x00\x06\x07\x08\x09\x0a\x0b\x0c")])),
        ("built-ones", write_seed(d, &[SeedStep::Built(&[0xa5; 64])])),
        ("built-then-text", write_seed(d, &[SeedStep::Built(&[7; 40]), SeedStep::Text(r#"2["x"]"#)])),
    ];
    seeds
}
