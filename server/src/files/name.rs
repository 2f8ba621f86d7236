//! File names as stored and shown: the client's name reduced to a plain, safe base name
//! (issue 5 item 1: "file name sanitised"; issue 4 item 7: no markup reaches a client).

use crate::chat::sanitize::sanitize_text;

/// Longest name kept, in characters: the store's `files.file_name` column limit (the
/// storage crate does not re-export its constant).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// The name used when nothing usable is left.
pub const FALLBACK_NAME: &str = "file";

/// Keeps the last path component (either separator: clients send Windows paths too),
/// removes markup with the chat's sanitiser and every control character (newlines and
/// tabs included: a name is one line), trims, and caps the length.
pub fn sanitize_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let text = sanitize_text(base);
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let capped: String = trimmed.chars().take(MAX_FILE_NAME_CHARS).collect();
    if capped.is_empty() || capped == ".." {
        FALLBACK_NAME.to_owned()
    } else {
        capped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_reduced_to_the_base_name() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\x\\photo.png"), "photo.png");
        assert_eq!(sanitize_file_name("dir/"), FALLBACK_NAME);
    }

    #[test]
    fn control_characters_and_markup_are_removed() {
        assert_eq!(sanitize_file_name("a\u{0}b\r\nc\t.txt"), "abc.txt");
        assert_eq!(
            sanitize_file_name("<img src=x onerror=alert(1)>report.pdf"),
            "report.pdf"
        );
        // A closing tag's `/` is a path separator: what precedes it is dropped first.
        assert_eq!(sanitize_file_name("<b>x</b>.pdf"), "b>.pdf");
        assert_eq!(sanitize_file_name("1 < 2 & 3.txt"), "1 < 2 & 3.txt");
    }

    #[test]
    fn empty_hidden_and_long_names() {
        assert_eq!(sanitize_file_name(""), FALLBACK_NAME);
        assert_eq!(sanitize_file_name("  "), FALLBACK_NAME);
        assert_eq!(sanitize_file_name(".."), FALLBACK_NAME);
        assert_eq!(sanitize_file_name(".bashrc"), "bashrc");
        let long = "é".repeat(400);
        assert_eq!(
            sanitize_file_name(&long).chars().count(),
            MAX_FILE_NAME_CHARS
        );
    }
}
