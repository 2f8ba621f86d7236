//! File records in MariaDB.

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::errors::{ER_NO_REFERENCED_ROW, ER_ROW_IS_REFERENCED, map, server_code};
use super::rows::{FILE_COLUMNS, db_time, file_from_row, room_from};
use crate::error::{Entity, StoreError};
use crate::model::{FileId, FileRecord, NewFile, RoomRef};

pub(super) async fn insert(
    conn: &mut Conn,
    file: NewFile,
    now: DateTime<Utc>,
) -> Result<FileRecord, StoreError> {
    let id: Option<FileId> = conn
        .exec_first(
            "INSERT INTO files (uploader_id, file_name, file_size, mime_type, storage_key, \
             attached, created_at) VALUES (?, ?, ?, ?, ?, 0, ?) RETURNING id",
            (
                file.uploader_id,
                &file.file_name,
                file.file_size,
                &file.mime_type,
                &file.storage_key,
                db_time(now),
            ),
        )
        .await
        .map_err(|e| match server_code(&e) {
            Some(ER_NO_REFERENCED_ROW) => StoreError::not_found(Entity::User, file.uploader_id),
            _ => map(e),
        })?;
    let id = id.ok_or_else(|| StoreError::Backend("file insert returned no id".into()))?;
    Ok(FileRecord {
        id,
        uploader_id: file.uploader_id,
        file_name: file.file_name,
        file_size: file.file_size,
        mime_type: file.mime_type,
        storage_key: file.storage_key,
        created_at: now,
        attached: false,
    })
}

pub(super) async fn get(conn: &mut Conn, id: FileId) -> Result<Option<FileRecord>, StoreError> {
    let row: Option<Row> = conn
        .exec_first(
            format!("SELECT {FILE_COLUMNS} FROM files WHERE id = ?"),
            (id,),
        )
        .await
        .map_err(map)?;
    row.map(file_from_row).transpose()
}

async fn exists(conn: &mut Conn, id: FileId) -> Result<Option<bool>, StoreError> {
    conn.exec_first("SELECT attached FROM files WHERE id = ?", (id,))
        .await
        .map_err(map)
}

pub(super) async fn mark_attached(conn: &mut Conn, id: FileId) -> Result<(), StoreError> {
    conn.exec_drop("UPDATE files SET attached = 1 WHERE id = ?", (id,))
        .await
        .map_err(map)?;
    // No affected row: missing, or attached already.
    if conn.affected_rows() == 0 && exists(conn, id).await?.is_none() {
        return Err(StoreError::not_found(Entity::File, id));
    }
    Ok(())
}

pub(super) async fn rooms(conn: &mut Conn, id: FileId) -> Result<Vec<RoomRef>, StoreError> {
    let rows: Vec<Row> = conn
        .exec(
            "SELECT DISTINCT room_type, room_id FROM messages \
             WHERE file_id = ? AND deleted_at IS NULL ORDER BY room_type, room_id",
            (id,),
        )
        .await
        .map_err(map)?;
    rows.into_iter()
        .map(|mut row| room_from(&mut row, 0, 1))
        .collect()
}

pub(super) async fn unattached_before(
    conn: &mut Conn,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<FileRecord>, StoreError> {
    let rows: Vec<Row> = conn
        .exec(
            format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE attached = 0 AND created_at < ? \
                 ORDER BY created_at, id LIMIT ?"
            ),
            (db_time(cutoff), limit),
        )
        .await
        .map_err(map)?;
    rows.into_iter().map(file_from_row).collect()
}

pub(super) async fn delete(conn: &mut Conn, id: FileId) -> Result<(), StoreError> {
    conn.exec_drop("DELETE FROM files WHERE id = ? AND attached = 0", (id,))
        .await
        .map_err(|e| match server_code(&e) {
            Some(ER_ROW_IS_REFERENCED) => StoreError::FileAttached(id),
            _ => map(e),
        })?;
    if conn.affected_rows() == 0 {
        return Err(match exists(conn, id).await? {
            None => StoreError::not_found(Entity::File, id),
            Some(_) => StoreError::FileAttached(id),
        });
    }
    Ok(())
}
