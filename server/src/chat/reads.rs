//! `message:read` (spec: "Messaging", server event `message:read {messageId, readBy {userId,
//! readAt}}`; issue 4 item 5).
//!
//! validate `{messageId}` → authorize: the message exists in a room the user may access
//! (else `MESSAGE_NOT_FOUND`) → store one read per user and message → the first time only,
//! broadcast `message:read {messageId, readBy {userId, readAt}}` to the message's room. A
//! repeat changes nothing and broadcasts nothing; both are acknowledged
//! `{ok: true, messageId, readBy}` with the first read's time.

use std::sync::Arc;

use chrono::SecondsFormat;
use serde_json::{Value, json};

use huddle_storage::StoreError;
use huddle_storage::model::ReadReceipt;

use super::errors::{ChatError, ErrorCode};
use super::messages::visible_message;
use super::policy::store_error;
use super::reply::{Outcome, fields};
use super::rooms::room_name;
use super::validate::parse_message_id;
use super::{ChatSocket, Ctx};
use crate::socketio::Socket;

/// `{messageId, readBy {userId, readAt}}`; `readAt` as JavaScript writes dates.
pub fn read_payload(receipt: &ReadReceipt) -> Value {
    json!({
        "messageId": receipt.message_id,
        "readBy": {
            "userId": receipt.user_id,
            "readAt": receipt.read_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        },
    })
}

/// `message:read`.
pub async fn read(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let id = parse_message_id(&payload)?;
    let user = &socket.state().user;
    let message = visible_message(&ctx, user, id).await?;
    let marked = ctx
        .store
        .mark_read(id, user.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ChatError::new(
                ErrorCode::MessageNotFound,
                format!("message {id} not found"),
            ),
            other => store_error(&other, "mark read"),
        })?;
    let payload = read_payload(&marked.receipt);
    if marked.newly_read {
        let _ = ctx
            .ns
            .to(&room_name(message.room()))
            .emit("message:read", &payload);
    }
    Ok(fields(payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn read_payload_has_the_spec_shape() {
        let receipt = ReadReceipt {
            message_id: 7,
            user_id: 3,
            read_at: Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap(),
        };
        assert_eq!(
            read_payload(&receipt),
            json!({"messageId": 7, "readBy": {"userId": 3, "readAt": "2030-01-02T03:04:05.000Z"}})
        );
    }
}
