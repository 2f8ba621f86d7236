//! How a handler's outcome reaches the client (spec: "Error Handling"; issue 4 item 7).
//!
//! - Success: when the client passed an ack callback, it gets `{ok: true, ...}` (the handler's
//!   result object with `ok` added). Whatever the event broadcasts was already sent by the
//!   handler.
//! - Failure: the event `error {message, code}` — or `room:error {message, roomType, roomId}`
//!   for a `room:join`/`room:leave` whose room was readable — and, when an ack was passed,
//!   `{ok: false, error: {code, message}}`. Every refusal is logged with its event, user and code.

use serde_json::{Map, Value, json};

use huddle_storage::model::RoomRef;

use super::ChatSocket;
use super::errors::ChatError;
use crate::socketio::{AckSender, Socket};

/// A refused event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Answered with the `error` event.
    Event(ChatError),
    /// Answered with `room:error` (room management events).
    Room {
        /// What went wrong.
        error: ChatError,
        /// The room the client asked about.
        room: RoomRef,
    },
}

impl Failure {
    /// The error inside.
    pub fn error(&self) -> &ChatError {
        match self {
            Failure::Event(e) | Failure::Room { error: e, .. } => e,
        }
    }

    /// The event name and payload the client receives.
    pub fn event(&self) -> (&'static str, Value) {
        match self {
            Failure::Event(e) => ("error", e.event_payload()),
            Failure::Room { error, room } => (
                "room:error",
                json!({
                    "message": error.message,
                    "roomType": room.kind.as_str(),
                    "roomId": room.id,
                }),
            ),
        }
    }
}

impl From<ChatError> for Failure {
    fn from(e: ChatError) -> Self {
        Failure::Event(e)
    }
}

/// A handler's result: the success object (without `ok`) or the failure.
pub type Outcome = Result<Map<String, Value>, Failure>;

/// The success ack: `{ok: true, ...fields}` (JSON key order is not significant).
pub fn ok_payload(fields: Map<String, Value>) -> Value {
    let mut out = Map::with_capacity(fields.len() + 1);
    out.insert("ok".into(), Value::Bool(true));
    out.extend(fields);
    Value::Object(out)
}

/// An object from a `json!({...})` literal (anything else becomes an empty object).
pub fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Sends the outcome of `event` to the client (see the module header).
pub fn respond(socket: &Socket<ChatSocket>, event: &str, ack: Option<AckSender>, outcome: Outcome) {
    match outcome {
        Ok(fields) => {
            if let Some(ack) = ack {
                // A failed send means the client has gone; nothing left to tell it.
                let _ = ack.send(&ok_payload(fields));
            }
        }
        Err(failure) => {
            let error = failure.error();
            tracing::info!(
                event,
                user = socket.state().user.id,
                socket = socket.id(),
                code = error.code.as_str(),
                message = %error.message,
                "event refused"
            );
            let (name, payload) = failure.event();
            let _ = socket.emit(name, &payload);
            if let Some(ack) = ack {
                let _ = ack.send(&error.ack_payload());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::errors::ErrorCode;

    #[test]
    fn success_ack_adds_ok_and_keeps_the_fields() {
        let v = ok_payload(fields(json!({"messageId": 3, "roomType": "study"})));
        assert_eq!(v, json!({"ok": true, "messageId": 3, "roomType": "study"}));
    }

    #[test]
    fn failures_become_the_spec_events() {
        let e = ChatError::new(ErrorCode::RoomForbidden, "no access");
        let room = Failure::Room {
            error: e.clone(),
            room: RoomRef::study(4),
        };
        assert_eq!(
            room.event(),
            (
                "room:error",
                json!({"message": "no access", "roomType": "study", "roomId": 4})
            )
        );
        let plain = Failure::from(e);
        assert_eq!(
            plain.event(),
            (
                "error",
                json!({"message": "no access", "code": "ROOM_FORBIDDEN"})
            )
        );
    }
}
