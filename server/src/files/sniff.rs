//! The MIME type of an upload, from its leading bytes only (issue 5 item 1): never from
//! the file name or the client's `Content-Type`, which a client can forge.

/// How many leading bytes are kept for detection.
pub const SNIFF_BYTES: usize = 8192;

/// The image types an image message may carry (spec: jpg, png, gif, webp).
pub const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The type of a file whose first bytes are `head` (at most [`SNIFF_BYTES`]; `complete`
/// says whether `head` is the whole file). Known signatures first; otherwise text when the
/// bytes are UTF-8 without NUL, else `application/octet-stream`.
pub fn detect_mime(head: &[u8], complete: bool) -> &'static str {
    if head.is_empty() {
        return "application/octet-stream";
    }
    if let Some(kind) = infer::get(head) {
        return kind.mime_type();
    }
    if looks_like_text(head, complete) {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// Whether `mime` is one of the image types of image messages.
pub fn is_image_type(mime: &str) -> bool {
    IMAGE_TYPES.contains(&mime)
}

fn looks_like_text(head: &[u8], complete: bool) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut by the end of the sniffed prefix is still text.
        Err(e) => !complete && e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn signatures_win_over_everything() {
        assert_eq!(detect_mime(PNG, true), "image/png");
        assert_eq!(
            detect_mime(b"\xff\xd8\xff\xe0\0\x10JFIF", true),
            "image/jpeg"
        );
        assert_eq!(detect_mime(b"GIF89a\x01\0\x01\0", true), "image/gif");
        assert_eq!(detect_mime(b"RIFF\x24\0\0\0WEBPVP8 ", true), "image/webp");
        assert_eq!(detect_mime(b"%PDF-1.7\n", true), "application/pdf");
    }

    #[test]
    fn text_and_binary() {
        assert_eq!(detect_mime(b"hello, world\n", true), "text/plain");
        assert_eq!(detect_mime("héllo".as_bytes(), true), "text/plain");
        // "é" cut in half at the end of a partial head is still text...
        assert_eq!(detect_mime(b"abc\xc3", false), "text/plain");
        // ...but not at the end of the whole file.
        assert_eq!(detect_mime(b"abc\xc3", true), "application/octet-stream");
        assert_eq!(detect_mime(b"a\0b", true), "application/octet-stream");
        assert_eq!(detect_mime(b"", true), "application/octet-stream");
    }

    #[test]
    fn image_types() {
        assert!(is_image_type("image/webp"));
        assert!(!is_image_type("image/svg+xml"));
        assert!(!is_image_type("text/plain"));
    }
}
