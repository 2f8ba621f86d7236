//! The 10,000-character chat message: realistic text that makes a JSON codec
//! work. It mixes plain prose with what real messages carry and JSON must escape
//! or pass through: double quotes, newlines, a tab, backslashes (a Windows path),
//! accented Latin, Japanese and emoji (multi-byte UTF-8, never escaped).

/// Length of [`chat_message`], in characters (Unicode scalar values).
pub const CHAT_CHARS: usize = 10_000;

/// Lines cycled to build the message; deterministic, so every run measures
/// the same bytes.
const LINES: [&str; 10] = [
    "Hi team, the new cohort data for study \"ALPHA-7\" just landed in the shared folder.\n",
    "I compared the baseline scores against last quarter and the variance looks a lot tighter now, which is what we hoped for after the protocol change.\n",
    "Café meeting moved to 14:00 — bring the Zürich notes and the revised consent forms.\n",
    "Export columns:\tparticipant_id\tvisit\tscore\n",
    "Raw files are on the drive under C:\\Research\\2025\\raw\\alpha7, please do not rename them.\n",
    "日本語の参加者向け資料も更新しました。確認をお願いします。\n",
    "Great work everyone 👍🎉 — let's ship the interim report on Friday!\n",
    "She said: \"it's 'mostly' fine, but check visit 3 again\", then left for the airport.\n",
    "Action items: (1) re-run the QC script, (2) flag outliers > 3 SD, (3) update the tracker.\n",
    "Reminder: the ethics board wants the amended protocol (v2.3) by the 15th; Søren and Zoë own that.\n",
];

/// Exactly [`CHAT_CHARS`] characters of chat text (about 11 KB of UTF-8).
pub fn chat_message() -> String {
    LINES
        .iter()
        .cycle()
        .flat_map(|line| line.chars())
        .take(CHAT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_message_has_the_announced_length_and_the_hard_characters() {
        let text = chat_message();
        assert_eq!(text.chars().count(), CHAT_CHARS);
        for needed in ['"', '\n', '\t', '\\', 'é', '語', '👍'] {
            assert!(text.contains(needed), "missing {needed:?}");
        }
        assert!(
            text.len() > CHAT_CHARS,
            "multi-byte characters make it longer in bytes"
        );
    }
}
