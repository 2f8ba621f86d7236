//! The file check of an image or file message (issue 5 item 2; spec: "Image Messages",
//! "File Messages"), called by the chat's `message:send` handler:
//!
//! - the `fileId` must name a file uploaded by the sender (anything else, including
//!   another user's file, is "not found": ids leak nothing);
//! - an `image` must be JPEG, PNG, GIF or WebP by its bytes (the stored, sniffed type) and
//!   at most `max_image_bytes` (10,485,760 by default); a `file` may be any type up to the
//!   upload limit, which the upload already enforced;
//! - `fileName`, `fileSize` and `mimeType` sent by the client are optional; when present
//!   they must equal the stored record, which is what the message carries.

use huddle_storage::Store;
use huddle_storage::model::{FileId, FileRecord, UserId};

use super::config::DEFAULT_MAX_IMAGE_BYTES;
use super::sniff::{IMAGE_TYPES, is_image_type};

/// The kind of message carrying the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachmentKind {
    /// `type: "image"`.
    Image,
    /// `type: "file"`.
    File,
}

/// The file fields the client sent with `message:send` (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientFileMeta {
    /// `fileName`.
    pub file_name: Option<String>,
    /// `fileSize`.
    pub file_size: Option<u64>,
    /// `mimeType`.
    pub mime_type: Option<String>,
}

/// Limits of attachments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// Largest image of an image message (default 10,485,760 bytes).
    pub max_image_bytes: u64,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
        }
    }
}

/// Why an attachment was refused. [`AttachmentError::code`] is the suggested client code.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// No such file, or not uploaded by the sender.
    #[error("file {0} not found")]
    NotFound(FileId),
    /// An image message whose file is not JPEG/PNG/GIF/WebP by its bytes.
    #[error("file {id} is {mime}, not an image ({})", IMAGE_TYPES.join(", "))]
    NotAnImage { id: FileId, mime: String },
    /// An image larger than the image limit.
    #[error("image {id} is {size} bytes; images may be at most {max} bytes")]
    ImageTooLarge { id: FileId, size: u64, max: u64 },
    /// A client field that disagrees with the stored record.
    #[error("{field} does not match the uploaded file")]
    Mismatch { field: &'static str },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] huddle_storage::StoreError),
}

impl AttachmentError {
    /// The client-facing code this error should be answered with.
    pub fn code(&self) -> &'static str {
        match self {
            AttachmentError::NotFound(_) => "FILE_NOT_FOUND",
            AttachmentError::NotAnImage { .. } => "INVALID_FILE_TYPE",
            AttachmentError::ImageTooLarge { .. } => "FILE_TOO_LARGE",
            AttachmentError::Mismatch { .. } => "FILE_METADATA_MISMATCH",
            AttachmentError::Store(e) if e.is_unavailable() => "DB_UNAVAILABLE",
            AttachmentError::Store(_) => "INTERNAL",
        }
    }
}

/// The stored record of the file an image or file message from `sender` may carry.
pub async fn validate_attachment(
    store: &dyn Store,
    sender: UserId,
    kind: AttachmentKind,
    file_id: FileId,
    client: &ClientFileMeta,
    limits: &AttachmentLimits,
) -> Result<FileRecord, AttachmentError> {
    let record = store
        .get_file(file_id)
        .await?
        .filter(|r| r.uploader_id == sender)
        .ok_or(AttachmentError::NotFound(file_id))?;
    check_record(&record, kind, client, limits)?;
    Ok(record)
}

/// The checks on a loaded record (pure, so they are tested without a store).
pub fn check_record(
    record: &FileRecord,
    kind: AttachmentKind,
    client: &ClientFileMeta,
    limits: &AttachmentLimits,
) -> Result<(), AttachmentError> {
    if kind == AttachmentKind::Image {
        if !is_image_type(&record.mime_type) {
            return Err(AttachmentError::NotAnImage {
                id: record.id,
                mime: record.mime_type.clone(),
            });
        }
        if record.file_size > limits.max_image_bytes {
            return Err(AttachmentError::ImageTooLarge {
                id: record.id,
                size: record.file_size,
                max: limits.max_image_bytes,
            });
        }
    }
    if client
        .file_name
        .as_ref()
        .is_some_and(|n| *n != record.file_name)
    {
        return Err(AttachmentError::Mismatch { field: "fileName" });
    }
    if client.file_size.is_some_and(|s| s != record.file_size) {
        return Err(AttachmentError::Mismatch { field: "fileSize" });
    }
    if client
        .mime_type
        .as_ref()
        .is_some_and(|m| *m != record.mime_type)
    {
        return Err(AttachmentError::Mismatch { field: "mimeType" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(mime: &str, size: u64) -> FileRecord {
        FileRecord {
            id: 7,
            uploader_id: 3,
            file_name: "a.png".into(),
            file_size: size,
            mime_type: mime.into(),
            storage_key: "00".into(),
            created_at: chrono::Utc::now(),
            attached: false,
        }
    }

    #[test]
    fn image_limit_is_inclusive() {
        let l = AttachmentLimits::default();
        let none = ClientFileMeta::default();
        assert!(
            check_record(
                &record("image/png", 10_485_760),
                AttachmentKind::Image,
                &none,
                &l
            )
            .is_ok()
        );
        let err = check_record(
            &record("image/png", 10_485_761),
            AttachmentKind::Image,
            &none,
            &l,
        )
        .unwrap_err();
        assert_eq!(err.code(), "FILE_TOO_LARGE");
        // A file message has no image limit.
        assert!(
            check_record(
                &record("image/png", 10_485_761),
                AttachmentKind::File,
                &none,
                &l
            )
            .is_ok()
        );
    }

    #[test]
    fn images_must_be_images_by_bytes() {
        let l = AttachmentLimits::default();
        let none = ClientFileMeta::default();
        for mime in IMAGE_TYPES {
            assert!(check_record(&record(mime, 10), AttachmentKind::Image, &none, &l).is_ok());
        }
        let err =
            check_record(&record("text/plain", 10), AttachmentKind::Image, &none, &l).unwrap_err();
        assert_eq!(err.code(), "INVALID_FILE_TYPE");
        assert!(check_record(&record("text/plain", 10), AttachmentKind::File, &none, &l).is_ok());
    }

    #[test]
    fn client_values_must_match_the_record() {
        let l = AttachmentLimits::default();
        let r = record("image/png", 10);
        let ok = ClientFileMeta {
            file_name: Some("a.png".into()),
            file_size: Some(10),
            mime_type: Some("image/png".into()),
        };
        assert!(check_record(&r, AttachmentKind::Image, &ok, &l).is_ok());
        for (bad, field) in [
            (
                ClientFileMeta {
                    file_name: Some("b.png".into()),
                    ..ok.clone()
                },
                "fileName",
            ),
            (
                ClientFileMeta {
                    file_size: Some(11),
                    ..ok.clone()
                },
                "fileSize",
            ),
            (
                ClientFileMeta {
                    mime_type: Some("image/gif".into()),
                    ..ok.clone()
                },
                "mimeType",
            ),
        ] {
            match check_record(&r, AttachmentKind::Image, &bad, &l) {
                Err(AttachmentError::Mismatch { field: f }) => assert_eq!(f, field),
                other => panic!("expected a mismatch on {field}, got {other:?}"),
            }
        }
    }
}
