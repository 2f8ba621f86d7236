//! A single-pass JSON validator: checks the syntax, bounds the nesting depth, and
//! (for binary packet payloads) finds the binary placeholders, with no
//! allocation; it recurses once per nesting level, bounded by the depth limit
//! (and never beyond [`HARD_MAX_DEPTH`]). It backs `BinaryPacket::check`,
//! `Packet::check`, and the values the typed reader (`json::de`) skips, which
//! shares its string, escape and number grammar.
//!
//! Placeholder rules (socket.io-protocol v5, binary packets, as the reference
//! parser reads them): an object whose `_placeholder` member is `true` is a
//! placeholder and its `num` member must be a non-negative integer written as
//! one (digits only: not `-0`, `1.0` or `1e0`, which serde_json reads as floats);
//! any other value of `_placeholder` makes an ordinary object. Duplicate keys:
//! the last one wins, as in `JSON.parse`.
//!
//! "Valid" means what serde_json can read: besides the syntax, a `\u` escape
//! may not leave a surrogate unpaired and a number must fit an `f64` (`1e400`
//! is refused), so a payload this scanner passes never fails in the parser for
//! its JSON alone.

use super::escape::find_escape_wide;
use crate::Error;

/// A placeholder object as the scanner found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    /// `num`; `None` when missing or not a non-negative integer.
    pub(crate) num: Option<u64>,
    /// Placeholders already reported inside this one (must be 0: a placeholder is
    /// replaced whole).
    pub(crate) nested: usize,
    /// Index of this object among all objects of the text, in document order
    /// (opening braces counted from 0): where a parser will meet it.
    pub(crate) object: usize,
}

/// Receives each placeholder found, innermost first.
pub(crate) trait Placeholders {
    /// Whether placeholders are looked for at all (keys are then read).
    const WANTED: bool = true;

    /// A placeholder object.
    fn placeholder(&mut self, found: Found) -> Result<(), Error>;
}

/// Ignores placeholders: a plain syntax / depth / range check (text packets,
/// where a `_placeholder` key is ordinary data).
pub(crate) struct NoPlaceholders;

impl Placeholders for NoPlaceholders {
    const WANTED: bool = false;

    fn placeholder(&mut self, _: Found) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Placeholder,
    Num,
    Other,
}

/// The deepest nesting followed, whatever the configured limit: serde_json, which
/// parses the same text, refuses a 128th level. The scanner recurses once per
/// level, so this also bounds its stack use.
pub(crate) const HARD_MAX_DEPTH: usize = 127;

/// The scalar a value position held, as far as placeholders care.
enum Scalar {
    True,
    Integer(u64),
    Other,
}

struct Scanner<'a, P> {
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
    found: usize,
    objects: usize,
    sink: P,
    sink_error: Option<Error>,
}

/// Why a scan stopped. Small on purpose: every scanner function returns it, and
/// a large error type would be copied around on the hot path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fail {
    Json(usize),
    Deep,
    Sink,
}

type R<T> = Result<T, Fail>;

#[inline]
fn invalid(offset: usize) -> Fail {
    Fail::Json(offset)
}

impl<P: Placeholders> Scanner<'_, P> {
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Scans a string starting at its opening quote; returns the raw contents
    /// and whether they contain escapes.
    fn string(&mut self) -> R<(usize, usize, bool)> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            let at = find_escape_wide(self.bytes, i).ok_or_else(|| invalid(self.bytes.len()))?;
            match self.bytes[at] {
                b'"' => {
                    self.pos = at + 1;
                    return Ok((start, at, escaped));
                }
                b'\\' => {
                    escaped = true;
                    i = self.escape(at)?;
                }
                // A raw control character is not allowed in a JSON string.
                _ => return Err(invalid(at)),
            }
        }
    }

    /// Validates the escape at `at` (a backslash); returns the index after it.
    fn escape(&self, at: usize) -> R<usize> {
        escape(self.bytes, at, &mut |_| {}).map_err(invalid)
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(invalid(self.pos))
        }
    }

    /// Scans a number; returns it if it is a non-negative integer that fits u64.
    fn number(&mut self) -> R<Scalar> {
        let n = number(self.bytes, self.pos).map_err(invalid)?;
        self.pos = n.end;
        Ok(match n.index(self.bytes) {
            Some(i) => Scalar::Integer(i),
            None => Scalar::Other,
        })
    }

    fn classify_key(&self, start: usize, end: usize, escaped: bool) -> Key {
        let raw = &self.bytes[start..end];
        let key = if escaped {
            // Rare: let the JSON parser unescape exactly this token.
            match serde_json::from_slice::<String>(&self.bytes[start - 1..end + 1]) {
                Ok(k) => return Self::key_of(k.as_bytes()),
                Err(_) => return Key::Other,
            }
        } else {
            raw
        };
        Self::key_of(key)
    }

    fn key_of(key: &[u8]) -> Key {
        match key {
            b"_placeholder" => Key::Placeholder,
            b"num" => Key::Num,
            _ => Key::Other,
        }
    }

    /// Scans one value at nesting `depth` (containers above it).
    fn value(&mut self, depth: usize) -> R<Scalar> {
        self.skip_ws();
        match self.peek() {
            Some(b'[') => self.array(depth + 1).map(|()| Scalar::Other),
            Some(b'{') => self.object(depth + 1).map(|()| Scalar::Other),
            Some(b'"') => self.string().map(|_| Scalar::Other),
            Some(b't') => self.literal(b"true").map(|()| Scalar::True),
            Some(b'f') => self.literal(b"false").map(|()| Scalar::Other),
            Some(b'n') => self.literal(b"null").map(|()| Scalar::Other),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(invalid(self.pos)),
        }
    }

    fn enter(&mut self, depth: usize) -> R<()> {
        if depth > self.max_depth {
            return Err(Fail::Deep);
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    fn array(&mut self, depth: usize) -> R<()> {
        self.enter(depth)?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(invalid(self.pos)),
            }
        }
    }

    fn object(&mut self, depth: usize) -> R<()> {
        self.enter(depth)?;
        let object = self.objects;
        self.objects += 1;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let found_before = self.found;
        let mut flag = false;
        let mut num: Option<u64> = None;
        loop {
            self.skip_ws();
            let key = self.key()?;
            let value = self.value(depth)?;
            // The last occurrence of a key wins, as in `JSON.parse`.
            match key {
                Key::Placeholder => flag = matches!(value, Scalar::True),
                Key::Num => {
                    num = match value {
                        Scalar::Integer(n) => Some(n),
                        _ => None,
                    }
                }
                Key::Other => {}
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(invalid(self.pos)),
            }
        }
        if flag {
            let found = Found {
                num,
                nested: self.found - found_before,
                object,
            };
            if let Err(e) = self.sink.placeholder(found) {
                self.sink_error = Some(e);
                return Err(Fail::Sink);
            }
            self.found += 1;
        }
        Ok(())
    }

    /// Reads `"key":` and says which key it is.
    fn key(&mut self) -> R<Key> {
        if self.peek() != Some(b'"') {
            return Err(invalid(self.pos));
        }
        let (start, end, escaped) = self.string()?;
        let key = if P::WANTED {
            self.classify_key(start, end, escaped)
        } else {
            Key::Other
        };
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(invalid(self.pos));
        }
        self.pos += 1;
        Ok(key)
    }

    fn run(&mut self) -> R<()> {
        self.value(0)?;
        self.skip_ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(invalid(self.pos))
        }
    }
}

/// A JSON number token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number {
    /// Index after its last byte.
    pub(crate) end: usize,
    /// A leading `-`.
    pub(crate) negative: bool,
    /// The digits before any fraction or exponent.
    pub(crate) digits: (usize, usize),
    /// Written as an integer: no fraction, no exponent.
    pub(crate) integer: bool,
}

impl Number {
    /// The value if it is written as a non-negative integer that fits u64
    /// (serde_json reads `-0` as the float -0.0: not an index).
    pub(crate) fn index(&self, bytes: &[u8]) -> Option<u64> {
        if !self.integer || self.negative {
            return None;
        }
        let mut n: u64 = 0;
        for &d in &bytes[self.digits.0..self.digits.1] {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        Some(n)
    }
}

/// Scans the number at `start`; `Err` holds the offset of the first byte that
/// breaks the grammar, or `start` for a number beyond `f64` (which serde_json
/// refuses when it reads it: `1e400`).
pub(crate) fn number(b: &[u8], start: usize) -> Result<Number, usize> {
    let mut pos = start;
    let negative = b.get(pos) == Some(&b'-');
    if negative {
        pos += 1;
    }
    let int_start = pos;
    match b.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while let Some(b'0'..=b'9') = b.get(pos) {
                pos += 1;
            }
        }
        _ => return Err(pos),
    }
    let int_end = pos;
    let mut integer = true;
    if b.get(pos) == Some(&b'.') {
        integer = false;
        pos += 1;
        let digits = pos;
        while let Some(b'0'..=b'9') = b.get(pos) {
            pos += 1;
        }
        if pos == digits {
            return Err(pos);
        }
    }
    let mut exponent = false;
    if let Some(b'e' | b'E') = b.get(pos) {
        integer = false;
        exponent = true;
        pos += 1;
        if let Some(b'+' | b'-') = b.get(pos) {
            pos += 1;
        }
        let digits = pos;
        while let Some(b'0'..=b'9') = b.get(pos) {
            pos += 1;
        }
        if pos == digits {
            return Err(pos);
        }
    }
    // Without an exponent, up to 300 integer digits stay below f64::MAX. Both this
    // parse and serde_json's (feature `float_roundtrip`) round correctly, so they
    // agree on which numbers overflow.
    if (exponent || int_end - int_start > 300) && !parse_f64(&b[start..pos]).is_finite() {
        return Err(start);
    }
    Ok(Number {
        end: pos,
        negative,
        digits: (int_start, int_end),
        integer,
    })
}

/// The value of a number token already scanned by [`number`].
pub(crate) fn parse_f64(token: &[u8]) -> f64 {
    std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Validates the escape at `at` (a backslash), passing each code point it
/// spells to `out`; returns the index after it, or the offset to report.
#[inline]
pub(crate) fn escape(b: &[u8], at: usize, out: &mut impl FnMut(char)) -> Result<usize, usize> {
    let simple = match b.get(at + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let unit = hex4(b, at + 2)?;
            let (c, next) = match unit {
                // A high surrogate must be followed by an escaped low one.
                0xD800..=0xDBFF => {
                    if b.get(at + 6) != Some(&b'\\') || b.get(at + 7) != Some(&b'u') {
                        return Err(at);
                    }
                    let low = hex4(b, at + 8)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return Err(at + 6);
                    }
                    let c =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    (c, at + 12)
                }
                0xDC00..=0xDFFF => return Err(at),
                _ => (u32::from(unit), at + 6),
            };
            out(char::from_u32(c).ok_or(at)?);
            return Ok(next);
        }
        _ => return Err(at),
    };
    out(simple);
    Ok(at + 2)
}

fn hex4(b: &[u8], at: usize) -> Result<u16, usize> {
    let digits = b.get(at..at + 4).ok_or(at)?;
    let mut n = 0u16;
    for &d in digits {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return Err(at),
        };
        n = n << 4 | u16::from(v);
    }
    Ok(n)
}

/// Skips, validating it as [`scan`] would, the value at `pos` (after any
/// whitespace), nested `depth` containers deep: returns where it ends and how
/// many objects it holds (itself included).
pub(crate) fn skip(
    bytes: &[u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
) -> Result<(usize, usize), Fail> {
    let mut scanner = Scanner {
        bytes,
        pos,
        max_depth: max_depth.min(HARD_MAX_DEPTH),
        found: 0,
        objects: 0,
        sink: NoPlaceholders,
        sink_error: None,
    };
    scanner.value(depth)?;
    Ok((scanner.pos, scanner.objects))
}

/// Validates `json` (syntax and depth) and reports its placeholders to `sink`.
pub(crate) fn scan<P: Placeholders>(json: &[u8], max_depth: usize, sink: P) -> Result<(), Error> {
    let mut scanner = Scanner {
        bytes: json,
        pos: 0,
        max_depth: max_depth.min(HARD_MAX_DEPTH),
        found: 0,
        objects: 0,
        sink,
        sink_error: None,
    };
    match scanner.run() {
        Ok(()) => Ok(()),
        Err(Fail::Json(offset)) => Err(Error::InvalidJson { offset }),
        Err(Fail::Deep) => Err(Error::NestingTooDeep {
            max: scanner.max_depth,
        }),
        Err(Fail::Sink) => Err(scanner
            .sink_error
            .take()
            .unwrap_or(Error::InvalidPlaceholder)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records what the scanner reports.
    #[derive(Default)]
    struct Log(Vec<Found>);

    impl Placeholders for &mut Log {
        fn placeholder(&mut self, found: Found) -> Result<(), Error> {
            self.0.push(found);
            Ok(())
        }
    }

    /// `(num, nested)` of each placeholder reported.
    fn found(json: &str) -> Result<Vec<(Option<u64>, usize)>, Error> {
        Ok(log(json)?.iter().map(|f| (f.num, f.nested)).collect())
    }

    fn log(json: &str) -> Result<Vec<Found>, Error> {
        let mut f = Log::default();
        scan(json.as_bytes(), 32, &mut f)?;
        Ok(f.0)
    }

    #[test]
    fn finds_placeholders_in_any_key_order_and_depth() {
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":0}]"#).unwrap(),
            [(Some(0), 0)]
        );
        assert_eq!(
            found(r#"[{"num":7,"x":[1],"_placeholder":true}]"#).unwrap(),
            [(Some(7), 0)]
        );
        assert_eq!(
            found(r#"{"a":[[{"_placeholder":true,"num":0}]]}"#).unwrap(),
            [(Some(0), 0)]
        );
        // serde_json reads `-0` as a float: not an index (as `fill` and a tree
        // walk see it too).
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":-0}]"#).unwrap(),
            [(None, 0)]
        );
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":1.0}]"#).unwrap(),
            [(None, 0)]
        );
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":-1}]"#).unwrap(),
            [(None, 0)]
        );
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":18446744073709551616}]"#).unwrap(),
            [(None, 0)]
        );
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":{}}]"#).unwrap(),
            [(None, 0)]
        );
        assert_eq!(found(r#"[{"_placeholder":true}]"#).unwrap(), [(None, 0)]);
        assert_eq!(found(r#"[{"_placeholder":"true","num":0}]"#).unwrap(), []);
        assert_eq!(
            found(r#"[{"_placeholder":true,"_placeholder":false,"num":0}]"#).unwrap(),
            []
        );
        assert_eq!(found(r#"[{"_placeholder":[true],"num":0}]"#).unwrap(), []);
        assert_eq!(
            found(r#"[{"\u005fplaceholder":true,"n\u0075m":3}]"#).unwrap(),
            [(Some(3), 0)]
        );
        // A placeholder around another one reports it as nested.
        assert_eq!(
            found(r#"[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":1}}]"#).unwrap(),
            [(Some(1), 0), (Some(0), 1)]
        );
    }

    #[test]
    fn rejects_malformed_json_with_its_offset() {
        for (json, offset) in [
            ("", 0),
            ("[", 1),
            ("[1,]", 3),
            ("[1 2]", 3),
            ("{\"a\" 1}", 5),
            ("{\"a\":1,}", 7),
            ("{1:1}", 1),
            ("[01]", 2),
            ("[1.]", 3),
            ("[1e]", 3),
            ("[-]", 2),
            ("[tru]", 1),
            ("[\"\\x\"]", 2),
            ("[\"\\u12g4\"]", 4),
            ("[\"\\ud800\"]", 2),
            ("[\"\\udc00\"]", 2),
            ("[\"\u{1}\"]", 2),
            ("[\"abc", 5),
            ("[] x", 3),
            ("[}", 1),
            ("{]", 1),
        ] {
            match found(json) {
                Err(Error::InvalidJson { offset: o }) => assert_eq!(o, offset, "{json:?}"),
                other => panic!("{json:?}: {other:?}"),
            }
        }
        assert!(found(" [ \"\\ud83d\\ude00\" , 1.5e-3 , -0 , null , { } , [ ] ] ").is_ok());
    }

    #[test]
    fn bounds_depth_and_recursion() {
        let deep = "[".repeat(33) + &"]".repeat(33);
        assert!(matches!(
            found(&deep),
            Err(Error::NestingTooDeep { max: 32 })
        ));
        let ok = "[".repeat(32) + &"]".repeat(32);
        assert!(found(&ok).is_ok());
        // A raised limit still stops at the hard maximum.
        let very = "[{\"a\":".repeat(32) + "1" + &"}]".repeat(32);
        let mut f = Log::default();
        assert!(scan(very.as_bytes(), 64, &mut f).is_ok());
        assert!(matches!(
            scan(very.as_bytes(), 63, &mut f),
            Err(Error::NestingTooDeep { max: 63 })
        ));
        let hostile = "[".repeat(100_000);
        assert!(matches!(
            scan(hostile.as_bytes(), usize::MAX, &mut f),
            Err(Error::NestingTooDeep {
                max: HARD_MAX_DEPTH
            })
        ));
    }

    #[test]
    fn numbers_must_fit_an_f64_as_serde_json_reads_them() {
        for ok in [
            "[1e308]",
            "[-1.7976931348623157e308]",
            "[1e-400]",
            "[0e999999999999]",
            "[123456789012345678901234567890]",
        ] {
            assert!(found(ok).is_ok(), "{ok}");
        }
        let big = format!("[{}]", "9".repeat(400));
        for (bad, offset) in [
            ("[1e400]", 1),
            ("[1, -2E+309]", 4),
            ("[1.8e308]", 1),
            ("[1e99999999999]", 1),
            (&big, 1),
        ] {
            match found(bad) {
                Err(Error::InvalidJson { offset: o }) => assert_eq!(o, offset, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err());
        }
    }

    #[test]
    fn reports_where_each_placeholder_object_is() {
        let json = r#"[{}, {"a": {"b": {}}}, {"num": 1, "x": [{}], "_placeholder": true},
            [{"_placeholder": true, "num": 0}], {"c": {}}]"#;
        let f = log(json).unwrap();
        assert_eq!(
            f,
            [
                Found {
                    num: Some(1),
                    nested: 0,
                    object: 4,
                },
                Found {
                    num: Some(0),
                    nested: 0,
                    object: 6,
                },
            ]
        );
    }

    fn tokens() -> impl Strategy<Value = String> {
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
            Just("d800"),
            Just("dc00"),
            Just("00e9"),
            Just("n"),
            Just("t"),
            Just("true"),
            Just("false"),
            Just("null"),
            Just("0"),
            Just("12"),
            Just("1e400"),
            Just("e309"),
            Just("-0"),
            Just("-"),
            Just("."),
            Just("e"),
            Just("+"),
            Just(" "),
            Just("\n"),
            Just("\u{1}"),
            Just("é"),
            Just("\"a\""),
            Just("\"_placeholder\""),
            Just("\"num\""),
        ];
        proptest::collection::vec(token, 0..30).prop_map(|t| t.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]

        /// The validator accepts exactly what serde_json accepts (within the depth limit).
        #[test]
        fn agrees_with_serde_json(json in tokens()) {
            let ours = found(&json).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(&json).is_ok();
            prop_assert_eq!(ours, theirs, "{:?}", json);
        }
    }
}
