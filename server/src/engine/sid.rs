//! Session ids: 15 random bytes from the operating system, URL-safe base64 (20
//! characters), like the reference server's `base64id`. The id is the only secret a
//! polling client holds, so it comes from the OS generator, never a predictable one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A new random session id, or `Err` if the OS has no randomness to give.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut raw = [0u8; 15];
    getrandom::fill(&mut raw)?;
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_20_url_safe_chars_and_distinct() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), 20);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }
}
