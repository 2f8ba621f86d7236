//! `message:send`, `message:edit` and `message:delete` (spec: "Messaging", "Message Send
//! Flow", "Message Edit/Delete Authorization"; issue 4 items 5, 7 and 8).
//!
//! Each handler runs validate → authorize → store → broadcast, in that order.
//!
//! **Send** `{roomType, roomId, content, type?, replyToId?, clientMessageId?}`:
//! validate (`validate.rs`: content checked as sent then sanitised; image and file messages
//! need a `fileId`, their content is an optional caption) → the connection must have joined
//! the room (`NOT_IN_ROOM`) → for an image or file message, the file
//! check of `files::attachment` (issue 5 item 2: uploaded by the sender, else
//! `FILE_NOT_FOUND`; an image is JPEG/PNG/GIF/WebP by its bytes, else `INVALID_FILE_TYPE`,
//! and at most 10 MiB, else `FILE_TOO_LARGE`; client `fileName`/`fileSize`/`mimeType` that
//! disagree with the record: `FILE_METADATA_MISMATCH`) → the per-user rate limit
//! (`RATE_LIMITED`; nothing stored; refused attempts above consume nothing) → the room's
//! writer stores it in its next batch, after asking the policy again whether the user still
//! has access to the room (access can be withdrawn after a join: `ROOM_FORBIDDEN`, nothing
//! stored, the token is spent; the facts are at most `--access-cache-ms` old, see
//! `access_cache.rs`); `replyToId` must be a message of the same room (`REPLY_NOT_FOUND`); a
//! `clientMessageId` the user already sent returns the original message and broadcasts
//! nothing → after the commit, `message:new {message}` to everyone in the room, sender
//! included → ack `{ok: true, message}`. The message's `fileName`, `fileSize`, `mimeType`
//! and `file` come from the stored record (the store copies them), and the insert marks the
//! file attached in the same commit, so housekeeping keeps it from then on. If the database is unreachable: `DB_UNAVAILABLE`,
//! nothing stored, nothing broadcast. The handler returns once the message is queued, so the
//! connection's next send to the same room can join the same commit (`pipeline.rs`).
//!
//! **Edit** `{messageId, content}` / **delete** `{messageId}`: the message must exist and be
//! visible to the user (else `MESSAGE_NOT_FOUND`); the user must be its sender, or a manager
//! with access to its room (`EDIT_FORBIDDEN`); it must not be deleted (`MESSAGE_DELETED`); and
//! at most 24 hours (configurable) must have passed since its STORED `createdAt`, measured on
//! the store's clock (`EDIT_WINDOW_EXPIRED`). Edit sets `editedAt` and broadcasts
//! `message:edited {message}`; delete is soft (`deletedAt`; served as a tombstone) and
//! broadcasts `message:deleted {messageId, roomType, roomId}` — to the whole room, from the
//! room's writer (so a socket joining at that moment sees the change either in its history or
//! live). Acks: `{ok: true, message}` and `{ok: true, messageId, roomType, roomId}`.

use std::sync::Arc;

use serde_json::{Value, json};

use huddle_storage::model::{
    InsertOutcome, Message, MessageId, MessageType, NewMessage, Rejection, Role, User,
};
use huddle_storage::{Entity, StoreError};

use super::errors::{ChatError, ErrorCode};
use super::policy::{authorize_room, store_error};
use super::reply::{Failure, Outcome, fields, respond};
use super::rooms::room_name;
use super::validate::{parse_edit, parse_message_id, parse_send};
use super::{ChatSocket, Ctx};
use crate::files::attachment::{AttachmentError, AttachmentKind, validate_attachment};
use crate::socketio::{AckSender, Socket};

/// `message:send`. Returns once the message is queued for its room's writer (or refused);
/// the answer comes from the writer after the commit (see `pipeline.rs`).
pub async fn send(
    ctx: Arc<Ctx>,
    socket: Socket<ChatSocket>,
    payload: Value,
    ack: Option<AckSender>,
) {
    let pipeline = &socket.state().sends;
    match admit(&ctx, &socket, &payload).await {
        Ok(message) => {
            pipeline.enter(message.room).await;
            let pending = PendingSend {
                socket: socket.clone(),
                ack,
                answered: false,
            };
            ctx.writers.submit_insert(
                message,
                socket.state().user.role,
                Box::new(move |result| pending.finish(result)),
            );
        }
        Err(failure) => {
            // Answered after the sends before it, as every answer of this connection.
            pipeline.idle().await;
            respond(&socket, "message:send", ack, Err(failure));
        }
    }
}

/// The checks of a send before it is queued: payload, joined room, file, rate limit. Access
/// to the room is checked again when the message is written (`commit.rs`).
async fn admit(
    ctx: &Ctx,
    socket: &Socket<ChatSocket>,
    payload: &Value,
) -> Result<NewMessage, Failure> {
    let request = parse_send(payload, &ctx.settings.limits)?;
    let user = &socket.state().user;
    if !socket.in_room(&room_name(request.room)) {
        return Err(ChatError::new(
            ErrorCode::NotInRoom,
            format!("join {} before sending to it", request.room),
        )
        .into());
    }
    let file_id = match &request.file {
        None => None,
        Some(file) => {
            let kind = if request.kind == MessageType::Image {
                AttachmentKind::Image
            } else {
                AttachmentKind::File
            };
            let record = validate_attachment(
                ctx.store.as_ref(),
                user.id,
                kind,
                file.file_id,
                &file.client,
                &ctx.settings.attachments,
            )
            .await
            .map_err(attachment_error)?;
            Some(record.id)
        }
    };
    ctx.rate.check(user.id)?;
    Ok(NewMessage {
        room: request.room,
        sender_id: user.id,
        kind: request.kind,
        content: request.content,
        file_id,
        reply_to_id: request.reply_to_id,
        client_message_id: request.client_message_id,
    })
}

/// A queued send: answered once by its room's writer, and its pipeline slot given back.
/// Dropped unanswered (the writer failed), it answers `INTERNAL` rather than never.
struct PendingSend {
    socket: Socket<ChatSocket>,
    ack: Option<AckSender>,
    answered: bool,
}

impl PendingSend {
    fn finish(mut self, result: Result<InsertOutcome, ChatError>) {
        self.answered = true;
        let ack = self.ack.take();
        match result {
            Ok(InsertOutcome::Created(message) | InsertOutcome::Duplicate(message)) => {
                if let Some(ack) = ack {
                    // Serialised straight from the message; a failed send means the client
                    // has gone.
                    let _ = ack.send(&SentAck {
                        ok: true,
                        message: &message,
                    });
                }
            }
            Ok(InsertOutcome::Rejected(rejection)) => {
                respond(
                    &self.socket,
                    "message:send",
                    ack,
                    Err(rejection_error(rejection).into()),
                );
            }
            Err(error) => respond(&self.socket, "message:send", ack, Err(error.into())),
        }
    }
}

impl Drop for PendingSend {
    fn drop(&mut self) {
        if !self.answered {
            respond(
                &self.socket,
                "message:send",
                self.ack.take(),
                Err(ChatError::internal().into()),
            );
        }
        self.socket.state().sends.release();
    }
}

/// The success ack of a send, `{ok: true, message}`.
#[derive(serde::Serialize)]
struct SentAck<'a> {
    ok: bool,
    message: &'a Message,
}

/// A message the store refused to insert, as a client error.
fn rejection_error(rejection: Rejection) -> ChatError {
    let message = rejection.to_string();
    let code = match rejection {
        Rejection::ReplyNotInRoom(_) => ErrorCode::ReplyNotFound,
        Rejection::UnknownSender(_) => ErrorCode::UserNotFound,
        Rejection::ContentTooLong { .. } => ErrorCode::ContentTooLong,
        // The file was checked just before; it can only vanish if housekeeping removed it
        // meanwhile (it was unattached and old).
        Rejection::UnknownFile(_) => ErrorCode::FileNotFound,
        Rejection::FileRequired(_) => ErrorCode::FileRequired,
        Rejection::FileNotAllowed(_) | Rejection::ClientMessageIdInvalid { .. } => {
            ErrorCode::InvalidPayload
        }
    };
    ChatError::new(code, message)
}

/// A refused attachment, as a client error (store failures logged as every store failure).
fn attachment_error(err: AttachmentError) -> ChatError {
    let code = match &err {
        AttachmentError::NotFound(_) => ErrorCode::FileNotFound,
        AttachmentError::NotAnImage { .. } => ErrorCode::InvalidFileType,
        AttachmentError::ImageTooLarge { .. } => ErrorCode::FileTooLarge,
        AttachmentError::Mismatch { .. } => ErrorCode::FileMetadataMismatch,
        AttachmentError::Store(e) => return store_error(e, "get file"),
    };
    tracing::info!(error = %err, "message file refused");
    ChatError::new(code, err.to_string())
}

fn not_found(id: MessageId) -> ChatError {
    ChatError::new(
        ErrorCode::MessageNotFound,
        format!("message {id} not found"),
    )
}

/// A message `user` may see: it exists and its room is open to them.
pub async fn visible_message(ctx: &Ctx, user: &User, id: MessageId) -> Result<Message, ChatError> {
    let message = ctx
        .store
        .get_message(id)
        .await
        .map_err(|e| store_error(&e, "get message"))?
        .ok_or_else(|| not_found(id))?;
    match authorize_room(ctx.store.as_ref(), user, message.room()).await {
        Ok(_) => Ok(message),
        Err(e) if matches!(e.code, ErrorCode::DbUnavailable | ErrorCode::Internal) => Err(e),
        // Not revealing that a message exists in a room one cannot see.
        Err(_) => Err(not_found(id)),
    }
}

/// The edit/delete rules, in order: visible, sender or manager with access, not deleted,
/// within the window.
async fn changeable_message(ctx: &Ctx, user: &User, id: MessageId) -> Result<Message, ChatError> {
    let message = ctx
        .store
        .get_message(id)
        .await
        .map_err(|e| store_error(&e, "get message"))?
        .ok_or_else(|| not_found(id))?;
    if message.sender_id != user.id {
        match authorize_room(ctx.store.as_ref(), user, message.room()).await {
            Ok(_) if user.role == Role::Manager => {}
            Ok(_) => {
                return Err(ChatError::new(
                    ErrorCode::EditForbidden,
                    "only the sender or a manager of the room may change this message",
                ));
            }
            Err(e) if matches!(e.code, ErrorCode::DbUnavailable | ErrorCode::Internal) => {
                return Err(e);
            }
            Err(_) => return Err(not_found(id)),
        }
    }
    if message.is_deleted() {
        return Err(ChatError::new(
            ErrorCode::MessageDeleted,
            format!("message {id} was deleted"),
        ));
    }
    let age = ctx.store.now() - message.created_at;
    if age > ctx.settings.edit_window {
        return Err(ChatError::new(
            ErrorCode::EditWindowExpired,
            format!(
                "message {id} is older than {} hours and can no longer be changed",
                ctx.settings.edit_window.num_hours()
            ),
        ));
    }
    Ok(message)
}

/// A store failure of an edit or delete that raced with another change.
fn change_error(err: &StoreError, id: MessageId, during: &str) -> ChatError {
    match err {
        StoreError::MessageDeleted(_) => ChatError::new(
            ErrorCode::MessageDeleted,
            format!("message {id} was deleted"),
        ),
        StoreError::NotFound {
            entity: Entity::Message,
            ..
        } => not_found(id),
        other => store_error(other, during),
    }
}

/// `message:edit`.
pub async fn edit(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let request = parse_edit(&payload, &ctx.settings.limits)?;
    let user = &socket.state().user;
    let room = changeable_message(&ctx, user, request.message_id)
        .await?
        .room();
    // Stored and broadcast in the room's writer, so a socket joining meanwhile gets either the
    // edited message in its history or the `message:edited` event, never neither.
    let job = ctx.clone();
    let message = ctx
        .writers
        .exclusive(room, move || async move {
            let message = job
                .store
                .edit_message(request.message_id, &request.content)
                .await
                .map_err(|e| change_error(&e, request.message_id, "edit message"))?;
            let _ = job
                .ns
                .to(&room_name(room))
                .emit("message:edited", &MessagePayload { message: &message });
            Ok(message)
        })
        .await?;
    Ok(fields(json!({ "message": message })))
}

/// `message:delete`.
pub async fn delete(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let id = parse_message_id(&payload)?;
    let user = &socket.state().user;
    let room = changeable_message(&ctx, user, id).await?.room();
    let job = ctx.clone();
    let deleted = ctx
        .writers
        .exclusive(room, move || async move {
            let tombstone = job
                .store
                .delete_message(id)
                .await
                .map_err(|e| change_error(&e, id, "delete message"))?;
            let deleted = json!({
                "messageId": tombstone.id,
                "roomType": tombstone.room_type.as_str(),
                "roomId": tombstone.room_id,
            });
            let _ = job
                .ns
                .to(&room_name(room))
                .emit("message:deleted", &deleted);
            Ok(deleted)
        })
        .await?;
    Ok(fields(deleted))
}

/// `{message}`, serialised straight from the stored message (no intermediate JSON tree).
#[derive(serde::Serialize)]
pub struct MessagePayload<'a> {
    /// The message with its relations.
    pub message: &'a Message,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_rejections_map_to_documented_codes() {
        let cases = [
            (Rejection::ReplyNotInRoom(4), ErrorCode::ReplyNotFound),
            (Rejection::UnknownSender(9), ErrorCode::UserNotFound),
            (
                Rejection::ContentTooLong { bytes: 9, max: 8 },
                ErrorCode::ContentTooLong,
            ),
            (Rejection::UnknownFile(2), ErrorCode::FileNotFound),
            (
                Rejection::FileRequired(MessageType::Image),
                ErrorCode::FileRequired,
            ),
            (Rejection::FileNotAllowed(2), ErrorCode::InvalidPayload),
            (
                Rejection::ClientMessageIdInvalid { chars: 65 },
                ErrorCode::InvalidPayload,
            ),
        ];
        for (rejection, code) in cases {
            let text = rejection.to_string();
            let e = rejection_error(rejection);
            assert_eq!(e.code, code);
            assert_eq!(e.message, text);
        }
    }

    #[test]
    fn attachment_refusals_map_to_documented_codes() {
        let cases = [
            (AttachmentError::NotFound(3), ErrorCode::FileNotFound),
            (
                AttachmentError::NotAnImage {
                    id: 3,
                    mime: "text/plain".into(),
                },
                ErrorCode::InvalidFileType,
            ),
            (
                AttachmentError::ImageTooLarge {
                    id: 3,
                    size: 11,
                    max: 10,
                },
                ErrorCode::FileTooLarge,
            ),
            (
                AttachmentError::Mismatch { field: "fileSize" },
                ErrorCode::FileMetadataMismatch,
            ),
            (
                AttachmentError::Store(StoreError::Unavailable("down".into())),
                ErrorCode::DbUnavailable,
            ),
            (
                AttachmentError::Store(StoreError::Backend("bug".into())),
                ErrorCode::Internal,
            ),
        ];
        for (err, code) in cases {
            // The files module suggests the same wire codes.
            let suggested = err.code();
            let e = attachment_error(err);
            assert_eq!(e.code, code);
            assert_eq!(e.code.as_str(), suggested);
        }
    }

    #[test]
    fn racing_changes_map_to_their_codes() {
        assert_eq!(
            change_error(&StoreError::MessageDeleted(3), 3, "t").code,
            ErrorCode::MessageDeleted
        );
        assert_eq!(
            change_error(
                &StoreError::NotFound {
                    entity: Entity::Message,
                    id: 3
                },
                3,
                "t"
            )
            .code,
            ErrorCode::MessageNotFound
        );
        assert_eq!(
            change_error(&StoreError::Unavailable("down".into()), 3, "t").code,
            ErrorCode::DbUnavailable
        );
        assert_eq!(
            change_error(&StoreError::Backend("bug".into()), 3, "t").code,
            ErrorCode::Internal
        );
    }
}
