//! The in-memory store: the zero-config default (seeded with the demo data by the
//! server) and the reference the contract tests hold MariaDB to. Nothing survives a
//! restart.

mod state;

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::clock::{Clock, truncate_to_millis};
use crate::error::StoreError;
use crate::model::{
    FileId, FileRecord, HistoryCursor, HistoryPage, InsertOutcome, MarkRead, Message, MessageId,
    NewFile, NewMessage, ReadReceipt, RoomAccessFacts, RoomRef, User, UserId,
};
use crate::seed::{Dataset, FixtureSpec, demo_dataset};
use crate::store::{Backend, Store, StoreOptions};

use state::State;

/// A store in process memory. Cheap to clone (clones share the data).
#[derive(Clone, Debug)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Arc<dyn Clock>,
    options: StoreOptions,
    // A std lock: every operation is short and synchronous and the guard is never
    // held across an `.await`, so an async lock would only add cost.
    state: RwLock<State>,
}

impl MemoryStore {
    /// An empty store stamping times from `clock`.
    pub fn new(clock: Arc<dyn Clock>, options: StoreOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                options,
                state: RwLock::new(State::default()),
            }),
        }
    }

    /// A store on `clock`, with default options, holding the demo data.
    pub fn with_demo_data(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let store = Self::new(clock, StoreOptions::default());
        store.write().load_dataset(&demo_dataset())?;
        Ok(store)
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A poisoned lock means a panic elsewhere mid-operation; the state is still
        // structurally valid (every operation validates before mutating).
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> Backend {
        Backend::Memory
    }

    fn now(&self) -> DateTime<Utc> {
        truncate_to_millis(self.inner.clock.now())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.read().user(id))
    }

    async fn room_access(
        &self,
        user_id: UserId,
        room: RoomRef,
    ) -> Result<Option<RoomAccessFacts>, StoreError> {
        Ok(self.read().room_access(user_id, room))
    }

    async fn room_access_many(
        &self,
        pairs: &[(UserId, RoomRef)],
    ) -> Result<Vec<Option<RoomAccessFacts>>, StoreError> {
        let state = self.read();
        Ok(pairs
            .iter()
            .map(|&(user_id, room)| state.room_access(user_id, room))
            .collect())
    }

    async fn insert_messages(
        &self,
        batch: &[NewMessage],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        let now = self.now();
        self.write()
            .insert_messages(batch, now, &self.inner.options)
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<Message>, StoreError> {
        self.read().message(id)
    }

    async fn history(
        &self,
        room: RoomRef,
        cursor: HistoryCursor,
        limit: u32,
    ) -> Result<HistoryPage, StoreError> {
        let limit = self.inner.options.clamp_limit(limit);
        self.read().history(room, cursor, limit)
    }

    async fn edit_message(&self, id: MessageId, content: &str) -> Result<Message, StoreError> {
        self.inner.options.check_content(content)?;
        let now = self.now();
        self.write().edit(id, content, now)
    }

    async fn delete_message(&self, id: MessageId) -> Result<Message, StoreError> {
        let now = self.now();
        self.write().delete(id, now)
    }

    async fn mark_read(
        &self,
        message_id: MessageId,
        user_id: UserId,
    ) -> Result<MarkRead, StoreError> {
        let now = self.now();
        self.write().mark_read(message_id, user_id, now)
    }

    async fn message_reads(&self, message_id: MessageId) -> Result<Vec<ReadReceipt>, StoreError> {
        Ok(self.read().reads(message_id))
    }

    async fn insert_file(&self, file: NewFile) -> Result<FileRecord, StoreError> {
        let now = self.now();
        self.write().insert_file(file, now)
    }

    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>, StoreError> {
        Ok(self.read().file(id))
    }

    async fn mark_file_attached(&self, id: FileId) -> Result<(), StoreError> {
        self.write().mark_file_attached(id)
    }

    async fn file_rooms(&self, id: FileId) -> Result<Vec<RoomRef>, StoreError> {
        Ok(self.read().file_rooms(id))
    }

    async fn unattached_files_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<FileRecord>, StoreError> {
        Ok(self.read().unattached_files_before(cutoff, limit as usize))
    }

    async fn delete_file(&self, id: FileId) -> Result<(), StoreError> {
        self.write().delete_file(id)
    }

    async fn load_dataset(&self, data: &Dataset) -> Result<(), StoreError> {
        self.write().load_dataset(data)
    }

    async fn load_fixture(&self, spec: &FixtureSpec) -> Result<(), StoreError> {
        self.write().load_fixture(spec);
        Ok(())
    }
}
