//! The Task Tracker chat events on socketioxide, the same ones Huddle serves and the
//! load generator uses: JWT auth in the handshake (`auth.token`, HS256, `exp`
//! required, `sub` the user id), `room:join` → `room:joined` + `message:history` or
//! `room:error`, `message:send` → `message:new` to the whole room (sender included)
//! and the ack `{ok:true, message}` / `{ok:false, error:{code, message}}`. Access is
//! checked on every join and again on every send, as Huddle does.

use std::collections::HashSet;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;

use crate::rules::{ChatError, Room, allows, err, parse_room, parse_send};
use crate::store::{Store, User};

/// What every handler shares.
pub struct App {
    pub store: Store,
    pub key: DecodingKey,
    pub validation: Validation,
}

impl App {
    pub fn new(store: Store, secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 0;
        Self {
            store,
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }
}

type Shared = State<Arc<App>>;

/// Why a handshake was refused (sent as the CONNECT_ERROR message).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required")]
    Required,
    #[error("invalid token")]
    Invalid,
    #[error("token expired")]
    Expired,
    #[error("unknown user")]
    UnknownUser,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Sub {
    Text(String),
    Number(u64),
}

#[derive(Deserialize)]
struct Claims {
    sub: Sub,
}

async fn authenticate(
    s: SocketRef,
    TryData(auth): TryData<Value>,
    State(app): Shared,
) -> Result<(), AuthError> {
    let auth = auth.map_err(|_| AuthError::Required)?;
    let token = auth
        .get("token")
        .and_then(Value::as_str)
        .ok_or(AuthError::Required)?;
    let claims =
        decode::<Claims>(token, &app.key, &app.validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
            _ => AuthError::Invalid,
        })?;
    let id = match claims.claims.sub {
        Sub::Number(n) => n,
        Sub::Text(t) => t.parse().map_err(|_| AuthError::Invalid)?,
    };
    let user = app.store.user(id).ok_or(AuthError::UnknownUser)?;
    s.extensions.insert(user);
    // socketioxide sends CONNECT and then spawns the connect handler as a task: a
    // client's first event can arrive before that task has registered the event
    // handlers, and is then dropped. Registering them here, before CONNECT is sent,
    // closes that window.
    s.on("room:join", on_join);
    s.on("room:leave", on_leave);
    s.on("message:send", on_send);
    Ok(())
}

fn user_of(s: &SocketRef) -> Option<Arc<User>> {
    s.extensions.get::<Arc<User>>()
}

fn authorize(app: &App, user: &User, room: Room) -> Result<(), ChatError> {
    let facts = app.store.room_facts(user, room).ok_or_else(|| {
        err(
            "ROOM_NOT_FOUND",
            format!("{} {} does not exist", room.kind.as_str(), room.id),
        )
    })?;
    if !allows(user.id, user.role, &facts) {
        return Err(err(
            "ROOM_FORBIDDEN",
            format!(
                "you do not have access to {} {}",
                room.kind.as_str(),
                room.id
            ),
        ));
    }
    Ok(())
}

fn failure(e: &ChatError) -> Value {
    json!({ "ok": false, "error": { "code": e.code, "message": e.message } })
}

async fn on_join(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<Value>,
    ack: AckSender,
    State(app): Shared,
) {
    let data = data.unwrap_or(Value::Null);
    let Some(user) = user_of(&s) else { return };
    let outcome = parse_room(&data, "type", "id").and_then(|room| {
        authorize(&app, &user, room)?;
        Ok(room)
    });
    match outcome {
        Ok(room) => {
            let history = app.store.latest(room);
            let name = room.name();
            s.join(name.clone());
            let users: HashSet<u64> = io
                .to(name)
                .sockets()
                .iter()
                .filter_map(|m| user_of(m).map(|u| u.id))
                .collect();
            let joined = json!({ "roomType": room.kind.as_str(), "roomId": room.id, "memberCount": users.len() });
            let _ = s.emit("room:joined", &joined);
            let _ = s.emit("message:history", &history);
            let mut reply = joined;
            reply["ok"] = Value::Bool(true);
            let _ = ack.send(&reply);
        }
        Err(e) => {
            let _ = s.emit(
                "room:error",
                &json!({ "message": e.message, "roomType": data.get("type"), "roomId": data.get("id") }),
            );
            let _ = ack.send(&failure(&e));
        }
    }
}

async fn on_leave(s: SocketRef, TryData(data): TryData<Value>, ack: AckSender) {
    let data = data.unwrap_or(Value::Null);
    match parse_room(&data, "type", "id") {
        Ok(room) => {
            s.leave(room.name());
            let left = json!({ "roomType": room.kind.as_str(), "roomId": room.id });
            let _ = s.emit("room:left", &left);
            let mut reply = left;
            reply["ok"] = Value::Bool(true);
            let _ = ack.send(&reply);
        }
        Err(e) => {
            let _ = s.emit("room:error", &json!({ "message": e.message, "roomType": data.get("type"), "roomId": data.get("id") }));
            let _ = ack.send(&failure(&e));
        }
    }
}

async fn on_send(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<Value>,
    ack: AckSender,
    State(app): Shared,
) {
    let data = data.unwrap_or(Value::Null);
    let Some(user) = user_of(&s) else { return };
    let outcome = parse_send(&data).and_then(|(room, content)| {
        let name = room.name();
        if !s.rooms().iter().any(|r| *r == name) {
            return Err(err(
                "NOT_IN_ROOM",
                format!("join {name} before sending to it"),
            ));
        }
        authorize(&app, &user, room)?;
        Ok((name, app.store.insert(&user, room, content)))
    });
    match outcome {
        Ok((name, message)) => {
            let payload = json!({ "message": &*message });
            let _ = io.to(name).emit("message:new", &payload).await;
            let _ = ack.send(&json!({ "ok": true, "message": &*message }));
        }
        Err(e) => {
            let _ = s.emit("error", &json!({ "message": e.message, "code": e.code }));
            let _ = ack.send(&failure(&e));
        }
    }
}

async fn on_connect(s: SocketRef) {
    if let Some(user) = user_of(&s) {
        let _ = s.emit(
            "auth:success",
            &json!({ "userId": user.id, "userRole": user.role.as_str() }),
        );
    }
}

/// Registers the chat on the default namespace.
pub fn install(io: &SocketIo) {
    io.ns("/", on_connect.with(authenticate));
}
