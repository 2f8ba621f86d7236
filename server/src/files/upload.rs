//! `POST /api/files/upload` (issue 5 item 1; spec: "Message Send Flow (Image/File)" steps
//! 1-6): a `multipart/form-data` body whose `file` field is streamed to disk, never held
//! whole in memory, and recorded through the store.
//!
//! - The request body is read by a pump task into a small bounded channel that the
//!   multipart parser consumes, so memory stays at a few frames whatever the size.
//! - The file field is counted as it streams: one byte past `max_upload_bytes` and the
//!   upload stops with 413. The pump then keeps reading and discarding what the client
//!   is still sending (bounded in bytes and time), so the client, busy writing, reads
//!   the 413 before the connection closes instead of a reset.
//! - The bytes go to a temporary file in the data directory that is deleted when dropped:
//!   a refused, malformed or aborted upload (even one whose task is cancelled because the
//!   client went away) leaves neither bytes nor a record. Only a complete file is renamed
//!   to its storage key and recorded; if recording fails, the bytes are removed.
//! - The MIME type comes from the leading bytes ([`super::sniff`]), the name from the
//!   part's `filename`, cleaned ([`super::name`]); the client's part `Content-Type` is
//!   ignored.

use std::io;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Either, Full};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use huddle_storage::model::{FileRecord, NewFile};

use super::disk::DataDir;
use super::errors::{FileError, FileErrorCode};
use super::name::sanitize_file_name;
use super::sniff::{SNIFF_BYTES, detect_mime};
use super::{FilesService, HttpBody};

/// Room for the multipart headers and closing boundary around the file's bytes, and for
/// small extra fields a form may carry.
pub const MULTIPART_OVERHEAD_BYTES: u64 = 64 * 1024;

/// Frames buffered between the socket and the parser.
const PUMP_QUEUE: usize = 4;

/// Handles one upload.
pub async fn upload<B>(svc: &FilesService, req: Request<B>) -> Result<Response<HttpBody>, FileError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    let user = svc.authenticate(&parts.headers).await?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|e| match e {
        multer::Error::NoBoundary => FileError::new(
            FileErrorCode::InvalidUpload,
            "multipart/form-data needs a boundary parameter",
        ),
        _ => FileError::new(
            FileErrorCode::UnsupportedMediaType,
            "the body must be multipart/form-data with a `file` field",
        ),
    })?;
    let config = svc.config();
    let max = config.max_upload_bytes;
    let refused = CancellationToken::new();
    let rx = spawn_pump(
        body,
        refused.clone(),
        config.drain_limit_bytes,
        config.drain_timeout,
    );
    // Dropping the guard (return or cancellation) tells the pump to drain and let go.
    let _drain_on_exit = refused.drop_guard();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(max + MULTIPART_OVERHEAD_BYTES));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);

    let mut received: Option<Received> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, max))?
    {
        if received.is_none() && field.name() == Some("file") {
            received = Some(receive_file(svc.dir(), field, max).await?);
        } else {
            drain_field(field, max).await?;
        }
    }
    let Some(received) = received else {
        return Err(FileError::new(
            FileErrorCode::InvalidUpload,
            "the form has no `file` field",
        ));
    };
    let record = store_file(svc, user.id, received).await?;
    tracing::info!(
        file_id = record.id,
        user_id = user.id,
        size = record.file_size,
        mime = %record.mime_type,
        "file uploaded"
    );
    Ok(created(&record))
}

/// A complete upload, still under its temporary name.
struct Received {
    partial: tempfile::NamedTempFile,
    file_name: String,
    size: u64,
    mime_type: &'static str,
}

async fn receive_file(
    dir: &DataDir,
    mut field: multer::Field<'_>,
    max: u64,
) -> Result<Received, FileError> {
    let file_name = sanitize_file_name(field.file_name().unwrap_or(""));
    let partial = dir
        .partial()
        .map_err(|e| disk_error(&e, "create upload file"))?;
    let std_file = partial
        .as_file()
        .try_clone()
        .map_err(|e| disk_error(&e, "open upload file"))?;
    let mut out = tokio::fs::File::from_std(std_file);
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut size: u64 = 0;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        size += chunk.len() as u64;
        if size > max {
            tracing::info!(limit = max, "upload refused: file too large");
            return Err(too_large(max));
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| disk_error(&e, "write upload"))?;
    }
    out.flush()
        .await
        .map_err(|e| disk_error(&e, "write upload"))?;
    let complete = (head.len() as u64) == size;
    Ok(Received {
        partial,
        file_name,
        size,
        mime_type: detect_mime(&head, complete),
    })
}

async fn drain_field(mut field: multer::Field<'_>, max: u64) -> Result<(), FileError> {
    while field
        .chunk()
        .await
        .map_err(|e| multipart_error(e, max))?
        .is_some()
    {}
    Ok(())
}

/// Renames the bytes to a fresh key and records them; the bytes are removed if the record
/// cannot be written (or the task is cancelled before it is).
async fn store_file(
    svc: &FilesService,
    uploader_id: u64,
    received: Received,
) -> Result<FileRecord, FileError> {
    let dir = svc.dir();
    let key = DataDir::new_key().map_err(|e| disk_error(&e, "make storage key"))?;
    let path = dir.file_path(&key).ok_or_else(FileError::internal)?;
    received
        .partial
        .persist(&path)
        .map_err(|e| disk_error(&e.error, "store upload"))?;
    let mut unclaimed = Unclaimed { path: Some(path) };
    let new = NewFile {
        uploader_id,
        file_name: received.file_name,
        file_size: received.size,
        mime_type: received.mime_type.to_owned(),
        storage_key: key,
    };
    let record = svc
        .store()
        .insert_file(new)
        .await
        .map_err(|e| FileError::store(&e, "insert file"))?;
    unclaimed.path = None;
    Ok(record)
}

/// Stored bytes without a record yet: removed on drop unless claimed.
struct Unclaimed {
    path: Option<std::path::PathBuf>,
}

impl Drop for Unclaimed {
    fn drop(&mut self) {
        if let Some(path) = self.path.take()
            && let Err(e) = std::fs::remove_file(&path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::error!(error = %e, path = %path.display(), "cannot remove unrecorded upload");
        }
    }
}

fn created(record: &FileRecord) -> Response<HttpBody> {
    let body = json!({
        "fileId": record.id,
        "fileName": record.file_name,
        "fileSize": record.file_size,
        "mimeType": record.mime_type,
    });
    let mut res = Response::new(Either::Left(Full::new(Bytes::from(body.to_string()))));
    *res.status_mut() = StatusCode::CREATED;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(location) = HeaderValue::from_str(&format!("{}/{}", super::FILES_PREFIX, record.id)) {
        headers.insert(header::LOCATION, location);
    }
    res
}

fn too_large(max: u64) -> FileError {
    FileError::new(
        FileErrorCode::FileTooLarge,
        format!("the file is larger than {max} bytes"),
    )
}

fn multipart_error(e: multer::Error, max: u64) -> FileError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            tracing::info!(limit = max, "upload refused: body too large");
            too_large(max)
        }
        multer::Error::StreamReadFailed(cause) => {
            tracing::info!(error = %cause, "upload aborted by the client");
            FileError::new(FileErrorCode::InvalidUpload, "the upload was interrupted")
        }
        other => {
            tracing::info!(error = %other, "upload refused: malformed multipart body");
            FileError::new(
                FileErrorCode::InvalidUpload,
                format!("malformed multipart body: {other}"),
            )
        }
    }
}

fn disk_error(e: &io::Error, during: &str) -> FileError {
    tracing::error!(error = %e, during, "files disk failure");
    FileError::internal()
}

/// Reads the request body into a bounded channel. When the handler is done early
/// (`refused` cancelled, or the receiver gone), keeps reading and discarding up to
/// `drain_limit` bytes for at most `drain_timeout`, so a client still sending reads the
/// answer before the connection is closed.
fn spawn_pump<B>(
    body: B,
    refused: CancellationToken,
    drain_limit: u64,
    drain_timeout: std::time::Duration,
) -> mpsc::Receiver<Result<Bytes, io::Error>>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (tx, rx) = mpsc::channel(PUMP_QUEUE);
    tokio::spawn(async move {
        // Boxed: the pump owns the body across awaits on another task.
        let mut body = Box::pin(body);
        loop {
            let frame = tokio::select! {
                () = refused.cancelled() => break,
                frame = body.frame() => frame,
            };
            // Into an io::Error at once: the body's own error type need not be Send.
            let frame = frame.map(|r| r.map_err(|e| io::Error::other(e.into())));
            match frame {
                None => return,
                Some(Err(e)) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && tx.send(Ok(data)).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
        drop(tx);
        let drain = async {
            let mut discarded: u64 = 0;
            loop {
                let Some(Ok(frame)) = body.frame().await else {
                    break;
                };
                if let Ok(data) = frame.into_data() {
                    discarded += data.len() as u64;
                    if discarded > drain_limit {
                        break;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(drain_timeout, drain).await;
    });
    rx
}
