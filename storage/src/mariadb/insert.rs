//! The batched message insert: one transaction per batch, rows inserted in input
//! order (so ids increase with it), idempotent per (sender, clientMessageId).
//!
//! A batch runs in four steps: gather what the batch refers to (keys sent before,
//! senders, files, reply parents), decide each input in order (the same decisions,
//! in the same order, as the in-memory store), write the rows to store, and build
//! the answers from what was written. A batch that loses a race on the
//! clientMessageId index, or a deadlock, is retried from the start: the retry sees
//! the winner's row and answers with it.
//!
//! A batch that fits one `INSERT` runs it in autocommit mode, where the statement is
//! its own transaction (all rows or none, durable when it returns): no BEGIN, no
//! COMMIT. The `INSERT ... RETURNING` gives back each row's id and its sender's names,
//! so the common batch (text, no clientMessageId, no reply) is ONE round trip: a
//! sender that does not exist makes the foreign key refuse the statement (nothing
//! stored), and the batch is then decided the long way, which rejects that message
//! alone. Other one-statement batches read their facts first, which is safe without a
//! transaction: a key sent meanwhile breaks the unique index (the batch is retried),
//! and stored messages never change room. A batch that attaches files (which must be
//! locked against housekeeping) or needs several statements runs in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{TxOpts, Value};

use super::MariaDbStore;
use super::errors::{ER_DUP_ENTRY, ER_LOCK_DEADLOCK, ER_NO_REFERENCED_ROW, map, server_code};
use super::messages::{Loaded, load, load_records};
use super::rows::{db_time, id_list, placeholders};
use crate::error::StoreError;
use crate::model::{
    FileId, FileMetadata, InsertOutcome, Message, MessageId, MessageRecord, NewMessage, Rejection,
    UserId, UserSummary,
};
use crate::store::Store;

/// Rows per `INSERT` statement; a bigger batch takes several statements in the same
/// transaction. Each row count is one prepared statement per connection.
pub(super) const MAX_ROWS_PER_INSERT: usize = 128;
/// Content bytes per `INSERT` statement, well under MariaDB's default 16 MiB packet.
const MAX_BYTES_PER_INSERT: usize = 4 << 20;
/// Attempts of a batch that keeps losing races.
const INSERT_ATTEMPTS: u32 = 3;

/// Why an attempt stopped.
enum Failure {
    /// Lost a race (duplicate key, deadlock): worth another attempt.
    Retry(mysql_async::Error),
    /// A foreign key refused a row (its sender does not exist): nothing was stored.
    Unreferenced(mysql_async::Error),
    /// Anything else.
    Fail(StoreError),
}

impl From<mysql_async::Error> for Failure {
    fn from(e: mysql_async::Error) -> Self {
        match server_code(&e) {
            Some(ER_DUP_ENTRY | ER_LOCK_DEADLOCK) => Failure::Retry(e),
            Some(ER_NO_REFERENCED_ROW) => Failure::Unreferenced(e),
            _ => Failure::Fail(map(e)),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Fail(e)
    }
}

pub(super) async fn insert(
    store: &MariaDbStore,
    batch: &[NewMessage],
) -> Result<Vec<InsertOutcome>, StoreError> {
    let mut attempt = 1;
    loop {
        match attempt_batch(store, batch).await {
            Ok(outcomes) => return Ok(outcomes),
            Err(Failure::Fail(e)) => return Err(e),
            Err(Failure::Unreferenced(e)) => return Err(map(e)),
            Err(Failure::Retry(e)) if attempt >= INSERT_ATTEMPTS => return Err(map(e)),
            Err(Failure::Retry(e)) => {
                tracing::debug!(attempt, error = %e, "message batch lost a race; retrying");
                attempt += 1;
            }
        }
    }
}

async fn attempt_batch(
    store: &MariaDbStore,
    batch: &[NewMessage],
) -> Result<Vec<InsertOutcome>, Failure> {
    let now = store.now();
    let max_content = store.options().max_content_bytes;
    let shapes: Vec<Result<(), Rejection>> =
        batch.iter().map(|m| m.check_shape(max_content)).collect();
    let well_formed: Vec<&NewMessage> = batch
        .iter()
        .zip(&shapes)
        .filter_map(|(m, shape)| shape.is_ok().then_some(m))
        .collect();

    let mut conn = store.inner.pool.get_conn().await.map_err(map)?;
    // Autocommit when one INSERT does it: the statement is the transaction (see the
    // module header).
    let single = one_statement(&well_formed);
    if self_contained(&well_formed) {
        let done = if single {
            insert_self_contained(&mut conn, batch, &shapes, now).await
        } else {
            let mut tx = conn
                .start_transaction(TxOpts::default())
                .await
                .map_err(map)?;
            match insert_self_contained(&mut tx, batch, &shapes, now).await {
                Ok(outcomes) => tx.commit().await.map(|()| outcomes).map_err(Failure::from),
                Err(Failure::Unreferenced(e)) => {
                    tx.rollback().await.map_err(map)?;
                    Err(Failure::Unreferenced(e))
                }
                Err(e) => Err(e),
            }
        };
        match done {
            // An unknown sender: decided below, with the facts read first.
            Err(Failure::Unreferenced(_)) => {}
            done => return done,
        }
    }
    if single {
        return run(&mut conn, batch, shapes, &well_formed, now).await;
    }
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .await
        .map_err(map)?;
    let outcomes = run(&mut tx, batch, shapes, &well_formed, now).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Whether the rows of these messages go in one `INSERT` with nothing else to write
/// (no file to lock and mark attached).
fn one_statement(well_formed: &[&NewMessage]) -> bool {
    let bytes: usize = well_formed.iter().map(|m| m.content.len()).sum();
    well_formed.len() <= MAX_ROWS_PER_INSERT
        && (well_formed.len() <= 1 || bytes <= MAX_BYTES_PER_INSERT)
        && well_formed.iter().all(|m| m.file_id.is_none())
}

/// Whether the batch has nothing to look up before it is written: no clientMessageId
/// to match, no parent, no file.
fn self_contained(well_formed: &[&NewMessage]) -> bool {
    !well_formed.is_empty()
        && well_formed.iter().all(|m| {
            m.client_message_id.is_none() && m.reply_to_id.is_none() && m.file_id.is_none()
        })
}

/// A self-contained batch, without reading anything first: every well-formed message
/// is stored, and the senders' names come back with the ids.
async fn insert_self_contained<Q: Queryable>(
    q: &mut Q,
    batch: &[NewMessage],
    shapes: &[Result<(), Rejection>],
    now: DateTime<Utc>,
) -> Result<Vec<InsertOutcome>, Failure> {
    let plans: Vec<Plan> = shapes
        .iter()
        .map(|shape| match shape {
            Ok(()) => Plan::Store(None),
            Err(rejection) => Plan::Rejected(rejection.clone()),
        })
        .collect();
    let written = write(q, batch, &plans, now).await?;
    let facts = Facts {
        stored_keys: HashMap::new(),
        senders: written
            .iter()
            .map(|w| (w.sender.id, w.sender.clone()))
            .collect(),
        files: HashMap::new(),
        parents: HashMap::new(),
    };
    answers(batch, plans, written, &facts, &HashMap::new(), now)
}

/// The four steps, on a transaction or (for one statement) on the connection.
async fn run<Q: Queryable>(
    q: &mut Q,
    batch: &[NewMessage],
    shapes: Vec<Result<(), Rejection>>,
    well_formed: &[&NewMessage],
    now: DateTime<Utc>,
) -> Result<Vec<InsertOutcome>, Failure> {
    let facts = Facts::gather(q, well_formed).await?;
    let plans = decide(batch, shapes, &facts);
    let originals: Vec<MessageId> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::StoredBefore(id) => Some(*id),
            _ => None,
        })
        .collect();
    // Read before writing: once the INSERT has run, nothing may fail (in autocommit
    // mode it is already committed, and an error would claim nothing was stored).
    let originals = load(q, &originals).await?;
    let stored = write(q, batch, &plans, now).await?;
    answers(batch, plans, stored, &facts, &originals, now)
}

/// What the batch refers to, read before its rows are written.
struct Facts {
    /// (sender, key) → the message stored with it before.
    stored_keys: HashMap<(UserId, Vec<u8>), MessageId>,
    senders: HashMap<UserId, UserSummary>,
    files: HashMap<FileId, FileMetadata>,
    parents: HashMap<MessageId, Loaded>,
}

impl Facts {
    async fn gather<Q: Queryable>(tx: &mut Q, batch: &[&NewMessage]) -> Result<Self, Failure> {
        // The OR of equalities is a union of lookups in the unique (sender_id,
        // client_message_id) index.
        let keyed: Vec<&NewMessage> = batch
            .iter()
            .copied()
            .filter(|m| m.client_message_id.is_some())
            .collect();
        let mut stored_keys = HashMap::new();
        if !keyed.is_empty() {
            let condition =
                vec!["(sender_id = ? AND client_message_id = ?)"; keyed.len()].join(" OR ");
            let params: Vec<Value> = keyed
                .iter()
                .flat_map(|m| [Value::from(m.sender_id), key_value(m)])
                .collect();
            let rows: Vec<(MessageId, UserId, Vec<u8>)> = tx
                .exec(
                    format!(
                        "SELECT id, sender_id, client_message_id FROM messages WHERE {condition}"
                    ),
                    params,
                )
                .await?;
            stored_keys = rows
                .into_iter()
                .map(|(id, sender, key)| ((sender, key), id))
                .collect();
        }

        let mut senders = HashMap::new();
        let sender_ids = sorted_ids(batch.iter().map(|m| m.sender_id));
        if !sender_ids.is_empty() {
            let rows: Vec<(UserId, String, String)> = tx
                .query(format!(
                    "SELECT id, first_name, last_name FROM users WHERE id IN ({})",
                    id_list(sender_ids)
                ))
                .await?;
            senders = rows
                .into_iter()
                .map(|(id, first_name, last_name)| {
                    let summary = UserSummary {
                        id,
                        first_name,
                        last_name,
                    };
                    (id, summary)
                })
                .collect();
        }

        // FOR UPDATE: a concurrent housekeeping delete of one of these files waits for
        // this transaction, and then finds the file attached.
        let mut files = HashMap::new();
        let file_ids = sorted_ids(batch.iter().filter_map(|m| m.file_id));
        if !file_ids.is_empty() {
            let rows: Vec<(FileId, String, u64, String)> = tx
                .query(format!(
                    "SELECT id, file_name, file_size, mime_type FROM files \
                     WHERE id IN ({}) FOR UPDATE",
                    id_list(file_ids)
                ))
                .await?;
            files = rows
                .into_iter()
                .map(|(id, file_name, file_size, mime_type)| {
                    let metadata = FileMetadata {
                        id,
                        file_name,
                        file_size,
                        mime_type,
                    };
                    (id, metadata)
                })
                .collect();
        }

        let parent_ids = sorted_ids(batch.iter().filter_map(|m| m.reply_to_id));
        let parents = load_records(tx, &parent_ids).await?;
        Ok(Self {
            stored_keys,
            senders,
            files,
            parents,
        })
    }
}

fn sorted_ids(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut ids: Vec<u64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The clientMessageId as stored: its UTF-8 bytes (or NULL).
fn key_value(m: &NewMessage) -> Value {
    match &m.client_message_id {
        Some(key) => Value::Bytes(key.as_bytes().to_vec()),
        None => Value::NULL,
    }
}

/// What the batch decided for one input.
enum Plan {
    Rejected(Rejection),
    /// Stored earlier: the original's id.
    StoredBefore(MessageId),
    /// Same key as input `index` of this batch, which is being stored.
    SameAsInput(usize),
    /// To store, with the file metadata copied from its record.
    Store(Option<FileMetadata>),
}

/// Decides every input in order: shape, then a key sent before (in the database or
/// earlier in the batch), then sender, file and reply parent.
fn decide(batch: &[NewMessage], shapes: Vec<Result<(), Rejection>>, facts: &Facts) -> Vec<Plan> {
    let mut batch_keys: HashMap<(UserId, &str), usize> = HashMap::new();
    let mut plans = Vec::with_capacity(batch.len());
    for (index, (new, shape)) in batch.iter().zip(shapes).enumerate() {
        let plan = shape
            .and_then(|()| decide_one(new, facts, &batch_keys))
            .unwrap_or_else(Plan::Rejected);
        if let (Plan::Store(_), Some(key)) = (&plan, new.client_message_id.as_deref()) {
            batch_keys.insert((new.sender_id, key), index);
        }
        plans.push(plan);
    }
    plans
}

fn decide_one(
    new: &NewMessage,
    facts: &Facts,
    batch_keys: &HashMap<(UserId, &str), usize>,
) -> Result<Plan, Rejection> {
    if let Some(key) = new.client_message_id.as_deref() {
        let stored = facts
            .stored_keys
            .get(&(new.sender_id, key.as_bytes().to_vec()));
        if let Some(&id) = stored {
            return Ok(Plan::StoredBefore(id));
        }
        if let Some(&first) = batch_keys.get(&(new.sender_id, key)) {
            return Ok(Plan::SameAsInput(first));
        }
    }
    if !facts.senders.contains_key(&new.sender_id) {
        return Err(Rejection::UnknownSender(new.sender_id));
    }
    let file = match new.file_id {
        Some(id) => Some(
            facts
                .files
                .get(&id)
                .cloned()
                .ok_or(Rejection::UnknownFile(id))?,
        ),
        None => None,
    };
    if let Some(parent) = new.reply_to_id
        && facts
            .parents
            .get(&parent)
            .is_none_or(|(p, _)| p.room != new.room)
    {
        return Err(Rejection::ReplyNotInRoom(parent));
    }
    Ok(Plan::Store(file))
}

/// A row as written: its input, its id, its sender as stored.
struct Written {
    index: usize,
    id: MessageId,
    sender: UserSummary,
}

/// Inserts the rows to store, in input order, and marks their files attached.
async fn write<Q: Queryable>(
    tx: &mut Q,
    batch: &[NewMessage],
    plans: &[Plan],
    now: DateTime<Utc>,
) -> Result<Vec<Written>, Failure> {
    let rows: Vec<(usize, &NewMessage, &Option<FileMetadata>)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, plan)| match plan {
            Plan::Store(file) => Some((i, &batch[i], file)),
            _ => None,
        })
        .collect();
    let mut stored = Vec::with_capacity(rows.len());
    for chunk in chunks(&rows) {
        let params: Vec<Value> = chunk
            .iter()
            .flat_map(|(_, m, file)| row_params(m, file, now))
            .collect();
        // The names cannot be NULL: the sender's foreign key was just checked.
        let returned: Vec<(MessageId, Option<String>, Option<String>)> = tx
            .exec(
                format!(
                    "INSERT INTO messages (room_type, room_id, sender_id, type, content, \
                     file_id, file_name, file_size, mime_type, reply_to_id, \
                     client_message_id, created_at, updated_at) VALUES {} \
                     RETURNING id, \
                     (SELECT u.first_name FROM users u WHERE u.id = messages.sender_id), \
                     (SELECT u.last_name FROM users u WHERE u.id = messages.sender_id)",
                    placeholders(chunk.len(), 13)
                ),
                params,
            )
            .await?;
        if returned.len() != chunk.len() {
            return Err(StoreError::Backend(format!(
                "inserted {} messages but got {} ids back",
                chunk.len(),
                returned.len()
            ))
            .into());
        }
        for (&(index, new, _), (id, first_name, last_name)) in chunk.iter().zip(returned) {
            let (Some(first_name), Some(last_name)) = (first_name, last_name) else {
                return Err(StoreError::Backend(format!("message {id} has no sender")).into());
            };
            let sender = UserSummary {
                id: new.sender_id,
                first_name,
                last_name,
            };
            stored.push(Written { index, id, sender });
        }
    }
    let attached = sorted_ids(rows.iter().filter_map(|(_, m, _)| m.file_id));
    if !attached.is_empty() {
        tx.query_drop(format!(
            "UPDATE files SET attached = 1 WHERE attached = 0 AND id IN ({})",
            id_list(attached)
        ))
        .await?;
    }
    Ok(stored)
}

/// Splits rows into statements of at most [`MAX_ROWS_PER_INSERT`] rows and about
/// [`MAX_BYTES_PER_INSERT`] content bytes (a row alone may exceed the latter).
fn chunks<'a, T>(rows: &'a [(usize, &'a NewMessage, T)]) -> Vec<&'a [(usize, &'a NewMessage, T)]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, m, _)) in rows.iter().enumerate() {
        let full = i - start == MAX_ROWS_PER_INSERT
            || (i > start && bytes + m.content.len() > MAX_BYTES_PER_INSERT);
        if full {
            out.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += m.content.len();
    }
    if start < rows.len() {
        out.push(&rows[start..]);
    }
    out
}

fn row_params(m: &NewMessage, file: &Option<FileMetadata>, now: DateTime<Utc>) -> [Value; 13] {
    [
        m.room.kind.as_str().into(),
        m.room.id.into(),
        m.sender_id.into(),
        m.kind.as_str().into(),
        m.content.as_str().into(),
        file.as_ref().map(|f| f.id).into(),
        file.as_ref().map(|f| f.file_name.as_str()).into(),
        file.as_ref().map(|f| f.file_size).into(),
        file.as_ref().map(|f| f.mime_type.as_str()).into(),
        m.reply_to_id.into(),
        key_value(m),
        db_time(now).into(),
        db_time(now).into(),
    ]
}

/// One outcome per input. Created messages are built from what was written: the
/// times are the ones stored, since DATETIME(3) keeps every millisecond of `now`.
fn answers(
    batch: &[NewMessage],
    plans: Vec<Plan>,
    stored: Vec<Written>,
    facts: &Facts,
    originals: &HashMap<MessageId, Message>,
    now: DateTime<Utc>,
) -> Result<Vec<InsertOutcome>, Failure> {
    let ids: HashMap<usize, MessageId> = stored.into_iter().map(|w| (w.index, w.id)).collect();
    let mut created: HashMap<usize, Message> = HashMap::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for (index, plan) in plans.into_iter().enumerate() {
        let outcome = match plan {
            Plan::Rejected(r) => InsertOutcome::Rejected(r),
            Plan::Store(file) => {
                let new = &batch[index];
                let id = *ids
                    .get(&index)
                    .ok_or_else(|| StoreError::Backend(format!("batch input {index} got no id")))?;
                let record = MessageRecord {
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
                };
                let sender = facts.senders.get(&new.sender_id).cloned().ok_or_else(|| {
                    StoreError::Backend(format!("sender {} vanished", new.sender_id))
                })?;
                let parent = new
                    .reply_to_id
                    .and_then(|p| facts.parents.get(&p))
                    .map(|(p, s)| p.clone().into_message(s.clone(), None));
                let message = record.into_message(sender, parent);
                created.insert(index, message.clone());
                InsertOutcome::Created(message)
            }
            Plan::SameAsInput(first) => {
                InsertOutcome::Duplicate(created.get(&first).cloned().ok_or_else(|| {
                    StoreError::Backend(format!("batch input {first} was not stored"))
                })?)
            }
            Plan::StoredBefore(id) => {
                InsertOutcome::Duplicate(originals.get(&id).cloned().ok_or_else(|| {
                    StoreError::Backend(format!("original message {id} vanished"))
                })?)
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoomRef;

    fn rows(contents: &[usize]) -> Vec<NewMessage> {
        contents
            .iter()
            .map(|&n| NewMessage::text(RoomRef::project(1), 1, "x".repeat(n)))
            .collect()
    }

    fn sizes(messages: &[NewMessage]) -> Vec<usize> {
        let indexed: Vec<(usize, &NewMessage, ())> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| (i, m, ()))
            .collect();
        chunks(&indexed).iter().map(|c| c.len()).collect()
    }

    #[test]
    fn statements_hold_at_most_the_row_limit() {
        let small = rows(&[1; 300]);
        assert_eq!(sizes(&small), [128, 128, 44]);
        assert_eq!(sizes(&rows(&[1; 128])), [128]);
        assert!(sizes(&[]).is_empty());
    }

    #[test]
    fn statements_hold_about_the_byte_limit() {
        let mib = 1 << 20;
        // 4 MiB fit in one statement; the fifth starts the next. A row larger than
        // the limit still goes, alone.
        assert_eq!(sizes(&rows(&[mib, mib, mib, mib, mib])), [4, 1]);
        assert_eq!(sizes(&rows(&[1, 5 * mib, 1])), [1, 1, 1]);
    }
}
