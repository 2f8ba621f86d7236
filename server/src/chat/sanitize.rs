//! Sanitising of message text (spec: "Security Considerations" 2 and 5, "Sanitize user input
//! to prevent XSS"; issue 4 item 7).
//!
//! The goal: no HTML reaches another client as markup, while the text stays the plain text
//! the person typed. So:
//! - tags are removed (with the whole content of `script`, `style` and similar elements),
//!   comments are removed;
//! - everything else survives as typed: `1 < 2 & 3` stays `1 < 2 & 3`, `&lt;` stays the four
//!   characters `&lt;` (entities in the input are *not* decoded, so an encoded tag cannot
//!   turn into a real one), quotes and apostrophes are untouched;
//! - newlines and tabs are kept (`\r\n` and a lone `\r` become `\n`); every other control
//!   character (Unicode category Cc) is removed.
//!
//! The HTML work is done by `ammonia` (html5ever's parser): with an empty allow-list it keeps
//! only text. Its output is serialised HTML (`&` as `&amp;`, `<` as `&lt;`...), which we turn
//! back into the text it stands for. Because removing a tag can join two halves into a new tag
//! (`<<b>b>` leaves `<b>`), the cleaning repeats until nothing changes, and a last guard drops
//! any `<` that would still open a tag (`<` followed by a letter, `/`, `!` or `?`, which is when
//! an HTML tokenizer starts markup). The result, stored and broadcast as is, is safe to show
//! with `textContent` and harmless even under `innerHTML`.

use std::collections::HashSet;

/// How many parse passes at most before the final guard (each extra pass only happens when the
/// previous one removed a tag that had been split around another one).
const MAX_PASSES: usize = 4;

/// Elements whose content is removed along with the tag, not kept as text.
const CONTENT_TAGS: [&str; 8] = [
    "script", "style", "template", "iframe", "noscript", "noembed", "noframes", "object",
];

/// Cleans message text; see the module header for the rules.
pub fn sanitize_text(input: &str) -> String {
    let mut text = normalize_controls(input);
    for _ in 0..MAX_PASSES {
        if !has_markup_start(&text) {
            return text;
        }
        let cleaned = strip_html(&text);
        if cleaned == text {
            break;
        }
        text = cleaned;
    }
    drop_tag_openers(&text)
}

/// Newlines and tabs kept, `\r\n`/`\r` to `\n`, every other Cc control character removed.
fn normalize_controls(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Would an HTML tokenizer in the data state see anything but text here?
fn has_markup_start(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'<' && bytes.get(i + 1).is_some_and(|&n| opens_markup(n)))
}

fn opens_markup(next: u8) -> bool {
    next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?')
}

/// One ammonia pass: parse as an HTML fragment, keep only text, give back that text.
fn strip_html(text: &str) -> String {
    // Escape every `&` first so the parser decodes no character reference: the person's
    // `&lt;` must stay `&lt;`, not become a `<`.
    let escaped = text.replace('&', "&amp;");
    let html = ammonia::Builder::empty()
        .clean_content_tags(CONTENT_TAGS.iter().copied().collect::<HashSet<_>>())
        .clean(&escaped)
        .to_string();
    unescape_serialized_text(&html)
}

/// Turns html5ever's serialisation of a text node back into the text: the serializer escapes
/// exactly `&`, U+00A0, `<` and `>` in text, so exactly those four are decoded (left to right,
/// so `&amp;lt;` becomes `&lt;`).
fn unescape_serialized_text(html: &str) -> String {
    const ENTITIES: [(&str, char); 4] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&nbsp;", '\u{a0}'),
    ];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        match ENTITIES.iter().find(|(name, _)| rest.starts_with(name)) {
            Some((name, c)) => {
                out.push(*c);
                rest = &rest[name.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The last guard: removes each `<` that would still open markup.
fn drop_tag_openers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '<' && bytes.get(i + 1).is_some_and(|&n| opens_markup(n)) {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize_text;

    #[test]
    fn exact_outputs() {
        let cases: &[(&str, &str)] = &[
            // prose survives exactly as typed
            ("1 < 2 & 3", "1 < 2 & 3"),
            ("x > y", "x > y"),
            ("5<6", "5<6"),
            ("a < b > c", "a < b > c"),
            ("<<>>", "<<>>"),
            ("tom & jerry's \"quote\"", "tom & jerry's \"quote\""),
            ("&amp; literal", "&amp; literal"),
            ("&lt;b&gt;", "&lt;b&gt;"),
            ("&#60;script&#62;", "&#60;script&#62;"),
            ("a\u{a0}b", "a\u{a0}b"),
            ("  spaced  out  ", "  spaced  out  "),
            ("ünïcödé 🎉 日本語", "ünïcödé 🎉 日本語"),
            // tags removed, text kept
            ("<b>bold</b> text", "bold text"),
            ("<a href=\"x\">link</a>", "link"),
            ("a<b>c", "ac"),
            ("<p>one</p><p>two</p>", "onetwo"),
            ("<img src=x onerror=alert(1)>", ""),
            ("a <b c", "a "),
            // content of script/style removed with the tag
            ("<script>alert(1)</script>hi", "hi"),
            ("<style>p{}</style>after", "after"),
            // comments removed
            ("<!-- c -->d", "d"),
            // split tags that join after one pass
            ("<<b>b>x", "x"),
            ("<textarea><b>x</b></textarea>", "x"),
            // newlines and tabs kept, CR normalised, other controls removed
            ("a\nb\tc", "a\nb\tc"),
            ("a\r\nb\rc", "a\nb\nc"),
            ("a\u{0}b\u{7}c\u{1b}[31md\u{7f}e\u{85}f", "abc[31mdef"),
        ];
        for (input, expected) in cases {
            assert_eq!(&sanitize_text(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn output_is_a_fixed_point() {
        for input in [
            "<<b>b>x",
            "<<<i>i>i>y",
            "<scr<script>ipt>alert(1)</script>",
            "<textarea><b>x</b></textarea>",
            "<xmp><i>raw</i></xmp>",
            "<plaintext><b>rest",
            "1 < 2 & 3",
        ] {
            let once = sanitize_text(input);
            assert_eq!(sanitize_text(&once), once, "input {input:?}");
        }
    }

    #[test]
    fn no_output_ever_opens_markup() {
        let nasty = [
            "<<b>b>",
            "<<<i>i>i>",
            "<scr<script>ipt>alert(1)</scr</script>ipt>",
            "<xmp><i>raw</i></xmp>",
            "<plaintext><b>rest",
            "<noscript><img src=x></noscript>",
            "<svg><script>1</script></svg>",
            "<math><mi>x</mi></math>",
            "<!DOCTYPE html>",
            "<?xml version=1?>",
            "</b>",
            "<<!-- -->b>",
        ];
        for input in nasty {
            let out = sanitize_text(input);
            let b = out.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                if c == b'<' {
                    let n = b.get(i + 1).copied().unwrap_or(b' ');
                    assert!(
                        !(n.is_ascii_alphabetic() || matches!(n, b'/' | b'!' | b'?')),
                        "{input:?} -> {out:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_after_cleaning_is_empty() {
        assert_eq!(sanitize_text("<b></b>"), "");
        assert_eq!(sanitize_text("<script>x</script>"), "");
    }
}
