//! Messages: the spec's Message model, what the chat layer asks the store to insert,
//! and the pages of history it reads back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{FileId, FileMetadata, MessageId, RoomRef, RoomType, UserId, UserSummary, iso8601};

/// The longest `clientMessageId` accepted, in Unicode code points (issue: "a
/// client-generated string of at most 64 characters"). The MariaDB column is sized
/// for it (`VARBINARY(256)`: 64 code points of at most 4 UTF-8 bytes).
pub const MAX_CLIENT_MESSAGE_ID_CHARS: usize = 64;

/// `text`, `image` or `file` (spec: "Message Type Handling").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    Text,
    Image,
    File,
}

impl MessageType {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Text => "text",
            MessageType::Image => "image",
            MessageType::File => "file",
        }
    }

    /// Whether messages of this type carry an uploaded file.
    pub fn carries_file(self) -> bool {
        !matches!(self, MessageType::Text)
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(MessageType::Text),
            "image" => Ok(MessageType::Image),
            "file" => Ok(MessageType::File),
            other => Err(format!(
                "unknown message type {other:?} (expected text, image or file)"
            )),
        }
    }
}

/// A message as clients see it: the spec's Message model with its relations.
///
/// A deleted message is a tombstone: `deletedAt` set, `content` empty and every
/// file field (and `file`) null. `replyTo` is the parent message without its own
/// `replyTo` (its `replyToId` still says whom it answered); it is `null` when the
/// message is not a reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: MessageId,
    pub room_type: RoomType,
    pub room_id: u64,
    pub sender_id: UserId,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub content: String,
    pub file_id: Option<FileId>,
    pub file_name: Option<String>,
    pub file_size: Option<u64>,
    pub mime_type: Option<String>,
    pub reply_to_id: Option<MessageId>,
    #[serde(with = "iso8601::option")]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(with = "iso8601::option")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(with = "iso8601")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso8601")]
    pub updated_at: DateTime<Utc>,
    /// Relation: who sent it.
    pub sender: UserSummary,
    /// Relation: the message this one answers.
    pub reply_to: Option<Box<Message>>,
    /// Relation: the uploaded file of an image or file message.
    pub file: Option<FileMetadata>,
}

impl Message {
    /// The room the message belongs to.
    pub fn room(&self) -> RoomRef {
        RoomRef {
            kind: self.room_type,
            id: self.room_id,
        }
    }

    /// Whether the message was soft-deleted (and is served as a tombstone).
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A message as stored, before relations are attached; both stores build
/// [`Message`] from it through [`MessageRecord::into_message`], so the tombstone and
/// nesting rules live in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MessageRecord {
    pub id: MessageId,
    pub room: RoomRef,
    pub sender_id: UserId,
    pub kind: MessageType,
    pub content: String,
    pub file: Option<FileMetadata>,
    pub reply_to_id: Option<MessageId>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MessageRecord {
    /// The served message: tombstoned when deleted, with the parent flattened.
    pub fn into_message(self, sender: UserSummary, reply_to: Option<Message>) -> Message {
        let deleted = self.deleted_at.is_some();
        let file = if deleted { None } else { self.file };
        let content = if deleted { String::new() } else { self.content };
        Message {
            id: self.id,
            room_type: self.room.kind,
            room_id: self.room.id,
            sender_id: self.sender_id,
            kind: self.kind,
            content,
            file_id: file.as_ref().map(|f| f.id),
            file_name: file.as_ref().map(|f| f.file_name.clone()),
            file_size: file.as_ref().map(|f| f.file_size),
            mime_type: file.as_ref().map(|f| f.mime_type.clone()),
            reply_to_id: self.reply_to_id,
            edited_at: self.edited_at,
            deleted_at: self.deleted_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            sender,
            reply_to: reply_to.map(|mut parent| {
                parent.reply_to = None;
                Box::new(parent)
            }),
            file,
        }
    }
}

/// One message to insert. The store fills in the id, the timestamps and (from the
/// file record, never from the client) the file name, size and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub room: RoomRef,
    pub sender_id: UserId,
    pub kind: MessageType,
    pub content: String,
    /// Required for `image` and `file`, refused for `text`.
    pub file_id: Option<FileId>,
    /// Must be a message of the same room.
    pub reply_to_id: Option<MessageId>,
    /// Idempotency key, unique per sender: a second insert with the same key by the
    /// same sender returns the original message and stores nothing.
    pub client_message_id: Option<String>,
}

impl NewMessage {
    /// A text message with no reply, file or idempotency key.
    pub fn text(room: RoomRef, sender_id: UserId, content: impl Into<String>) -> Self {
        Self {
            room,
            sender_id,
            kind: MessageType::Text,
            content: content.into(),
            file_id: None,
            reply_to_id: None,
            client_message_id: None,
        }
    }

    /// Checks what can be checked without looking anything up.
    pub(crate) fn check_shape(&self, max_content_bytes: usize) -> Result<(), Rejection> {
        if let Some(key) = &self.client_message_id {
            let chars = key.chars().count();
            if chars == 0 || chars > MAX_CLIENT_MESSAGE_ID_CHARS {
                return Err(Rejection::ClientMessageIdInvalid { chars });
            }
        }
        match (self.kind.carries_file(), self.file_id) {
            (true, None) => return Err(Rejection::FileRequired(self.kind)),
            (false, Some(file_id)) => return Err(Rejection::FileNotAllowed(file_id)),
            _ => {}
        }
        if self.content.len() > max_content_bytes {
            return Err(Rejection::ContentTooLong {
                bytes: self.content.len(),
                max: max_content_bytes,
            });
        }
        Ok(())
    }
}

/// Why one message of a batch was not stored (the rest of the batch is unaffected).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("sender {0} does not exist")]
    UnknownSender(UserId),
    #[error("file {0} does not exist")]
    UnknownFile(FileId),
    #[error("message {0} is not a message of this room")]
    ReplyNotInRoom(MessageId),
    #[error("a {0} message needs a fileId")]
    FileRequired(MessageType),
    #[error("a text message cannot carry a file (fileId {0})")]
    FileNotAllowed(FileId),
    #[error("clientMessageId must be 1 to {MAX_CLIENT_MESSAGE_ID_CHARS} characters (got {chars})")]
    ClientMessageIdInvalid { chars: usize },
    #[error("content is {bytes} bytes, more than the store's limit of {max}")]
    ContentTooLong { bytes: usize, max: usize },
}

/// The result for one message of a batch, in the batch's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now, with a new id.
    Created(Message),
    /// The sender already sent this `clientMessageId`: the original message; nothing
    /// was stored.
    Duplicate(Message),
    /// Not stored.
    Rejected(Rejection),
}

impl InsertOutcome {
    /// The stored message, new or original.
    pub fn message(&self) -> Option<&Message> {
        match self {
            InsertOutcome::Created(m) | InsertOutcome::Duplicate(m) => Some(m),
            InsertOutcome::Rejected(_) => None,
        }
    }

    /// Whether this call stored the message (and so it should be broadcast).
    pub fn is_created(&self) -> bool {
        matches!(self, InsertOutcome::Created(_))
    }
}

/// Which slice of a room's history to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryCursor {
    /// The latest messages.
    Latest,
    /// Messages older than this id (the `nextCursor` of a previous page).
    Before(MessageId),
    /// Messages newer than this id, for catching up after a reconnect.
    After(MessageId),
}

/// One page of history, always oldest first.
///
/// For `Latest`/`Before`, `hasMore` says older messages exist and `nextCursor` is the
/// oldest id of the page (pass it as `Before`). For `After`, `hasMore` says newer
/// messages exist and `nextCursor` is the newest id of the page (pass it as `After`).
/// `nextCursor` is absent exactly when `hasMore` is false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<MessageId>,
}

impl HistoryPage {
    /// Builds a page from up to `limit + 1` fetched messages (oldest first): the
    /// extra one only proves there is more and is dropped.
    pub(crate) fn from_probe(
        mut messages: Vec<Message>,
        limit: usize,
        cursor: HistoryCursor,
    ) -> Self {
        let has_more = messages.len() > limit;
        if has_more {
            match cursor {
                // Fetched newest first then reversed: the extra one is the oldest.
                HistoryCursor::Latest | HistoryCursor::Before(_) => {
                    messages.remove(0);
                }
                HistoryCursor::After(_) => messages.truncate(limit),
            }
        }
        let next_cursor = match (has_more, cursor) {
            (false, _) => None,
            (true, HistoryCursor::After(_)) => messages.last().map(|m| m.id),
            (true, _) => messages.first().map(|m| m.id),
        };
        Self {
            messages,
            has_more,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(deleted: bool) -> MessageRecord {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        MessageRecord {
            id: 7,
            room: RoomRef::study(2),
            sender_id: 3,
            kind: MessageType::Image,
            content: "caption".into(),
            file: Some(FileMetadata {
                id: 9,
                file_name: "a.png".into(),
                file_size: 10,
                mime_type: "image/png".into(),
            }),
            reply_to_id: None,
            edited_at: None,
            deleted_at: deleted.then_some(t),
            created_at: t,
            updated_at: t,
        }
    }

    fn alan() -> UserSummary {
        UserSummary {
            id: 3,
            first_name: "Alan".into(),
            last_name: "Turing".into(),
        }
    }

    #[test]
    fn message_json_has_exactly_the_spec_fields() {
        let json = serde_json::to_value(record(false).into_message(alan(), None)).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "content",
                "createdAt",
                "deletedAt",
                "editedAt",
                "file",
                "fileId",
                "fileName",
                "fileSize",
                "id",
                "mimeType",
                "replyTo",
                "replyToId",
                "roomId",
                "roomType",
                "sender",
                "senderId",
                "type",
                "updatedAt"
            ]
        );
        assert_eq!(json["createdAt"], "2024-05-01T12:00:00.000Z");
        assert_eq!(json["type"], "image");
        assert_eq!(json["roomType"], "study");
        assert_eq!(json["sender"]["firstName"], "Alan");
        assert_eq!(json["file"]["mimeType"], "image/png");
        assert!(json["replyTo"].is_null());
        assert!(json["editedAt"].is_null());
    }

    #[test]
    fn deleted_message_is_a_tombstone() {
        let m = record(true).into_message(alan(), None);
        assert!(m.is_deleted());
        assert_eq!(m.content, "");
        assert_eq!(
            (m.file_id, m.file_name, m.file_size, m.mime_type, m.file),
            (None, None, None, None, None)
        );
    }

    #[test]
    fn reply_parent_carries_no_nested_reply() {
        let mut grandparent_reply = record(false).into_message(alan(), None);
        grandparent_reply.reply_to = Some(Box::new(grandparent_reply.clone()));
        let mut child = record(false);
        child.reply_to_id = Some(7);
        let m = child.into_message(alan(), Some(grandparent_reply));
        assert!(m.reply_to.as_ref().unwrap().reply_to.is_none());
    }

    #[test]
    fn message_json_round_trips() {
        let m = record(false).into_message(alan(), Some(record(true).into_message(alan(), None)));
        let back: Message = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn shape_checks_refuse_bad_messages() {
        let mut m = NewMessage::text(RoomRef::project(1), 1, "hi");
        assert_eq!(m.check_shape(10), Ok(()));
        m.client_message_id = Some(String::new());
        assert_eq!(
            m.check_shape(10),
            Err(Rejection::ClientMessageIdInvalid { chars: 0 })
        );
        m.client_message_id = Some("é".repeat(65));
        assert_eq!(
            m.check_shape(10),
            Err(Rejection::ClientMessageIdInvalid { chars: 65 })
        );
        m.client_message_id = Some("é".repeat(64));
        assert_eq!(m.check_shape(10), Ok(()));
        m.file_id = Some(4);
        assert_eq!(m.check_shape(10), Err(Rejection::FileNotAllowed(4)));
        m.file_id = None;
        m.kind = MessageType::File;
        assert_eq!(
            m.check_shape(10),
            Err(Rejection::FileRequired(MessageType::File))
        );
        m.kind = MessageType::Text;
        m.content = "x".repeat(11);
        assert_eq!(
            m.check_shape(10),
            Err(Rejection::ContentTooLong { bytes: 11, max: 10 })
        );
    }

    #[test]
    fn last_page_has_no_cursor() {
        let page = HistoryPage::from_probe(Vec::new(), 50, HistoryCursor::Latest);
        assert!(!page.has_more);
        let json = serde_json::to_value(&page).unwrap();
        assert!(json.get("nextCursor").is_none());
        assert_eq!(json["hasMore"], false);
    }
}
