//! The one list of error codes the chat layer answers with (spec: "Error Handling",
//! `error {message, code}`, `room:error`, `auth:failed`; issue 4 item 7).
//!
//! Every client-facing failure of the chat layer is a [`ChatError`]: a stable machine-readable
//! [`ErrorCode`] plus a human-readable message. How it reaches the client:
//!
//! - a failed event answers with the event `error {message, code}` — or, for `room:join` and
//!   `room:leave` whose room could be read from the payload, `room:error {message, roomType, roomId}`
//!   (the spec's shape; the code is then in the ack);
//! - when the client passed an ack callback it also gets `{ok: false, error: {code, message}}`;
//! - a refused handshake is a Socket.IO CONNECT_ERROR `{message, data: {code}}`: this is what
//!   `socket.io-client` surfaces as its `connect_error` event, and it stands for the spec's
//!   `auth:failed {message}` (a server cannot emit events on a namespace connection it refuses).
//!
//! | code | when |
//! | --- | --- |
//! | `AUTH_REQUIRED` | the handshake carries no usable token: `auth.token` absent, null, empty or not a string (and no `Authorization: Bearer` header) |
//! | `AUTH_INVALID` | the token is malformed, its signature is wrong, its algorithm is not the configured one (`alg: none` included), `exp` is missing, `nbf` is still ahead, `aud`/`iss` do not match the configured ones, or `sub` is not a positive user id |
//! | `AUTH_EXPIRED` | the token's `exp` lies in the past |
//! | `USER_NOT_FOUND` | the token is valid but its user does not exist in storage |
//! | `INVALID_PAYLOAD` | the event's payload is not an object, or a field is missing, has the wrong type or is out of range (ids not positive integers, `roomType` not `project`/`study`, `clientMessageId` empty or over 64 characters, `limit` not a positive integer...; a `limit` over 100 is not an error, it is capped) |
//! | `UNKNOWN_EVENT` | the client emitted an event the chat does not know |
//! | `ROOM_NOT_FOUND` | no project or study has that id |
//! | `ROOM_FORBIDDEN` | the room exists but the access rules deny this user |
//! | `NOT_IN_ROOM` | the event needs the connection to have joined the room first (`message:send`, `typing:*`, `room:leave`) |
//! | `CONTENT_EMPTY` | text content is empty or only whitespace (before or after sanitising) |
//! | `CONTENT_TOO_LONG` | text content is over the limit (10,000 Unicode code points by default) |
//! | `FILE_REQUIRED` | an `image` or `file` message without a `fileId` |
//! | `FILE_NOT_FOUND` | `fileId` names no uploaded file, or a file someone else uploaded (the same answer: ids leak nothing) |
//! | `INVALID_FILE_TYPE` | an `image` message whose file is not JPEG, PNG, GIF or WebP by its bytes |
//! | `FILE_TOO_LARGE` | an `image` message whose file is over the image limit (10,485,760 bytes by default) |
//! | `FILE_METADATA_MISMATCH` | `fileName`, `fileSize` or `mimeType` sent with the message disagree with the uploaded file's record |
//! | `REPLY_NOT_FOUND` | `replyToId` is not a message of the same room |
//! | `MESSAGE_NOT_FOUND` | no message has that id, or it belongs to a room this user cannot access |
//! | `EDIT_FORBIDDEN` | edit/delete by someone who is neither the sender nor a manager with access to the room |
//! | `EDIT_WINDOW_EXPIRED` | edit/delete more than 24 hours after the message's stored creation time |
//! | `MESSAGE_DELETED` | edit/delete of a message that is already deleted |
//! | `RATE_LIMITED` | over the `message:send` rate limit (nothing was stored) |
//! | `DB_UNAVAILABLE` | the database cannot be reached; nothing was stored or broadcast; retry later |
//! | `INTERNAL` | anything else that went wrong on the server (logged) |

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

/// A client-facing error code. `as_str()` is the wire form (SCREAMING_SNAKE_CASE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No token in the handshake.
    AuthRequired,
    /// Malformed token, bad signature, wrong algorithm, missing `exp`, bad `sub`.
    AuthInvalid,
    /// The token has expired.
    AuthExpired,
    /// The token's user does not exist.
    UserNotFound,
    /// The payload's shape or a field's value is wrong.
    InvalidPayload,
    /// An event the chat does not handle.
    UnknownEvent,
    /// No such project or study.
    RoomNotFound,
    /// The access rules deny the room to this user.
    RoomForbidden,
    /// The connection has not joined the room.
    NotInRoom,
    /// Empty or whitespace-only content.
    ContentEmpty,
    /// Content over the length limit.
    ContentTooLong,
    /// An image or file message without a `fileId`.
    FileRequired,
    /// No such file, or not uploaded by the sender.
    FileNotFound,
    /// An image message whose file is not an image by its bytes.
    InvalidFileType,
    /// An image over the image size limit.
    FileTooLarge,
    /// Client file metadata that disagrees with the stored record.
    FileMetadataMismatch,
    /// `replyToId` is not a message of the same room.
    ReplyNotFound,
    /// No such message (or not visible to this user).
    MessageNotFound,
    /// Not the sender nor a manager with access.
    EditForbidden,
    /// Past the 24-hour edit/delete window.
    EditWindowExpired,
    /// The message was already deleted.
    MessageDeleted,
    /// Over the send rate limit.
    RateLimited,
    /// The database cannot be reached.
    DbUnavailable,
    /// An unexpected server-side failure.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order of the table in this module's header (used by the docs test).
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::AuthRequired,
        ErrorCode::AuthInvalid,
        ErrorCode::AuthExpired,
        ErrorCode::UserNotFound,
        ErrorCode::InvalidPayload,
        ErrorCode::UnknownEvent,
        ErrorCode::RoomNotFound,
        ErrorCode::RoomForbidden,
        ErrorCode::NotInRoom,
        ErrorCode::ContentEmpty,
        ErrorCode::ContentTooLong,
        ErrorCode::FileRequired,
        ErrorCode::FileNotFound,
        ErrorCode::InvalidFileType,
        ErrorCode::FileTooLarge,
        ErrorCode::FileMetadataMismatch,
        ErrorCode::ReplyNotFound,
        ErrorCode::MessageNotFound,
        ErrorCode::EditForbidden,
        ErrorCode::EditWindowExpired,
        ErrorCode::MessageDeleted,
        ErrorCode::RateLimited,
        ErrorCode::DbUnavailable,
        ErrorCode::Internal,
    ];

    /// The wire form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthRequired => "AUTH_REQUIRED",
            ErrorCode::AuthInvalid => "AUTH_INVALID",
            ErrorCode::AuthExpired => "AUTH_EXPIRED",
            ErrorCode::UserNotFound => "USER_NOT_FOUND",
            ErrorCode::InvalidPayload => "INVALID_PAYLOAD",
            ErrorCode::UnknownEvent => "UNKNOWN_EVENT",
            ErrorCode::RoomNotFound => "ROOM_NOT_FOUND",
            ErrorCode::RoomForbidden => "ROOM_FORBIDDEN",
            ErrorCode::NotInRoom => "NOT_IN_ROOM",
            ErrorCode::ContentEmpty => "CONTENT_EMPTY",
            ErrorCode::ContentTooLong => "CONTENT_TOO_LONG",
            ErrorCode::FileRequired => "FILE_REQUIRED",
            ErrorCode::FileNotFound => "FILE_NOT_FOUND",
            ErrorCode::InvalidFileType => "INVALID_FILE_TYPE",
            ErrorCode::FileTooLarge => "FILE_TOO_LARGE",
            ErrorCode::FileMetadataMismatch => "FILE_METADATA_MISMATCH",
            ErrorCode::ReplyNotFound => "REPLY_NOT_FOUND",
            ErrorCode::MessageNotFound => "MESSAGE_NOT_FOUND",
            ErrorCode::EditForbidden => "EDIT_FORBIDDEN",
            ErrorCode::EditWindowExpired => "EDIT_WINDOW_EXPIRED",
            ErrorCode::MessageDeleted => "MESSAGE_DELETED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::DbUnavailable => "DB_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure to report to the client: a code from the list above and a message a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ChatError {
    /// The machine-readable code.
    pub code: ErrorCode,
    /// The human-readable message.
    pub message: String,
}

impl ChatError {
    /// A new error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ChatError {
            code,
            message: message.into(),
        }
    }

    /// `INVALID_PAYLOAD` with this message.
    pub fn invalid(message: impl Into<String>) -> Self {
        ChatError::new(ErrorCode::InvalidPayload, message)
    }

    /// `INTERNAL`: the message the client sees is generic; the detail belongs in the log.
    pub fn internal() -> Self {
        ChatError::new(ErrorCode::Internal, "internal server error")
    }

    /// `DB_UNAVAILABLE`.
    pub fn db_unavailable() -> Self {
        ChatError::new(
            ErrorCode::DbUnavailable,
            "the database is unavailable; nothing was saved, please retry",
        )
    }

    /// The payload of the `error` event: `{message, code}`.
    pub fn event_payload(&self) -> Value {
        json!({ "message": self.message, "code": self.code.as_str() })
    }

    /// The failure ack: `{ok: false, error: {code, message}}`.
    pub fn ack_payload(&self) -> Value {
        json!({ "ok": false, "error": { "code": self.code.as_str(), "message": self.message } })
    }

    /// The CONNECT_ERROR data of a refused handshake: `{code}` (the message travels beside it).
    pub fn connect_error_data(&self) -> Value {
        json!({ "code": self.code.as_str() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_wire_form() {
        for code in ErrorCode::ALL {
            let v = serde_json::to_value(code).unwrap();
            assert_eq!(v, Value::String(code.as_str().to_owned()));
        }
    }

    #[test]
    fn every_code_is_documented_in_the_module_header_table() {
        let source = include_str!("errors.rs");
        for code in ErrorCode::ALL {
            let row = format!("| `{}` |", code.as_str());
            assert!(source.contains(&row), "{} missing from the table", code);
        }
    }

    #[test]
    fn codes_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code);
        }
    }

    #[test]
    fn payload_shapes_match_the_protocol() {
        let e = ChatError::new(ErrorCode::NotInRoom, "join the room first");
        assert_eq!(
            e.event_payload(),
            json!({"message": "join the room first", "code": "NOT_IN_ROOM"})
        );
        assert_eq!(
            e.ack_payload(),
            json!({"ok": false, "error": {"code": "NOT_IN_ROOM", "message": "join the room first"}})
        );
        assert_eq!(e.connect_error_data(), json!({"code": "NOT_IN_ROOM"}));
    }
}
