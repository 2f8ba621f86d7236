//! What each message's content carries, so any receiver can tell who sent it, which
//! one it is and when it left: `lg <run> <sender> <seq> <sent_us> ` padded with `.`
//! to the configured size. `sent_us` is microseconds on the generator's own
//! monotonic clock (senders and receivers are in one process), so the latency is
//! exact without synchronised clocks. `run` tells this run's messages from any other
//! (a database that was not emptied, a history page).
//!
//! The content is plain text with no markup, so a sanitising server passes it as is.

use std::fmt::Write as _;
use std::sync::LazyLock;

use memchr::memmem::Finder;

/// The marker of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The run's tag.
    pub run: u32,
    /// The sender's index among the run's clients.
    pub sender: u32,
    /// The sender's sequence number, from 0.
    pub seq: u64,
    /// When it was sent, in microseconds of the run's clock.
    pub sent_us: u64,
}

/// Where a marker starts inside JSON text: the opening quote of the content string.
static IN_JSON: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"lg "));

impl Marker {
    /// Writes the content: the marker, then `.` up to `size` bytes.
    pub fn write(&self, size: usize, out: &mut String) {
        out.clear();
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "lg {} {} {} {} ",
            self.run, self.sender, self.seq, self.sent_us
        );
        while out.len() < size {
            out.push('.');
        }
    }

    /// Reads a marker at the start of `text` (a floor frame, or the content itself).
    pub fn parse(text: &[u8]) -> Option<Marker> {
        let rest = text.strip_prefix(b"lg ")?;
        let mut fields = [0u64; 4];
        let mut i = 0;
        for field in &mut fields {
            let start = i;
            while i < rest.len() && rest[i].is_ascii_digit() {
                *field = field
                    .checked_mul(10)?
                    .checked_add(u64::from(rest[i] - b'0'))?;
                i += 1;
            }
            if i == start || rest.get(i) != Some(&b' ') {
                return None;
            }
            i += 1;
        }
        Some(Marker {
            run: u32::try_from(fields[0]).ok()?,
            sender: u32::try_from(fields[1]).ok()?,
            seq: fields[2],
            sent_us: fields[3],
        })
    }

    /// Finds the first marker inside JSON text (a `message:new` packet).
    pub fn find_in_json(json: &[u8]) -> Option<Marker> {
        let at = IN_JSON.find(json)?;
        Self::parse(&json[at + 1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Marker = Marker {
        run: 7,
        sender: 12,
        seq: 345,
        sent_us: 6_789_012,
    };

    #[test]
    fn round_trips_and_pads_to_size() {
        let mut content = String::new();
        M.write(64, &mut content);
        assert_eq!(content.len(), 64);
        assert!(content.starts_with("lg 7 12 345 6789012 ."));
        assert_eq!(Marker::parse(content.as_bytes()), Some(M));
        let mut long = String::new();
        M.write(10, &mut long);
        assert_eq!(long, "lg 7 12 345 6789012 ");
    }

    #[test]
    fn is_found_inside_a_message_new_packet() {
        let mut content = String::new();
        M.write(48, &mut content);
        let packet = format!(
            r#"42["message:new",{{"message":{{"id":1,"roomType":"project","content":"{content}","sender":{{"id":3}}}}}}]"#
        );
        assert_eq!(Marker::find_in_json(packet.as_bytes()), Some(M));
        assert_eq!(Marker::find_in_json(br#"42["message:new",{}]"#), None);
    }

    #[test]
    fn refuses_anything_else() {
        for text in [
            &b"lg 1 2 3"[..],
            b"lg 1 2 3 x ",
            b"xx 1 2 3 4 ",
            b"lg  1 2 3 4 ",
            b"lg 99999999999 1 2 3 ",
            b"lg 1 2 3 99999999999999999999999 ",
            b"",
        ] {
            assert_eq!(
                Marker::parse(text),
                None,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
}
