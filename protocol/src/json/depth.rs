//! Nesting-depth check for untrusted JSON, run before any recursive parser sees it.
//!
//! A linear scan: strings are skipped with `memchr` (escapes honoured), brackets are
//! counted. It is only a guard: on malformed JSON it may return `Ok` and leave the
//! error to the parser, but on any input it never lets a parser recurse deeper than
//! `max` levels plus the parser's own hard limit.

use crate::Error;

/// Fails with [`Error::NestingTooDeep`] if `json` nests arrays/objects deeper than `max`.
pub(crate) fn check_depth(json: &[u8], max: usize) -> Result<(), Error> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(Error::NestingTooDeep { max });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                // Skip to the closing quote, stepping over escaped characters.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &json[i.min(json.len())..]) {
                        Some(at) if json[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => return Ok(()),
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_structural_brackets() {
        assert!(check_depth(br#"[[["[[[[[[[[[[", "\"[[[["]]]"#, 3).is_ok());
        assert!(matches!(
            check_depth(b"[[[[]]]]", 3),
            Err(Error::NestingTooDeep { max: 3 })
        ));
        assert!(check_depth(b"[[[]]]", 3).is_ok());
        assert!(check_depth(br#"{"a":{"b":[1]}}"#, 3).is_ok());
        assert!(check_depth(br#"{"a":{"b":[{}]}}"#, 3).is_err());
    }

    #[test]
    fn tolerates_truncated_input() {
        assert!(check_depth(br#"["abc\"#, 3).is_ok());
        assert!(check_depth(br#"["abc\""#, 3).is_ok());
        assert!(check_depth(b"\"", 3).is_ok());
    }
}
