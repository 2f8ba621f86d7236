//! The typed payloads of typical Huddle traffic, shaped after the Task Tracker
//! events (spec, "Event Definitions"): what a handler deserialises an event's
//! argument into, and what the server serialises when it emits.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// `typing:start` / `typing:stop` (client → server): the smallest common event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomRef {
    /// `project` or `study`.
    pub room_type: String,
    /// The project or study id.
    pub room_id: u64,
}

/// `message:read` (client → server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRead {
    /// The message read.
    pub message_id: u64,
}

/// `message:send` (client → server), used for the 10,000-character message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSend {
    /// `project` or `study`.
    pub room_type: String,
    /// The project or study id.
    pub room_id: u64,
    /// The message text.
    pub content: String,
    /// `text`, `image` or `file`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `message:new` (server → room): the full message object with relations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageNew {
    /// The stored message.
    pub message: Message,
}

/// A stored message as the server broadcasts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Message id.
    pub id: u64,
    /// `project` or `study`.
    pub room_type: String,
    /// The project or study id.
    pub room_id: u64,
    /// Author's user id.
    pub sender_id: u64,
    /// `text`, `image` or `file`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The message text.
    pub content: String,
    /// Attached file, if any.
    pub file_id: Option<u64>,
    /// The message this one answers, if any.
    pub reply_to_id: Option<u64>,
    /// When it was last edited, if ever.
    pub edited_at: Option<String>,
    /// When it was deleted, if it was.
    pub deleted_at: Option<String>,
    /// Creation time (ISO 8601).
    pub created_at: String,
    /// Last update time (ISO 8601).
    pub updated_at: String,
    /// The author.
    pub sender: Sender,
    /// Who has read it.
    pub read_by: Vec<ReadBy>,
}

/// The author of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    /// User id.
    pub id: u64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// `manager` or `researcher`.
    pub role: String,
}

/// One read receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadBy {
    /// Reader's user id.
    pub user_id: u64,
    /// When it was read (ISO 8601).
    pub read_at: String,
}

/// An event with two binary parts: an image and its thumbnail. Both `Bytes`
/// fields serialise as bytes, which both codecs turn into attachments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageUpload {
    /// `project` or `study`.
    pub room_type: String,
    /// The project or study id.
    pub room_id: u64,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// The thumbnail (attachment 0).
    pub thumbnail: Bytes,
    /// The image (attachment 1).
    pub data: Bytes,
}
