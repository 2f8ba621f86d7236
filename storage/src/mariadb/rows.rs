//! Reading rows into domain types, and the small SQL-building helpers the queries
//! share.

use chrono::{DateTime, NaiveDateTime, Utc};
use mysql_async::Row;
use mysql_async::prelude::FromValue;

use crate::error::StoreError;
use crate::model::{FileMetadata, FileRecord, MessageRecord, RoomRef, User, UserSummary};

/// The columns of a message and its sender, in the order [`message_from_row`] reads.
pub(super) const MESSAGE_COLUMNS: &str = "m.id, m.room_type, m.room_id, m.sender_id, m.type, \
     m.content, m.file_id, m.file_name, m.file_size, m.mime_type, m.reply_to_id, \
     m.edited_at, m.deleted_at, m.created_at, m.updated_at, u.first_name, u.last_name";

/// The tables [`MESSAGE_COLUMNS`] come from.
pub(super) const MESSAGE_FROM: &str = "messages m JOIN users u ON u.id = m.sender_id";

/// The columns of a file record, in the order [`file_from_row`] reads.
pub(super) const FILE_COLUMNS: &str =
    "id, uploader_id, file_name, file_size, mime_type, storage_key, attached, created_at";

/// Column `index` of `row` as `T`.
pub(super) fn take<T: FromValue>(row: &mut Row, index: usize) -> Result<T, StoreError> {
    match row.take_opt::<T, usize>(index) {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(StoreError::Backend(format!("column {index}: {e}"))),
        None => Err(StoreError::Backend(format!("column {index} is missing"))),
    }
}

fn parse<T: std::str::FromStr>(row: &mut Row, index: usize) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    let text: String = take(row, index)?;
    text.parse()
        .map_err(|e| StoreError::Backend(format!("column {index}: {e}")))
}

/// The stored form of an instant (UTC, no zone).
pub(super) fn db_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn time(row: &mut Row, index: usize) -> Result<DateTime<Utc>, StoreError> {
    Ok(take::<NaiveDateTime>(row, index)?.and_utc())
}

fn opt_time(row: &mut Row, index: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(take::<Option<NaiveDateTime>>(row, index)?.map(|t| t.and_utc()))
}

/// A room from its two columns.
pub(super) fn room_from(
    row: &mut Row,
    type_index: usize,
    id_index: usize,
) -> Result<RoomRef, StoreError> {
    Ok(RoomRef {
        kind: parse(row, type_index)?,
        id: take(row, id_index)?,
    })
}

/// A row of [`MESSAGE_COLUMNS`].
pub(super) fn message_from_row(mut row: Row) -> Result<(MessageRecord, UserSummary), StoreError> {
    let id: u64 = take(&mut row, 0)?;
    let room = room_from(&mut row, 1, 2)?;
    let sender_id: u64 = take(&mut row, 3)?;
    let kind = parse(&mut row, 4)?;
    let content: String = take(&mut row, 5)?;
    let file_id: Option<u64> = take(&mut row, 6)?;
    let file_name: Option<String> = take(&mut row, 7)?;
    let file_size: Option<u64> = take(&mut row, 8)?;
    let mime_type: Option<String> = take(&mut row, 9)?;
    let file = match (file_id, file_name, file_size, mime_type) {
        (None, ..) => None,
        (Some(id), Some(file_name), Some(file_size), Some(mime_type)) => Some(FileMetadata {
            id,
            file_name,
            file_size,
            mime_type,
        }),
        (Some(file_id), ..) => {
            return Err(StoreError::Backend(format!(
                "message {id} carries file {file_id} without its metadata"
            )));
        }
    };
    let record = MessageRecord {
        id,
        room,
        sender_id,
        kind,
        content,
        file,
        reply_to_id: take(&mut row, 10)?,
        edited_at: opt_time(&mut row, 11)?,
        deleted_at: opt_time(&mut row, 12)?,
        created_at: time(&mut row, 13)?,
        updated_at: time(&mut row, 14)?,
    };
    let sender = UserSummary {
        id: sender_id,
        first_name: take(&mut row, 15)?,
        last_name: take(&mut row, 16)?,
    };
    Ok((record, sender))
}

/// A row of [`FILE_COLUMNS`].
pub(super) fn file_from_row(mut row: Row) -> Result<FileRecord, StoreError> {
    Ok(FileRecord {
        id: take(&mut row, 0)?,
        uploader_id: take(&mut row, 1)?,
        file_name: take(&mut row, 2)?,
        file_size: take(&mut row, 3)?,
        mime_type: take(&mut row, 4)?,
        storage_key: take(&mut row, 5)?,
        attached: take(&mut row, 6)?,
        created_at: time(&mut row, 7)?,
    })
}

/// A row of `id, first_name, last_name, role`.
pub(super) fn user_from_row(mut row: Row) -> Result<User, StoreError> {
    Ok(User {
        id: take(&mut row, 0)?,
        first_name: take(&mut row, 1)?,
        last_name: take(&mut row, 2)?,
        role: parse(&mut row, 3)?,
    })
}

/// `1,2,3` for an `IN (...)` list. Ids are integers formatted by us, so inlining
/// them is safe, and it keeps one statement text per query shape out of the
/// prepared-statement cache.
pub(super) fn id_list(ids: impl IntoIterator<Item = u64>) -> String {
    let mut out = String::new();
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out
}

/// `(?, ?), (?, ?)`: `rows` groups of `columns` placeholders.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(", "));
    vec![group; rows].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_helpers_build_lists() {
        assert_eq!(id_list([3, 1, 2]), "3,1,2");
        assert_eq!(id_list([]), "");
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
    }
}
