//! Messages in MariaDB: the batched insert, loading with relations, history pages,
//! edit, soft delete and read receipts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, TxOpts, Value};

use super::MariaDbStore;
use super::errors::{ER_DUP_ENTRY, ER_LOCK_DEADLOCK, ER_NO_REFERENCED_ROW, map, server_code};
use super::rows::{
    MESSAGE_COLUMNS, MESSAGE_FROM, db_time, id_list, message_from_row, placeholders, take,
};
use crate::error::{Entity, StoreError};
use crate::model::{
    FileMetadata, HistoryCursor, HistoryPage, InsertOutcome, MarkRead, Message, MessageId,
    MessageRecord, NewMessage, ReadReceipt, Rejection, RoomRef, UserId, UserSummary,
};
use crate::store::Store;

/// Rows per `INSERT` statement; a bigger batch takes several statements in the same
/// transaction. Each row count is one prepared statement per connection.
pub(super) const MAX_ROWS_PER_INSERT: usize = 64;
/// Content bytes per `INSERT` statement, well under MariaDB's default 16 MiB packet.
const MAX_BYTES_PER_INSERT: usize = 4 << 20;
/// Attempts of a batch that lost a race (a concurrent insert of the same
/// clientMessageId, or a deadlock): the retry sees the winner and answers with it.
const INSERT_ATTEMPTS: u32 = 3;

type Loaded = (MessageRecord, UserSummary);

/// Rows of [`MESSAGE_COLUMNS`] for the given ids.
async fn load_records<Q: Queryable>(
    q: &mut Q,
    ids: &[MessageId],
) -> Result<HashMap<MessageId, Loaded>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Row> = q
        .query(format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id IN ({})",
            id_list(ids.iter().copied())
        ))
        .await
        .map_err(map)?;
    rows.into_iter()
        .map(|row| message_from_row(row).map(|loaded| (loaded.0.id, loaded)))
        .collect()
}

/// Attaches parents to loaded rows (fetching the parents not among them) and builds
/// the served messages, in the input order.
async fn with_parents<Q: Queryable>(
    q: &mut Q,
    loaded: Vec<Loaded>,
) -> Result<Vec<Message>, StoreError> {
    let known: HashMap<MessageId, &Loaded> = loaded.iter().map(|l| (l.0.id, l)).collect();
    let mut missing: Vec<MessageId> = loaded
        .iter()
        .filter_map(|l| l.0.reply_to_id)
        .filter(|id| !known.contains_key(id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let fetched = load_records(q, &missing).await?;
    let parent = |id: MessageId| -> Option<Message> {
        let (record, sender) = known.get(&id).copied().or_else(|| fetched.get(&id))?;
        Some(record.clone().into_message(sender.clone(), None))
    };
    let parents: Vec<Option<Message>> = loaded
        .iter()
        .map(|l| l.0.reply_to_id.and_then(parent))
        .collect();
    Ok(loaded
        .into_iter()
        .zip(parents)
        .map(|((record, sender), parent)| record.into_message(sender, parent))
        .collect())
}

/// Messages by id, with relations.
pub(super) async fn load<Q: Queryable>(
    q: &mut Q,
    ids: &[MessageId],
) -> Result<HashMap<MessageId, Message>, StoreError> {
    let loaded = load_records(q, ids).await?.into_values().collect();
    Ok(with_parents(q, loaded)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

pub(super) async fn history(
    conn: &mut Conn,
    room: RoomRef,
    cursor: HistoryCursor,
    limit: usize,
) -> Result<HistoryPage, StoreError> {
    // One backward or forward range scan of (room_type, room_id, id), fetching one
    // row more than the page to learn whether there is more.
    let (sql, bound) = match cursor {
        HistoryCursor::Latest => (
            format!(
                "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.room_type = ? AND m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?"
            ),
            u64::MAX,
        ),
        HistoryCursor::Before(before) => (
            format!(
                "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.room_type = ? AND m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?"
            ),
            before,
        ),
        HistoryCursor::After(after) => (
            format!(
                "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.room_type = ? AND m.room_id = ? AND m.id > ? ORDER BY m.id ASC LIMIT ?"
            ),
            after,
        ),
    };
    let rows: Vec<Row> = conn
        .exec(sql, (room.kind.as_str(), room.id, bound, limit as u64 + 1))
        .await
        .map_err(map)?;
    let mut loaded = rows
        .into_iter()
        .map(message_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    if !matches!(cursor, HistoryCursor::After(_)) {
        loaded.reverse();
    }
    let messages = with_parents(conn, loaded).await?;
    Ok(HistoryPage::from_probe(messages, limit, cursor))
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

/// The outcome of one attempt at a batch.
enum Attempt {
    Done(Vec<InsertOutcome>),
    /// Lost a race; try again from the start.
    Retry(mysql_async::Error),
}

pub(super) async fn insert(
    store: &MariaDbStore,
    batch: &[NewMessage],
) -> Result<Vec<InsertOutcome>, StoreError> {
    let mut attempt = 1;
    loop {
        match try_insert(store, batch).await? {
            Attempt::Done(outcomes) => return Ok(outcomes),
            Attempt::Retry(e) if attempt >= INSERT_ATTEMPTS => return Err(map(e)),
            Attempt::Retry(e) => {
                tracing::debug!(attempt, error = %e, "message batch lost a race; retrying");
                attempt += 1;
            }
        }
    }
}

/// `Ok(Err(e))` for a failure worth retrying, `Err` for any other.
fn split_retry(e: mysql_async::Error) -> Result<mysql_async::Error, StoreError> {
    match server_code(&e) {
        Some(ER_DUP_ENTRY | ER_LOCK_DEADLOCK) => Ok(e),
        _ => Err(map(e)),
    }
}

macro_rules! or_retry {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(Attempt::Retry(split_retry(e)?)),
        }
    };
}

async fn try_insert(store: &MariaDbStore, batch: &[NewMessage]) -> Result<Attempt, StoreError> {
    let now = store.now();
    let max_content = store.options().max_content_bytes;
    let mut conn = store.inner.pool.get_conn().await.map_err(map)?;
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .await
        .map_err(map)?;

    let shapes: Vec<Result<(), Rejection>> =
        batch.iter().map(|m| m.check_shape(max_content)).collect();
    let shaped = || {
        batch
            .iter()
            .zip(&shapes)
            .filter(|(_, s)| s.is_ok())
            .map(|(m, _)| m)
    };

    // Keys sent before. The OR of equalities is a union of lookups in the unique
    // (sender_id, client_message_id) index.
    let keyed: Vec<&NewMessage> = shaped().filter(|m| m.client_message_id.is_some()).collect();
    let mut stored_keys: HashMap<(UserId, Vec<u8>), MessageId> = HashMap::new();
    if !keyed.is_empty() {
        let condition = vec!["(sender_id = ? AND client_message_id = ?)"; keyed.len()].join(" OR ");
        let params: Vec<Value> = keyed
            .iter()
            .flat_map(|m| {
                let key = m
                    .client_message_id
                    .as_deref()
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec();
                [Value::from(m.sender_id), Value::Bytes(key)]
            })
            .collect();
        let rows: Vec<(MessageId, UserId, Vec<u8>)> = or_retry!(
            tx.exec(
                format!("SELECT id, sender_id, client_message_id FROM messages WHERE {condition}"),
                params,
            )
            .await
        );
        stored_keys = rows
            .into_iter()
            .map(|(id, sender, key)| ((sender, key), id))
            .collect();
    }

    let mut sender_ids: Vec<UserId> = shaped().map(|m| m.sender_id).collect();
    sender_ids.sort_unstable();
    sender_ids.dedup();
    let mut senders: HashMap<UserId, UserSummary> = HashMap::new();
    if !sender_ids.is_empty() {
        let rows: Vec<(UserId, String, String)> = or_retry!(
            tx.query(format!(
                "SELECT id, first_name, last_name FROM users WHERE id IN ({})",
                id_list(sender_ids.iter().copied())
            ))
            .await
        );
        senders = rows
            .into_iter()
            .map(|(id, first_name, last_name)| {
                (
                    id,
                    UserSummary {
                        id,
                        first_name,
                        last_name,
                    },
                )
            })
            .collect();
    }

    // Locks the file rows so a concurrent housekeeping delete waits for this
    // transaction (and then finds the file attached).
    let file_ids: Vec<u64> = shaped().filter_map(|m| m.file_id).collect();
    let mut files: HashMap<u64, FileMetadata> = HashMap::new();
    if !file_ids.is_empty() {
        let rows: Vec<(u64, String, u64, String)> = or_retry!(
            tx.query(format!(
                "SELECT id, file_name, file_size, mime_type FROM files WHERE id IN ({}) FOR UPDATE",
                id_list(file_ids.iter().copied())
            ))
            .await
        );
        files = rows
            .into_iter()
            .map(|(id, file_name, file_size, mime_type)| {
                (
                    id,
                    FileMetadata {
                        id,
                        file_name,
                        file_size,
                        mime_type,
                    },
                )
            })
            .collect();
    }

    let parent_ids: Vec<MessageId> = shaped().filter_map(|m| m.reply_to_id).collect();
    let parents = load_records(&mut tx, &parent_ids).await?;

    // Decide every input in order, exactly as the in-memory store does.
    let mut plans = Vec::with_capacity(batch.len());
    let mut batch_keys: HashMap<(UserId, &str), usize> = HashMap::new();
    for (index, (new, shape)) in batch.iter().zip(shapes).enumerate() {
        let plan = (|| {
            shape?;
            if let Some(key) = new.client_message_id.as_deref() {
                if let Some(&id) = stored_keys.get(&(new.sender_id, key.as_bytes().to_vec())) {
                    return Ok(Plan::StoredBefore(id));
                }
                if let Some(&first) = batch_keys.get(&(new.sender_id, key)) {
                    return Ok(Plan::SameAsInput(first));
                }
            }
            if !senders.contains_key(&new.sender_id) {
                return Err(Rejection::UnknownSender(new.sender_id));
            }
            let file = match new.file_id {
                Some(id) => Some(files.get(&id).cloned().ok_or(Rejection::UnknownFile(id))?),
                None => None,
            };
            if let Some(parent) = new.reply_to_id
                && parents.get(&parent).is_none_or(|(p, _)| p.room != new.room)
            {
                return Err(Rejection::ReplyNotInRoom(parent));
            }
            Ok(Plan::Store(file))
        })()
        .unwrap_or_else(Plan::Rejected);
        if let (Plan::Store(_), Some(key)) = (&plan, new.client_message_id.as_deref()) {
            batch_keys.insert((new.sender_id, key), index);
        }
        plans.push(plan);
    }

    // Insert in input order, so ids increase with it.
    let to_store: Vec<(usize, &NewMessage, &Option<FileMetadata>)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Plan::Store(file) => Some((i, &batch[i], file)),
            _ => None,
        })
        .collect();
    let mut new_ids: Vec<MessageId> = Vec::with_capacity(to_store.len());
    for chunk in chunks(&to_store) {
        let params: Vec<Value> = chunk
            .iter()
            .flat_map(|(_, m, file)| row_params(m, file, now))
            .collect();
        let ids: Vec<MessageId> = or_retry!(
            tx.exec(
                format!(
                    "INSERT INTO messages (room_type, room_id, sender_id, type, content, file_id, \
                     file_name, file_size, mime_type, reply_to_id, client_message_id, created_at, \
                     updated_at) VALUES {} RETURNING id",
                    placeholders(chunk.len(), 13)
                ),
                params,
            )
            .await
        );
        if ids.len() != chunk.len() {
            return Err(StoreError::Backend(format!(
                "inserted {} messages but got {} ids back",
                chunk.len(),
                ids.len()
            )));
        }
        new_ids.extend(ids);
    }
    let attached: Vec<u64> = to_store.iter().filter_map(|(_, m, _)| m.file_id).collect();
    if !attached.is_empty() {
        or_retry!(
            tx.query_drop(format!(
                "UPDATE files SET attached = 1 WHERE attached = 0 AND id IN ({})",
                id_list(attached)
            ))
            .await
        );
    }
    let originals: Vec<MessageId> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::StoredBefore(id) => Some(*id),
            _ => None,
        })
        .collect();
    let originals = load(&mut tx, &originals).await?;
    or_retry!(tx.commit().await);

    // Build the answers from what was written (the times are the ones stored:
    // DATETIME(3) keeps every millisecond of `now`).
    let mut created: HashMap<usize, Message> = HashMap::new();
    for ((index, new, file), id) in to_store.into_iter().zip(new_ids) {
        let record = MessageRecord {
            id,
            room: new.room,
            sender_id: new.sender_id,
            kind: new.kind,
            content: new.content.clone(),
            file: file.clone(),
            reply_to_id: new.reply_to_id,
            edited_at: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        };
        let sender = senders[&new.sender_id].clone();
        let parent = new
            .reply_to_id
            .and_then(|p| parents.get(&p))
            .map(|(p, s)| p.clone().into_message(s.clone(), None));
        created.insert(index, record.into_message(sender, parent));
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for (index, plan) in plans.into_iter().enumerate() {
        outcomes.push(match plan {
            Plan::Rejected(r) => InsertOutcome::Rejected(r),
            Plan::Store(_) => InsertOutcome::Created(take_created(&created, index)?),
            Plan::SameAsInput(first) => InsertOutcome::Duplicate(take_created(&created, first)?),
            Plan::StoredBefore(id) => {
                InsertOutcome::Duplicate(originals.get(&id).cloned().ok_or_else(|| {
                    StoreError::Backend(format!("original message {id} vanished"))
                })?)
            }
        });
    }
    Ok(Attempt::Done(outcomes))
}

fn take_created(created: &HashMap<usize, Message>, index: usize) -> Result<Message, StoreError> {
    created
        .get(&index)
        .cloned()
        .ok_or_else(|| StoreError::Backend(format!("batch input {index} was not inserted")))
}

/// Splits rows into statements of at most [`MAX_ROWS_PER_INSERT`] rows and about
/// [`MAX_BYTES_PER_INSERT`] content bytes (a row alone may exceed the latter).
fn chunks<'a, T>(rows: &'a [(usize, &NewMessage, T)]) -> Vec<&'a [(usize, &'a NewMessage, T)]> {
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
        m.client_message_id
            .as_ref()
            .map(|k| k.as_bytes().to_vec())
            .into(),
        db_time(now).into(),
        db_time(now).into(),
    ]
}

/// After an `UPDATE ... WHERE id = ? AND deleted_at IS NULL` changed nothing:
/// missing, deleted, or unchanged (same values written again).
async fn explain_no_change(conn: &mut Conn, id: MessageId) -> Result<(), StoreError> {
    let deleted: Option<bool> = conn
        .exec_first(
            "SELECT deleted_at IS NOT NULL FROM messages WHERE id = ?",
            (id,),
        )
        .await
        .map_err(map)?;
    match deleted {
        None => Err(StoreError::not_found(Entity::Message, id)),
        Some(true) => Err(StoreError::MessageDeleted(id)),
        Some(false) => Ok(()),
    }
}

async fn reload(conn: &mut Conn, id: MessageId) -> Result<Message, StoreError> {
    load(conn, &[id])
        .await?
        .remove(&id)
        .ok_or(StoreError::not_found(Entity::Message, id))
}

pub(super) async fn edit(
    conn: &mut Conn,
    id: MessageId,
    content: &str,
    now: DateTime<Utc>,
) -> Result<Message, StoreError> {
    conn.exec_drop(
        "UPDATE messages SET content = ?, edited_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
        (content, db_time(now), db_time(now), id),
    )
    .await
    .map_err(map)?;
    if conn.affected_rows() == 0 {
        explain_no_change(conn, id).await?;
    }
    reload(conn, id).await
}

pub(super) async fn delete(
    conn: &mut Conn,
    id: MessageId,
    now: DateTime<Utc>,
) -> Result<Message, StoreError> {
    conn.exec_drop(
        "UPDATE messages SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
        (db_time(now), db_time(now), id),
    )
    .await
    .map_err(map)?;
    if conn.affected_rows() == 0 {
        // Unlike an edit, a delete always changes a live row, so no change means
        // missing or already deleted.
        explain_no_change(conn, id).await?;
        return Err(StoreError::MessageDeleted(id));
    }
    reload(conn, id).await
}

pub(super) async fn mark_read(
    conn: &mut Conn,
    message_id: MessageId,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<MarkRead, StoreError> {
    // The primary key (message_id, user_id) turns a repeat into a no-op: one
    // affected row means this call recorded the read.
    let inserted = conn
        .exec_drop(
            "INSERT INTO message_reads (message_id, user_id, read_at) VALUES (?, ?, ?) \
             ON DUPLICATE KEY UPDATE message_id = message_id",
            (message_id, user_id, db_time(now)),
        )
        .await;
    if let Err(e) = inserted {
        if server_code(&e) != Some(ER_NO_REFERENCED_ROW) {
            return Err(map(e));
        }
        let message: Option<u8> = conn
            .exec_first("SELECT 1 FROM messages WHERE id = ?", (message_id,))
            .await
            .map_err(map)?;
        return Err(match message {
            None => StoreError::not_found(Entity::Message, message_id),
            Some(_) => StoreError::not_found(Entity::User, user_id),
        });
    }
    let newly_read = conn.affected_rows() == 1;
    let read_at = if newly_read {
        now
    } else {
        let first: Option<chrono::NaiveDateTime> = conn
            .exec_first(
                "SELECT read_at FROM message_reads WHERE message_id = ? AND user_id = ?",
                (message_id, user_id),
            )
            .await
            .map_err(map)?;
        first
            .ok_or_else(|| StoreError::Backend("read receipt vanished".into()))?
            .and_utc()
    };
    Ok(MarkRead {
        receipt: ReadReceipt {
            message_id,
            user_id,
            read_at,
        },
        newly_read,
    })
}

pub(super) async fn reads(
    conn: &mut Conn,
    message_id: MessageId,
) -> Result<Vec<ReadReceipt>, StoreError> {
    let rows: Vec<Row> = conn
        .exec(
            "SELECT message_id, user_id, read_at FROM message_reads WHERE message_id = ? \
             ORDER BY read_at, user_id",
            (message_id,),
        )
        .await
        .map_err(map)?;
    rows.into_iter()
        .map(|mut row| {
            Ok(ReadReceipt {
                message_id: take(&mut row, 0)?,
                user_id: take(&mut row, 1)?,
                read_at: take::<chrono::NaiveDateTime>(&mut row, 2)?.and_utc(),
            })
        })
        .collect()
}
