//! The `Store` trait: everything the chat layer and the files API read and write,
//! implemented by the in-memory store and the MariaDB store and checked by one
//! contract test suite against both (`tests/contract.rs`).
//!
//! The store provides facts and keeps data consistent; the access policy, content
//! validation and the 24-hour rule are the chat layer's, decided from what the store
//! returns (the 24-hour rule from the stored `created_at`, against [`Store::now`]).

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::model::{
    FileId, FileRecord, HistoryCursor, HistoryPage, InsertOutcome, MarkRead, Message, MessageId,
    NewFile, NewMessage, ReadReceipt, RoomAccessFacts, RoomRef, User, UserId,
};
use crate::seed::{Dataset, FixtureSpec};

/// Which implementation a store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Process memory: nothing survives a restart.
    Memory,
    /// MariaDB: durable.
    MariaDb,
}

impl Backend {
    /// Whether data survives a restart.
    pub fn is_persistent(self) -> bool {
        matches!(self, Backend::MariaDb)
    }
}

/// Limits shared by both stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// The largest history page; a requested limit is clamped to `1..=max_page_size`
    /// (default 100, the cap for `message:history`).
    pub max_page_size: u32,
    /// The largest message content in bytes, for inserts and edits (default 1 MiB;
    /// the chat layer's own limit of 10,000 characters is at most 40,000 bytes). It
    /// bounds the size of one insert statement.
    pub max_content_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_page_size: 100,
            max_content_bytes: 1 << 20,
        }
    }
}

impl StoreOptions {
    /// The page size actually used for a requested `limit`.
    pub fn clamp_limit(&self, limit: u32) -> usize {
        limit.clamp(1, self.max_page_size.max(1)) as usize
    }

    pub(crate) fn check_content(&self, content: &str) -> Result<(), StoreError> {
        if content.len() > self.max_content_bytes {
            return Err(StoreError::Invalid(format!(
                "content is {} bytes, more than the store's limit of {}",
                content.len(),
                self.max_content_bytes
            )));
        }
        Ok(())
    }
}

/// Storage for Huddle. Object-safe: the server holds an `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Which implementation this is.
    fn backend(&self) -> Backend;

    /// The store's clock, the one that stamps `created_at`, truncated to
    /// milliseconds. The chat layer decides the 24-hour rule against it.
    fn now(&self) -> DateTime<Utc>;

    /// Checks that the store can serve requests (`SELECT 1` for MariaDB).
    async fn ping(&self) -> Result<(), StoreError>;

    /// A user, or `None` if the id is unknown.
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// The facts the access policy needs for `user_id` and `room`, or `None` if the
    /// room (project, or study) does not exist.
    async fn room_access(
        &self,
        user_id: UserId,
        room: RoomRef,
    ) -> Result<Option<RoomAccessFacts>, StoreError>;

    /// The facts of several (user, room) pairs at once, one answer per pair in the
    /// same order (`None` where the room does not exist), read together: what the
    /// chat layer re-checks for a whole commit of messages in one round trip.
    async fn room_access_many(
        &self,
        pairs: &[(UserId, RoomRef)],
    ) -> Result<Vec<Option<RoomAccessFacts>>, StoreError>;

    /// Stores a batch of messages in one transaction, in order, with increasing ids,
    /// and returns one outcome per input, in the same order. The batch may mix rooms
    /// (the chat layer commits several rooms' batches together). A message whose
    /// `(sender_id, client_message_id)` was stored before (or earlier in the batch)
    /// is not stored again: its outcome is the original. A message that breaks a
    /// store rule is rejected alone. File metadata is copied from the file record,
    /// which is marked attached. The room itself is not looked up: the chat layer
    /// has checked access to it, which needs it to exist. An `Err` means nothing of
    /// the batch was stored.
    async fn insert_messages(&self, batch: &[NewMessage])
    -> Result<Vec<InsertOutcome>, StoreError>;

    /// A message with its relations (a tombstone if deleted), or `None`.
    async fn get_message(&self, id: MessageId) -> Result<Option<Message>, StoreError>;

    /// One page of a room's history, oldest first, with deleted messages as
    /// tombstones. `limit` is clamped to `1..=max_page_size`.
    async fn history(
        &self,
        room: RoomRef,
        cursor: HistoryCursor,
        limit: u32,
    ) -> Result<HistoryPage, StoreError>;

    /// Replaces a message's content; sets `editedAt` and `updatedAt` to now.
    /// `NotFound` if missing, `MessageDeleted` if deleted.
    async fn edit_message(&self, id: MessageId, content: &str) -> Result<Message, StoreError>;

    /// Soft-deletes a message (`deletedAt` and `updatedAt` set to now) and returns
    /// its tombstone. `NotFound` if missing, `MessageDeleted` if already deleted.
    async fn delete_message(&self, id: MessageId) -> Result<Message, StoreError>;

    /// Records that `user_id` read `message_id`, once: a repeat returns the first
    /// receipt with `newly_read == false`. `NotFound` for an unknown message or user.
    async fn mark_read(
        &self,
        message_id: MessageId,
        user_id: UserId,
    ) -> Result<MarkRead, StoreError>;

    /// Every receipt of a message, in order of reading (then of user id); empty for
    /// an unknown message.
    async fn message_reads(&self, message_id: MessageId) -> Result<Vec<ReadReceipt>, StoreError>;

    /// Stores a file record (unattached, created now). `NotFound` for an unknown
    /// uploader, `Invalid` past a column limit.
    async fn insert_file(&self, file: NewFile) -> Result<FileRecord, StoreError>;

    /// A file record, or `None`.
    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>, StoreError>;

    /// Marks a file as carried by a message (inserting a message does it already).
    async fn mark_file_attached(&self, id: FileId) -> Result<(), StoreError>;

    /// The rooms where a message that is not deleted carries the file: who may
    /// download it besides its uploader is decided from these.
    async fn file_rooms(&self, id: FileId) -> Result<Vec<RoomRef>, StoreError>;

    /// Up to `limit` unattached files created before `cutoff`, oldest first: the
    /// housekeeping candidates.
    async fn unattached_files_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<FileRecord>, StoreError>;

    /// Removes an unattached file record. `FileAttached` if a message carries it.
    async fn delete_file(&self, id: FileId) -> Result<(), StoreError>;

    /// Loads users, projects, grants, studies and tasks; rows whose id exists are
    /// kept as they are. `Invalid` if a row refers to something that does not exist.
    async fn load_dataset(&self, data: &Dataset) -> Result<(), StoreError>;

    /// Loads the generated load-test fixture (idempotent, like `load_dataset`).
    async fn load_fixture(&self, spec: &FixtureSpec) -> Result<(), StoreError>;
}
