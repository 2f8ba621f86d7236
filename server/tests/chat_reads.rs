//! Read receipts over the wire (issue 4 item 5): one read per user and message, broadcast once
//! as `message:read {messageId, readBy {userId, readAt}}`; a repeat changes nothing.

mod chat_support;

use std::time::Duration;

use chat_support::*;
use serde_json::json;

const QUIET: Duration = Duration::from_millis(200);

#[tokio::test]
async fn the_first_read_is_broadcast_and_a_repeat_is_not() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("project", 1).await;
    alan.join("project", 1).await;
    let id = ada.send("project", 1, "please read").await["message"]["id"].clone();
    alan.event("message:new").await;

    server.clock.advance(chrono::Duration::seconds(3));
    let ack = alan.request("message:read", json!({"messageId": id})).await;
    assert_eq!(ack["ok"], true);
    assert_eq!(ack["messageId"], id);
    assert_eq!(ack["readBy"]["userId"], 3);
    let read_at = ack["readBy"]["readAt"].as_str().unwrap().to_owned();
    assert!(read_at.ends_with('Z') && read_at.len() == 24, "{read_at}");
    let broadcast = json!({"messageId": id, "readBy": {"userId": 3, "readAt": read_at}});
    assert_eq!(ada.event("message:read").await, broadcast);
    assert_eq!(alan.event("message:read").await, broadcast);

    server.clock.advance(chrono::Duration::seconds(3));
    let again = alan.request("message:read", json!({"messageId": id})).await;
    assert_eq!(again["ok"], true);
    assert_eq!(
        again["readBy"]["readAt"],
        read_at.as_str(),
        "the first read's time"
    );
    ada.no_event("message:read", QUIET).await;
    alan.no_event("message:read", QUIET).await;
}

#[tokio::test]
async fn reads_need_a_visible_message() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let id = ada.send("project", 1, "internal").await["message"]["id"].clone();
    let mut grace = server.client(2).await;
    let ack = grace
        .request("message:read", json!({"messageId": id}))
        .await;
    assert_eq!(error_code(&ack), "MESSAGE_NOT_FOUND");
    let ack = grace
        .request("message:read", json!({"messageId": 123_456}))
        .await;
    assert_eq!(error_code(&ack), "MESSAGE_NOT_FOUND");
    let ack = grace.request("message:read", json!({"messageId": 0})).await;
    assert_eq!(error_code(&ack), "INVALID_PAYLOAD");
}
