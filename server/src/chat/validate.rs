//! Payload validation: every client event's JSON turned into a typed request, or a precise
//! [`ChatError`] (spec: "Client → Server Events" and "Message Type Handling"; issue 4 items
//! 4, 5 and 7).
//!
//! Rules enforced here, before anything is looked up:
//! - the payload is a JSON object; ids (`id`, `roomId`, `messageId`, `replyToId`, `cursor`) are
//!   positive integers (`sinceId` may be 0: "everything"); `type`/`roomType` is `project` or
//!   `study`;
//! - text content: a string, at most [`Limits::max_content_chars`] Unicode code points counted
//!   on the content *as sent*, not empty or whitespace-only — before sanitising and again
//!   after (markup-only content such as `<b></b>` is empty once cleaned);
//! - message `type` is `text` (the default when absent), `image` or `file` (issue 5 item 2).
//!   A text message carries no `fileId`. An image or file message needs a `fileId`
//!   (`FILE_REQUIRED`); its `content` is an optional caption — absent, empty or only
//!   whitespace/markup means no caption (stored as `""`), otherwise it is length-checked as
//!   sent and sanitised like text; `fileName` (string), `fileSize` (non-negative integer)
//!   and `mimeType` (string) are optional and only read here: whether they match the upload
//!   is checked against the stored record by `files::attachment`;
//! - `clientMessageId`: a non-empty string of at most 64 code points;
//! - `message:history`'s `limit`: a positive integer, capped at [`Limits::history_max_limit`].
//!
//! Unknown extra fields are ignored (clients may send more than we read).

use serde_json::{Map, Value};

use huddle_storage::model::{MessageId, MessageType, RoomRef, RoomType};

use super::errors::{ChatError, ErrorCode};
use super::sanitize::sanitize_text;
use crate::files::attachment::ClientFileMeta;

/// Longest `clientMessageId`, in Unicode code points (issue 4 item 8; the store's column is
/// sized for the same 64).
pub const MAX_CLIENT_MESSAGE_ID_CHARS: usize = 64;

/// The content and paging limits (all configurable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest text content, in Unicode code points as sent (default 10,000).
    pub max_content_chars: usize,
    /// Messages in the page sent on join and by default for `message:history` (default 50).
    pub history_page_size: u32,
    /// Largest `limit` of `message:history` (default 100).
    pub history_max_limit: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_content_chars: 10_000,
            history_page_size: 50,
            history_max_limit: 100,
        }
    }
}

/// `room:join {type, id, sinceId?}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinRequest {
    /// The room.
    pub room: RoomRef,
    /// The last message id the client saw: catch up from there instead of the latest page.
    pub since_id: Option<MessageId>,
}

/// `message:history {roomType, roomId, cursor?, limit?}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryRequest {
    /// The room.
    pub room: RoomRef,
    /// Messages older than this id; the latest page when absent.
    pub cursor: Option<MessageId>,
    /// Page size, already capped.
    pub limit: u32,
}

/// `message:send {roomType, roomId, content, type, replyToId?, clientMessageId?}`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendRequest {
    /// The room.
    pub room: RoomRef,
    /// Text, image or file.
    pub kind: MessageType,
    /// The sanitised content (an image's or file's caption, `""` for none): what is stored
    /// and broadcast.
    pub content: String,
    /// The file of an image or file message; `None` for text.
    pub file: Option<FileRequest>,
    /// The message answered.
    pub reply_to_id: Option<MessageId>,
    /// The client's idempotency key.
    pub client_message_id: Option<String>,
}

/// The file part of an image or file message, as sent (checked against the stored record
/// by `files::attachment`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRequest {
    /// `fileId`.
    pub file_id: u64,
    /// `fileName`, `fileSize`, `mimeType` when the client sent them.
    pub client: ClientFileMeta,
}

/// `message:edit {messageId, content}`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditRequest {
    /// The message.
    pub message_id: MessageId,
    /// The sanitised new content.
    pub content: String,
}

/// Reads one field after another with precise errors.
struct Fields<'a>(&'a Map<String, Value>);

fn object(payload: &Value) -> Result<Fields<'_>, ChatError> {
    payload
        .as_object()
        .map(Fields)
        .ok_or_else(|| ChatError::invalid("the payload must be an object"))
}

/// An integral JSON number as u64 (JSON has one number type: `5.0` is accepted as 5).
fn as_integer(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let f = v.as_f64()?;
    // 2^53: the largest integer a JavaScript number holds exactly.
    (f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&f)).then_some(f as u64)
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn id(&self, name: &str) -> Result<u64, ChatError> {
        self.opt_id(name)?
            .ok_or_else(|| ChatError::invalid(format!("{name} is required")))
    }

    fn opt_id(&self, name: &str) -> Result<Option<u64>, ChatError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match as_integer(v) {
                Some(n) if n > 0 => Ok(Some(n)),
                _ => Err(ChatError::invalid(format!(
                    "{name} must be a positive integer"
                ))),
            },
        }
    }

    fn opt_non_negative(&self, name: &str) -> Result<Option<u64>, ChatError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => as_integer(v).map(Some).ok_or_else(|| {
                ChatError::invalid(format!("{name} must be a non-negative integer"))
            }),
        }
    }

    fn room_type(&self, name: &str) -> Result<RoomType, ChatError> {
        match self.get(name) {
            Some(Value::String(s)) if s == "project" => Ok(RoomType::Project),
            Some(Value::String(s)) if s == "study" => Ok(RoomType::Study),
            None => Err(ChatError::invalid(format!("{name} is required"))),
            Some(_) => Err(ChatError::invalid(format!(
                "{name} must be \"project\" or \"study\""
            ))),
        }
    }

    fn opt_str(&self, name: &str) -> Result<Option<&str>, ChatError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ChatError::invalid(format!("{name} must be a string"))),
        }
    }

    /// `{roomType, roomId}`, the room of every event but `room:join`/`room:leave`.
    fn room(&self) -> Result<RoomRef, ChatError> {
        Ok(RoomRef {
            kind: self.room_type("roomType")?,
            id: self.id("roomId")?,
        })
    }
}

/// The room of `room:join`/`room:leave`: `{type, id}`.
pub fn parse_room_target(payload: &Value) -> Result<RoomRef, ChatError> {
    let f = object(payload)?;
    Ok(RoomRef {
        kind: f.room_type("type")?,
        id: f.id("id")?,
    })
}

/// `room:join`.
pub fn parse_join(payload: &Value) -> Result<JoinRequest, ChatError> {
    let room = parse_room_target(payload)?;
    let since_id = object(payload)?.opt_non_negative("sinceId")?;
    Ok(JoinRequest { room, since_id })
}

/// `{roomType, roomId}` (`typing:start`, `typing:stop`).
pub fn parse_room(payload: &Value) -> Result<RoomRef, ChatError> {
    object(payload)?.room()
}

/// `message:history`.
pub fn parse_history(payload: &Value, limits: &Limits) -> Result<HistoryRequest, ChatError> {
    let f = object(payload)?;
    let room = f.room()?;
    let cursor = f.opt_id("cursor")?;
    let limit = match f.opt_id("limit")? {
        None => limits.history_page_size,
        Some(n) => n.min(u64::from(limits.history_max_limit)) as u32,
    };
    Ok(HistoryRequest {
        room,
        cursor,
        limit,
    })
}

/// `{messageId}` (`message:delete`, `message:read`).
pub fn parse_message_id(payload: &Value) -> Result<MessageId, ChatError> {
    object(payload)?.id("messageId")
}

/// `message:send`.
pub fn parse_send(payload: &Value, limits: &Limits) -> Result<SendRequest, ChatError> {
    let f = object(payload)?;
    let room = f.room()?;
    let kind = match f.opt_str("type")? {
        None | Some("text") => MessageType::Text,
        Some("image") => MessageType::Image,
        Some("file") => MessageType::File,
        Some(_) => {
            return Err(ChatError::invalid(
                "type must be \"text\", \"image\" or \"file\"",
            ));
        }
    };
    let (content, file) = if kind.carries_file() {
        let file_id = f.opt_id("fileId")?.ok_or_else(|| {
            ChatError::new(
                ErrorCode::FileRequired,
                format!("a {kind} message needs the fileId of a file you uploaded"),
            )
        })?;
        let client = ClientFileMeta {
            file_name: f.opt_str("fileName")?.map(str::to_owned),
            file_size: f.opt_non_negative("fileSize")?,
            mime_type: f.opt_str("mimeType")?.map(str::to_owned),
        };
        (caption(&f, limits)?, Some(FileRequest { file_id, client }))
    } else {
        if f.get("fileId").is_some() {
            return Err(ChatError::invalid("a text message cannot carry a fileId"));
        }
        (text_content(&f, limits)?, None)
    };
    let reply_to_id = f.opt_id("replyToId")?;
    let client_message_id = match f.opt_str("clientMessageId")? {
        None => None,
        Some(key) => {
            let chars = key.chars().count();
            if chars == 0 || chars > MAX_CLIENT_MESSAGE_ID_CHARS {
                return Err(ChatError::invalid(format!(
                    "clientMessageId must be 1 to {MAX_CLIENT_MESSAGE_ID_CHARS} characters"
                )));
            }
            Some(key.to_owned())
        }
    };
    Ok(SendRequest {
        room,
        kind,
        content,
        file,
        reply_to_id,
        client_message_id,
    })
}

/// `message:edit`.
pub fn parse_edit(payload: &Value, limits: &Limits) -> Result<EditRequest, ChatError> {
    let f = object(payload)?;
    let message_id = f.id("messageId")?;
    let content = text_content(&f, limits)?;
    Ok(EditRequest {
        message_id,
        content,
    })
}

/// The optional caption of an image or file message: the same length limit and sanitising
/// as text, but empty (or markup only) is allowed and means no caption.
fn caption(f: &Fields<'_>, limits: &Limits) -> Result<String, ChatError> {
    let raw = f.opt_str("content")?.unwrap_or("");
    check_length(raw, limits)?;
    let clean = sanitize_text(raw);
    Ok(if clean.trim().is_empty() {
        String::new()
    } else {
        clean
    })
}

fn check_length(raw: &str, limits: &Limits) -> Result<(), ChatError> {
    let chars = raw.chars().count();
    if chars > limits.max_content_chars {
        return Err(ChatError::new(
            ErrorCode::ContentTooLong,
            format!(
                "content is {chars} characters; the limit is {}",
                limits.max_content_chars
            ),
        ));
    }
    Ok(())
}

/// The `content` field of a text message: checked as sent, then sanitised, then checked again.
fn text_content(f: &Fields<'_>, limits: &Limits) -> Result<String, ChatError> {
    let raw = f.opt_str("content")?.unwrap_or("");
    check_length(raw, limits)?;
    let empty = || ChatError::new(ErrorCode::ContentEmpty, "content must not be empty");
    if raw.trim().is_empty() {
        return Err(empty());
    }
    let clean = sanitize_text(raw);
    if clean.trim().is_empty() {
        return Err(empty());
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(r: Result<impl std::fmt::Debug, ChatError>) -> ErrorCode {
        r.expect_err("should fail").code
    }

    #[test]
    fn join_payloads() {
        assert_eq!(
            parse_join(&json!({"type": "project", "id": 1})).unwrap(),
            JoinRequest {
                room: RoomRef::project(1),
                since_id: None
            }
        );
        assert_eq!(
            parse_join(&json!({"type": "study", "id": 4, "sinceId": 17})).unwrap(),
            JoinRequest {
                room: RoomRef::study(4),
                since_id: Some(17)
            }
        );
        assert_eq!(
            parse_join(&json!({"type": "study", "id": 4, "sinceId": 0}))
                .unwrap()
                .since_id,
            Some(0)
        );
        assert_eq!(
            parse_join(&json!({"type": "study", "id": 4.0}))
                .unwrap()
                .room,
            RoomRef::study(4)
        );
        for bad in [
            json!(null),
            json!("project:1"),
            json!([1]),
            json!({}),
            json!({"type": "project"}),
            json!({"id": 1}),
            json!({"type": "team", "id": 1}),
            json!({"type": "Project", "id": 1}),
            json!({"type": "project", "id": 0}),
            json!({"type": "project", "id": -1}),
            json!({"type": "project", "id": 1.5}),
            json!({"type": "project", "id": "1"}),
            json!({"type": "project", "id": 1, "sinceId": -1}),
            json!({"type": "project", "id": 1, "sinceId": "x"}),
        ] {
            assert_eq!(code(parse_join(&bad)), ErrorCode::InvalidPayload, "{bad}");
        }
    }

    #[test]
    fn room_payloads_use_room_type_and_room_id() {
        assert_eq!(
            parse_room(&json!({"roomType": "study", "roomId": 2})).unwrap(),
            RoomRef::study(2)
        );
        assert_eq!(
            code(parse_room(&json!({"type": "study", "id": 2}))),
            ErrorCode::InvalidPayload
        );
    }

    #[test]
    fn history_limit_defaults_and_cap() {
        let l = Limits::default();
        let r = parse_history(&json!({"roomType": "project", "roomId": 1}), &l).unwrap();
        assert_eq!((r.cursor, r.limit), (None, 50));
        let r = parse_history(
            &json!({"roomType": "project", "roomId": 1, "cursor": 70, "limit": 500}),
            &l,
        )
        .unwrap();
        assert_eq!((r.cursor, r.limit), (Some(70), 100));
        let r = parse_history(
            &json!({"roomType": "project", "roomId": 1, "cursor": null, "limit": 7}),
            &l,
        )
        .unwrap();
        assert_eq!((r.cursor, r.limit), (None, 7));
        for bad in [
            json!({"roomType": "project", "roomId": 1, "limit": 0}),
            json!({"roomType": "project", "roomId": 1, "limit": "10"}),
            json!({"roomType": "project", "roomId": 1, "cursor": 0}),
        ] {
            assert_eq!(
                code(parse_history(&bad, &l)),
                ErrorCode::InvalidPayload,
                "{bad}"
            );
        }
    }

    #[test]
    fn send_payloads() {
        let l = Limits::default();
        let ok = parse_send(
            &json!({"roomType": "project", "roomId": 1, "content": "hi <b>there</b>", "type": "text",
                    "replyToId": 4, "clientMessageId": "c-1"}),
            &l,
        )
        .unwrap();
        assert_eq!(
            ok,
            SendRequest {
                room: RoomRef::project(1),
                kind: MessageType::Text,
                content: "hi there".into(),
                file: None,
                reply_to_id: Some(4),
                client_message_id: Some("c-1".into()),
            }
        );
        let no_type = parse_send(
            &json!({"roomType": "study", "roomId": 3, "content": "x"}),
            &l,
        )
        .unwrap();
        assert_eq!(no_type.kind, MessageType::Text);
        let nulls = parse_send(
            &json!({"roomType": "study", "roomId": 3, "content": "x", "replyToId": null,
                    "fileId": null, "clientMessageId": null}),
            &l,
        )
        .unwrap();
        assert_eq!((nulls.reply_to_id, nulls.client_message_id), (None, None));
    }

    #[test]
    fn send_refusals_table() {
        let l = Limits::default();
        let base = |extra: Value| {
            let mut v =
                json!({"roomType": "project", "roomId": 1, "type": "text", "content": "hello"});
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        let cases = [
            (json!({"content": ""}), ErrorCode::ContentEmpty),
            (json!({"content": "   \n\t "}), ErrorCode::ContentEmpty),
            (json!({"content": null}), ErrorCode::ContentEmpty),
            (json!({"content": "<b></b>"}), ErrorCode::ContentEmpty),
            (
                json!({"content": "<script>x</script>  "}),
                ErrorCode::ContentEmpty,
            ),
            (json!({"content": 5}), ErrorCode::InvalidPayload),
            (
                json!({"content": "x".repeat(10_001)}),
                ErrorCode::ContentTooLong,
            ),
            (json!({"type": "image"}), ErrorCode::FileRequired),
            (
                json!({"type": "file", "fileId": null}),
                ErrorCode::FileRequired,
            ),
            (
                json!({"type": "image", "fileId": 0}),
                ErrorCode::InvalidPayload,
            ),
            (
                json!({"type": "file", "fileId": "3"}),
                ErrorCode::InvalidPayload,
            ),
            (
                json!({"type": "file", "fileId": 3, "fileName": 7}),
                ErrorCode::InvalidPayload,
            ),
            (
                json!({"type": "file", "fileId": 3, "fileSize": -1}),
                ErrorCode::InvalidPayload,
            ),
            (
                json!({"type": "file", "fileId": 3, "mimeType": ["a"]}),
                ErrorCode::InvalidPayload,
            ),
            (
                json!({"type": "image", "fileId": 3, "content": "x".repeat(10_001)}),
                ErrorCode::ContentTooLong,
            ),
            (json!({"type": "video"}), ErrorCode::InvalidPayload),
            (json!({"type": 1}), ErrorCode::InvalidPayload),
            (json!({"fileId": 3}), ErrorCode::InvalidPayload),
            (json!({"roomType": "team"}), ErrorCode::InvalidPayload),
            (json!({"roomId": 0}), ErrorCode::InvalidPayload),
            (json!({"replyToId": 0}), ErrorCode::InvalidPayload),
            (json!({"replyToId": "4"}), ErrorCode::InvalidPayload),
            (json!({"clientMessageId": ""}), ErrorCode::InvalidPayload),
            (
                json!({"clientMessageId": "x".repeat(65)}),
                ErrorCode::InvalidPayload,
            ),
            (json!({"clientMessageId": 12}), ErrorCode::InvalidPayload),
        ];
        for (extra, expected) in cases {
            let payload = base(extra.clone());
            assert_eq!(code(parse_send(&payload, &l)), expected, "{extra}");
        }
    }

    #[test]
    fn image_and_file_payloads() {
        let l = Limits::default();
        let image = parse_send(
            &json!({"roomType": "project", "roomId": 1, "type": "image", "fileId": 7,
                    "fileName": "a.png", "fileSize": 10, "mimeType": "image/png"}),
            &l,
        )
        .unwrap();
        assert_eq!(image.kind, MessageType::Image);
        assert_eq!(image.content, "", "no caption");
        assert_eq!(
            image.file,
            Some(FileRequest {
                file_id: 7,
                client: ClientFileMeta {
                    file_name: Some("a.png".into()),
                    file_size: Some(10),
                    mime_type: Some("image/png".into()),
                },
            })
        );
        let file = parse_send(
            &json!({"roomType": "study", "roomId": 2, "type": "file", "fileId": 8,
                    "content": "the <i>report</i>\n1 < 2"}),
            &l,
        )
        .unwrap();
        assert_eq!(file.kind, MessageType::File);
        assert_eq!(file.content, "the report\n1 < 2", "a caption is sanitised");
        assert_eq!(
            file.file,
            Some(FileRequest {
                file_id: 8,
                client: ClientFileMeta::default(),
            })
        );
        for blank in ["", "   ", "<b></b>"] {
            let r = parse_send(
                &json!({"roomType": "study", "roomId": 2, "type": "file", "fileId": 8,
                        "content": blank}),
                &l,
            )
            .unwrap();
            assert_eq!(r.content, "", "{blank:?} is no caption");
        }
    }

    #[test]
    fn content_length_counts_code_points_as_sent() {
        let l = Limits::default();
        let send = |content: String| {
            parse_send(
                &json!({"roomType": "project", "roomId": 1, "content": content}),
                &l,
            )
        };
        // 10,000 four-byte code points: 40,000 bytes but exactly at the limit.
        assert!(send("😀".repeat(10_000)).is_ok());
        assert_eq!(code(send("😀".repeat(10_001))), ErrorCode::ContentTooLong);
        // Counted before sanitising: markup counts as sent.
        let tagged = format!("<b>{}</b>", "x".repeat(9_994));
        assert_eq!(tagged.chars().count(), 10_001);
        assert_eq!(code(send(tagged)), ErrorCode::ContentTooLong);
        // A combining sequence is several code points.
        assert!(send("e\u{301}".repeat(5_000)).is_ok());
        assert_eq!(
            code(send("e\u{301}".repeat(5_001))),
            ErrorCode::ContentTooLong
        );
        // The limit is configurable.
        let small = Limits {
            max_content_chars: 3,
            ..Limits::default()
        };
        assert!(
            parse_send(
                &json!({"roomType": "project", "roomId": 1, "content": "abc"}),
                &small
            )
            .is_ok()
        );
        assert_eq!(
            code(parse_send(
                &json!({"roomType": "project", "roomId": 1, "content": "abcd"}),
                &small
            )),
            ErrorCode::ContentTooLong
        );
    }

    #[test]
    fn client_message_id_up_to_64_code_points() {
        let l = Limits::default();
        let send = |key: String| {
            parse_send(
                &json!({"roomType": "project", "roomId": 1, "content": "x", "clientMessageId": key}),
                &l,
            )
        };
        assert!(send("é".repeat(64)).is_ok());
        assert_eq!(code(send("é".repeat(65))), ErrorCode::InvalidPayload);
    }

    #[test]
    fn edit_and_id_payloads() {
        let l = Limits::default();
        assert_eq!(
            parse_edit(&json!({"messageId": 9, "content": "1 < 2 & 3"}), &l).unwrap(),
            EditRequest {
                message_id: 9,
                content: "1 < 2 & 3".into()
            }
        );
        assert_eq!(
            code(parse_edit(&json!({"messageId": 9, "content": " "}), &l)),
            ErrorCode::ContentEmpty
        );
        assert_eq!(
            code(parse_edit(&json!({"content": "x"}), &l)),
            ErrorCode::InvalidPayload
        );
        assert_eq!(parse_message_id(&json!({"messageId": 3})).unwrap(), 3);
        assert_eq!(
            code(parse_message_id(&json!({"messageId": -3}))),
            ErrorCode::InvalidPayload
        );
        assert_eq!(code(parse_message_id(&json!(3))), ErrorCode::InvalidPayload);
    }
}
