//! `room:join` and `room:leave` (spec: "Room Management", "Room Join Flow"; issue 4 item 4).
//!
//! Join: validate `{type, id, sinceId?}` → authorize with the policy (`ROOM_NOT_FOUND`,
//! `ROOM_FORBIDDEN` as `room:error`, nothing joined) → in the room's writer, between two
//! message batches: read the history, add the socket to the Socket.IO room `project:{id}` /
//! `study:{id}`, emit `room:joined {roomType, roomId, memberCount}` (distinct users present,
//! several connections of one user count once) and then `message:history` — the latest page,
//! or with `sinceId` every message after it (see `history.rs`). The ack is
//! `{ok: true, roomType, roomId, memberCount}`.
//!
//! Leave: validate `{type, id}` → the connection must be in the room (`NOT_IN_ROOM` as
//! `room:error`) → leave it, stop the user's typing indicator there (the others get
//! `typing:stopped` first), emit `room:left {roomType, roomId}`, ack `{ok: true, roomType, roomId}`.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use huddle_storage::model::{RoomRef, UserId};

use super::errors::{ChatError, ErrorCode};
use super::history;
use super::policy::authorize_room;
use super::reply::{Failure, Outcome, fields};
use super::validate::{parse_join, parse_room_target};
use super::{ChatSocket, Ctx, typing};
use crate::socketio::{Namespace, Socket};

/// The Socket.IO room of a chat room: `project:{id}` / `study:{id}` (spec: "Room Naming
/// Convention").
pub fn room_name(room: RoomRef) -> String {
    room.to_string()
}

/// Distinct users with at least one connection in the room.
pub fn member_count(ns: &Namespace<ChatSocket>, room: RoomRef) -> usize {
    ns.room_sockets(&room_name(room))
        .iter()
        .map(|s| s.state().user.id)
        .collect::<HashSet<UserId>>()
        .len()
}

/// `{roomType, roomId}`.
pub fn room_fields(room: RoomRef) -> Value {
    json!({ "roomType": room.kind.as_str(), "roomId": room.id })
}

/// A payload error of a room event: `room:error` when the room itself was readable.
fn payload_failure(payload: &Value, error: ChatError) -> Failure {
    match parse_room_target(payload) {
        Ok(room) => Failure::Room { error, room },
        Err(_) => Failure::Event(error),
    }
}

/// `room:join`.
pub async fn join(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let request = parse_join(&payload).map_err(|e| payload_failure(&payload, e))?;
    let room = request.room;
    let as_room_error = |error| Failure::Room { error, room };
    let user = socket.state().user.clone();
    authorize_room(ctx.store.as_ref(), &user, room)
        .await
        .map_err(as_room_error)?;

    let job_ctx = ctx.clone();
    let job_socket = socket.clone();
    let member_count = ctx
        .writers
        .exclusive(room, move || async move {
            // History first: if the store fails, nothing was joined.
            let pages = history::initial_pages(&job_ctx, room, request.since_id).await?;
            if !job_socket.join(&room_name(room)) {
                return Err(ChatError::new(
                    ErrorCode::Internal,
                    "the connection closed while joining",
                ));
            }
            let count = member_count(&job_ctx.ns, room);
            let mut joined = room_fields(room);
            joined["memberCount"] = json!(count);
            let _ = job_socket.emit("room:joined", &joined);
            for page in &pages {
                let _ = job_socket.emit("message:history", &history::page_payload(room, page));
            }
            Ok(count)
        })
        .await
        .map_err(as_room_error)?;
    tracing::debug!(user = user.id, %room, member_count, "joined");
    let mut ack = room_fields(room);
    ack["memberCount"] = json!(member_count);
    Ok(fields(ack))
}

/// `room:leave`.
pub async fn leave(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let room = parse_room_target(&payload)?;
    if !socket.leave(&room_name(room)) {
        return Err(Failure::Room {
            error: ChatError::new(ErrorCode::NotInRoom, format!("you are not in {room}")),
            room,
        });
    }
    typing::stop_after_leave(&ctx, &socket, room);
    let _ = socket.emit("room:left", &room_fields(room));
    tracing::debug!(user = socket.state().user.id, %room, "left");
    Ok(fields(room_fields(room)))
}
