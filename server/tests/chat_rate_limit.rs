//! The `message:send` rate limit over the wire (issue 4 item 7): a burst of 10 passes, the
//! 11th is RATE_LIMITED and stored nowhere; tokens come back evenly on the server's clock;
//! the limit is per user and configurable.

mod chat_support;

use std::num::NonZeroU32;
use std::time::Duration;

use chat_support::*;
use huddle_server::chat::rate_limit::RateLimitSettings;
use serde_json::json;

async fn server_with_limit(per_minute: u32) -> ChatServer {
    let mut s = settings();
    s.rate_limit = RateLimitSettings::per_minute(NonZeroU32::new(per_minute).unwrap());
    start_with(s).await
}

#[tokio::test]
async fn ten_pass_the_eleventh_is_refused_and_not_stored() {
    let server = server_with_limit(10).await;
    let mut alan = server.client(3).await;
    let mut ada = server.client(1).await;
    alan.join("project", 1).await;
    ada.join("project", 1).await;
    for i in 0..10 {
        let ack = alan.send("project", 1, &format!("m{i}")).await;
        assert_eq!(ack["ok"], true, "send {i}");
        ada.event("message:new").await;
    }
    let refused = alan.send("project", 1, "one too many").await;
    assert_eq!(error_code(&refused), "RATE_LIMITED");
    assert_eq!(alan.event("error").await["code"], "RATE_LIMITED");
    ada.no_event("message:new", Duration::from_millis(200))
        .await;
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 10);

    // Another user is not affected.
    assert_eq!(ada.send("project", 1, "me too").await["ok"], true);

    // Refused attempts consume nothing: one token is back 6 s later, however many were refused.
    for _ in 0..5 {
        assert_eq!(
            error_code(&alan.send("project", 1, "x").await),
            "RATE_LIMITED"
        );
    }
    server.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(alan.send("project", 1, "refilled").await["ok"], true);
    assert_eq!(
        error_code(&alan.send("project", 1, "x").await),
        "RATE_LIMITED"
    );
}

#[tokio::test]
async fn the_limit_is_configurable() {
    let server = server_with_limit(3).await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    for _ in 0..3 {
        assert_eq!(alan.send("project", 1, "ok").await["ok"], true);
    }
    assert_eq!(
        error_code(&alan.send("project", 1, "no").await),
        "RATE_LIMITED"
    );
    server.clock.advance(chrono::Duration::seconds(20));
    assert_eq!(alan.send("project", 1, "ok").await["ok"], true);
}
