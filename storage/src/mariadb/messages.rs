//! Messages in MariaDB: loading with relations, history pages, edit, soft delete
//! and read receipts (the batched insert is in `insert.rs`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::errors::{ER_NO_REFERENCED_ROW, map, server_code};
use super::rows::{MESSAGE_COLUMNS, MESSAGE_FROM, db_time, id_list, message_from_row, take};
use crate::error::{Entity, StoreError};
use crate::model::{
    HistoryCursor, HistoryPage, MarkRead, Message, MessageId, MessageRecord, ReadReceipt, RoomRef,
    UserId, UserSummary,
};

/// A message row and its sender.
pub(super) type Loaded = (MessageRecord, UserSummary);

/// Rows of [`MESSAGE_COLUMNS`] for the given ids.
pub(super) async fn load_records<Q: Queryable>(
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
