//! The in-memory store's data and every operation on it, synchronous: the store
//! wraps it in one lock and never holds that lock across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet, hash_map::Entry};

use chrono::{DateTime, Utc};

use crate::error::{Entity, StoreError};
use crate::model::{
    FileId, FileRecord, HistoryCursor, HistoryPage, InsertOutcome, MarkRead, Message, MessageId,
    MessageRecord, NewFile, NewMessage, ProjectId, ReadReceipt, Rejection, Role, RoomAccessFacts,
    RoomRef, RoomType, StudyId, TaskId, User, UserId, UserSummary,
};
use crate::seed::{Dataset, FixtureSpec};
use crate::store::StoreOptions;

/// The tasks assigned to one user, reduced to what the access rules read: the
/// projects and studies they have a task in (sorted, without repeats). A fixture of
/// N users and P projects costs N × P × 8 bytes here.
#[derive(Debug, Default)]
struct Assignments {
    projects: Vec<ProjectId>,
    studies: Vec<StudyId>,
}

fn insert_sorted(list: &mut Vec<u64>, id: u64) {
    if let Err(at) = list.binary_search(&id) {
        list.insert(at, id);
    }
}

#[derive(Debug, Default)]
pub(super) struct State {
    users: HashMap<UserId, User>,
    /// Project id → creator.
    projects: HashMap<ProjectId, UserId>,
    grants: HashSet<(ProjectId, UserId)>,
    /// Study id → its project.
    studies: HashMap<StudyId, ProjectId>,
    /// Ids of dataset tasks already loaded (loading is idempotent by id).
    task_ids: HashSet<TaskId>,
    assignments: HashMap<UserId, Assignments>,
    /// Message `id` lives at index `id - 1`: ids are dense and increasing.
    messages: Vec<MessageRecord>,
    /// Each room's message ids, increasing.
    rooms: HashMap<RoomRef, Vec<MessageId>>,
    /// Sender → clientMessageId → the message stored with it.
    client_ids: HashMap<UserId, HashMap<String, MessageId>>,
    reads: BTreeMap<(MessageId, UserId), DateTime<Utc>>,
    files: BTreeMap<FileId, FileRecord>,
    /// File id → the messages carrying it.
    file_messages: HashMap<FileId, Vec<MessageId>>,
    next_file_id: FileId,
}

impl State {
    pub fn user(&self, id: UserId) -> Option<User> {
        self.users.get(&id).cloned()
    }

    pub fn room_access(&self, user_id: UserId, room: RoomRef) -> Option<RoomAccessFacts> {
        let (project_id, study_id) = match room.kind {
            RoomType::Project => (room.id, None),
            RoomType::Study => (*self.studies.get(&room.id)?, Some(room.id)),
        };
        let created_by = *self.projects.get(&project_id)?;
        let tasks = self.assignments.get(&user_id);
        let has = |list: fn(&Assignments) -> &Vec<u64>, id: u64| {
            tasks.is_some_and(|t| list(t).binary_search(&id).is_ok())
        };
        Some(RoomAccessFacts {
            room,
            project_id,
            project_created_by: created_by,
            user_has_grant: self.grants.contains(&(project_id, user_id)),
            user_has_task_in_project: has(|t| &t.projects, project_id),
            user_has_task_in_study: study_id.map(|s| has(|t| &t.studies, s)),
        })
    }

    fn record(&self, id: MessageId) -> Option<&MessageRecord> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.messages.get(index)
    }

    fn sender(&self, id: UserId) -> Result<UserSummary, StoreError> {
        self.users
            .get(&id)
            .map(User::summary)
            // Users are never removed and inserts check the sender, so this is a
            // broken invariant, reported rather than papered over.
            .ok_or_else(|| {
                StoreError::Backend(format!("sender {id} of a stored message is missing"))
            })
    }

    /// A served message: relations attached, tombstoned if deleted.
    fn build(&self, record: &MessageRecord) -> Result<Message, StoreError> {
        let parent = match record.reply_to_id.and_then(|id| self.record(id)) {
            Some(parent) => Some(
                parent
                    .clone()
                    .into_message(self.sender(parent.sender_id)?, None),
            ),
            None => None,
        };
        Ok(record
            .clone()
            .into_message(self.sender(record.sender_id)?, parent))
    }

    pub fn message(&self, id: MessageId) -> Result<Option<Message>, StoreError> {
        self.record(id).map(|r| self.build(r)).transpose()
    }

    pub fn insert_messages(
        &mut self,
        batch: &[NewMessage],
        now: DateTime<Utc>,
        options: &StoreOptions,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        // Replies may only point at messages stored before this batch, as in MariaDB
        // where parents are looked up before the batch's inserts.
        let stored_before = self.messages.len() as u64;
        let mut outcomes = Vec::with_capacity(batch.len());
        for new in batch {
            let outcome = match self.check_new(new, stored_before, options) {
                Err(rejection) => InsertOutcome::Rejected(rejection),
                Ok(Some(original)) => {
                    InsertOutcome::Duplicate(self.build(self.record_or_err(original)?)?)
                }
                Ok(None) => InsertOutcome::Created(self.store_new(new, now)?),
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    fn record_or_err(&self, id: MessageId) -> Result<&MessageRecord, StoreError> {
        self.record(id)
            .ok_or_else(|| StoreError::Backend(format!("message {id} indexed but missing")))
    }

    /// `Ok(Some(id))` for a duplicate of message `id`, `Ok(None)` to store it.
    fn check_new(
        &self,
        new: &NewMessage,
        stored_before: u64,
        options: &StoreOptions,
    ) -> Result<Option<MessageId>, Rejection> {
        new.check_shape(options.max_content_bytes)?;
        if let Some(key) = &new.client_message_id
            && let Some(&id) = self
                .client_ids
                .get(&new.sender_id)
                .and_then(|keys| keys.get(key))
        {
            return Ok(Some(id));
        }
        if !self.users.contains_key(&new.sender_id) {
            return Err(Rejection::UnknownSender(new.sender_id));
        }
        if let Some(file_id) = new.file_id
            && !self.files.contains_key(&file_id)
        {
            return Err(Rejection::UnknownFile(file_id));
        }
        if let Some(parent) = new.reply_to_id {
            let in_room =
                parent <= stored_before && self.record(parent).is_some_and(|p| p.room == new.room);
            if !in_room {
                return Err(Rejection::ReplyNotInRoom(parent));
            }
        }
        Ok(None)
    }

    fn store_new(&mut self, new: &NewMessage, now: DateTime<Utc>) -> Result<Message, StoreError> {
        let id = self.messages.len() as u64 + 1;
        let file = match new.file_id {
            Some(file_id) => {
                let record = self
                    .files
                    .get_mut(&file_id)
                    .ok_or_else(|| StoreError::Backend(format!("file {file_id} vanished")))?;
                record.attached = true;
                self.file_messages.entry(file_id).or_default().push(id);
                Some(record.metadata())
            }
            None => None,
        };
        self.messages.push(MessageRecord {
            id,
            room: new.room,
            sender_id: new.sender_id,
            kind: new.kind,
            content: new.content.clone(),
            file,
            reply_to_id: new.reply_to_id,
            edited_at: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        });
        self.rooms.entry(new.room).or_default().push(id);
        if let Some(key) = &new.client_message_id {
            self.client_ids
                .entry(new.sender_id)
                .or_default()
                .insert(key.clone(), id);
        }
        self.build(self.record_or_err(id)?)
    }

    pub fn history(
        &self,
        room: RoomRef,
        cursor: HistoryCursor,
        limit: usize,
    ) -> Result<HistoryPage, StoreError> {
        let ids = self.rooms.get(&room).map(Vec::as_slice).unwrap_or_default();
        // Up to `limit + 1` ids, oldest first; the extra one proves there is more.
        let probe = match cursor {
            HistoryCursor::Latest | HistoryCursor::Before(_) => {
                let end = match cursor {
                    HistoryCursor::Before(before) => ids.partition_point(|&id| id < before),
                    _ => ids.len(),
                };
                &ids[end.saturating_sub(limit + 1)..end]
            }
            HistoryCursor::After(after) => {
                let start = ids.partition_point(|&id| id <= after);
                &ids[start..(start + limit + 1).min(ids.len())]
            }
        };
        let messages = probe
            .iter()
            .map(|&id| self.build(self.record_or_err(id)?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HistoryPage::from_probe(messages, limit, cursor))
    }

    fn live_record_mut(&mut self, id: MessageId) -> Result<&mut MessageRecord, StoreError> {
        let index = usize::try_from(id.wrapping_sub(1)).unwrap_or(usize::MAX);
        let record = self
            .messages
            .get_mut(index)
            .ok_or(StoreError::not_found(Entity::Message, id))?;
        if record.deleted_at.is_some() {
            return Err(StoreError::MessageDeleted(id));
        }
        Ok(record)
    }

    pub fn edit(
        &mut self,
        id: MessageId,
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<Message, StoreError> {
        let record = self.live_record_mut(id)?;
        record.content = content.to_owned();
        record.edited_at = Some(now);
        record.updated_at = now;
        self.build(self.record_or_err(id)?)
    }

    pub fn delete(&mut self, id: MessageId, now: DateTime<Utc>) -> Result<Message, StoreError> {
        let record = self.live_record_mut(id)?;
        record.deleted_at = Some(now);
        record.updated_at = now;
        self.build(self.record_or_err(id)?)
    }

    pub fn mark_read(
        &mut self,
        message_id: MessageId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<MarkRead, StoreError> {
        if self.record(message_id).is_none() {
            return Err(StoreError::not_found(Entity::Message, message_id));
        }
        if !self.users.contains_key(&user_id) {
            return Err(StoreError::not_found(Entity::User, user_id));
        }
        let mut newly_read = false;
        let read_at = *self.reads.entry((message_id, user_id)).or_insert_with(|| {
            newly_read = true;
            now
        });
        Ok(MarkRead {
            receipt: ReadReceipt {
                message_id,
                user_id,
                read_at,
            },
            newly_read,
        })
    }

    pub fn reads(&self, message_id: MessageId) -> Vec<ReadReceipt> {
        let mut receipts: Vec<_> = self
            .reads
            .range((message_id, 0)..=(message_id, UserId::MAX))
            .map(|(&(message_id, user_id), &read_at)| ReadReceipt {
                message_id,
                user_id,
                read_at,
            })
            .collect();
        receipts.sort_by_key(|r| (r.read_at, r.user_id));
        receipts
    }

    pub fn insert_file(
        &mut self,
        file: NewFile,
        now: DateTime<Utc>,
    ) -> Result<FileRecord, StoreError> {
        file.check().map_err(StoreError::Invalid)?;
        if !self.users.contains_key(&file.uploader_id) {
            return Err(StoreError::not_found(Entity::User, file.uploader_id));
        }
        self.next_file_id += 1;
        let record = FileRecord {
            id: self.next_file_id,
            uploader_id: file.uploader_id,
            file_name: file.file_name,
            file_size: file.file_size,
            mime_type: file.mime_type,
            storage_key: file.storage_key,
            created_at: now,
            attached: false,
        };
        self.files.insert(record.id, record.clone());
        Ok(record)
    }

    pub fn file(&self, id: FileId) -> Option<FileRecord> {
        self.files.get(&id).cloned()
    }

    pub fn mark_file_attached(&mut self, id: FileId) -> Result<(), StoreError> {
        let file = self
            .files
            .get_mut(&id)
            .ok_or(StoreError::not_found(Entity::File, id))?;
        file.attached = true;
        Ok(())
    }

    pub fn file_rooms(&self, id: FileId) -> Vec<RoomRef> {
        let mut rooms: Vec<RoomRef> = self
            .file_messages
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|&m| self.record(m))
            .filter(|m| m.deleted_at.is_none())
            .map(|m| m.room)
            .collect();
        rooms.sort();
        rooms.dedup();
        rooms
    }

    pub fn unattached_files_before(&self, cutoff: DateTime<Utc>, limit: usize) -> Vec<FileRecord> {
        let mut files: Vec<_> = self
            .files
            .values()
            .filter(|f| !f.attached && f.created_at < cutoff)
            .cloned()
            .collect();
        files.sort_by_key(|f| (f.created_at, f.id));
        files.truncate(limit);
        files
    }

    pub fn delete_file(&mut self, id: FileId) -> Result<(), StoreError> {
        match self.files.get(&id) {
            None => Err(StoreError::not_found(Entity::File, id)),
            Some(file) if file.attached => Err(StoreError::FileAttached(id)),
            Some(_) => {
                self.files.remove(&id);
                Ok(())
            }
        }
    }

    /// Checks every reference of the dataset against what exists (rows already
    /// stored win over the dataset's rows with the same id, as in MariaDB), then
    /// inserts the missing rows. Nothing changes when a check fails.
    pub fn load_dataset(&mut self, data: &Dataset) -> Result<(), StoreError> {
        let user_known =
            |id: UserId| self.users.contains_key(&id) || data.users.iter().any(|u| u.id == id);
        let project_known = |id: ProjectId| {
            self.projects.contains_key(&id) || data.projects.iter().any(|p| p.id == id)
        };
        let study_project = |id: StudyId| {
            self.studies.get(&id).copied().or_else(|| {
                data.studies
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.project_id)
            })
        };
        let invalid = |what: String| Err(StoreError::Invalid(format!("dataset: {what}")));
        for p in &data.projects {
            if !user_known(p.created_by) {
                return invalid(format!(
                    "project {} is created by unknown user {}",
                    p.id, p.created_by
                ));
            }
        }
        for g in &data.grants {
            if !project_known(g.project_id) || !user_known(g.user_id) {
                return invalid(format!(
                    "grant of project {} to user {} refers to an unknown row",
                    g.project_id, g.user_id
                ));
            }
        }
        for s in &data.studies {
            if !project_known(s.project_id) {
                return invalid(format!(
                    "study {} is in unknown project {}",
                    s.id, s.project_id
                ));
            }
        }
        for t in &data.tasks {
            if !project_known(t.project_id) {
                return invalid(format!(
                    "task {} is in unknown project {}",
                    t.id, t.project_id
                ));
            }
            if let Some(study) = t.study_id
                && study_project(study) != Some(t.project_id)
            {
                return invalid(format!(
                    "task {} is in study {study}, which is not a study of project {}",
                    t.id, t.project_id
                ));
            }
            if let Some(assignee) = t.assignee_id
                && !user_known(assignee)
            {
                return invalid(format!(
                    "task {} is assigned to unknown user {assignee}",
                    t.id
                ));
            }
        }

        for u in &data.users {
            self.users.entry(u.id).or_insert_with(|| u.clone());
        }
        for p in &data.projects {
            self.projects.entry(p.id).or_insert(p.created_by);
        }
        for g in &data.grants {
            self.grants.insert((g.project_id, g.user_id));
        }
        for s in &data.studies {
            self.studies.entry(s.id).or_insert(s.project_id);
        }
        for t in &data.tasks {
            if !self.task_ids.insert(t.id) {
                continue;
            }
            if let Some(assignee) = t.assignee_id {
                let tasks = self.assignments.entry(assignee).or_default();
                insert_sorted(&mut tasks.projects, t.project_id);
                if let Some(study) = t.study_id {
                    insert_sorted(&mut tasks.studies, study);
                }
            }
        }
        Ok(())
    }

    pub fn load_fixture(&mut self, spec: &FixtureSpec) {
        for id in 1..=spec.users {
            self.users.entry(id).or_insert_with(|| User {
                id,
                first_name: FixtureSpec::user_first_name(id).to_owned(),
                last_name: FixtureSpec::user_last_name(id),
                role: Role::Researcher,
            });
        }
        for id in 1..=spec.projects {
            self.projects
                .entry(id)
                .or_insert(FixtureSpec::PROJECT_CREATOR);
        }
        for user in 1..=spec.users {
            match self.assignments.entry(user) {
                Entry::Vacant(slot) => {
                    slot.insert(Assignments {
                        projects: (1..=spec.projects).collect(),
                        studies: Vec::new(),
                    });
                }
                Entry::Occupied(mut slot) => {
                    for project in 1..=spec.projects {
                        insert_sorted(&mut slot.get_mut().projects, project);
                    }
                }
            }
        }
    }
}
