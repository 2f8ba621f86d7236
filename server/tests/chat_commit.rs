//! The write path of `message:send` (issue 6, "persisted"): batches of several rooms that
//! queue up during a commit share the next one; access is re-checked for every message when
//! it is written, once per commit, so a withdrawn grant refuses the very next send; a
//! connection's consecutive sends to one room are queued without waiting for each commit, and
//! everything it sends after them is answered after them.
//!
//! The store is the in-memory one behind a gate (`chat_support/gated.rs`): a test closes the
//! gate, lets work queue up behind a held commit, and opens it. Nothing here sleeps.

mod chat_support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use chat_support::gated::GatedStore;
use chat_support::*;
use huddle_server::chat::ChatSettings;
use huddle_server::chat::clock::{ManualClock, SharedClock};
use huddle_server::chat::writer::{RoomWriters, WriterSettings, WriterStats};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_storage::model::{InsertOutcome, NewMessage, Role, RoomRef};
use huddle_storage::{MemoryStore, Store, StoreOptions, demo_dataset};

async fn gated_store(clock: &Arc<ManualClock>) -> Arc<GatedStore> {
    let shared: SharedClock = clock.clone();
    let memory = MemoryStore::new(shared, StoreOptions::default());
    memory
        .load_dataset(&demo_dataset())
        .await
        .expect("demo data");
    GatedStore::new(memory)
}

async fn gated_server(settings: ChatSettings) -> (ChatServer, Arc<GatedStore>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = gated_store(&clock).await;
    let server = start_on(store.clone(), clock, settings).await;
    (server, store)
}

fn send_payload(kind: &str, id: u64, content: &str) -> Value {
    json!({ "roomType": kind, "roomId": id, "content": content })
}

fn is_ack(id: u64) -> impl Fn(&Packet) -> bool {
    move |p| matches!(p, Packet::Ack(i, _) if *i == id)
}

/// Four rooms' batches, the first commit held in the store until every batch has been
/// handed over; returns the size of each store call and the writers' statistics.
async fn four_rooms_behind_a_held_commit(lanes: usize) -> (Vec<usize>, WriterStats) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = gated_store(&clock).await;
    let io = SocketIo::new(SocketIoConfig::default());
    let shared: SharedClock = clock.clone();
    let chat = huddle_server::chat::Chat::install(&io, store.clone(), shared, settings())
        .expect("chat installs");
    let writers = RoomWriters::new(
        store.clone(),
        chat.namespace().clone(),
        WriterSettings {
            commit_lanes: lanes,
            ..WriterSettings::default()
        },
    );

    let closed = store.close().await;
    // Alan (3) may write in project 1 and study 1, Katherine (4) in project 2 and study 3.
    let rooms = [
        (RoomRef::project(1), 3),
        (RoomRef::study(1), 3),
        (RoomRef::project(2), 4),
        (RoomRef::study(3), 4),
    ];
    let mut sends = Vec::new();
    for (i, (room, user)) in rooms.into_iter().enumerate() {
        let writers = writers.clone();
        sends.push(tokio::spawn(async move {
            writers
                .insert(
                    NewMessage::text(room, user, format!("m{i}")),
                    Role::Researcher,
                )
                .await
        }));
        if i < lanes {
            // Each free lane takes the next batch at once; its commit is held in the store.
            store.wait_for_inserts(i + 1).await;
        }
    }
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        store.inserts().len(),
        lanes,
        "only the held commits reached the store"
    );
    drop(closed);
    let mut ids = Vec::new();
    for send in sends {
        match send.await.expect("task").expect("stored") {
            InsertOutcome::Created(m) => ids.push(m.id),
            other => panic!("{other:?}"),
        }
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{ids:?}");
    (store.inserts(), writers.stats())
}

#[tokio::test]
async fn batches_of_rooms_queued_during_a_commit_share_the_next_one() {
    let (inserts, stats) = four_rooms_behind_a_held_commit(1).await;
    assert_eq!(inserts, [1, 3], "three rooms, one commit");
    assert_eq!((stats.batches, stats.commits), (4, 2));
}

#[tokio::test]
async fn a_second_lane_commits_while_the_first_waits() {
    let (inserts, stats) = four_rooms_behind_a_held_commit(2).await;
    assert_eq!(
        inserts,
        [1, 1, 2],
        "two lanes busy, the last two rooms share a commit"
    );
    assert_eq!((stats.batches, stats.commits), (4, 3));
}

#[tokio::test]
async fn a_failing_commit_is_retried_batch_by_batch() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = gated_store(&clock).await;
    store.poison("poison");
    let io = SocketIo::new(SocketIoConfig::default());
    let shared: SharedClock = clock.clone();
    let chat = huddle_server::chat::Chat::install(&io, store.clone(), shared, settings())
        .expect("chat installs");
    let writers = RoomWriters::new(
        store.clone(),
        chat.namespace().clone(),
        WriterSettings {
            commit_lanes: 1,
            ..WriterSettings::default()
        },
    );
    let closed = store.close().await;
    let send = |room: RoomRef, user: u64, content: &'static str| {
        let writers = writers.clone();
        tokio::spawn(async move {
            writers
                .insert(NewMessage::text(room, user, content), Role::Researcher)
                .await
        })
    };
    let first = send(RoomRef::project(1), 3, "first");
    store.wait_for_inserts(1).await;
    // These two queue up behind the held commit and go into the next one together.
    let bad = send(RoomRef::study(1), 3, "poison");
    let good = send(RoomRef::project(2), 4, "fine");
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    drop(closed);
    assert!(first.await.expect("task").expect("stored").is_created());
    let error = bad.await.expect("task").expect_err("refused");
    assert_eq!(error.code.as_str(), "INTERNAL");
    assert!(good.await.expect("task").expect("stored").is_created());
    assert_eq!(store.inserts(), [1, 2, 1, 1], "the pair, then each alone");
}

/// Settings that read access facts for every commit.
fn no_access_cache() -> ChatSettings {
    let mut settings = settings();
    settings.writer.access_ttl = Duration::ZERO;
    settings
}

#[tokio::test]
async fn without_the_access_cache_a_withdrawn_access_refuses_the_very_next_send() {
    let (server, store) = gated_server(no_access_cache()).await;
    let mut alan = server.client(3).await;
    let mut ada = server.client(1).await;
    alan.join("project", 1).await;
    ada.join("project", 1).await;
    assert_eq!(alan.send("project", 1, "allowed").await["ok"], true);
    ada.event("message:new").await;
    alan.event("message:new").await;

    // Alan's task in project 1 goes away while he stays joined.
    store.revoke(3, RoomRef::project(1));
    let ack = alan.send("project", 1, "after the revocation").await;
    assert_eq!(error_code(&ack), "ROOM_FORBIDDEN");
    assert_eq!(alan.event("error").await["code"], "ROOM_FORBIDDEN");

    // Nothing was stored or broadcast: Ada's next message is the first thing she sees.
    assert_eq!(ada.send("project", 1, "still here").await["ok"], true);
    assert_eq!(
        ada.event("message:new").await["message"]["content"],
        "still here"
    );
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().expect("content"))
        .collect();
    assert_eq!(contents, ["allowed", "still here"]);
}

#[tokio::test]
async fn a_connection_s_sends_to_one_room_share_a_commit_and_one_access_check() {
    let (server, store) = gated_server(no_access_cache()).await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    let checks_before = store.access_calls();

    let closed = store.close().await;
    let mut acks = Vec::new();
    acks.push(
        alan.emit_acked("message:send", send_payload("project", 1, "m0"))
            .await,
    );
    store.wait_for_inserts(1).await;
    for i in 1..10 {
        acks.push(
            alan.emit_acked("message:send", send_payload("project", 1, &format!("m{i}")))
                .await,
        );
    }
    // The nine queue in the room's writer while the first commit is held.
    let last = *acks.last().expect("acks");
    drop(closed);
    let packets = alan.packets_until(is_ack(last)).await;

    assert_eq!(
        store.inserts(),
        [1, 9],
        "one commit for the nine queued meanwhile"
    );
    assert_eq!(
        store.access_calls() - checks_before,
        2,
        "access re-checked once per commit, not per message"
    );
    // Acks in the order sent, each after its own message:new, ids increasing.
    let mut ids = Vec::new();
    let mut seen_new = Vec::new();
    for packet in packets {
        match packet {
            Packet::Event(name, v) if name == "message:new" => {
                seen_new.push(v["message"]["id"].as_u64().expect("id"));
            }
            Packet::Ack(id, v) => {
                assert_eq!(v["ok"], true, "{v}");
                let message_id = v["message"]["id"].as_u64().expect("id");
                assert!(
                    seen_new.contains(&message_id),
                    "ack {id} before its broadcast"
                );
                assert_eq!(v["message"]["content"], format!("m{}", ids.len()));
                ids.push(message_id);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ids.len(), 10);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

/// Access facts that allowed a send are reused for the TTL, then read again: a withdrawn
/// task refuses sends once the TTL has passed. Paused time; no sockets.
#[tokio::test(start_paused = true)]
async fn with_the_access_cache_a_withdrawn_access_refuses_sends_after_the_ttl() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = gated_store(&clock).await;
    let io = SocketIo::new(SocketIoConfig::default());
    let shared: SharedClock = clock.clone();
    let chat = huddle_server::chat::Chat::install(&io, store.clone(), shared, settings())
        .expect("chat installs");
    let ttl = Duration::from_secs(1);
    let writers = RoomWriters::new(
        store.clone(),
        chat.namespace().clone(),
        WriterSettings {
            access_ttl: ttl,
            ..WriterSettings::default()
        },
    );
    let room = RoomRef::project(1);
    let send = |content: &str| writers.insert(NewMessage::text(room, 3, content), Role::Researcher);

    assert!(send("first").await.expect("stored").is_created());
    assert_eq!(store.access_calls(), 1);
    tokio::time::advance(Duration::from_millis(500)).await;
    assert!(send("second").await.expect("stored").is_created());
    assert_eq!(store.access_calls(), 1, "facts of half a second ago reused");

    store.revoke(3, room);
    tokio::time::advance(Duration::from_millis(499)).await;
    assert!(
        send("within the ttl").await.expect("stored").is_created(),
        "facts read 999 ms ago still decide"
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    let error = send("after the ttl").await.expect_err("refused");
    assert_eq!(error.code.as_str(), "ROOM_FORBIDDEN");
    assert_eq!(store.access_calls(), 2, "read again once a second old");
    // A refusal is never kept: every attempt reads the facts.
    let error = send("again").await.expect_err("refused");
    assert_eq!(error.code.as_str(), "ROOM_FORBIDDEN");
    assert_eq!(store.access_calls(), 3);
}

#[tokio::test]
async fn events_after_pipelined_sends_are_answered_after_them() {
    let (server, store) = gated_server(settings()).await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    alan.join("study", 1).await;

    let closed = store.close().await;
    let mut sends = Vec::new();
    for i in 0..3 {
        sends.push(
            alan.emit_acked("message:send", send_payload("project", 1, &format!("p{i}")))
                .await,
        );
    }
    store.wait_for_inserts(1).await;
    // A send to another room, and a leave: both wait for the three.
    let elsewhere = alan
        .emit_acked("message:send", send_payload("study", 1, "s0"))
        .await;
    let leave = alan
        .emit_acked("room:leave", json!({"type": "project", "id": 1}))
        .await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        store.inserts(),
        [1],
        "the other room's send waits for project 1"
    );
    drop(closed);

    let packets = alan.packets_until(is_ack(leave)).await;
    let acks: Vec<u64> = packets
        .iter()
        .filter_map(|p| match p {
            Packet::Ack(id, _) => Some(*id),
            _ => None,
        })
        .collect();
    let mut expected = sends.clone();
    expected.extend([elsewhere, leave]);
    assert_eq!(acks, expected, "answers in the order the events were sent");
    let new_in_project = packets
        .iter()
        .filter(|p| matches!(p, Packet::Event(n, v) if n == "message:new" && v["message"]["roomType"] == "project"))
        .count();
    assert_eq!(
        new_in_project, 3,
        "every message of project 1 reached Alan before he left"
    );
    // The study message was stored after the project ones.
    let ids: Vec<u64> = packets
        .iter()
        .filter_map(|p| match p {
            Packet::Ack(_, v) if v["message"].is_object() => v["message"]["id"].as_u64(),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn no_more_than_the_configured_sends_are_in_flight() {
    let mut settings = settings();
    settings.max_sends_in_flight = 2;
    let (server, store) = gated_server(settings).await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;

    let closed = store.close().await;
    let mut acks = Vec::new();
    for i in 0..7 {
        acks.push(
            alan.emit_acked("message:send", send_payload("project", 1, &format!("m{i}")))
                .await,
        );
    }
    store.wait_for_inserts(1).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    drop(closed);
    let last = *acks.last().expect("acks");
    let packets = alan.packets_until(is_ack(last)).await;
    let answered = packets
        .iter()
        .filter(|p| matches!(p, Packet::Ack(_, v) if v["ok"] == true))
        .count();
    assert_eq!(answered, 7);
    let inserts = store.inserts();
    assert_eq!(inserts.iter().sum::<usize>(), 7);
    assert!(
        inserts.iter().all(|&n| n <= 2),
        "at most two sends of the connection at once: {inserts:?}"
    );
}
