//! `GET` / `HEAD /api/files/{id}` (issue 5 item 3): streams a stored file to the uploader
//! and to users with access to a room where a message carries it.
//!
//! - No valid token: 401. Anyone else who may not read the file, an unknown id, or a
//!   malformed id: the same 404, so ids leak nothing.
//! - Access: the uploader, or a user the chat's policy ([`crate::chat::policy::allows`])
//!   lets into one of the rooms the store reports for the file
//!   ([`huddle_storage::Store::file_rooms`]: rooms of messages, not deleted, carrying it).
//! - Headers: the stored (sniffed) type, `X-Content-Type-Options: nosniff`, a restrictive
//!   `Content-Security-Policy`, a sanitised `Content-Disposition` (`inline` for the image
//!   types of image messages, `attachment` otherwise), `ETag` / `Last-Modified`,
//!   `Accept-Ranges: bytes`; `Range` and conditional requests through [`super::range`].
//! - The body is read from disk in 64 KiB chunks ([`FileBody`]), never whole in memory.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use http_body::{Frame, SizeHint};
use http_body_util::{Either, Full};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use huddle_storage::model::{FileRecord, User};

use super::errors::{FileError, FileErrorCode};
use super::range::{RangeAnswer, Validators, parse_range};
use super::sniff::is_image_type;
use super::{FilesService, HttpBody};
use crate::chat::policy;

/// Bytes read from disk at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// RFC 8187 `attr-char`s stay as they are; everything else is percent-encoded.
const FILENAME_STAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Serves one download.
pub async fn download(
    svc: &FilesService,
    method: &Method,
    headers: &HeaderMap,
    id: &str,
) -> Result<Response<HttpBody>, FileError> {
    let user = svc.authenticate(headers).await?;
    // Canonical decimal only ("12", not "+12" or "012"): one URL per file.
    let canonical =
        !id.is_empty() && !id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit());
    let Some(id) = canonical.then(|| id.parse::<u64>().ok()).flatten() else {
        return Err(FileError::not_found());
    };
    let record = svc
        .store()
        .get_file(id)
        .await
        .map_err(|e| FileError::store(&e, "get file"))?
        .ok_or_else(FileError::not_found)?;
    if !may_read(svc, &user, &record).await? {
        tracing::info!(
            file_id = id,
            user_id = user.id,
            "download refused: no access"
        );
        return Err(FileError::not_found());
    }
    let Some(path) = svc.dir().file_path(&record.storage_key) else {
        tracing::error!(file_id = id, "stored file has an invalid storage key");
        return Err(FileError::not_found());
    };
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            tracing::error!(file_id = id, "the bytes of a recorded file are missing");
            return Err(FileError::not_found());
        }
        Err(e) => return Err(disk_error(&e)),
    };
    let size = file.metadata().await.map_err(|e| disk_error(&e))?.len();
    if size != record.file_size {
        tracing::error!(
            file_id = id,
            on_disk = size,
            recorded = record.file_size,
            "file size differs from its record"
        );
    }
    let validators = validators(&record);
    let mut res = Response::new(Either::Left(Full::new(Bytes::new())));
    common_headers(res.headers_mut(), &record, &validators);
    if validators.not_modified(headers) {
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(res);
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) if validators.range_applies(headers) => parse_range(value, size),
        _ => RangeAnswer::Full,
    };
    let (start, len) = match range {
        RangeAnswer::Full => (0, size),
        RangeAnswer::Partial { start, end } => {
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            res.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {start}-{end}/{size}")),
            );
            (start, end - start + 1)
        }
        RangeAnswer::Unsatisfiable => {
            let mut res = FileError::new(
                FileErrorCode::RangeNotSatisfiable,
                format!("the range is outside the file ({size} bytes)"),
            )
            .response();
            res.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{size}")),
            );
            return Ok(res);
        }
    };
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, header_value(&len.to_string()));
    if method == Method::HEAD {
        return Ok(res);
    }
    if start > 0 {
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| disk_error(&e))?;
    }
    *res.body_mut() = Either::Right(FileBody::new(file, len));
    Ok(res)
}

/// The uploader, or anyone the policy lets into a room where a message carries the file.
async fn may_read(svc: &FilesService, user: &User, record: &FileRecord) -> Result<bool, FileError> {
    if record.uploader_id == user.id {
        return Ok(true);
    }
    let rooms = svc
        .store()
        .file_rooms(record.id)
        .await
        .map_err(|e| FileError::store(&e, "file rooms"))?;
    for room in rooms {
        let facts = svc
            .store()
            .room_access(user.id, room)
            .await
            .map_err(|e| FileError::store(&e, "room access"))?;
        if facts.is_some_and(|facts| policy::allows(user, &facts)) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn validators(record: &FileRecord) -> Validators {
    let secs = u64::try_from(record.created_at.timestamp()).unwrap_or(0);
    Validators {
        etag: format!("\"{:x}-{:x}-{:x}\"", record.id, record.file_size, secs),
        last_modified: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
    }
}

fn common_headers(headers: &mut HeaderMap, record: &FileRecord, validators: &Validators) {
    let content_type = HeaderValue::from_str(&record.mime_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&record.file_name, is_image_type(&record.mime_type)),
    );
    headers.insert(header::ETAG, header_value(&validators.etag));
    headers.insert(
        header::LAST_MODIFIED,
        header_value(&httpdate::fmt_http_date(validators.last_modified)),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Private (access-checked), and revalidated each time so a revoked access shows.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
}

/// `inline` or `attachment`, with an ASCII `filename` (anything else replaced by `_`) and
/// the exact name as RFC 8187 `filename*`.
pub fn content_disposition(name: &str, inline: bool) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    let encoded = utf8_percent_encode(name, FILENAME_STAR);
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

fn header_value(text: &str) -> HeaderValue {
    // Only ever called with ASCII built here.
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

fn disk_error(e: &io::Error) -> FileError {
    tracing::error!(error = %e, "files disk failure");
    FileError::internal()
}

/// A response body read from a file, `len` bytes from its current position.
pub struct FileBody {
    stream: ReaderStream<tokio::io::Take<tokio::fs::File>>,
    remaining: u64,
}

impl FileBody {
    /// The next `len` bytes of `file`.
    pub fn new(file: tokio::fs::File, len: u64) -> Self {
        FileBody {
            stream: ReaderStream::with_capacity(file.take(len), CHUNK_BYTES),
            remaining: len,
        }
    }
}

impl std::fmt::Debug for FileBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileBody")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match ready!(Pin::new(&mut self.stream).poll_next(cx)) {
            Some(Ok(bytes)) => {
                self.remaining = self.remaining.saturating_sub(bytes.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Some(Err(e)) => Poll::Ready(Some(Err(e))),
            None if self.remaining > 0 => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stored file is shorter than its record",
            )))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_safe() {
        let v = content_disposition("rapport été \"final\".pdf", false);
        assert_eq!(
            v.to_str().unwrap(),
            "attachment; filename=\"rapport _t_ _final_.pdf\"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9%20%22final%22.pdf"
        );
        let v = content_disposition("a.png", true);
        assert_eq!(
            v.to_str().unwrap(),
            "inline; filename=\"a.png\"; filename*=UTF-8''a.png"
        );
    }
}
