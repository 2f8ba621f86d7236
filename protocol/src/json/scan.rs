//! A single-pass JSON validator for binary packet payloads: checks the syntax,
//! bounds the nesting depth, and finds the binary placeholders, with no
//! allocation; it recurses once per nesting level, bounded by the depth limit
//! (and never beyond [`HARD_MAX_DEPTH`]).
//!
//! Placeholder rules (socket.io-protocol v5, binary packets, as the reference
//! parser reads them): an object whose `_placeholder` member is `true` is a
//! placeholder and its `num` member must be a non-negative integer; any other
//! value of `_placeholder` makes an ordinary object. Duplicate keys: the last
//! one wins, as in `JSON.parse`.

use super::escape::find_escape;
use crate::Error;

/// Receives each placeholder found, with the number of placeholders already
/// reported inside it (which must be 0: a placeholder is replaced whole).
pub(crate) trait Placeholders {
    /// A placeholder object with `num` (`None` when `num` is missing or not a
    /// non-negative integer), `nested` placeholders reported inside it.
    fn placeholder(&mut self, num: Option<u64>, nested: usize) -> Result<(), Error>;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Placeholder,
    Num,
    Other,
}

/// The deepest nesting the scanner ever follows, whatever the configured limit:
/// serde_json, which later parses the same text, stops at 128 levels too. The
/// scanner recurses once per level, so this also bounds its stack use.
pub(crate) const HARD_MAX_DEPTH: usize = 128;

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
    sink: P,
    sink_error: Option<Error>,
}

/// Why a scan stopped. Small on purpose: every scanner function returns it, and
/// a large error type would be copied around on the hot path.
#[derive(Debug, Clone, Copy)]
enum Fail {
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
            let at = find_escape(self.bytes, i).ok_or_else(|| invalid(self.bytes.len()))?;
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
        match self.bytes.get(at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 2),
            Some(b'u') => {
                let unit = self.hex4(at + 2)?;
                match unit {
                    // A high surrogate must be followed by an escaped low one.
                    0xD800..=0xDBFF => {
                        if self.bytes.get(at + 6) != Some(&b'\\')
                            || self.bytes.get(at + 7) != Some(&b'u')
                        {
                            return Err(invalid(at));
                        }
                        match self.hex4(at + 8)? {
                            0xDC00..=0xDFFF => Ok(at + 12),
                            _ => Err(invalid(at + 6)),
                        }
                    }
                    0xDC00..=0xDFFF => Err(invalid(at)),
                    _ => Ok(at + 6),
                }
            }
            _ => Err(invalid(at)),
        }
    }

    fn hex4(&self, at: usize) -> R<u16> {
        let digits = self.bytes.get(at..at + 4).ok_or_else(|| invalid(at))?;
        let mut n = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(invalid(at)),
            };
            n = n << 4 | u16::from(v);
        }
        Ok(n)
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
        let b = self.bytes;
        let negative = b.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = b.get(self.pos) {
                    self.pos += 1;
                }
            }
            _ => return Err(invalid(self.pos)),
        }
        let int_end = self.pos;
        let mut integer = true;
        if b.get(self.pos) == Some(&b'.') {
            integer = false;
            self.pos += 1;
            let start = self.pos;
            while let Some(b'0'..=b'9') = b.get(self.pos) {
                self.pos += 1;
            }
            if self.pos == start {
                return Err(invalid(self.pos));
            }
        }
        if let Some(b'e' | b'E') = b.get(self.pos) {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = b.get(self.pos) {
                self.pos += 1;
            }
            let start = self.pos;
            while let Some(b'0'..=b'9') = b.get(self.pos) {
                self.pos += 1;
            }
            if self.pos == start {
                return Err(invalid(self.pos));
            }
        }
        if !integer {
            return Ok(Scalar::Other);
        }
        let mut n: u64 = 0;
        for &d in &b[int_start..int_end] {
            match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
            {
                Some(v) => n = v,
                None => return Ok(Scalar::Other),
            }
        }
        // `-0` is zero, as JavaScript and serde_json read it.
        if negative && n != 0 {
            return Ok(Scalar::Other);
        }
        Ok(Scalar::Integer(n))
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
            if let Err(e) = self.sink.placeholder(num, self.found - found_before) {
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
        let key = self.classify_key(start, end, escaped);
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

/// Validates `json` (syntax and depth) and reports its placeholders to `sink`.
pub(crate) fn scan<P: Placeholders>(json: &[u8], max_depth: usize, sink: P) -> Result<(), Error> {
    let mut scanner = Scanner {
        bytes: json,
        pos: 0,
        max_depth: max_depth.min(HARD_MAX_DEPTH),
        found: 0,
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
    struct Found(Vec<(Option<u64>, usize)>);

    impl Placeholders for &mut Found {
        fn placeholder(&mut self, num: Option<u64>, nested: usize) -> Result<(), Error> {
            self.0.push((num, nested));
            Ok(())
        }
    }

    fn found(json: &str) -> Result<Vec<(Option<u64>, usize)>, Error> {
        let mut f = Found::default();
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
            found(r#"{"a":[[{"_placeholder":true,"num":-0}]]}"#).unwrap(),
            [(Some(0), 0)]
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
        let mut f = Found::default();
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
