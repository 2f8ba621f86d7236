//! Uploaded files: the record the files API keeps (issue: images and files), and
//! the public metadata a message carries as its `file` relation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{FileId, UserId, iso8601};

/// Longest file name kept, in characters (the `files.file_name` column).
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// Longest MIME type kept, in characters (the `files.mime_type` column).
pub const MAX_MIME_TYPE_CHARS: usize = 255;
/// Longest storage key kept, in characters (the `files.storage_key` column).
pub const MAX_STORAGE_KEY_CHARS: usize = 512;

/// `{id, fileName, fileSize, mimeType}`: the `file` relation of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileMetadata {
    pub id: FileId,
    pub file_name: String,
    pub file_size: u64,
    pub mime_type: String,
}

/// A stored file record. `storage_key` says where the bytes are (a path relative to
/// the data directory, chosen by the files API) and is never sent to clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    pub id: FileId,
    pub uploader_id: UserId,
    pub file_name: String,
    pub file_size: u64,
    pub mime_type: String,
    #[serde(skip)]
    pub storage_key: String,
    #[serde(with = "iso8601")]
    pub created_at: DateTime<Utc>,
    /// Whether a message carries the file; unattached files are cleaned up.
    pub attached: bool,
}

impl FileRecord {
    /// The public metadata.
    pub fn metadata(&self) -> FileMetadata {
        FileMetadata {
            id: self.id,
            file_name: self.file_name.clone(),
            file_size: self.file_size,
            mime_type: self.mime_type.clone(),
        }
    }
}

/// A file record to insert once the upload is complete on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    pub uploader_id: UserId,
    pub file_name: String,
    pub file_size: u64,
    pub mime_type: String,
    pub storage_key: String,
}

impl NewFile {
    /// Checks the column limits so both stores refuse the same records.
    pub(crate) fn check(&self) -> Result<(), String> {
        let fields = [
            ("fileName", &self.file_name, MAX_FILE_NAME_CHARS),
            ("mimeType", &self.mime_type, MAX_MIME_TYPE_CHARS),
            ("storageKey", &self.storage_key, MAX_STORAGE_KEY_CHARS),
        ];
        for (name, value, max) in fields {
            let chars = value.chars().count();
            if chars == 0 || chars > max {
                return Err(format!(
                    "{name} must be 1 to {max} characters (got {chars})"
                ));
            }
        }
        // MariaDB's BIGINT UNSIGNED holds any u64, but JSON numbers are only exact up
        // to 2^53: a larger size could not reach a JavaScript client intact.
        if self.file_size > (1 << 53) {
            return Err(format!("fileSize {} is out of range", self.file_size));
        }
        Ok(())
    }
}
