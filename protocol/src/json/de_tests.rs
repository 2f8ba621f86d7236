//! The reader against serde_json: same values, same acceptance, same syntax
//! offsets as the validator; the depth limit at its edge; placeholders.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::marker::PhantomData;

use bytes::Bytes;
use proptest::prelude::*;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::{Slot, parse};
use crate::Error;
use crate::json::scan::{NoPlaceholders, scan};
use crate::socketio::Value;

fn ours<T: DeserializeOwned>(json: &str, max_depth: usize) -> Result<T, Error> {
    parse(json, max_depth, None, PhantomData::<T>)
}

fn theirs<T: DeserializeOwned>(json: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(json)
}

/// Both accept with equal values, or both refuse.
fn agree<T: DeserializeOwned + PartialEq + Debug>(json: &str) {
    match (ours::<T>(json, 127), theirs::<T>(json)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "{json} as {}: ours {a:?}, serde_json {b:?}",
            std::any::type_name::<T>()
        ),
    }
}

#[derive(Debug, PartialEq, Deserialize)]
enum Shape {
    A,
    B(i32),
    C { x: u64 },
    D(String, bool),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Loose {
    Num(f64),
    Text(String),
    List(Vec<Loose>),
    Map(BTreeMap<String, Loose>),
    Nothing(()),
    Flag(bool),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "x")]
enum Tagged {
    A,
    B { y: Option<i8> },
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    x: Option<u8>,
    #[serde(rename = "A")]
    a: Option<Vec<i16>>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Lenient {
    #[serde(default)]
    x: Option<f32>,
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Pair(u32, Option<String>);

/// Every reading the differential tests compare.
fn agree_on_all_types(json: &str) {
    agree::<serde_json::Value>(json);
    agree::<Value>(json);
    agree::<Vec<Option<f64>>>(json);
    agree::<Vec<f32>>(json);
    agree::<HashMap<String, i64>>(json);
    agree::<BTreeMap<u32, bool>>(json);
    agree::<BTreeMap<i8, serde_json::Value>>(json);
    agree::<(u8, String)>(json);
    agree::<Pair>(json);
    agree::<Shape>(json);
    agree::<Vec<Shape>>(json);
    agree::<Loose>(json);
    agree::<Tagged>(json);
    agree::<Strict>(json);
    agree::<Lenient>(json);
    agree::<Option<Box<String>>>(json);
    agree::<char>(json);
    agree::<i128>(json);
    agree::<u128>(json);
    agree::<Vec<u8>>(json);
    agree::<Bytes>(json);
    agree::<()>(json);
    agree::<Cow<'static, str>>(json);
    agree::<Vec<BTreeMap<String, Vec<u64>>>>(json);
}

// ---- generated JSON texts ---------------------------------------------------------

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x".to_owned()),
        Just("y".to_owned()),
        Just("A".to_owned()),
        Just("B".to_owned()),
        Just("C".to_owned()),
        Just("D".to_owned()),
        Just("1".to_owned()),
        Just("-2".to_owned()),
        Just("true".to_owned()),
        Just("é\"\n/".to_owned()),
        "[a-z]{0,3}",
        any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u8>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        Just("-0".to_owned()),
        Just("-0.0".to_owned()),
        Just("1e400".to_owned()),
        Just("-1E+309".to_owned()),
        Just("1e-400".to_owned()),
        Just("3.4028236e38".to_owned()),
        Just("0e99999999999".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("340282366920938463463374607431768211456".to_owned()),
        Just("-170141183460469231731687303715884105729".to_owned()),
        (1usize..400).prop_map(|n| "7".repeat(n)),
    ]
}

/// A JSON string literal spelling `s`, with some characters escaped in every way
/// JSON allows.
fn quoted(s: &str, style: u8) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style % 2 == 1 => out.push_str("\\/"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if style % 3 == 2 => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn ws(n: u8) -> &'static str {
    ["", " ", "\n", "\t ", "\r\n  "][usize::from(n % 5)]
}

fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        number(),
        (any::<String>(), any::<u8>()).prop_map(|(s, st)| quoted(&s, st)),
        (key(), any::<u8>()).prop_map(|(s, st)| quoted(&s, st)),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            (proptest::collection::vec(inner.clone(), 0..6), any::<u8>()).prop_map(
                |(items, w)| format!(
                    "[{}{}{}]",
                    ws(w),
                    items.join(&format!(",{}", ws(w / 5))),
                    ws(w / 25)
                )
            ),
            (
                proptest::collection::vec((key(), inner, any::<u8>()), 0..6),
                any::<u8>()
            )
                .prop_map(|(fields, w)| {
                    let fields: Vec<String> = fields
                        .into_iter()
                        .map(|(k, v, st)| format!("{}{}:{}{v}", quoted(&k, st), ws(st), ws(w)))
                        .collect();
                    format!("{{{}{}}}", ws(w), fields.join(","))
                }),
        ]
    })
}

/// Fragments that make malformed JSON more often than valid.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just(","),
        Just(":"),
        Just("\""),
        Just("\\"),
        Just("\\u"),
        Just("d83d"),
        Just("de00"),
        Just("00e9"),
        Just("tru"),
        Just("true"),
        Just("null"),
        Just("0"),
        Just("-"),
        Just("."),
        Just("e"),
        Just("1e400"),
        Just(" "),
        Just("\u{1}"),
        Just("é"),
        Just("\"a\""),
        Just("\"x\":"),
    ];
    proptest::collection::vec(token, 0..24).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Valid JSON of every kind reads exactly as serde_json reads it, into
    /// every type (or is refused by both).
    #[test]
    fn reads_what_serde_json_reads(json in json_text()) {
        agree_on_all_types(&json);
    }

    /// Malformed input: refused when serde_json refuses it, as `InvalidJson` at
    /// the offset the validator reports, or not at all.
    #[test]
    fn refuses_what_serde_json_refuses_at_the_validators_offset(json in token_soup()) {
        let reference = serde_json::from_str::<serde_json::Value>(&json);
        let checked = scan(json.as_bytes(), 127, NoPlaceholders);
        let read = ours::<serde_json::Value>(&json, 127);
        let skipped = ours::<IgnoredAny>(&json, 127);
        prop_assert_eq!(read.is_ok(), reference.is_ok(), "{:?}: {:?}", json, read);
        prop_assert_eq!(skipped.is_ok(), reference.is_ok(), "{:?}: {:?}", json, skipped);
        prop_assert_eq!(checked.is_ok(), reference.is_ok(), "{:?}: {:?}", json, checked);
        if let Err(Error::InvalidJson { offset }) = checked {
            prop_assert!(matches!(read, Err(Error::InvalidJson { offset: o }) if o == offset), "{:?}: {:?}", json, read);
            prop_assert!(matches!(skipped, Err(Error::InvalidJson { offset: o }) if o == offset), "{:?}: {:?}", json, skipped);
        }
        if let Ok(value) = read {
            prop_assert_eq!(value, reference.unwrap());
        }
    }
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    for n in [
        "0",
        "-0",
        "-0.0",
        "1.5e3",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e-400",
        "2.2250738585072011e-308",
        "4.9406564584124654e-324",
        "1.7976931348623157e308",
        "3.4028235e38",
        "3.4028236e38",
        "0e99999999999",
        "123456789012345678901234567890",
    ] {
        agree_on_all_types(n);
        agree_on_all_types(&format!("[{n}]"));
        agree_on_all_types(&format!("{{\"1\":{n},\"-2\":{n}}}"));
        agree::<f32>(n);
        agree::<f64>(n);
        agree::<u64>(n);
        agree::<i64>(n);
    }
    // Sign and kind are kept: -0 is the float -0.0, as in serde_json.
    let v: serde_json::Value = ours("-0", 127).unwrap();
    assert!(v.as_f64().unwrap().is_sign_negative());
    for bad in ["1e400", "-1e400", "1.8e308", &"9".repeat(400)] {
        assert!(
            matches!(
                ours::<IgnoredAny>(bad, 127),
                Err(Error::InvalidJson { offset: 0 })
            ),
            "{bad}"
        );
        assert!(matches!(
            ours::<f64>(bad, 127),
            Err(Error::InvalidJson { offset: 0 })
        ));
        assert!(theirs::<f64>(bad).is_err());
    }
    // In range for f64 but not for f32: a type error, not malformed JSON.
    assert!(matches!(ours::<f32>("1e39", 127), Err(Error::Json(_))));
    assert!(theirs::<f32>("1e39").is_err());
}

#[test]
fn strings_borrow_unless_escaped_and_unescape_like_serde_json() {
    let json = r#"["plain", "tab\tquote\"slash\/uni\u00e9\ud83d\ude00"]"#;
    let (a, b): (&str, Cow<'_, str>) = parse(json, 8, None, PhantomData).unwrap();
    assert_eq!(a, "plain");
    assert_eq!(b, "tab\tquote\"slash/unié😀");
    agree_on_all_types(json);
    for bad in [
        r#"["\ud800"]"#,
        r#"["\udc00x"]"#,
        r#"["\ud800\u0041"]"#,
        "[\"a\u{1}\"]",
    ] {
        assert!(
            matches!(
                ours::<serde_json::Value>(bad, 8),
                Err(Error::InvalidJson { .. })
            ),
            "{bad}"
        );
        // Skipped parts too: an ignored value obeys the same rules.
        assert!(matches!(
            ours::<IgnoredAny>(bad, 8),
            Err(Error::InvalidJson { .. })
        ));
        assert!(matches!(
            ours::<(IgnoredAny,)>(bad, 8),
            Err(Error::InvalidJson { .. })
        ));
    }
}

#[test]
fn shapes_and_enums_read_as_in_serde_json() {
    for json in [
        r#""A""#,
        r#"{"B":7}"#,
        r#"{"C":{"x":1}}"#,
        r#"{"C":[1]}"#,
        r#"{"D":["s",true]}"#,
        r#"{"A":null}"#,
        r#"{"B":7,"C":{"x":1}}"#,
        r#"{}"#,
        r#"["A"]"#,
        r#"{"E":1}"#,
        r#"{"x":"B","y":3}"#,
        r#"{"x":1,"A":[1,2],"z":null}"#,
        r#"{"x":1,"A":[1,2]}"#,
        r#"[1,"s"]"#,
        r#"[1]"#,
        r#"[1,"s",3]"#,
        r#"{"1":true,"-2":false}"#,
        r#"{"01":true}"#,
        r#"{"1.5":true}"#,
        r#"{"true":1,"false":2}"#,
        r#""ab""#,
        r#""a""#,
        "null",
        r#"[104,105]"#,
        r#""aGk=""#,
    ] {
        agree_on_all_types(json);
    }
}

#[test]
fn depth_limit_exactly_at_the_edge() {
    let arrays = |n: usize| "[".repeat(n) + &"]".repeat(n);
    let objects = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
    let mixed = |n: usize| {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(if i % 2 == 0 { "[" } else { "{\"k\":" });
        }
        s.push('0');
        for i in (0..n).rev() {
            s.push(if i % 2 == 0 { ']' } else { '}' });
        }
        s
    };
    for max in [1, 2, 5, 32, 127] {
        for make in [arrays, objects, mixed] {
            let at = make(max);
            let over = make(max + 1);
            assert!(ours::<serde_json::Value>(&at, max).is_ok(), "{at}");
            assert!(ours::<IgnoredAny>(&at, max).is_ok(), "{at}");
            assert!(scan(at.as_bytes(), max, NoPlaceholders).is_ok());
            for result in [
                ours::<serde_json::Value>(&over, max).map(drop),
                ours::<IgnoredAny>(&over, max).map(drop),
                ours::<Loose>(&over, max).map(drop),
                scan(over.as_bytes(), max, NoPlaceholders),
            ] {
                assert!(
                    matches!(result, Err(Error::NestingTooDeep { max: m }) if m == max),
                    "{over} max {max}: {result:?}"
                );
            }
        }
    }
    // Inside an enum's object, and inside a part a visitor skips.
    assert!(ours::<Shape>(r#"{"C":{"x":1}}"#, 2).is_ok());
    assert!(matches!(
        ours::<Shape>(r#"{"C":{"x":1}}"#, 1),
        Err(Error::NestingTooDeep { max: 1 })
    ));
    assert!(matches!(
        ours::<Shape>(r#"{"D":["s",true]}"#, 1),
        Err(Error::NestingTooDeep { max: 1 })
    ));
    assert!(ours::<(u8,)>("[1]", 1).is_ok());
    assert!(ours::<(u8, IgnoredAny)>("[1,[]]", 2).is_ok());
    assert!(matches!(
        ours::<(u8, IgnoredAny)>("[1,[[]]]", 2),
        Err(Error::NestingTooDeep { max: 2 })
    ));
    assert!(matches!(
        ours::<Strict>(r#"{"x":1,"A":[1]}"#, 1),
        Err(Error::NestingTooDeep { max: 1 })
    ));
    // Above serde_json's own limit the limit is serde_json's, reported typed.
    let deep = arrays(128);
    assert!(matches!(
        ours::<IgnoredAny>(&deep, 1000),
        Err(Error::NestingTooDeep { max: 127 })
    ));
    assert!(ours::<IgnoredAny>(&arrays(127), 1000).is_ok());
    let hostile = "[".repeat(1_000_000);
    assert!(matches!(
        ours::<serde_json::Value>(&hostile, 1000),
        Err(Error::NestingTooDeep { max: 127 })
    ));
}

#[test]
fn raw_values_are_checked_and_borrowed() {
    let json = r#"["e", {"a": [1, 2]} , 3]"#;
    let (_, raw, n): (IgnoredAny, &serde_json::value::RawValue, u8) =
        parse(json, 3, None, PhantomData).unwrap();
    assert_eq!(raw.get(), r#"{"a": [1, 2]}"#);
    assert_eq!(n, 3);
    let (_, boxed, _): (IgnoredAny, Box<serde_json::value::RawValue>, IgnoredAny) =
        parse(json, 3, None, PhantomData).unwrap();
    assert_eq!(boxed.get(), raw.get());
    // Its inside counts against the limit, as any other value.
    assert!(matches!(
        parse::<PhantomData<(IgnoredAny, Box<serde_json::value::RawValue>, u8)>>(
            json,
            2,
            None,
            PhantomData
        ),
        Err(Error::NestingTooDeep { max: 2 })
    ));
    // Binary payloads hold placeholders a raw text would hide: refused.
    assert!(matches!(
        parse::<PhantomData<Box<serde_json::value::RawValue>>>(
            "[1]",
            3,
            Some((&[], &[])),
            PhantomData
        ),
        Err(Error::Json(_))
    ));
}

#[test]
fn trailing_text_and_unread_elements_are_errors() {
    assert!(matches!(
        ours::<u8>("1 2", 8),
        Err(Error::InvalidJson { offset: 2 })
    ));
    assert!(matches!(ours::<(u8,)>("[1,2]", 8), Err(Error::Json(_))));
    assert!(theirs::<(u8,)>("[1,2]").is_err());
    assert!(matches!(ours::<u8>(" 1 \n", 8), Ok(1)));
}

// ---- placeholders -------------------------------------------------------------------

fn binary<T: DeserializeOwned>(json: &str, attachments: &[Bytes]) -> Result<T, Error> {
    let slots = crate::socketio::placeholders::locate(json, attachments.len(), 32)?;
    parse(json, 32, Some((attachments, &slots[..])), PhantomData::<T>)
}

#[test]
fn placeholders_become_their_attachments_whatever_their_key_order() {
    let a = Bytes::from_static(b"zero");
    let b = Bytes::from_static(b"one");
    let parts = [a.clone(), b.clone()];

    #[derive(Debug, PartialEq, Deserialize)]
    struct Two {
        first: Bytes,
        second: Vec<u8>,
        #[serde(default)]
        text: Option<String>,
    }
    let json = r#"{"first":{"num":1,"x":{"y":[{}]},"_placeholder":true},"skip":{"a":{}},
        "second":{"_placeholder":true,"num":0}}"#;
    assert_eq!(
        binary::<Two>(json, &parts).unwrap(),
        Two {
            first: b.clone(),
            second: b"zero".to_vec(),
            text: None,
        }
    );
    // A UTF-8 attachment reads as a string too (as a `Value::Binary` offers it).
    let json = r#"{"first":{"_placeholder":true,"num":0},"second":[],"text":{"\u005fplaceholder":true,"n\u0075m":1}}"#;
    assert_eq!(
        binary::<Two>(json, &parts).unwrap(),
        Two {
            first: a.clone(),
            second: vec![],
            text: Some("one".into()),
        }
    );
    // Values: every placeholder is `Value::Binary`, nested anywhere.
    let json = r#"[{"a":[[{"_placeholder":true,"num":1}]]},{"_placeholder":true,"num":0}]"#;
    let value: Value = binary(json, &parts).unwrap();
    assert_eq!(value.count_binary(), 2);
    assert_eq!(value.as_array().unwrap()[1], Value::Binary(a.clone()));
    // Placeholders in skipped parts are counted, so the next one still matches.
    let json = r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    let (_, second): (IgnoredAny, Bytes) = binary(json, &parts).unwrap();
    assert_eq!(second, b);
    let (skipped, second): (Option<IgnoredAny>, Value) = binary(json, &parts).unwrap();
    assert!(skipped.is_some());
    assert_eq!(second, Value::Binary(b.clone()));
    // Not placeholders: `_placeholder` other than `true` (the last one wins).
    let json = r#"[{"_placeholder":true,"_placeholder":false,"num":0}]"#;
    let value: Value = binary(json, &[]).unwrap();
    assert_eq!(
        value.as_array().unwrap()[0].get("num"),
        Some(&Value::Number(0.into()))
    );
    assert!(matches!(binary::<(Bytes,)>(json, &[]), Err(Error::Json(_))));
    // A placeholder where a struct or an enum is expected is a type error.
    let json = r#"[{"_placeholder":true,"num":0}]"#;
    assert!(matches!(
        binary::<(Two,)>(json, &parts[..1]),
        Err(Error::Json(_))
    ));
    assert!(matches!(
        binary::<(Shape,)>(json, &parts[..1]),
        Err(Error::Json(_))
    ));
    assert_eq!(
        binary::<(Option<Bytes>,)>(json, &parts[..1]).unwrap(),
        (Some(a.clone()),)
    );
    // The placeholder rules are the check's, with its errors.
    for (json, count, expected) in [
        (r#"[{"_placeholder":true,"num":2}]"#, 2, "out of range"),
        (r#"[{"_placeholder":true,"num":-0}]"#, 1, "invalid"),
        (
            r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#,
            2,
            "duplicate",
        ),
        (r#"[{"_placeholder":true,"num":1}]"#, 2, "missing"),
    ] {
        let result = binary::<Value>(json, &parts[..count]);
        let ok = matches!(
            (&result, expected),
            (
                Err(Error::PlaceholderOutOfRange { num: 2, count: 2 }),
                "out of range"
            ) | (Err(Error::InvalidPlaceholder), "invalid")
                | (Err(Error::DuplicatePlaceholder { num: 0 }), "duplicate")
                | (Err(Error::MissingPlaceholder { num: 0 }), "missing")
        );
        assert!(ok, "{json}: {result:?}");
    }
}

#[test]
fn slots_name_objects_in_document_order() {
    let json = r#"[{}, {"_placeholder":true,"num":1}, [{"_placeholder":true,"num":0}]]"#;
    let slots = crate::socketio::placeholders::locate(json, 2, 32).unwrap();
    assert_eq!(
        slots,
        [
            Slot {
                object: 1,
                index: 1
            },
            Slot {
                object: 2,
                index: 0
            }
        ]
    );
}

/// Values with binary parts (no `_placeholder` keys: the protocol cannot tell
/// those from placeholders).
fn value_with_binary() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(|b| Value::Binary(b.into())),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    key().prop_filter("not a placeholder key", |k| k != "_placeholder"),
                    inner
                ),
                0..6
            )
            .prop_map(Value::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The direct read gives what the tree path gives: `Value` for every part,
    /// with each attachment where its placeholder was.
    #[test]
    fn direct_reads_match_the_tree(value in value_with_binary()) {
        let (packet, parts) = crate::socketio::split(
            crate::socketio::PacketType::Ack,
            crate::Str::from("/"),
            Some(1),
            &value,
        )
        .unwrap();
        let json = packet.data.unwrap();
        let direct: Value = binary(&json, &parts).unwrap();
        prop_assert_eq!(&direct, &value);
        match binary::<serde_json::Value>(&json, &parts) {
            Ok(plain) => {
                prop_assert!(!value.has_binary());
                prop_assert_eq!(plain, serde_json::Value::try_from(value).unwrap());
            }
            Err(e) => {
                prop_assert!(value.has_binary(), "{:?}", e);
                prop_assert!(matches!(e, Error::Json(_)));
            }
        }
    }
}
