//! Zero-copy checks: a decoded text field must point into the buffer it was
//! decoded from (the protocol crate promises slices of the input `Bytes`).

/// Whether `part` lies inside `whole` in memory. An empty `part` is accepted
/// wherever it points: `Bytes` represents an empty slice by a static empty buffer.
pub fn is_within(whole: &[u8], part: &[u8]) -> bool {
    if part.is_empty() {
        return true;
    }
    let start = whole.as_ptr() as usize;
    let end = start + whole.len();
    let p = part.as_ptr() as usize;
    p >= start && p + part.len() <= end
}

/// Panics unless `part` is the bytes of `whole` at its own position, i.e. both a
/// slice of `whole` in memory and equal to what `whole` holds there.
pub fn assert_slice_of(whole: &[u8], part: &[u8], what: &str) {
    assert!(is_within(whole, part), "{what} is not a slice of the input");
    if !part.is_empty() {
        let at = part.as_ptr() as usize - whole.as_ptr() as usize;
        assert_eq!(&whole[at..at + part.len()], part, "{what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_slices_are_within_and_copies_are_not() {
        let whole = b"4hello".to_vec();
        assert!(is_within(&whole, &whole[1..]));
        assert!(is_within(&whole, &whole[6..]));
        let copy = whole[1..].to_vec();
        assert!(!is_within(&whole, &copy));
        assert!(is_within(&whole, b""));
    }
}
