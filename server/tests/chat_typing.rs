//! Typing indicators over the wire (issue 4 item 6): `typing:started` / `typing:stopped` to the
//! others only; a repeated start broadcasts nothing new; a start not renewed stops by itself; a
//! leave or a disconnect stops it. (The exact 3-second timing is tested with paused time in
//! `typing_state.rs`; here a short configured timeout keeps the suite fast.)

mod chat_support;

use std::time::Duration;

use chat_support::*;
use serde_json::json;

const QUIET: Duration = Duration::from_millis(200);

fn room() -> serde_json::Value {
    json!({"roomType": "study", "roomId": 1})
}

/// A server whose typing indicators stop after `ms` without renewal.
async fn server_with_timeout(ms: u64) -> ChatServer {
    let mut s = settings();
    s.typing_timeout = Duration::from_millis(ms);
    start_with(s).await
}

#[tokio::test]
async fn start_and_stop_reach_the_others_only() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("study", 1).await;
    alan.join("study", 1).await;

    let ack = alan.request("typing:start", room()).await;
    assert_eq!(ack, json!({"ok": true, "roomType": "study", "roomId": 1}));
    assert_eq!(
        ada.event("typing:started").await,
        json!({"roomType": "study", "roomId": 1,
               "user": {"id": 3, "firstName": "Alan", "lastName": "Turing"}})
    );
    alan.no_event("typing:started", QUIET).await;

    // A repeated start only extends.
    alan.request("typing:start", room()).await;
    ada.no_event("typing:started", QUIET).await;

    alan.request("typing:stop", room()).await;
    assert_eq!(
        ada.event("typing:stopped").await,
        json!({"roomType": "study", "roomId": 1, "userId": 3})
    );
    alan.no_event("typing:stopped", QUIET).await;
    // Stopping again is a quiet no-op.
    assert_eq!(alan.request("typing:stop", room()).await["ok"], true);
    ada.no_event("typing:stopped", QUIET).await;
    assert_eq!(server.chat.typing_count(), 0);
}

#[tokio::test]
async fn a_start_not_renewed_stops_by_itself() {
    let server = server_with_timeout(150).await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("study", 1).await;
    alan.join("study", 1).await;
    alan.request("typing:start", room()).await;
    ada.event("typing:started").await;
    assert_eq!(
        ada.event("typing:stopped").await,
        json!({"roomType": "study", "roomId": 1, "userId": 3})
    );
    assert_eq!(server.chat.typing_count(), 0);
    // After the auto-stop a new start is a new typing:started.
    alan.request("typing:start", room()).await;
    ada.event("typing:started").await;
}

#[tokio::test]
async fn leaving_stops_typing_before_room_left() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("study", 1).await;
    alan.join("study", 1).await;
    alan.request("typing:start", room()).await;
    ada.event("typing:started").await;
    alan.request("room:leave", json!({"type": "study", "id": 1}))
        .await;
    assert_eq!(ada.event("typing:stopped").await["userId"], 3);
    alan.event("room:left").await;
    assert_eq!(server.chat.typing_count(), 0);
}

#[tokio::test]
async fn disconnecting_stops_typing() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("study", 1).await;
    alan.join("study", 1).await;
    alan.request("typing:start", room()).await;
    ada.event("typing:started").await;
    alan.close().await;
    assert_eq!(
        ada.event("typing:stopped").await,
        json!({"roomType": "study", "roomId": 1, "userId": 3})
    );
    assert_eq!(server.chat.typing_count(), 0);
}

#[tokio::test]
async fn typing_requires_having_joined() {
    let server = start().await;
    let mut alan = server.client(3).await;
    let ack = alan.request("typing:start", room()).await;
    assert_eq!(error_code(&ack), "NOT_IN_ROOM");
    assert_eq!(alan.event("error").await["code"], "NOT_IN_ROOM");
    let ack = alan
        .request("typing:start", json!({"roomType": "study"}))
        .await;
    assert_eq!(error_code(&ack), "INVALID_PAYLOAD");
}
