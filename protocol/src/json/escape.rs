//! JSON string escaping, byte-exact with `JSON.stringify` and serde_json:
//! `"` and `\` are backslash-escaped, `\b \f \n \r \t` use their short forms, other
//! bytes below 0x20 become `\u00XX`, everything else (including all non-ASCII) is
//! copied as is.
//!
//! Chat text is long and almost never needs escaping, so the scan looks at eight
//! bytes at a time (two words per step) and bulk-copies clean runs; this is what
//! makes encoding a 10,000-character message cheap.

use bytes::{BufMut, BytesMut};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Non-zero in the high bit of every byte of `w` that must be escaped. The lowest
/// flagged byte is always exact (borrows only spill into higher bytes), which is all
/// the scanner relies on.
#[inline(always)]
fn needs_escape_mask(w: u64) -> u64 {
    let quote = w ^ (LO * u64::from(b'"'));
    let backslash = w ^ (LO * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(LO) & !quote;
    let zero_backslash = backslash.wrapping_sub(LO) & !backslash;
    let control = w.wrapping_sub(LO * 0x20) & !w;
    (zero_quote | zero_backslash | control) & HI
}

/// Bytes that need escaping, for short strings scanned one byte at a time.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

#[inline(always)]
fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Index of the first byte at or after `i` that needs escaping.
#[inline]
pub(crate) fn find_escape(bytes: &[u8], mut i: usize) -> Option<usize> {
    let len = bytes.len();
    let rem = len - i.min(len);
    if rem < 8 {
        if rem >= 4 {
            // Short strings (keys, event names): two overlapping 4-byte reads
            // cover them in one word. The low half's lowest flag is exact; if it
            // has none, the high half starts on clean bytes, so its lowest flag is.
            let lo = u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
            let hi = u32::from_le_bytes(bytes[len - 4..].try_into().expect("4 bytes"));
            let m = needs_escape_mask(u64::from(lo) | u64::from(hi) << 32);
            if m == 0 {
                return None;
            }
            let k = (m.trailing_zeros() / 8) as usize;
            return Some(if k < 4 { i + k } else { len - 4 + (k - 4) });
        }
        return bytes[i.min(len)..]
            .iter()
            .position(|&b| NEEDS_ESCAPE[b as usize])
            .map(|p| i + p);
    }
    while i + 16 <= len {
        let ma = needs_escape_mask(word(bytes, i));
        let mb = needs_escape_mask(word(bytes, i + 8));
        if (ma | mb) != 0 {
            return Some(if ma != 0 {
                i + (ma.trailing_zeros() / 8) as usize
            } else {
                i + 8 + (mb.trailing_zeros() / 8) as usize
            });
        }
        i += 16;
    }
    if i + 8 <= len {
        let ma = needs_escape_mask(word(bytes, i));
        if ma != 0 {
            return Some(i + (ma.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i < len {
        // Overlapping read of the last word: the bytes before `i` in it are known
        // clean, so the lowest flagged byte is a real one at or after `i`.
        let last = len - 8;
        let m = needs_escape_mask(word(bytes, last));
        if m != 0 {
            return Some(last + (m.trailing_zeros() / 8) as usize);
        }
    }
    None
}

/// [`find_escape`] for the decoders, which meet many short strings (keys) and
/// long text between escapes: sixteen bytes per step with SSE2 (part of every
/// x86_64 CPU), the last step an overlapping read of the input's last sixteen
/// bytes. Elsewhere it is [`find_escape`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn find_escape_wide(bytes: &[u8], mut i: usize) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let len = bytes.len();
    if len < 16 {
        return find_escape(bytes, i);
    }
    // Bit k set: byte k of the 16 at `at` is `"`, `\` or below 0x20.
    let mask = |at: usize| -> u32 {
        debug_assert!(at + 16 <= len);
        // SAFETY: SSE2 is enabled on every x86_64 target; the unaligned load
        // reads bytes[at..at + 16], inside the slice (callers keep at + 16 <= len).
        unsafe {
            let v = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
        }
    };
    while i + 16 <= len {
        let m = mask(i);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i >= len {
        return None;
    }
    // Fewer than 16 bytes left: read the last 16 and drop the bits before `i`.
    let base = len - 16;
    let m = mask(base) >> (i - base);
    (m != 0).then(|| i + m.trailing_zeros() as usize)
}

/// Portable fallback.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn find_escape_wide(bytes: &[u8], i: usize) -> Option<usize> {
    find_escape(bytes, i)
}

#[inline]
fn write_escape(out: &mut BytesMut, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.put_slice(b"\\\""),
        b'\\' => out.put_slice(b"\\\\"),
        b'\n' => out.put_slice(b"\\n"),
        b'\r' => out.put_slice(b"\\r"),
        b'\t' => out.put_slice(b"\\t"),
        0x08 => out.put_slice(b"\\b"),
        0x0c => out.put_slice(b"\\f"),
        _ => out.put_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 0xf) as usize],
        ]),
    }
}

/// Appends `s` as a quoted JSON string.
#[inline]
pub(crate) fn write_str(out: &mut BytesMut, s: &str) {
    let bytes = s.as_bytes();
    match find_escape(bytes, 0) {
        // The common case: one reservation, one copy between the quotes.
        None => put_quoted(out, bytes),
        Some(first) => {
            out.reserve(bytes.len() + 2);
            out.put_u8(b'"');
            out.put_slice(&bytes[..first]);
            write_escape(out, bytes[first]);
            write_str_contents(out, &bytes[first + 1..]);
            out.put_u8(b'"');
        }
    }
}

/// Appends `"` + `bytes` + `"` with a single capacity check.
#[inline]
fn put_quoted(out: &mut BytesMut, bytes: &[u8]) {
    let n = bytes.len();
    out.reserve(n + 2);
    let spare = &mut out.spare_capacity_mut()[..n + 2];
    spare[0].write(b'"');
    for (dst, &src) in spare[1..=n].iter_mut().zip(bytes) {
        dst.write(src);
    }
    spare[n + 1].write(b'"');
    // SAFETY: the `n + 2` bytes after `len` were reserved and initialised above.
    unsafe { out.set_len(out.len() + n + 2) };
}

/// Appends the escaped contents of a JSON string (no quotes).
#[inline]
pub(crate) fn write_str_contents(out: &mut BytesMut, bytes: &[u8]) {
    let mut start = 0;
    while let Some(at) = find_escape(bytes, start) {
        out.put_slice(&bytes[start..at]);
        write_escape(out, bytes[at]);
        start = at + 1;
    }
    out.put_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn esc(s: &str) -> String {
        let mut out = BytesMut::new();
        write_str(&mut out, s);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn escapes_like_json_stringify() {
        assert_eq!(
            esc("a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{1}i\u{1f}"),
            "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001f\""
        );
        assert_eq!(esc("é€😀\u{7f}\u{2028}"), "\"é€😀\u{7f}\u{2028}\"");
        assert_eq!(esc(""), "\"\"");
    }

    #[test]
    fn finds_escapes_at_every_position_of_a_long_run() {
        for len in 0..40 {
            for at in 0..len {
                for special in [b'"', b'\\', 0u8, 0x1f] {
                    let mut v = vec![b'x'; len];
                    v[at] = special;
                    assert_eq!(
                        find_escape(&v, 0),
                        Some(at),
                        "len {len} at {at} byte {special}"
                    );
                }
            }
            assert_eq!(find_escape(&vec![0x80u8; len], 0), None);
        }
    }

    #[test]
    fn wide_scan_finds_the_first_escape_from_any_start() {
        for len in 0..70 {
            for start in 0..=len {
                for at in 0..len {
                    for special in [b'"', b'\\', 0u8, 0x1f] {
                        let mut v = vec![0xe9u8; len];
                        v[at] = special;
                        // A second one later must not be found first.
                        if at + 3 < len {
                            v[at + 3] = b'"';
                        }
                        let expected = if at >= start {
                            Some(at)
                        } else {
                            (at + 3 < len && at + 3 >= start).then_some(at + 3)
                        };
                        assert_eq!(
                            find_escape_wide(&v, start),
                            expected,
                            "len {len} start {start} at {at} byte {special}"
                        );
                        assert_eq!(find_escape(&v, start), expected);
                    }
                }
                assert_eq!(find_escape_wide(&vec![0x20u8; len], start), None);
            }
        }
    }

    proptest! {
        #[test]
        fn matches_serde_json(s in any::<String>()) {
            prop_assert_eq!(esc(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn matches_serde_json_for_mostly_ascii(s in "[ -~\u{0}-\u{1f}é]{0,200}") {
            prop_assert_eq!(esc(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
