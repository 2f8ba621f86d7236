//! History over the wire (issue 4 items 4 and 8): the page on join, paging back through 120
//! messages with `message:history`, the `sinceId` catch-up after a reconnect, and access.

mod chat_support;

use chat_support::*;
use serde_json::{Value, json};

use huddle_storage::model::{NewMessage, RoomRef};

/// Stores `n` messages in project 1 from Alan directly (the store is the one the server uses).
async fn seed(server: &ChatServer, n: usize) -> Vec<u64> {
    let batch: Vec<NewMessage> = (1..=n)
        .map(|i| NewMessage::text(RoomRef::project(1), 3, format!("m{i}")))
        .collect();
    server
        .store
        .insert_messages(&batch)
        .await
        .expect("seed")
        .iter()
        .map(|o| o.message().expect("created").id)
        .collect()
}

fn ids(page: &Value) -> Vec<u64> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].as_u64().expect("id"))
        .collect()
}

#[tokio::test]
async fn join_sends_the_latest_50_oldest_first_then_pages_back_through_120() {
    let server = start().await;
    let all = seed(&server, 120).await;
    let mut ada = server.client(1).await;
    let (_, _, first) = ada.join("project", 1).await;
    assert_eq!(ids(&first), all[70..].to_vec());
    assert_eq!(first["hasMore"], true);
    assert_eq!(first["nextCursor"], all[70]);

    let mut seen = ids(&first);
    let mut cursor = first["nextCursor"].clone();
    let mut pages = 1;
    loop {
        let ack = ada
            .request(
                "message:history",
                json!({"roomType": "project", "roomId": 1, "cursor": cursor}),
            )
            .await;
        assert_eq!(ack["ok"], true);
        let event = ada.event("message:history").await;
        let mut from_ack = ack.clone();
        from_ack.as_object_mut().unwrap().remove("ok");
        assert_eq!(event, from_ack, "the ack carries the same page");
        pages += 1;
        let mut page = ids(&event);
        page.extend(seen);
        seen = page;
        if event["hasMore"] == false {
            assert!(
                event.get("nextCursor").is_none(),
                "no cursor on the last page"
            );
            break;
        }
        cursor = event["nextCursor"].clone();
    }
    assert_eq!(pages, 3, "50 + 50 + 20");
    assert_eq!(seen, all, "every message once, in id order");
}

#[tokio::test]
async fn history_limit_is_capped_at_100_and_validated() {
    let server = start().await;
    seed(&server, 120).await;
    let mut ada = server.client(1).await;
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1, "limit": 1000}),
        )
        .await;
    assert_eq!(ids(&page).len(), 100);
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1, "limit": 7}),
        )
        .await;
    assert_eq!(ids(&page).len(), 7);
    for bad in [
        json!({"limit": 0}),
        json!({"limit": "10"}),
        json!({"cursor": -1}),
    ] {
        let mut payload = json!({"roomType": "project", "roomId": 1});
        for (k, v) in bad.as_object().unwrap() {
            payload[k] = v.clone();
        }
        let ack = ada.request("message:history", payload).await;
        assert_eq!(error_code(&ack), "INVALID_PAYLOAD", "{bad}");
    }
}

#[tokio::test]
async fn history_needs_access_not_a_join() {
    let server = start().await;
    seed(&server, 3).await;
    let mut edsger = server.client(5).await;
    let page = edsger
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    assert_eq!(ids(&page).len(), 3, "access without joining is enough");
    let mut grace = server.client(2).await;
    let ack = grace
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    assert_eq!(error_code(&ack), "ROOM_FORBIDDEN");
    let ack = grace
        .request(
            "message:history",
            json!({"roomType": "study", "roomId": 77}),
        )
        .await;
    assert_eq!(error_code(&ack), "ROOM_NOT_FOUND");
}

#[tokio::test]
async fn a_rejoin_with_since_id_receives_every_missed_message_in_pages() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let before = ada.send("project", 1, "seen").await["message"]["id"]
        .as_u64()
        .unwrap();
    ada.close().await;

    // 230 messages while Ada is away.
    let missed = seed(&server, 230).await;

    let mut ada = server.client(1).await;
    let ack = ada
        .request(
            "room:join",
            json!({"type": "project", "id": 1, "sinceId": before}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    ada.event("room:joined").await;
    let mut got = Vec::new();
    let mut pages = 0;
    loop {
        let page = ada.event("message:history").await;
        pages += 1;
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 100);
        got.extend(page_ids.iter().copied());
        if page["hasMore"] == true {
            assert_eq!(page["nextCursor"], *page_ids.last().unwrap());
        } else {
            assert!(page.get("nextCursor").is_none());
            break;
        }
    }
    assert_eq!(pages, 3, "100 + 100 + 30");
    assert_eq!(got, missed, "exactly the missed messages, oldest first");

    // Live again afterwards, with no gap.
    let next = ada.send("project", 1, "back").await["message"]["id"]
        .as_u64()
        .unwrap();
    assert_eq!(next, missed.last().unwrap() + 1);
}

#[tokio::test]
async fn since_id_of_the_latest_message_gives_one_empty_page() {
    let server = start().await;
    let all = seed(&server, 5).await;
    let mut ada = server.client(1).await;
    ada.request(
        "room:join",
        json!({"type": "project", "id": 1, "sinceId": all[4]}),
    )
    .await;
    ada.event("room:joined").await;
    let page = ada.event("message:history").await;
    assert_eq!(
        page,
        json!({"messages": [], "roomType": "project", "roomId": 1, "hasMore": false})
    );
}

#[tokio::test]
async fn a_catch_up_longer_than_the_cap_falls_back_to_the_latest_page() {
    let mut settings = settings();
    settings.max_catch_up_messages = 150;
    let server = start_with(settings).await;
    let all = seed(&server, 300).await;
    let mut ada = server.client(1).await;
    ada.request(
        "room:join",
        json!({"type": "project", "id": 1, "sinceId": all[0]}),
    )
    .await;
    ada.event("room:joined").await;
    let page = ada.event("message:history").await;
    assert_eq!(ids(&page), all[250..].to_vec(), "the latest 50");
    assert_eq!(page["hasMore"], true);
    assert_eq!(page["nextCursor"], all[250]);
}
