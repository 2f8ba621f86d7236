//! Rooms over the wire (issue 4 item 4): the access table for every demo user and room,
//! `room:joined` with `memberCount` = distinct users, `room:error` on denial, `room:leave`.

mod chat_support;

use std::time::Duration;

use chat_support::*;
use serde_json::json;

/// Who may join what, straight from the issue (projects 1..=3, studies 1..=4).
const ALLOWED: [(u64, &[u64], &[u64]); 5] = [
    (1, &[1, 3], &[1, 2, 4]),
    (2, &[2, 3], &[3, 4]),
    (3, &[1], &[1]),
    (4, &[2], &[3]),
    (5, &[1], &[]),
];

#[tokio::test]
async fn access_table_over_the_wire_for_every_demo_user_and_room() {
    let server = start().await;
    for (user, projects, studies) in ALLOWED {
        let mut client = server.client(user).await;
        let rooms = (1..=3u64)
            .map(|id| ("project", id, projects.contains(&id)))
            .chain((1..=4u64).map(|id| ("study", id, studies.contains(&id))))
            .chain([("project", 99, false), ("study", 99, false)]);
        for (kind, id, allowed) in rooms {
            let ack = client
                .request("room:join", json!({ "type": kind, "id": id }))
                .await;
            if allowed {
                assert_eq!(ack["ok"], true, "user {user} {kind} {id}: {ack}");
                let joined = client.event("room:joined").await;
                assert_eq!(joined["roomType"], kind);
                assert_eq!(joined["roomId"], id);
                let history = client.event("message:history").await;
                assert_eq!(history["roomType"], kind);
                assert_eq!(history["roomId"], id);
            } else {
                let expected = if id == 99 {
                    "ROOM_NOT_FOUND"
                } else {
                    "ROOM_FORBIDDEN"
                };
                assert_eq!(error_code(&ack), expected, "user {user} {kind} {id}");
                let room_error = client.event("room:error").await;
                assert_eq!(
                    room_error.as_object().unwrap().keys().collect::<Vec<_>>(),
                    ["message", "roomId", "roomType"]
                );
                assert_eq!(room_error["roomType"], kind);
                assert_eq!(room_error["roomId"], id);
            }
        }
        client.close().await;
    }
}

#[tokio::test]
async fn joined_then_history_with_exact_shapes() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let (ack, joined, history) = ada.join("project", 1).await;
    assert_eq!(
        ack,
        json!({"ok": true, "roomType": "project", "roomId": 1, "memberCount": 1})
    );
    assert_eq!(
        joined,
        json!({"roomType": "project", "roomId": 1, "memberCount": 1})
    );
    assert_eq!(
        history,
        json!({"messages": [], "roomType": "project", "roomId": 1, "hasMore": false})
    );
}

#[tokio::test]
async fn member_count_counts_distinct_users() {
    let server = start().await;
    let mut ada1 = server.client(1).await;
    let mut ada2 = server.client(1).await;
    let mut alan = server.client(3).await;
    assert_eq!(ada1.join("project", 1).await.1["memberCount"], 1);
    assert_eq!(
        ada2.join("project", 1).await.1["memberCount"],
        1,
        "same user twice"
    );
    assert_eq!(alan.join("project", 1).await.1["memberCount"], 2);
    // A departure is seen by the next joiner.
    alan.request("room:leave", json!({"type": "project", "id": 1}))
        .await;
    ada2.close().await;
    let mut edsger = server.client(5).await;
    assert_eq!(edsger.join("project", 1).await.1["memberCount"], 2);
}

#[tokio::test]
async fn leave_answers_room_left_and_stops_delivery() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("project", 1).await;
    alan.join("project", 1).await;
    let ack = alan
        .request("room:leave", json!({"type": "project", "id": 1}))
        .await;
    assert_eq!(ack, json!({"ok": true, "roomType": "project", "roomId": 1}));
    assert_eq!(
        alan.event("room:left").await,
        json!({"roomType": "project", "roomId": 1})
    );
    ada.send("project", 1, "after alan left").await;
    alan.no_event("message:new", Duration::from_millis(200))
        .await;

    // Leaving again: room:error NOT_IN_ROOM.
    let again = alan
        .request("room:leave", json!({"type": "project", "id": 1}))
        .await;
    assert_eq!(error_code(&again), "NOT_IN_ROOM");
    assert_eq!(alan.event("room:error").await["roomId"], 1);
}

#[tokio::test]
async fn bad_room_payloads() {
    let server = start().await;
    let mut ada = server.client(1).await;
    // Room unreadable: the plain error event.
    for payload in [
        json!({}),
        json!({"type": "team", "id": 1}),
        json!({"type": "project", "id": -1}),
        json!("project:1"),
    ] {
        let ack = ada.request("room:join", payload.clone()).await;
        assert_eq!(error_code(&ack), "INVALID_PAYLOAD", "{payload}");
        let error = ada.event("error").await;
        assert_eq!(error["code"], "INVALID_PAYLOAD");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Room readable, sinceId bad: room:error.
    let ack = ada
        .request(
            "room:join",
            json!({"type": "project", "id": 1, "sinceId": "x"}),
        )
        .await;
    assert_eq!(error_code(&ack), "INVALID_PAYLOAD");
    assert_eq!(ada.event("room:error").await["roomId"], 1);
    // No ack: the error event alone.
    ada.emit("room:join", json!({"type": "project", "id": 2}))
        .await;
    assert_eq!(ada.event("room:error").await["roomId"], 2);
    // No argument at all.
    let ack = ada.request("room:join", serde_json::Value::Null).await;
    assert_eq!(error_code(&ack), "INVALID_PAYLOAD");
}

#[tokio::test]
async fn unknown_events_get_unknown_event() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let ack = ada
        .request("room:jion", json!({"type": "project", "id": 1}))
        .await;
    assert_eq!(error_code(&ack), "UNKNOWN_EVENT");
    let error = ada.event("error").await;
    assert_eq!(error["code"], "UNKNOWN_EVENT");
    assert!(error["message"].as_str().unwrap().contains("room:jion"));
}
