//! The benchmark cases: typical Huddle traffic, each with its typed value, its
//! expected wire form (built by [`crate::wire`]) and its attachments.
//!
//! | case | event | wire size |
//! | --- | --- | --- |
//! | `small_event` | `typing:start` | 52 B |
//! | `kilobyte_event` | `message:new`, a full message object | 1,024 B |
//! | `chat_10k` | `message:send` with a 10,000-character text, ack id | 11,197 B |
//! | `binary_event` | `image:upload` with two attachments (512 B + 4 KiB), ack id | 192 B + 4,608 B |
//! | [`PollingCase`] | 50 records: the events above mixed, one binary event | 20,370 B |

use bytes::Bytes;
use serde::Serialize;

use crate::text::chat_message;
use crate::traffic::{
    ImageUpload, Message, MessageNew, MessageRead, MessageSend, ReadBy, RoomRef, Sender,
};
use crate::wire::{Placeholder, Record, binary_event_text, event_text, polling_body};

/// One event as a server receives or sends it.
#[derive(Debug, Clone)]
pub struct Case<T> {
    /// The case's name in benchmark ids and tables.
    pub name: &'static str,
    /// The namespace.
    pub nsp: &'static str,
    /// The event name.
    pub event: &'static str,
    /// The ack id, if the sender asked for an acknowledgement.
    pub id: Option<u64>,
    /// The single argument, typed.
    pub arg: T,
    /// The socket.io packet text (an engine.io message's data, without the `4`).
    pub wire: String,
    /// The binary attachments that follow the packet, in placeholder order.
    pub attachments: Vec<Bytes>,
}

impl<T> Case<T> {
    /// Bytes on the wire: the packet text plus its attachments.
    pub fn wire_len(&self) -> usize {
        self.wire.len() + self.attachments.iter().map(Bytes::len).sum::<usize>()
    }
}

fn text_case<T: Serialize>(
    name: &'static str,
    event: &'static str,
    id: Option<u64>,
    arg: T,
) -> Case<T> {
    let wire = event_text("/", event, &arg, id);
    Case {
        name,
        nsp: "/",
        event,
        id,
        arg,
        wire,
        attachments: Vec::new(),
    }
}

/// `typing:start` `{"roomType":"project","roomId":42}`: the smallest common event.
pub fn small_event() -> Case<RoomRef> {
    text_case(
        "small_event",
        "typing:start",
        None,
        RoomRef {
            room_type: "project".into(),
            room_id: 42,
        },
    )
}

/// Target wire size of [`kilobyte_event`].
pub const KILOBYTE: usize = 1024;

/// ASCII prose (nothing JSON escapes) that pads the 1 KB message to its size.
const PROSE: &str = "Thanks for the update. I went through the interim numbers this morning and \
the adherence rate in the second arm is better than we projected, although the drop-out \
pattern after week six still worries me a little. Could you share the per-site breakdown \
before Thursday's call? I'd also like to double-check the exclusion criteria we applied to \
the late enrolments, since two of them look borderline to me. ";

fn message(content: String) -> MessageNew {
    MessageNew {
        message: Message {
            id: 48_213,
            room_type: "project".into(),
            room_id: 17,
            sender_id: 305,
            kind: "text".into(),
            content,
            file_id: None,
            reply_to_id: Some(48_190),
            edited_at: None,
            deleted_at: None,
            created_at: "2025-03-14T09:26:53.589Z".into(),
            updated_at: "2025-03-14T09:26:53.589Z".into(),
            sender: Sender {
                id: 305,
                first_name: "Amélie".into(),
                last_name: "Okonkwo-Larsen".into(),
                role: "researcher".into(),
            },
            read_by: vec![
                ReadBy {
                    user_id: 12,
                    read_at: "2025-03-14T09:27:10.004Z".into(),
                },
                ReadBy {
                    user_id: 88,
                    read_at: "2025-03-14T09:31:42.917Z".into(),
                },
            ],
        },
    }
}

/// `message:new` with a full message object, padded to exactly [`KILOBYTE`] bytes
/// of packet text.
pub fn kilobyte_event() -> Case<MessageNew> {
    let event = "message:new";
    let bare = event_text("/", event, &message(String::new()), None).len();
    let content: String = PROSE
        .chars()
        .cycle()
        .take(KILOBYTE.saturating_sub(bare))
        .collect();
    text_case("kilobyte_event", event, None, message(content))
}

/// `message:send` with the 10,000-character [`chat_message`], ack id 12.
pub fn chat_10k() -> Case<MessageSend> {
    text_case(
        "chat_10k",
        "message:send",
        Some(12),
        MessageSend {
            room_type: "study".into(),
            room_id: 7,
            content: chat_message(),
            kind: "text".into(),
        },
    )
}

/// Deterministic bytes that look like compressed image data (no structure).
fn noise(len: usize, seed: u32) -> Bytes {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// [`ImageUpload`] as it appears in the packet text: placeholders for the bytes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageUploadText<'a> {
    room_type: &'a str,
    room_id: u64,
    file_name: &'a str,
    mime_type: &'a str,
    thumbnail: Placeholder,
    data: Placeholder,
}

/// `image:upload` with two attachments (a 512 B thumbnail and a 4 KiB image), ack id 7.
pub fn binary_event() -> Case<ImageUpload> {
    let arg = ImageUpload {
        room_type: "project".into(),
        room_id: 17,
        file_name: "site-visit-photo.jpg".into(),
        mime_type: "image/jpeg".into(),
        thumbnail: noise(512, 1),
        data: noise(4096, 2),
    };
    let text = ImageUploadText {
        room_type: &arg.room_type,
        room_id: arg.room_id,
        file_name: &arg.file_name,
        mime_type: &arg.mime_type,
        thumbnail: Placeholder::new(0),
        data: Placeholder::new(1),
    };
    let (nsp, event, id) = ("/", "image:upload", Some(7));
    let wire = binary_event_text(nsp, event, &text, 2, id);
    let attachments = vec![arg.thumbnail.clone(), arg.data.clone()];
    Case {
        name: "binary_event",
        nsp,
        event,
        id,
        arg,
        wire,
        attachments,
    }
}

/// Records in [`polling_case`].
pub const POLLING_RECORDS: usize = 50;

/// One HTTP long-polling body of [`POLLING_RECORDS`] records.
#[derive(Debug, Clone)]
pub struct PollingCase {
    /// The socket.io packets in order, each with its attachments: what a server
    /// queues for one emit. Flattened, they are the body's records.
    pub messages: Vec<Vec<Record>>,
    /// The encoded body.
    pub body: Bytes,
}

impl PollingCase {
    /// The body's records in order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.messages.iter().flatten()
    }
}

/// A burst of 50 records as one polling body: the small events, the 1 KB message,
/// `message:read` receipts, and one binary event with its two attachments (as
/// `b`+base64 records) in the middle.
pub fn polling_case() -> PollingCase {
    let small = small_event().wire;
    let kilobyte = kilobyte_event().wire;
    let binary = binary_event();
    let stop = event_text(
        "/",
        "typing:stop",
        &RoomRef {
            room_type: "project".into(),
            room_id: 42,
        },
        None,
    );
    let mut messages = Vec::new();
    let mut records = 0;
    while records < POLLING_RECORDS {
        if records == 20 {
            let mut message = vec![Record::Text(binary.wire.clone())];
            message.extend(binary.attachments.iter().cloned().map(Record::Binary));
            records += message.len();
            messages.push(message);
            continue;
        }
        let text = match records % 4 {
            0 => small.clone(),
            1 => kilobyte.clone(),
            2 => event_text(
                "/",
                "message:read",
                &MessageRead {
                    message_id: 48_000 + records as u64,
                },
                None,
            ),
            _ => stop.clone(),
        };
        messages.push(vec![Record::Text(text)]);
        records += 1;
    }
    let flat: Vec<Record> = messages.iter().flatten().cloned().collect();
    let body = polling_body(&flat);
    PollingCase { messages, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_have_the_sizes_the_table_announces() {
        assert_eq!(small_event().wire.len(), 52);
        assert_eq!(kilobyte_event().wire.len(), KILOBYTE);
        let chat = chat_10k();
        assert!(chat.wire.len() > 10_000, "{}", chat.wire.len());
        let binary = binary_event();
        assert_eq!(binary.attachments.len(), 2);
        assert_eq!(binary.wire_len() - binary.wire.len(), 512 + 4096);
        assert!(
            binary.wire.starts_with(r#"52-7["image:upload",{"#),
            "{}",
            binary.wire
        );
    }

    #[test]
    fn polling_case_has_fifty_records_and_one_binary_event() {
        let case = polling_case();
        assert_eq!(case.records().count(), POLLING_RECORDS);
        let binaries = case
            .records()
            .filter(|r| matches!(r, Record::Binary(_)))
            .count();
        assert_eq!(binaries, 2);
        let separators = case.body.iter().filter(|&&b| b == 0x1e).count();
        assert_eq!(separators, POLLING_RECORDS - 1);
    }
}
