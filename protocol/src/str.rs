//! `Str`: a cheaply clonable UTF-8 string backed by [`bytes::Bytes`].
//!
//! Every text field the decoders hand out (engine message text, socket.io namespace,
//! raw JSON data) is a `Str` slice of the buffer the transport received: UTF-8 is
//! validated once, when the buffer enters the codec, and slicing never copies.

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Deref, RangeBounds};

use bytes::Bytes;

/// An immutable UTF-8 string that shares its storage with the [`Bytes`] it came from.
///
/// Cloning and slicing are O(1) and never copy the text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Bytes);

/// The error returned by [`Str::from_utf8`] when the bytes are not valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte offset {valid_up_to}")]
pub struct Utf8Error {
    /// Length of the longest valid UTF-8 prefix.
    pub valid_up_to: usize,
}

impl Str {
    /// The empty string.
    pub const fn new() -> Self {
        Str(Bytes::new())
    }

    /// A `Str` over a static string: no allocation, no reference counting.
    pub const fn from_static(s: &'static str) -> Self {
        Str(Bytes::from_static(s.as_bytes()))
    }

    /// Validates `bytes` as UTF-8 (once) and wraps them without copying.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Utf8Error> {
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(Str(bytes)),
            Err(e) => Err(Utf8Error {
                valid_up_to: e.valid_up_to(),
            }),
        }
    }

    /// Wraps `bytes` without checking them.
    ///
    /// Useful when the transport already validated the text (a WebSocket text frame
    /// is guaranteed UTF-8 by the WebSocket layer).
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    pub const unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        Str(bytes)
    }

    /// The text as `&str`.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: the only constructors validate UTF-8 or are `unsafe` with that
        // contract, and slicing checks char boundaries.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The UTF-8 bytes of the text.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying buffer (O(1), shares storage).
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// A borrowed view of the underlying buffer.
    #[inline]
    pub fn as_bytes_ref(&self) -> &Bytes {
        &self.0
    }

    /// A sub-string sharing this one's storage.
    ///
    /// # Panics
    /// Like `&s[range]`: if the range is out of bounds or does not fall on char
    /// boundaries. The codec itself only slices at ASCII separators it found.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Str {
        let (start, end) = bounds(range, self.0.len());
        assert!(
            self.as_str().is_char_boundary(start) && self.as_str().is_char_boundary(end),
            "Str::slice: range {start}..{end} is not on a char boundary"
        );
        Str(self.0.slice(start..end))
    }

    /// Drops the first `n` bytes in place (no reference-count traffic).
    ///
    /// Crate-internal: `n` must be a char boundary (callers pass positions just past
    /// ASCII bytes they matched).
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        debug_assert!(self.as_str().is_char_boundary(n));
        bytes::Buf::advance(&mut self.0, n);
    }

    /// Splits off and returns the first `at` bytes, keeping the rest: one
    /// reference-count increment, where clone-then-slice costs three.
    ///
    /// Crate-internal: `at` must be a char boundary (an ASCII separator position).
    #[inline]
    pub(crate) fn split_to(&mut self, at: usize) -> Str {
        debug_assert!(self.as_str().is_char_boundary(at));
        Str(self.0.split_to(at))
    }

    /// Sub-string at ASCII-separator positions found by the codec.
    #[inline]
    pub(crate) fn slice_ascii(&self, start: usize, end: usize) -> Str {
        debug_assert!(self.as_str().is_char_boundary(start));
        debug_assert!(self.as_str().is_char_boundary(end));
        Str(self.0.slice(start..end))
    }
}

fn bounds(range: impl RangeBounds<usize>, len: usize) -> (usize, usize) {
    use std::ops::Bound;
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    assert!(
        start <= end && end <= len,
        "Str::slice: range {start}..{end} out of bounds for length {len}"
    );
    (start, end)
}

impl Deref for Str {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Str {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str(Bytes::from(s))
    }
}

impl From<&'static str> for Str {
    fn from(s: &'static str) -> Self {
        Str::from_static(s)
    }
}

impl From<Str> for Bytes {
    fn from(s: Str) -> Bytes {
        s.0
    }
}

impl From<Str> for String {
    fn from(s: Str) -> String {
        s.as_str().to_owned()
    }
}

impl TryFrom<Bytes> for Str {
    type Error = Utf8Error;
    fn try_from(b: Bytes) -> Result<Self, Utf8Error> {
        Str::from_utf8(b)
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Str::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_utf8_rejects_invalid_bytes_with_offset() {
        let err = Str::from_utf8(Bytes::from_static(b"ab\xffcd")).unwrap_err();
        assert_eq!(err.valid_up_to, 2);
    }

    #[test]
    fn slice_shares_storage() {
        let s = Str::from(String::from("hello world"));
        let w = s.slice(6..);
        assert_eq!(w, "world");
        assert_eq!(w.as_ptr(), s[6..].as_ptr());
    }

    #[test]
    #[should_panic(expected = "char boundary")]
    fn slice_inside_a_char_panics_like_str() {
        let s = Str::from("é");
        let _ = s.slice(1..);
    }

    #[test]
    fn advance_drops_prefix() {
        let mut s = Str::from("42[\"a\"]");
        s.advance(2);
        assert_eq!(s, "[\"a\"]");
    }
}
