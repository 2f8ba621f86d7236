//! Domain types shared by the stores, the chat layer and the files API.
//!
//! What goes to clients serialises as the spec's camelCase JSON ("Message Model
//! Schema" and the event payloads); dates are ISO-8601 UTC strings with milliseconds,
//! as `Date.prototype.toJSON` writes them.

mod access;
mod file;
pub(crate) mod iso8601;
mod message;
mod read;
mod room;
mod user;

pub use access::RoomAccessFacts;
pub use file::{FileMetadata, FileRecord, NewFile};
pub(crate) use message::MessageRecord;
pub use message::{
    HistoryCursor, HistoryPage, InsertOutcome, Message, MessageType, NewMessage, Rejection,
};
pub use read::{MarkRead, ReadReceipt};
pub use room::{ParseRoomError, RoomRef, RoomType};
pub use user::{ParseRoleError, Role, User, UserSummary};

/// A user's id (`users.id`).
pub type UserId = u64;
/// A project's id (`projects.id`).
pub type ProjectId = u64;
/// A study's id (`studies.id`).
pub type StudyId = u64;
/// A task's id (`tasks.id`).
pub type TaskId = u64;
/// A message's id: increasing in insertion order, so also the order of a room.
pub type MessageId = u64;
/// An uploaded file's id (`files.id`).
pub type FileId = u64;
