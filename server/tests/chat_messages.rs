//! Messages over the wire (issue 4 items 5, 7 and 8): `message:send` → `message:new` to the
//! whole room, payload shapes field by field, sanitising, every refusal code, replies,
//! `clientMessageId` idempotency, and the edit/delete rules including the 24-hour window on
//! the injected clock.

mod chat_support;

use std::time::Duration;

use chat_support::*;
use serde_json::{Value, json};

const QUIET: Duration = Duration::from_millis(200);

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn send_broadcasts_to_everyone_in_the_room_sender_included() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    let mut edsger = server.client(5).await;
    let mut outsider = server.client(2).await;
    for c in [&mut ada, &mut alan, &mut edsger] {
        c.join("project", 1).await;
    }
    outsider.join("project", 2).await;

    let ack = alan.send("project", 1, "hello <b>team</b>").await;
    assert_eq!(keys(&ack), ["message", "ok"]);
    assert_eq!(ack["ok"], true);
    let message = &ack["message"];
    assert_eq!(
        keys(message),
        [
            "content",
            "createdAt",
            "deletedAt",
            "editedAt",
            "file",
            "fileId",
            "fileName",
            "fileSize",
            "id",
            "mimeType",
            "replyTo",
            "replyToId",
            "roomId",
            "roomType",
            "sender",
            "senderId",
            "type",
            "updatedAt"
        ]
    );
    assert_eq!(message["content"], "hello team", "tags removed");
    assert_eq!(message["roomType"], "project");
    assert_eq!(message["roomId"], 1);
    assert_eq!(message["senderId"], 3);
    assert_eq!(message["type"], "text");
    assert_eq!(
        message["sender"],
        json!({"id": 3, "firstName": "Alan", "lastName": "Turing"})
    );
    for null in [
        "fileId",
        "fileName",
        "fileSize",
        "mimeType",
        "replyToId",
        "replyTo",
        "editedAt",
        "deletedAt",
        "file",
    ] {
        assert!(message[null].is_null(), "{null} should be null");
    }
    let created = message["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert_eq!(message["updatedAt"], message["createdAt"]);

    for c in [&mut ada, &mut alan, &mut edsger] {
        let new = c.event("message:new").await;
        assert_eq!(new, json!({ "message": message }), "user {}", c.user);
    }
    outsider.no_event("message:new", QUIET).await;
}

#[tokio::test]
async fn stored_is_broadcast_is_history_for_tricky_text() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("study", 1).await;
    let cases = [
        ("1 < 2 & 3", "1 < 2 & 3"),
        ("line one\n\tindented", "line one\n\tindented"),
        ("<script>alert(1)</script>safe", "safe"),
        ("bell\u{7} and esc\u{1b}", "bell and esc"),
        ("&lt;b&gt; stays", "&lt;b&gt; stays"),
    ];
    for (sent, stored) in cases {
        let ack = ada.send("study", 1, sent).await;
        assert_eq!(ack["message"]["content"], stored, "{sent:?}");
        let live = ada.event("message:new").await;
        assert_eq!(live["message"]["content"], stored);
    }
    let page = ada
        .request("message:history", json!({"roomType": "study", "roomId": 1}))
        .await;
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, cases.map(|(_, stored)| stored));
}

#[tokio::test]
async fn send_refusals_have_their_codes_and_store_nothing() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("project", 1).await;
    alan.join("project", 1).await;
    let base = json!({"roomType": "project", "roomId": 1, "type": "text", "content": "ok"});
    let with = |patch: Value| {
        let mut v = base.clone();
        for (k, x) in patch.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases = [
        (with(json!({"content": ""})), "CONTENT_EMPTY"),
        (with(json!({"content": " \n\t"})), "CONTENT_EMPTY"),
        (with(json!({"content": "<p></p>"})), "CONTENT_EMPTY"),
        (
            with(json!({"content": "é".repeat(10_001)})),
            "CONTENT_TOO_LONG",
        ),
        (
            with(json!({"type": "image", "fileId": 424242})),
            "FILE_NOT_FOUND",
        ),
        (with(json!({"type": "file"})), "FILE_REQUIRED"),
        (
            with(json!({"roomType": "project", "roomId": 3})),
            "NOT_IN_ROOM",
        ),
        (
            with(json!({"roomType": "study", "roomId": 1})),
            "NOT_IN_ROOM",
        ),
        (with(json!({"replyToId": 424242})), "REPLY_NOT_FOUND"),
        (
            with(json!({"clientMessageId": "x".repeat(65)})),
            "INVALID_PAYLOAD",
        ),
        (with(json!({"roomId": "1"})), "INVALID_PAYLOAD"),
    ];
    for (payload, code) in cases {
        let ack = ada.request("message:send", payload.clone()).await;
        assert_eq!(error_code(&ack), code, "{payload}");
        let error = ada.event("error").await;
        assert_eq!(error["code"], code);
        assert_eq!(keys(&error), ["code", "message"]);
    }
    // Exactly 10,000 code points pass.
    let ack = ada
        .request("message:send", with(json!({"content": "é".repeat(10_000)})))
        .await;
    assert_eq!(ack["ok"], true);
    assert_eq!(
        alan.event("message:new").await["message"]["id"],
        ack["message"]["id"]
    );
    alan.no_event("message:new", QUIET).await;
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        1,
        "only the valid one stored"
    );
}

#[tokio::test]
async fn replies_must_be_in_the_same_room() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    ada.join("project", 3).await;
    let parent = ada.send("project", 1, "parent").await["message"].clone();
    let other_room = ada.send("project", 3, "elsewhere").await["message"].clone();

    let reply = ada
        .request(
            "message:send",
            json!({"roomType": "project", "roomId": 1, "content": "child", "replyToId": parent["id"]}),
        )
        .await;
    assert_eq!(reply["message"]["replyToId"], parent["id"]);
    let reply_to = &reply["message"]["replyTo"];
    assert_eq!(reply_to["id"], parent["id"]);
    assert_eq!(reply_to["content"], "parent");
    assert_eq!(reply_to["sender"]["firstName"], "Ada");

    let cross = ada
        .request(
            "message:send",
            json!({"roomType": "project", "roomId": 1, "content": "x", "replyToId": other_room["id"]}),
        )
        .await;
    assert_eq!(error_code(&cross), "REPLY_NOT_FOUND");
}

#[tokio::test]
async fn a_resent_client_message_id_returns_the_original_and_broadcasts_nothing() {
    let server = start().await;
    let mut alan = server.client(3).await;
    let mut ada = server.client(1).await;
    alan.join("study", 1).await;
    ada.join("study", 1).await;
    let payload =
        json!({"roomType": "study", "roomId": 1, "content": "once", "clientMessageId": "c-42"});
    let first = alan.request("message:send", payload.clone()).await;
    assert_eq!(ada.event("message:new").await["message"], first["message"]);

    // Reconnect and resend, as a client does after a drop.
    alan.close().await;
    let mut alan = server.client(3).await;
    alan.join("study", 1).await;
    let again = alan.request("message:send", payload).await;
    assert_eq!(again, first, "the original, unchanged");
    ada.no_event("message:new", QUIET).await;
    alan.no_event("message:new", QUIET).await;

    // Another user may use the same key: keys are per sender.
    let other = ada
        .request(
            "message:send",
            json!({"roomType": "study", "roomId": 1, "content": "mine", "clientMessageId": "c-42"}),
        )
        .await;
    assert_ne!(other["message"]["id"], first["message"]["id"]);
}

#[tokio::test]
async fn edit_by_the_sender_broadcasts_message_edited() {
    let server = start().await;
    let mut alan = server.client(3).await;
    let mut ada = server.client(1).await;
    alan.join("project", 1).await;
    ada.join("project", 1).await;
    let original = alan.send("project", 1, "typo").await["message"].clone();
    ada.event("message:new").await;

    server.clock.advance(chrono::Duration::minutes(5));
    let ack = alan
        .request(
            "message:edit",
            json!({"messageId": original["id"], "content": "fixed <i>now</i>"}),
        )
        .await;
    assert_eq!(keys(&ack), ["message", "ok"]);
    let edited = &ack["message"];
    assert_eq!(edited["content"], "fixed now");
    assert_eq!(edited["createdAt"], original["createdAt"]);
    assert!(edited["editedAt"].is_string());
    assert_eq!(edited["updatedAt"], edited["editedAt"]);
    assert!(edited["updatedAt"].as_str() > original["createdAt"].as_str());
    for c in [&mut ada, &mut alan] {
        assert_eq!(
            c.event("message:edited").await,
            json!({ "message": edited })
        );
    }
}

#[tokio::test]
async fn the_24_hour_window_is_measured_from_the_stored_creation_time() {
    let server = start().await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    let a = alan.send("project", 1, "a").await["message"]["id"].clone();
    let b = alan.send("project", 1, "b").await["message"]["id"].clone();

    server.clock.advance(chrono::Duration::hours(24));
    let ok = alan
        .request("message:edit", json!({"messageId": a, "content": "a2"}))
        .await;
    assert_eq!(ok["ok"], true, "exactly 24 h is still within: {ok}");

    server.clock.advance(chrono::Duration::milliseconds(1));
    let late_edit = alan
        .request("message:edit", json!({"messageId": a, "content": "a3"}))
        .await;
    assert_eq!(error_code(&late_edit), "EDIT_WINDOW_EXPIRED");
    let late_delete = alan
        .request("message:delete", json!({"messageId": b}))
        .await;
    assert_eq!(error_code(&late_delete), "EDIT_WINDOW_EXPIRED");
    assert_eq!(alan.event("error").await["code"], "EDIT_WINDOW_EXPIRED");
}

#[tokio::test]
async fn delete_is_soft_and_final() {
    let server = start().await;
    let mut alan = server.client(3).await;
    let mut ada = server.client(1).await;
    alan.join("project", 1).await;
    ada.join("project", 1).await;
    let message = alan.send("project", 1, "regret").await["message"].clone();
    ada.event("message:new").await;

    let ack = alan
        .request("message:delete", json!({"messageId": message["id"]}))
        .await;
    let deleted = json!({"messageId": message["id"], "roomType": "project", "roomId": 1});
    assert_eq!(
        ack,
        json!({"ok": true, "messageId": message["id"], "roomType": "project", "roomId": 1})
    );
    for c in [&mut ada, &mut alan] {
        assert_eq!(c.event("message:deleted").await, deleted);
    }
    let again = alan
        .request("message:delete", json!({"messageId": message["id"]}))
        .await;
    assert_eq!(error_code(&again), "MESSAGE_DELETED");
    let edit = alan
        .request(
            "message:edit",
            json!({"messageId": message["id"], "content": "undo"}),
        )
        .await;
    assert_eq!(error_code(&edit), "MESSAGE_DELETED");

    // History shows a tombstone.
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    let tombstone = &page["messages"][0];
    assert_eq!(tombstone["id"], message["id"]);
    assert_eq!(tombstone["content"], "");
    assert!(tombstone["deletedAt"].is_string());
    assert!(tombstone["fileId"].is_null() && tombstone["fileName"].is_null());
}

#[tokio::test]
async fn who_may_change_a_message() {
    let server = start().await;
    // Project 1: Ada (manager, creator), Alan and Edsger (researchers with tasks).
    let mut alan = server.client(3).await;
    let mut edsger = server.client(5).await;
    let mut ada = server.client(1).await;
    let mut grace = server.client(2).await;
    alan.join("project", 1).await;
    edsger.join("project", 1).await;
    let m1 = alan.send("project", 1, "one").await["message"]["id"].clone();
    let m2 = alan.send("project", 1, "two").await["message"]["id"].clone();

    // Another researcher of the room: forbidden.
    let ack = edsger
        .request(
            "message:edit",
            json!({"messageId": m1, "content": "mine now"}),
        )
        .await;
    assert_eq!(error_code(&ack), "EDIT_FORBIDDEN");
    let ack = edsger
        .request("message:delete", json!({"messageId": m1}))
        .await;
    assert_eq!(error_code(&ack), "EDIT_FORBIDDEN");

    // A manager without access to the room: the message is not even visible.
    let ack = grace
        .request("message:delete", json!({"messageId": m1}))
        .await;
    assert_eq!(error_code(&ack), "MESSAGE_NOT_FOUND");

    // A manager with access (creator), without having joined: allowed.
    let ack = ada
        .request(
            "message:edit",
            json!({"messageId": m1, "content": "moderated"}),
        )
        .await;
    assert_eq!(ack["message"]["content"], "moderated");
    assert_eq!(ack["message"]["senderId"], 3, "the sender stays the sender");
    let ack = ada
        .request("message:delete", json!({"messageId": m2}))
        .await;
    assert_eq!(ack["ok"], true);

    // Unknown message.
    let ack = ada
        .request(
            "message:edit",
            json!({"messageId": 999_999, "content": "x"}),
        )
        .await;
    assert_eq!(error_code(&ack), "MESSAGE_NOT_FOUND");
    // Bad edit content.
    let ack = alan
        .request("message:edit", json!({"messageId": m1, "content": "   "}))
        .await;
    assert_eq!(error_code(&ack), "CONTENT_EMPTY");
}

#[tokio::test]
async fn the_edit_window_is_configurable() {
    let mut s = settings();
    s.edit_window = chrono::Duration::seconds(60);
    let server = start_with(s).await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    let id = alan.send("project", 1, "short-lived").await["message"]["id"].clone();
    server.clock.advance(chrono::Duration::seconds(60));
    let ok = alan
        .request(
            "message:edit",
            json!({"messageId": id, "content": "still ok"}),
        )
        .await;
    assert_eq!(ok["ok"], true);
    server.clock.advance(chrono::Duration::seconds(1));
    let late = alan
        .request("message:delete", json!({"messageId": id}))
        .await;
    assert_eq!(error_code(&late), "EDIT_WINDOW_EXPIRED");
}
