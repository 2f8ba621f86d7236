//! The Socket.IO handlers of conformance mode (`huddle conformance`): exactly what
//! the official Socket.IO v5 protocol test suite (socket.io repository,
//! `docs/socket.io-protocol/v5-test-suite/`) expects, plus the fixtures the Node tests
//! in `conformance/` use (see `/work/notes/engine-socketio-contract.md`).
//!
//! - `/` and `/custom`: on connect, emit `auth` with the CONNECT auth payload (`{}`
//!   when none).
//! - `/`: `message` → emit `message-back` with the same arguments (binary included);
//!   `message-with-ack` → ack with the same arguments; `join` / `leave` (room, ack) →
//!   ack `{ok:true}`; `broadcast` (room, payload, ack) → `broadcast` with payload to
//!   every socket in the room, sender included, then ack `{ok:true}`;
//!   `broadcast-others` → the same without the sender; `request-ack` (payload, ack)
//!   → emit `server-ack-request` with payload to the client with a 2 s ack timeout,
//!   then ack `{ok:true, reply: v}` or `{ok:false, error:"timeout"}`;
//!   `disconnect-me` → server-side disconnect; `room-size` (room, ack) → ack with the
//!   number of sockets in the room.
//! - `/secure`: the connect middleware accepts only the auth `{"token":"open-sesame"}`,
//!   otherwise CONNECT_ERROR `{"message":"unauthorized","data":{"code":"BAD_TOKEN"}}`.

use std::time::Duration;

use crate::socketio::{
    AckError, AckSender, ConnectError, Event, NamespaceError, Socket, SocketIo, SocketIoConfig,
    Spread, Value,
};

/// How long `request-ack` waits for the client's answer.
pub const REQUEST_ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// The Socket.IO server of conformance mode, built with `config` (conformance mode
/// uses a 1 s connect timeout).
pub fn socketio_server(config: SocketIoConfig) -> Result<SocketIo, NamespaceError> {
    let io = SocketIo::new(config);
    register_root(&io)?;
    let custom = io.of("/custom")?;
    custom.on_connect(emit_auth);
    io.namespace("/secure", |request| async move {
        if request.auth() == &serde_json::json!({"token": "open-sesame"}) {
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized")
                .with_data(serde_json::json!({"code": "BAD_TOKEN"})))
        }
    })?;
    Ok(io)
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn ok() -> Value {
    object(vec![("ok", Value::Bool(true))])
}

fn error(message: &str) -> Value {
    object(vec![
        ("ok", Value::Bool(false)),
        ("error", Value::from(message)),
    ])
}

async fn emit_auth(socket: Socket) {
    if let Err(e) = socket.emit("auth", socket.handshake().auth()) {
        tracing::debug!(error = %e, "auth emit failed");
    }
}

fn answer(ack: Option<AckSender>, value: &Value) {
    if let Some(ack) = ack
        && let Err(e) = ack.send(value)
    {
        tracing::debug!(error = %e, "ack not sent");
    }
}

/// Reads the arguments as values, or logs why not.
fn values(event: &Event) -> Option<Vec<Value>> {
    match event.values() {
        Ok(values) => Some(values),
        Err(e) => {
            tracing::debug!(event = event.name(), error = %e, "unreadable arguments");
            None
        }
    }
}

/// The room name (first argument) and, if any, the second argument.
fn room_and_payload(event: &Event) -> Option<(String, Value)> {
    let mut args = values(event)?.into_iter();
    let room = match args.next() {
        Some(Value::String(room)) => room,
        _ => {
            tracing::debug!(event = event.name(), "first argument must be a room name");
            return None;
        }
    };
    Some((room, args.next().unwrap_or(Value::Null)))
}

fn register_root(io: &SocketIo) -> Result<(), NamespaceError> {
    let root = io.of("/")?;
    root.on_connect(emit_auth);
    root.on("message", |socket, event, _ack| async move {
        if let Some(args) = values(&event)
            && let Err(e) = socket.emit("message-back", &Spread(&args))
        {
            tracing::debug!(error = %e, "message-back not sent");
        }
    });
    root.on("message-with-ack", |_socket, event, ack| async move {
        if let (Some(ack), Some(args)) = (ack, values(&event))
            && let Err(e) = ack.send(&Spread(&args))
        {
            tracing::debug!(error = %e, "ack not sent");
        }
    });
    root.on("join", |socket, event, ack| async move {
        if let Some((room, _)) = room_and_payload(&event) {
            socket.join(&room);
            answer(ack, &ok());
        }
    });
    root.on("leave", |socket, event, ack| async move {
        if let Some((room, _)) = room_and_payload(&event) {
            socket.leave(&room);
            answer(ack, &ok());
        }
    });
    root.on("broadcast", |socket, event, ack| async move {
        if let Some((room, payload)) = room_and_payload(&event) {
            let sent = socket
                .namespace_handle()
                .to(&room)
                .emit("broadcast", &payload);
            answer(ack, &sent.map_or_else(|e| error(&e.to_string()), |_| ok()));
        }
    });
    root.on("broadcast-others", |socket, event, ack| async move {
        if let Some((room, payload)) = room_and_payload(&event) {
            let sent = socket.to(&room).emit("broadcast", &payload);
            answer(ack, &sent.map_or_else(|e| error(&e.to_string()), |_| ok()));
        }
    });
    root.on("request-ack", |socket, event, ack| async move {
        let payload = values(&event)
            .and_then(|args| args.into_iter().next())
            .unwrap_or(Value::Null);
        let reply = socket
            .emit_with_ack("server-ack-request", &payload, REQUEST_ACK_TIMEOUT)
            .await;
        let answer_value = match reply {
            Ok(reply) => {
                let v = reply
                    .values()
                    .ok()
                    .and_then(|args| args.into_iter().next())
                    .unwrap_or(Value::Null);
                object(vec![("ok", Value::Bool(true)), ("reply", v)])
            }
            Err(AckError::Timeout) => error("timeout"),
            Err(e) => error(&e.to_string()),
        };
        answer(ack, &answer_value);
    });
    root.on("disconnect-me", |socket, _event, _ack| async move {
        socket.disconnect();
    });
    root.on("room-size", |socket, event, ack| async move {
        if let Some((room, _)) = room_and_payload(&event) {
            let size = socket.namespace_handle().room_size(&room);
            answer(ack, &Value::from(serde_json::Value::from(size)));
        }
    });
    Ok(())
}
