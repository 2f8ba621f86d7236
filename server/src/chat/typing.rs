//! `typing:start` and `typing:stop` (spec: "Typing Indicators", "Typing Indicator Flow",
//! "Auto-stop typing indicators after 3 seconds"; issue 4 item 6).
//!
//! - `typing:start {roomType, roomId}`: the connection must have joined the room
//!   (`NOT_IN_ROOM`). The first start broadcasts `typing:started {roomType, roomId,
//!   user {id, firstName, lastName}}` to the others in the room; a start within the timeout of
//!   the previous one only extends it (nothing is broadcast).
//! - `typing:stop {roomType, roomId}`: if the user was typing there, the others get
//!   `typing:stopped {roomType, roomId, userId}`. Stopping when not typing (or after leaving) is
//!   a harmless no-op, acknowledged `{ok: true}`.
//! - A start not renewed within the timeout (3 s by default), a `room:leave` and a disconnect
//!   stop it the same way.
//!
//! The state and its timer live in `typing_state.rs`; this module validates, authorizes and
//! broadcasts.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::time::Instant;

use huddle_storage::model::{RoomRef, UserId};

use super::errors::{ChatError, ErrorCode};
use super::reply::{Outcome, fields};
use super::rooms::{room_fields, room_name};
use super::typing_state::StartOutcome;
use super::validate::parse_room;
use super::{ChatSocket, Ctx};
use crate::socketio::{Namespace, Socket};

fn stopped_payload(room: RoomRef, user: UserId) -> Value {
    json!({ "roomType": room.kind.as_str(), "roomId": room.id, "userId": user })
}

/// Tells the room, except socket `except`, that `user` stopped typing.
fn broadcast_stopped(ns: &Namespace<ChatSocket>, room: RoomRef, user: UserId, except: &str) {
    let _ = ns
        .to(&room_name(room))
        .except(except)
        .emit("typing:stopped", &stopped_payload(room, user));
}

/// `typing:start`.
pub async fn start(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let room = parse_room(&payload)?;
    let name = room_name(room);
    if !socket.in_room(&name) {
        return Err(ChatError::new(
            ErrorCode::NotInRoom,
            format!("join {room} before typing in it"),
        )
        .into());
    }
    let user = &socket.state().user;
    if let StartOutcome::Started(generation) = ctx.typing.start(room, user.id, Instant::now()) {
        let _ = socket.to(&name).emit(
            "typing:started",
            &json!({
                "roomType": room.kind.as_str(),
                "roomId": room.id,
                "user": user.summary(),
            }),
        );
        let expired = ctx.typing.watch(room, user.id, generation);
        let ns = ctx.ns.clone();
        let socket_id = socket.id().to_owned();
        let user_id = user.id;
        tokio::spawn(async move {
            if expired.await {
                broadcast_stopped(&ns, room, user_id, &socket_id);
            }
        });
    }
    Ok(fields(room_fields(room)))
}

/// `typing:stop`.
pub async fn stop(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let room = parse_room(&payload)?;
    let user_id = socket.state().user.id;
    if ctx.typing.stop(room, user_id) {
        broadcast_stopped(&ctx.ns, room, user_id, socket.id());
    }
    Ok(fields(room_fields(room)))
}

/// After `room:leave`: the others learn the leaver stopped typing (before its `room:left`).
pub fn stop_after_leave(ctx: &Ctx, socket: &Socket<ChatSocket>, room: RoomRef) {
    let user_id = socket.state().user.id;
    if ctx.typing.stop(room, user_id) {
        broadcast_stopped(&ctx.ns, room, user_id, socket.id());
    }
}

/// After a disconnect: every room the socket was in.
pub fn stop_after_disconnect(ctx: &Ctx, socket: &Socket<ChatSocket>) {
    let user_id = socket.state().user.id;
    for name in socket.rooms() {
        // The socket's own room (its id) is not a chat room and does not parse.
        let Ok(room) = name.parse::<RoomRef>() else {
            continue;
        };
        if ctx.typing.stop(room, user_id) {
            broadcast_stopped(&ctx.ns, room, user_id, socket.id());
        }
    }
}
