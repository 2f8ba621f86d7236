//! The files API's error answers: JSON `{error: {code, message}}` with the HTTP status that
//! goes with each code (issue 5 items 1 and 3). One list, so every endpoint answers alike.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{Either, Full};
use serde_json::json;

use super::HttpBody;

/// Every error code the files API answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileErrorCode {
    /// 401: no `Authorization: Bearer` token.
    AuthRequired,
    /// 401: the token does not verify.
    AuthInvalid,
    /// 401: the token has expired.
    AuthExpired,
    /// 401: the token names a user storage does not know.
    UserNotFound,
    /// 400: the multipart body is malformed, truncated, or has no `file` field.
    InvalidUpload,
    /// 413: the file is larger than the upload limit.
    FileTooLarge,
    /// 415: the body is not `multipart/form-data`.
    UnsupportedMediaType,
    /// 404: no such file, or not visible to this user (the same answer: no existence leak).
    NotFound,
    /// 405: a method the endpoint does not serve.
    MethodNotAllowed,
    /// 416: the `Range` cannot be satisfied.
    RangeNotSatisfiable,
    /// 503: the database is unreachable.
    DbUnavailable,
    /// 500: anything else (disk failure, store bug); details only in the log.
    Internal,
}

impl FileErrorCode {
    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            FileErrorCode::AuthRequired => "AUTH_REQUIRED",
            FileErrorCode::AuthInvalid => "AUTH_INVALID",
            FileErrorCode::AuthExpired => "AUTH_EXPIRED",
            FileErrorCode::UserNotFound => "USER_NOT_FOUND",
            FileErrorCode::InvalidUpload => "INVALID_UPLOAD",
            FileErrorCode::FileTooLarge => "FILE_TOO_LARGE",
            FileErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            FileErrorCode::NotFound => "NOT_FOUND",
            FileErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            FileErrorCode::RangeNotSatisfiable => "RANGE_NOT_SATISFIABLE",
            FileErrorCode::DbUnavailable => "DB_UNAVAILABLE",
            FileErrorCode::Internal => "INTERNAL",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            FileErrorCode::AuthRequired
            | FileErrorCode::AuthInvalid
            | FileErrorCode::AuthExpired
            | FileErrorCode::UserNotFound => StatusCode::UNAUTHORIZED,
            FileErrorCode::InvalidUpload => StatusCode::BAD_REQUEST,
            FileErrorCode::FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FileErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FileErrorCode::NotFound => StatusCode::NOT_FOUND,
            FileErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            FileErrorCode::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            FileErrorCode::DbUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            FileErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A refused files request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct FileError {
    /// What went wrong.
    pub code: FileErrorCode,
    /// A message for people.
    pub message: String,
}

impl FileError {
    /// A new error.
    pub fn new(code: FileErrorCode, message: impl Into<String>) -> Self {
        FileError {
            code,
            message: message.into(),
        }
    }

    /// The generic 404 (same text for "unknown" and "not yours").
    pub fn not_found() -> Self {
        FileError::new(FileErrorCode::NotFound, "file not found")
    }

    /// A store failure: 503 when the database is unreachable, 500 otherwise (logged).
    pub fn store(err: &huddle_storage::StoreError, during: &str) -> Self {
        if err.is_unavailable() {
            tracing::warn!(error = %err, during, "database unavailable");
            FileError::new(FileErrorCode::DbUnavailable, "the database is unavailable")
        } else {
            tracing::error!(error = %err, during, "store failure");
            FileError::internal()
        }
    }

    /// The generic 500.
    pub fn internal() -> Self {
        FileError::new(FileErrorCode::Internal, "internal error")
    }

    /// The JSON answer.
    pub fn response(&self) -> Response<HttpBody> {
        let body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        let mut res = Response::new(Either::Left(Full::new(Bytes::from(body.to_string()))));
        *res.status_mut() = self.code.status();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.code.status() == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
