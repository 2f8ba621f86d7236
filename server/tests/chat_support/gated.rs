//! A store for tests of the write path: the in-memory store with the demo data, plus a gate
//! that holds every `insert_messages` call while closed (so a test decides what queues up
//! behind a commit), a record of each call's size, and access that can be withdrawn from a
//! (user, room) pair as an administrator of the directory would, and a message that makes
//! every insert holding it fail.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};

use huddle_storage::model::{
    FileId, FileRecord, HistoryCursor, HistoryPage, InsertOutcome, MarkRead, Message, MessageId,
    NewFile, NewMessage, ReadReceipt, RoomAccessFacts, RoomRef, User, UserId,
};
use huddle_storage::{Backend, Dataset, FixtureSpec, MemoryStore, Store, StoreError};

/// See the module header.
#[derive(Debug)]
pub struct GatedStore {
    inner: MemoryStore,
    gate: Arc<RwLock<()>>,
    inserts: Mutex<Vec<usize>>,
    access_calls: Mutex<usize>,
    revoked: Mutex<HashSet<(UserId, RoomRef)>>,
    poison: Mutex<Option<String>>,
}

/// Holds every insert while alive.
pub struct Closed(#[allow(dead_code)] OwnedRwLockWriteGuard<()>);

impl GatedStore {
    pub fn new(inner: MemoryStore) -> Arc<GatedStore> {
        Arc::new(GatedStore {
            inner,
            gate: Arc::new(RwLock::new(())),
            inserts: Mutex::new(Vec::new()),
            access_calls: Mutex::new(0),
            revoked: Mutex::new(HashSet::new()),
            poison: Mutex::new(None),
        })
    }

    /// Closes the gate until the returned guard is dropped.
    pub async fn close(&self) -> Closed {
        Closed(self.gate.clone().write_owned().await)
    }

    /// The size of every `insert_messages` call so far (a held call included).
    pub fn inserts(&self) -> Vec<usize> {
        self.inserts.lock().unwrap().clone()
    }

    /// `room_access` and `room_access_many` calls so far.
    pub fn access_calls(&self) -> usize {
        *self.access_calls.lock().unwrap()
    }

    /// Waits (bounded) until `n` insert calls have reached the store.
    pub async fn wait_for_inserts(&self, n: usize) {
        for _ in 0..10_000 {
            if self.inserts.lock().unwrap().len() >= n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("{n} inserts never reached the store: {:?}", self.inserts());
    }

    /// Withdraws every reason `user` had to enter `room`: from now on the facts say no grant
    /// and no task (and not the creator).
    pub fn revoke(&self, user: UserId, room: RoomRef) {
        self.revoked.lock().unwrap().insert((user, room));
    }

    /// From now on every insert holding a message with this content fails whole (as a
    /// bug or a broken constraint would).
    pub fn poison(&self, content: &str) {
        *self.poison.lock().unwrap() = Some(content.to_owned());
    }

    fn filter(&self, user: UserId, facts: Option<RoomAccessFacts>) -> Option<RoomAccessFacts> {
        facts.map(|mut f| {
            if self.revoked.lock().unwrap().contains(&(user, f.room)) {
                f.user_has_grant = false;
                f.user_has_task_in_project = false;
                f.user_has_task_in_study = f.user_has_task_in_study.map(|_| false);
                if f.project_created_by == user {
                    f.project_created_by = 0;
                }
            }
            f
        })
    }
}

#[async_trait]
impl Store for GatedStore {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }
    fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.inner.get_user(id).await
    }
    async fn room_access(
        &self,
        user_id: UserId,
        room: RoomRef,
    ) -> Result<Option<RoomAccessFacts>, StoreError> {
        *self.access_calls.lock().unwrap() += 1;
        let facts = self.inner.room_access(user_id, room).await?;
        Ok(self.filter(user_id, facts))
    }
    async fn room_access_many(
        &self,
        pairs: &[(UserId, RoomRef)],
    ) -> Result<Vec<Option<RoomAccessFacts>>, StoreError> {
        *self.access_calls.lock().unwrap() += 1;
        let facts = self.inner.room_access_many(pairs).await?;
        Ok(pairs
            .iter()
            .zip(facts)
            .map(|(&(user, _), f)| self.filter(user, f))
            .collect())
    }
    async fn insert_messages(
        &self,
        batch: &[NewMessage],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        self.inserts.lock().unwrap().push(batch.len());
        let _open = self.gate.read().await;
        let poison = self.poison.lock().unwrap().clone();
        if let Some(poison) = poison
            && batch.iter().any(|m| m.content == poison)
        {
            return Err(StoreError::Backend(format!("poisoned by {poison:?}")));
        }
        self.inner.insert_messages(batch).await
    }
    async fn get_message(&self, id: MessageId) -> Result<Option<Message>, StoreError> {
        self.inner.get_message(id).await
    }
    async fn history(
        &self,
        room: RoomRef,
        cursor: HistoryCursor,
        limit: u32,
    ) -> Result<HistoryPage, StoreError> {
        self.inner.history(room, cursor, limit).await
    }
    async fn edit_message(&self, id: MessageId, content: &str) -> Result<Message, StoreError> {
        self.inner.edit_message(id, content).await
    }
    async fn delete_message(&self, id: MessageId) -> Result<Message, StoreError> {
        self.inner.delete_message(id).await
    }
    async fn mark_read(
        &self,
        message_id: MessageId,
        user_id: UserId,
    ) -> Result<MarkRead, StoreError> {
        self.inner.mark_read(message_id, user_id).await
    }
    async fn message_reads(&self, message_id: MessageId) -> Result<Vec<ReadReceipt>, StoreError> {
        self.inner.message_reads(message_id).await
    }
    async fn insert_file(&self, file: NewFile) -> Result<FileRecord, StoreError> {
        self.inner.insert_file(file).await
    }
    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>, StoreError> {
        self.inner.get_file(id).await
    }
    async fn mark_file_attached(&self, id: FileId) -> Result<(), StoreError> {
        self.inner.mark_file_attached(id).await
    }
    async fn file_rooms(&self, id: FileId) -> Result<Vec<RoomRef>, StoreError> {
        self.inner.file_rooms(id).await
    }
    async fn unattached_files_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<FileRecord>, StoreError> {
        self.inner.unattached_files_before(cutoff, limit).await
    }
    async fn delete_file(&self, id: FileId) -> Result<(), StoreError> {
        self.inner.delete_file(id).await
    }
    async fn load_dataset(&self, data: &Dataset) -> Result<(), StoreError> {
        self.inner.load_dataset(data).await
    }
    async fn load_fixture(&self, spec: &FixtureSpec) -> Result<(), StoreError> {
        self.inner.load_fixture(spec).await
    }
}
