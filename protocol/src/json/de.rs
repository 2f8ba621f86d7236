//! Reading typed values straight from a payload's JSON text: a serde
//! `Deserializer` over the (already UTF-8 checked) text that enforces
//! [`crate::Limits::max_depth`] as it descends (no separate pass) and, for a
//! binary packet, hands each placeholder object to the visitor as its attachment
//! (no `Value` tree in between).
//!
//! It shares its grammar with the validator `json::scan` (strings, escapes,
//! numbers, skipping) and reports malformed JSON at the same offsets, as
//! [`Error::InvalidJson`]. What it hands to visitors follows serde_json (the
//! parity tests and the property tests of `de_tests.rs` compare the two): integers as
//! `u64` / `i64`, `-0` and integers beyond 64 bits as `f64`, other numbers as
//! correctly rounded `f64`, strings borrowed from the input unless they hold
//! escapes, `{"Variant": value}` / `"Unit"` for enums, and serde_json's
//! `RawValue` protocol. Why not serde_json itself: the depth limit would need a
//! second pass over the text (or a wrapper around every level), placeholders a
//! tree (or another wrapper), and string scanning is most of the cost of a chat
//! message: serde_json looks at 8 bytes per step, this reader at 16
//! (`json::escape::find_escape_wide`) while counting depth and objects as it
//! goes. `benches/RESULTS.md` has the measurements.
//!
//! Values a visitor skips (`IgnoredAny`: extra arguments, unknown fields, the
//! event name) go through the validator: a skipped part obeys the same rules as
//! a read one (depth, no unpaired surrogate escape, no number beyond `f64`).
//!
//! Placeholders (binary packets): the placeholder scan, run first, records each
//! placeholder as the index of its object among all objects in document order.
//! The reader meets objects in that same order, so a counter tells at the opening
//! brace whether an object is a placeholder, whatever the order of its keys. It
//! is then skipped and the visitor gets the attachment exactly as a
//! [`Value::Binary`] would offer it: bytes (`visit_byte_buf`), or a sequence of
//! `u8` when asked for a sequence (`Vec<u8>`).

use bytes::Bytes;
use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Unexpected, Visitor,
};

use super::escape::find_escape_wide;
use super::scan::{self, Fail, HARD_MAX_DEPTH};
use crate::Error;
use crate::socketio::Value;

/// The error visitors and `Deserialize` impls see; type mismatches keep
/// serde_json's wording and become [`Error::Json`].
type E = serde_json::Error;

/// serde_json's marker newtype name for `RawValue` (its `raw_value` feature).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Where a placeholder is: the index of its object among all objects of the
/// payload in document order, and the attachment it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) object: usize,
    pub(crate) index: usize,
}

/// The attachments of a binary payload and where the reader is among its objects.
struct Binary<'a> {
    attachments: &'a [Bytes],
    /// In document order (placeholders never nest).
    slots: &'a [Slot],
    /// Objects met so far.
    objects: usize,
    /// The first slot not yet reached.
    next: usize,
}

/// Why the reader stopped, when it is the input's fault rather than the type's.
#[derive(Debug, Clone, Copy)]
enum Failed {
    Syntax(usize),
    Deep,
}

/// Deserialises `seed` from `json`, which must be one JSON value (whitespace
/// around it allowed), nested at most `max_depth` deep. `binary`: the
/// attachments of a binary packet and its placeholders as found by
/// `placeholders::locate`.
pub(crate) fn parse<'de, S: DeserializeSeed<'de>>(
    json: &'de str,
    max_depth: usize,
    binary: Option<(&[Bytes], &[Slot])>,
    seed: S,
) -> Result<S::Value, Error> {
    let mut r = Reader {
        json,
        pos: 0,
        depth: 0,
        max_depth: max_depth.min(HARD_MAX_DEPTH),
        scratch: Vec::new(),
        failed: None,
        binary: binary.map(|(attachments, slots)| Binary {
            attachments,
            slots,
            objects: 0,
            next: 0,
        }),
    };
    let value = seed.deserialize(&mut r).and_then(|v| r.end().map(|()| v));
    // The input's fault first, even if a `Deserialize` impl swallowed the error.
    match r.failed {
        Some(Failed::Syntax(offset)) => Err(Error::InvalidJson { offset }),
        Some(Failed::Deep) => Err(Error::NestingTooDeep { max: r.max_depth }),
        None => value.map_err(Error::Json),
    }
}

struct Reader<'de, 'a> {
    json: &'de str,
    pos: usize,
    /// Arrays and objects entered and not yet left.
    depth: usize,
    max_depth: usize,
    /// Unescaped text of the current string when it holds escapes.
    scratch: Vec<u8>,
    failed: Option<Failed>,
    binary: Option<Binary<'a>>,
}

/// A string token: a slice of the input, or unescaped into the scratch buffer.
enum Text<'de> {
    Borrowed(&'de str),
    Copied,
}

/// How the visitor asked for the value, as far as a placeholder cares:
/// [`Value::Binary`] offers a sequence of `u8` to `deserialize_seq`, bytes otherwise.
#[derive(Clone, Copy)]
enum Hint {
    Any,
    Seq,
}

/// Offers an attachment to `visitor` as [`Value::Binary`] would.
fn replay<'de, V: Visitor<'de>>(data: &Bytes, hint: Hint, visitor: V) -> Result<V::Value, E> {
    let value = Value::Binary(data.clone());
    match hint {
        Hint::Any => value.deserialize_any(visitor),
        Hint::Seq => value.deserialize_seq(visitor),
    }
}

impl<'de, 'a> Reader<'de, 'a> {
    #[inline]
    fn bytes(&self) -> &'de [u8] {
        self.json.as_bytes()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// The first byte of the next value, after whitespace.
    #[inline]
    fn next_value(&mut self) -> Result<u8, E> {
        self.skip_ws();
        match self.peek() {
            Some(b) => Ok(b),
            None => Err(self.syntax(self.pos)),
        }
    }

    #[cold]
    fn syntax(&mut self, offset: usize) -> E {
        self.failed.get_or_insert(Failed::Syntax(offset));
        E::custom(format_args!("malformed JSON at offset {offset}"))
    }

    #[cold]
    fn too_deep(&mut self) -> E {
        self.failed.get_or_insert(Failed::Deep);
        E::custom(format_args!(
            "JSON nesting deeper than {} levels",
            self.max_depth
        ))
    }

    #[cold]
    fn fail(&mut self, fail: Fail) -> E {
        match fail {
            Fail::Json(offset) => self.syntax(offset),
            Fail::Deep => self.too_deep(),
            // Skipping reports no placeholders, so no sink can fail.
            Fail::Sink => E::custom("placeholder check failed while skipping"),
        }
    }

    fn end(&mut self) -> Result<(), E> {
        self.skip_ws();
        if self.pos == self.json.len() {
            Ok(())
        } else {
            Err(self.syntax(self.pos))
        }
    }

    /// `json[start..end]`, both ends next to ASCII delimiters.
    #[inline]
    fn slice(&mut self, start: usize, end: usize) -> Result<&'de str, E> {
        let json = self.json;
        json.get(start..end).ok_or_else(|| self.syntax(start))
    }

    fn scratch_str(&self) -> &str {
        // SAFETY: the scratch holds runs of the input `&str` cut next to ASCII
        // bytes (quote, backslash), hence on char boundaries, and whole
        // characters encoded by `char::encode_utf8`: valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.scratch) }
    }

    /// Enters the array or object at `pos`, the depth checked before anything
    /// is read. An object of a binary payload may be a placeholder: then it is
    /// skipped whole and its attachment returned.
    #[inline]
    fn enter(&mut self, object: bool) -> Result<Option<&'a Bytes>, E> {
        if self.depth >= self.max_depth {
            return Err(self.too_deep());
        }
        if object && let Some(b) = self.binary.as_mut() {
            let slot = b.slots.get(b.next).copied();
            if let Some(slot) = slot.filter(|s| s.object == b.objects) {
                let data = b.attachments.get(slot.index);
                self.skip()?;
                return match data {
                    Some(data) => Ok(Some(data)),
                    // `locate` checked every index: not reached.
                    None => Err(E::custom("placeholder without its attachment")),
                };
            }
            b.objects += 1;
        }
        self.depth += 1;
        self.pos += 1;
        Ok(None)
    }

    /// Skips the next value, validating it (see `json::scan::skip`).
    fn skip(&mut self) -> Result<(), E> {
        match scan::skip(self.bytes(), self.pos, self.depth, self.max_depth) {
            Ok((end, objects)) => {
                self.pos = end;
                if let Some(b) = self.binary.as_mut() {
                    b.objects += objects;
                    while b.slots.get(b.next).is_some_and(|s| s.object < b.objects) {
                        b.next += 1;
                    }
                }
                Ok(())
            }
            Err(fail) => Err(self.fail(fail)),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), E> {
        if self.bytes().get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax(self.pos))
        }
    }

    /// Reads the string whose opening quote is at `pos`.
    #[inline]
    fn string(&mut self) -> Result<Text<'de>, E> {
        let bytes = self.bytes();
        let start = self.pos + 1;
        let mut i = start;
        let mut copying = false;
        loop {
            let Some(at) = find_escape_wide(bytes, i) else {
                return Err(self.syntax(bytes.len()));
            };
            match bytes[at] {
                b'"' => {
                    self.pos = at + 1;
                    if !copying {
                        // SAFETY: `start` follows and `at` is an ASCII quote of
                        // the `&str` input: both are char boundaries.
                        let text = unsafe { std::str::from_utf8_unchecked(&bytes[start..at]) };
                        return Ok(Text::Borrowed(text));
                    }
                    self.scratch.extend_from_slice(&bytes[i..at]);
                    return Ok(Text::Copied);
                }
                b'\\' => {
                    if !copying {
                        copying = true;
                        self.scratch.clear();
                    }
                    self.scratch.extend_from_slice(&bytes[i..at]);
                    let scratch = &mut self.scratch;
                    let unescaped = scan::escape(bytes, at, &mut |c| {
                        if c.is_ascii() {
                            scratch.push(c as u8);
                        } else {
                            scratch.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                    });
                    match unescaped {
                        Ok(next) => i = next,
                        Err(offset) => return Err(self.syntax(offset)),
                    }
                }
                // A raw control character is not allowed in a JSON string.
                _ => return Err(self.syntax(at)),
            }
        }
    }

    fn read_string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, E> {
        match self.string()? {
            Text::Borrowed(s) => visitor.visit_borrowed_str(s),
            Text::Copied => visitor.visit_str(self.scratch_str()),
        }
    }

    /// Reads the number at `pos` as serde_json does. `single`: asked for an
    /// `f32`, which serde_json parses (and range-checks) in single precision.
    fn number<V: Visitor<'de>>(&mut self, visitor: V, single: bool) -> Result<V::Value, E> {
        let bytes = self.bytes();
        let start = self.pos;
        let n = scan::number(bytes, start).map_err(|offset| self.syntax(offset))?;
        self.pos = n.end;
        if n.integer {
            let mut significand: u64 = 0;
            let mut fits = true;
            for &d in &bytes[n.digits.0..n.digits.1] {
                match significand
                    .checked_mul(10)
                    .and_then(|s| s.checked_add(u64::from(d - b'0')))
                {
                    Some(s) => significand = s,
                    None => {
                        fits = false;
                        break;
                    }
                }
            }
            if fits {
                if !n.negative {
                    return visitor.visit_u64(significand);
                }
                // As serde_json: `-0` and magnitudes beyond i64 become floats.
                let negated = (significand as i64).wrapping_neg();
                return if negated >= 0 {
                    visitor.visit_f64(-(significand as f64))
                } else {
                    visitor.visit_i64(negated)
                };
            }
        }
        let token = &bytes[start..n.end];
        if single {
            let f = std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<f32>().ok())
                .filter(|f| f.is_finite())
                .ok_or_else(|| E::custom("number out of range for f32"))?;
            return visitor.visit_f64(f64::from(f));
        }
        // Finite: `scan::number` refuses the others.
        visitor.visit_f64(scan::parse_f64(token))
    }

    /// A 128-bit integer, read exactly (serde_json does the same when asked).
    fn int128<V: Visitor<'de>>(&mut self, visitor: V, signed: bool) -> Result<V::Value, E> {
        let start = self.pos;
        let n = scan::number(self.bytes(), start).map_err(|offset| self.syntax(offset))?;
        self.pos = n.end;
        let text = &self.json[start..n.end];
        if !n.integer {
            return Err(E::invalid_type(
                Unexpected::Float(scan::parse_f64(text.as_bytes())),
                &visitor,
            ));
        }
        if signed {
            match text.parse::<i128>() {
                Ok(i) => visitor.visit_i128(i),
                Err(_) => Err(E::custom("number out of range for i128")),
            }
        } else {
            match text.parse::<u128>() {
                Ok(u) if !n.negative => visitor.visit_u128(u),
                _ => Err(E::custom("number out of range for u128")),
            }
        }
    }

    fn any<V: Visitor<'de>>(&mut self, visitor: V, hint: Hint) -> Result<V::Value, E> {
        match self.next_value()? {
            b'"' => self.read_string(visitor),
            b'{' => match self.enter(true)? {
                Some(data) => replay(data, hint, visitor),
                None => self.map(visitor),
            },
            b'[' => {
                self.enter(false)?;
                self.seq(visitor)
            }
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => self.number(visitor, false),
            _ => Err(self.syntax(self.pos)),
        }
    }

    /// Reads the next value if its first byte is one `accepts` (or it is an
    /// object of a binary payload, which may be a placeholder); a type error
    /// otherwise, as serde_json answers a request for another type.
    #[inline]
    fn expect<V: Visitor<'de>>(
        &mut self,
        visitor: V,
        hint: Hint,
        accepts: fn(u8) -> bool,
    ) -> Result<V::Value, E> {
        let b = self.next_value()?;
        if accepts(b) || (b == b'{' && self.binary.is_some()) {
            self.any(visitor, hint)
        } else {
            Err(self.invalid_type(&visitor))
        }
    }

    /// The type error for the value at `pos`, naming what it is.
    #[cold]
    fn invalid_type<V: Visitor<'de>>(&mut self, visitor: &V) -> E {
        let unexpected = match self.peek() {
            Some(b'"') => {
                return match self.string() {
                    Ok(Text::Borrowed(s)) => E::invalid_type(Unexpected::Str(s), visitor),
                    Ok(Text::Copied) => {
                        E::invalid_type(Unexpected::Str(self.scratch_str()), visitor)
                    }
                    Err(e) => e,
                };
            }
            Some(b'[') => Unexpected::Seq,
            Some(b'{') => Unexpected::Map,
            Some(b't') => Unexpected::Bool(true),
            Some(b'f') => Unexpected::Bool(false),
            Some(b'n') => Unexpected::Unit,
            Some(b'-' | b'0'..=b'9') => match self.number(Describe, false) {
                Ok(unexpected) => unexpected,
                Err(e) => return e,
            },
            _ => return self.syntax(self.pos),
        };
        E::invalid_type(unexpected, visitor)
    }

    /// After the `[`.
    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, E> {
        let value = visitor.visit_seq(Seq {
            r: self,
            first: true,
        })?;
        self.close(
            b']',
            "invalid length: the array holds more elements than the type reads",
        )?;
        Ok(value)
    }

    /// Leaves an array or object: the access saw `close` when it said "no more";
    /// anything else means the type stopped reading early.
    fn close(&mut self, close: u8, too_long: &'static str) -> Result<(), E> {
        self.skip_ws();
        if self.peek() != Some(close) {
            return Err(E::custom(too_long));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(())
    }

    /// After the `{`.
    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, E> {
        let value = visitor.visit_map(Map {
            r: self,
            first: true,
        })?;
        self.close(
            b'}',
            "invalid length: the object holds more members than the type reads",
        )?;
        Ok(value)
    }

    /// `"Unit"` or `{"Variant": value}`.
    fn enumeration<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, E> {
        let unexpected = match self.next_value()? {
            b'"' => {
                return match self.string()? {
                    Text::Borrowed(s) => {
                        visitor.visit_enum(de::value::BorrowedStrDeserializer::<E>::new(s))
                    }
                    Text::Copied => {
                        visitor.visit_enum(de::value::StrDeserializer::<E>::new(self.scratch_str()))
                    }
                };
            }
            b'{' => {
                if let Some(data) = self.enter(true)? {
                    return Err(E::invalid_type(Unexpected::Bytes(data), &visitor));
                }
                let value = visitor.visit_enum(Variant { r: self })?;
                self.skip_ws();
                if self.peek() != Some(b'}') {
                    return Err(E::custom("an enum object must have exactly one member"));
                }
                self.pos += 1;
                self.depth -= 1;
                return Ok(value);
            }
            b'[' => Unexpected::Seq,
            b't' | b'f' => Unexpected::Other("boolean"),
            b'n' => Unexpected::Unit,
            _ => Unexpected::Other("number"),
        };
        // Valid JSON of another type is a type error; invalid JSON a syntax one.
        self.skip()?;
        Err(E::invalid_type(unexpected, &visitor))
    }

    /// serde_json's `RawValue`: the value's text, checked but not parsed into.
    fn raw<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, E> {
        if self.binary.is_some() {
            return Err(E::custom(
                "raw JSON values cannot be read from a binary packet",
            ));
        }
        self.skip_ws();
        let start = self.pos;
        self.skip()?;
        let raw = self.slice(start, self.pos)?;
        visitor.visit_map(RawMap {
            raw,
            key_read: false,
        })
    }
}

/// Methods serde_json answers only for some kinds of value.
macro_rules! strict {
    ($($method:ident => $accepts:expr,)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
                self.expect(visitor, Hint::Any, $accepts)
            }
        )*
    };
}

/// Requests are answered as serde_json answers them: a value of the kind asked
/// for, a type error for another kind, except that in a binary payload an object
/// may be a placeholder standing for bytes.
impl<'de> Deserializer<'de> for &mut Reader<'de, '_> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.any(visitor, Hint::Any)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.expect(visitor, Hint::Seq, |b| b == b'[')
    }

    /// A string's (unescaped) bytes, as serde_json offers them, or an array.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        if self.next_value()? != b'"' {
            return self.expect(visitor, Hint::Any, |b| b == b'[');
        }
        match self.string()? {
            Text::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Text::Copied => visitor.visit_bytes(&self.scratch),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.next_value()? {
            b'-' | b'0'..=b'9' => self.number(visitor, true),
            _ => self.expect(visitor, Hint::Any, |_| false),
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.next_value()? {
            b'-' | b'0'..=b'9' => self.int128(visitor, true),
            _ => self.expect(visitor, Hint::Any, |_| false),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.next_value()? {
            b'-' | b'0'..=b'9' => self.int128(visitor, false),
            _ => self.expect(visitor, Hint::Any, |_| false),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        if self.next_value()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        if name == RAW_VALUE_TOKEN {
            return self.raw(visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        self.enumeration(visitor)
    }

    /// Skipped, but validated: see the module header.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.skip()?;
        visitor.visit_unit()
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.expect(visitor, Hint::Any, |b| b == b'{')
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        self.expect(visitor, Hint::Any, |b| matches!(b, b'{' | b'['))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, E> {
        self.expect(visitor, Hint::Any, |b| b == b'[')
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, E> {
        self.expect(visitor, Hint::Any, |b| b == b'[')
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        self.expect(visitor, Hint::Any, |b| b == b'n')
    }

    strict! {
        deserialize_bool => |b| matches!(b, b't' | b'f'),
        deserialize_i8 => is_number,
        deserialize_i16 => is_number,
        deserialize_i32 => is_number,
        deserialize_i64 => is_number,
        deserialize_u8 => is_number,
        deserialize_u16 => is_number,
        deserialize_u32 => is_number,
        deserialize_u64 => is_number,
        deserialize_f64 => is_number,
        deserialize_char => is_string,
        deserialize_str => is_string,
        deserialize_string => is_string,
        deserialize_identifier => is_string,
        deserialize_unit => |b| b == b'n',
    }
}

fn is_number(b: u8) -> bool {
    matches!(b, b'-' | b'0'..=b'9')
}

fn is_string(b: u8) -> bool {
    b == b'"'
}

struct Seq<'r, 'de, 'a> {
    r: &'r mut Reader<'de, 'a>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Seq<'_, 'de, '_> {
    type Error = E;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        let r = &mut *self.r;
        r.skip_ws();
        match r.peek() {
            Some(b']') => return Ok(None),
            Some(b',') if !self.first => r.pos += 1,
            Some(_) if self.first => {}
            _ => return Err(r.syntax(r.pos)),
        }
        self.first = false;
        seed.deserialize(&mut *r).map(Some)
    }
}

struct Map<'r, 'de, 'a> {
    r: &'r mut Reader<'de, 'a>,
    first: bool,
}

impl<'de> MapAccess<'de> for Map<'_, 'de, '_> {
    type Error = E;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        let r = &mut *self.r;
        r.skip_ws();
        match r.peek() {
            Some(b'}') => return Ok(None),
            Some(b',') if !self.first => {
                r.pos += 1;
                r.skip_ws();
            }
            Some(_) if self.first => {}
            _ => return Err(r.syntax(r.pos)),
        }
        self.first = false;
        if r.peek() != Some(b'"') {
            return Err(r.syntax(r.pos));
        }
        seed.deserialize(Key { r }).map(Some)
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, E> {
        let r = &mut *self.r;
        r.skip_ws();
        if r.peek() != Some(b':') {
            return Err(r.syntax(r.pos));
        }
        r.pos += 1;
        seed.deserialize(&mut *r)
    }
}

/// An object key (its opening quote at `pos`), read as serde_json reads keys:
/// a string, or a number written inside the quotes for integer-keyed maps.
struct Key<'r, 'de, 'a> {
    r: &'r mut Reader<'de, 'a>,
}

impl<'de> Key<'_, 'de, '_> {
    /// A numeric key: the whole key text must be one JSON number.
    fn number<V: Visitor<'de>>(self, visitor: V, kind: Numeric) -> Result<V::Value, E> {
        let text = match self.r.string()? {
            Text::Borrowed(s) => s,
            Text::Copied => return Err(E::custom("expected a number in the key")),
        };
        let mut key = Reader {
            json: text,
            pos: 0,
            depth: 0,
            max_depth: 0,
            scratch: Vec::new(),
            failed: None,
            binary: None,
        };
        if !matches!(key.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(E::custom("expected a number in the key"));
        }
        let value = match kind {
            Numeric::Any => key.number(visitor, false),
            Numeric::F32 => key.number(visitor, true),
            Numeric::I128 => key.int128(visitor, true),
            Numeric::U128 => key.int128(visitor, false),
        };
        match (value, key.pos == text.len() && key.failed.is_none()) {
            (Ok(value), true) => Ok(value),
            (Err(e), _) if key.failed.is_none() => Err(e),
            _ => Err(E::custom("expected a number in the key")),
        }
    }
}

#[derive(Clone, Copy)]
enum Numeric {
    Any,
    F32,
    I128,
    U128,
}

macro_rules! numeric_keys {
    ($($method:ident => $kind:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
                self.number(visitor, Numeric::$kind)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for Key<'_, 'de, '_> {
    type Error = E;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.r.read_string(visitor)
    }

    numeric_keys! {
        deserialize_i8 => Any,
        deserialize_i16 => Any,
        deserialize_i32 => Any,
        deserialize_i64 => Any,
        deserialize_u8 => Any,
        deserialize_u16 => Any,
        deserialize_u32 => Any,
        deserialize_u64 => Any,
        deserialize_f64 => Any,
        deserialize_f32 => F32,
        deserialize_i128 => I128,
        deserialize_u128 => U128,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.r.string()? {
            Text::Borrowed("true") => visitor.visit_bool(true),
            Text::Borrowed("false") => visitor.visit_bool(false),
            Text::Borrowed(s) => Err(E::invalid_type(Unexpected::Str(s), &visitor)),
            Text::Copied => Err(E::invalid_type(
                Unexpected::Str(self.r.scratch_str()),
                &visitor,
            )),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.r.string()? {
            Text::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Text::Copied => visitor.visit_bytes(&self.r.scratch),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        // A key is never null.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        self.r.enumeration(visitor)
    }

    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// The member of `{"Variant": value}`.
struct Variant<'r, 'de, 'a> {
    r: &'r mut Reader<'de, 'a>,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de, '_> {
    type Error = E;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), E> {
        let r = &mut *self.r;
        r.skip_ws();
        match r.peek() {
            Some(b'"') => {}
            Some(b'}') => return Err(E::invalid_type(Unexpected::Map, &"an enum")),
            _ => return Err(r.syntax(r.pos)),
        }
        let variant = seed.deserialize(Key { r: &mut *r })?;
        r.skip_ws();
        if r.peek() != Some(b':') {
            return Err(r.syntax(r.pos));
        }
        r.pos += 1;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de, '_> {
    type Error = E;

    fn unit_variant(self) -> Result<(), E> {
        de::Deserialize::deserialize(&mut *self.r)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, E> {
        seed.deserialize(&mut *self.r)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, E> {
        self.r.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        self.r.deserialize_struct("", fields, visitor)
    }
}

/// Names a number for a type error.
struct Describe;

impl<'de> Visitor<'de> for Describe {
    type Value = Unexpected<'static>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number")
    }
    fn visit_u64<Er>(self, v: u64) -> Result<Self::Value, Er> {
        Ok(Unexpected::Unsigned(v))
    }
    fn visit_i64<Er>(self, v: i64) -> Result<Self::Value, Er> {
        Ok(Unexpected::Signed(v))
    }
    fn visit_f64<Er>(self, v: f64) -> Result<Self::Value, Er> {
        Ok(Unexpected::Float(v))
    }
}

/// What serde_json hands a `RawValue` visitor: one member, its marker key and
/// the raw text.
struct RawMap<'de> {
    raw: &'de str,
    key_read: bool,
}

impl<'de> MapAccess<'de> for RawMap<'de> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        if std::mem::replace(&mut self.key_read, true) {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::new(RAW_VALUE_TOKEN))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, E> {
        seed.deserialize(de::value::BorrowedStrDeserializer::new(self.raw))
    }
}

#[cfg(test)]
#[path = "de_tests.rs"]
mod tests;
