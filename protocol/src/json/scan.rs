//! A single-pass JSON validator for binary packet payloads: checks the syntax,
//! bounds the nesting depth, and finds the binary placeholders, with no
//! allocation and no recursion (an explicit, depth-bounded stack).
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

/// One open container.
#[derive(Clone, Copy)]
struct Frame {
    object: bool,
    key: Key,
    flag: bool,
    num: Option<Option<u64>>,
    found_before: usize,
}

const EMPTY: Frame = Frame {
    object: false,
    key: Key::Other,
    flag: false,
    num: None,
    found_before: 0,
};

/// Inline for the default depth limit; heap only when the limit is raised.
const INLINE: usize = 64;

struct Stack {
    inline: [Frame; INLINE],
    heap: Vec<Frame>,
    len: usize,
}

impl Stack {
    fn top(&mut self) -> Option<&mut Frame> {
        match self.len {
            0 => None,
            n if n <= INLINE => Some(&mut self.inline[n - 1]),
            n => self.heap.get_mut(n - 1 - INLINE),
        }
    }
    fn push(&mut self, f: Frame) {
        if self.len < INLINE {
            self.inline[self.len] = f;
        } else {
            self.heap.push(f);
        }
        self.len += 1;
    }
    fn pop(&mut self) -> Option<Frame> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        if self.len < INLINE {
            Some(self.inline[self.len])
        } else {
            self.heap.pop()
        }
    }
}

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
}

fn invalid(offset: usize) -> Error {
    Error::InvalidJson { offset }
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
    fn string(&mut self) -> Result<(usize, usize, bool), Error> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            let at = find_escape(self.bytes, i).ok_or(invalid(self.bytes.len()))?;
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
    fn escape(&self, at: usize) -> Result<usize, Error> {
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

    fn hex4(&self, at: usize) -> Result<u16, Error> {
        let digits = self.bytes.get(at..at + 4).ok_or(invalid(at))?;
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

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(invalid(self.pos))
        }
    }

    /// Scans a number; returns it if it is a non-negative integer that fits u64.
    fn number(&mut self) -> Result<Scalar, Error> {
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
            match n.checked_mul(10).and_then(|n| n.checked_add(u64::from(d - b'0'))) {
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

    /// Records a completed member value in the enclosing object.
    fn member_value(stack: &mut Stack, value: Scalar) {
        if let Some(f) = stack.top()
            && f.object
        {
            match f.key {
                Key::Placeholder => f.flag = matches!(value, Scalar::True),
                Key::Num => {
                    f.num = Some(match value {
                        Scalar::Integer(n) => Some(n),
                        _ => None,
                    })
                }
                Key::Other => {}
            }
        }
    }

    fn run(&mut self) -> Result<(), Error> {
        let mut stack = Stack {
            inline: [EMPTY; INLINE],
            heap: Vec::new(),
            len: 0,
        };
        // Expecting a value (true) or, inside a container, a separator/end.
        let mut want_value = true;
        loop {
            self.skip_ws();
            if want_value {
                let Some(c) = self.peek() else {
                    return Err(invalid(self.pos));
                };
                match c {
                    b'{' | b'[' => {
                        if stack.len >= self.max_depth {
                            return Err(Error::NestingTooDeep {
                                max: self.max_depth,
                            });
                        }
                        self.pos += 1;
                        stack.push(Frame {
                            object: c == b'{',
                            found_before: self.found,
                            ..EMPTY
                        });
                        self.skip_ws();
                        let close = if c == b'{' { b'}' } else { b']' };
                        if self.peek() == Some(close) {
                            // Empty container: close it right away.
                            want_value = false;
                            continue;
                        }
                        if c == b'{' {
                            self.key(&mut stack)?;
                        }
                        continue;
                    }
                    b'"' => {
                        self.string()?;
                        Self::member_value(&mut stack, Scalar::Other);
                    }
                    b't' => {
                        self.literal(b"true")?;
                        Self::member_value(&mut stack, Scalar::True);
                    }
                    b'f' => {
                        self.literal(b"false")?;
                        Self::member_value(&mut stack, Scalar::Other);
                    }
                    b'n' => {
                        self.literal(b"null")?;
                        Self::member_value(&mut stack, Scalar::Other);
                    }
                    b'-' | b'0'..=b'9' => {
                        let n = self.number()?;
                        Self::member_value(&mut stack, n);
                    }
                    _ => return Err(invalid(self.pos)),
                }
                want_value = false;
                continue;
            }
            // After a value.
            let Some(top) = stack.top() else {
                // Top level complete: only whitespace may follow.
                return if self.pos == self.bytes.len() {
                    Ok(())
                } else {
                    Err(invalid(self.pos))
                };
            };
            let object = top.object;
            match (self.peek(), object) {
                (Some(b','), _) => {
                    self.pos += 1;
                    if object {
                        self.skip_ws();
                        self.key(&mut stack)?;
                    }
                    want_value = true;
                }
                (Some(b']'), false) | (Some(b'}'), true) => {
                    self.pos += 1;
                    let closed = stack.pop().expect("top checked above");
                    if closed.object && closed.flag {
                        let nested = self.found - closed.found_before;
                        self.sink.placeholder(closed.num.flatten(), nested)?;
                        self.found += 1;
                    }
                    // A container as a member value is neither `true` nor an integer.
                    Self::member_value(&mut stack, Scalar::Other);
                }
                _ => return Err(invalid(self.pos)),
            }
        }
    }

    /// Reads `"key":` inside an object and records which key it is.
    fn key(&mut self, stack: &mut Stack) -> Result<(), Error> {
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
        if let Some(f) = stack.top() {
            f.key = key;
        }
        Ok(())
    }
}

/// Validates `json` (syntax and depth) and reports its placeholders to `sink`.
pub(crate) fn scan<P: Placeholders>(json: &[u8], max_depth: usize, sink: P) -> Result<(), Error> {
    Scanner {
        bytes: json,
        pos: 0,
        max_depth,
        found: 0,
        sink,
    }
    .run()
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
        assert_eq!(found(r#"[{"_placeholder":true,"num":0}]"#).unwrap(), [(Some(0), 0)]);
        assert_eq!(found(r#"[{"num":7,"x":[1],"_placeholder":true}]"#).unwrap(), [(Some(7), 0)]);
        assert_eq!(found(r#"{"a":[[{"_placeholder":true,"num":-0}]]}"#).unwrap(), [(Some(0), 0)]);
        assert_eq!(found(r#"[{"_placeholder":true,"num":1.0}]"#).unwrap(), [(None, 0)]);
        assert_eq!(found(r#"[{"_placeholder":true,"num":-1}]"#).unwrap(), [(None, 0)]);
        assert_eq!(found(r#"[{"_placeholder":true,"num":18446744073709551616}]"#).unwrap(), [(None, 0)]);
        assert_eq!(found(r#"[{"_placeholder":true,"num":{}}]"#).unwrap(), [(None, 0)]);
        assert_eq!(found(r#"[{"_placeholder":true}]"#).unwrap(), [(None, 0)]);
        assert_eq!(found(r#"[{"_placeholder":"true","num":0}]"#).unwrap(), []);
        assert_eq!(found(r#"[{"_placeholder":true,"_placeholder":false,"num":0}]"#).unwrap(), []);
        assert_eq!(found(r#"[{"_placeholder":[true],"num":0}]"#).unwrap(), []);
        assert_eq!(found(r#"[{"\u005fplaceholder":true,"n\u0075m":3}]"#).unwrap(), [(Some(3), 0)]);
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
    fn bounds_depth_without_recursion() {
        let deep = "[".repeat(33) + &"]".repeat(33);
        assert!(matches!(found(&deep), Err(Error::NestingTooDeep { max: 32 })));
        let ok = "[".repeat(32) + &"]".repeat(32);
        assert!(found(&ok).is_ok());
        // Past the inline stack, with a raised limit.
        let very = "[{\"a\":".repeat(100) + "1" + &"}]".repeat(100);
        let mut f = Found::default();
        assert!(scan(very.as_bytes(), 200, &mut f).is_ok());
        assert!(matches!(scan(very.as_bytes(), 199, &mut f), Err(Error::NestingTooDeep { max: 199 })));
    }

    fn tokens() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            Just("["), Just("]"), Just("{"), Just("}"), Just(","), Just(":"), Just("\""), Just("\\"),
            Just("\\u"), Just("d800"), Just("dc00"), Just("00e9"), Just("n"), Just("t"), Just("true"),
            Just("false"), Just("null"), Just("0"), Just("12"), Just("-"), Just("."), Just("e"), Just("+"),
            Just(" "), Just("\n"), Just("\u{1}"), Just("é"), Just("\"a\""), Just("\"_placeholder\""),
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
