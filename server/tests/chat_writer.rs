//! The per-room writer (issue 4 item 8, "a per-room writer that batches inserts, not a global
//! lock"): what queues up while the writer is busy is stored as one batch, in queue order, no
//! larger than the configured batch size; an idle writer ends after its configured time and a
//! new one starts on demand. Time is tokio's paused clock: nothing here sleeps.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::oneshot;

use huddle_server::chat::clock::{ManualClock, SharedClock};
use huddle_server::chat::writer::{RoomWriters, WriterSettings, WriterStats};
use huddle_server::chat::{Chat, ChatSettings};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_storage::model::{InsertOutcome, NewMessage, Role, RoomRef};
use huddle_storage::{MemoryStore, Store, StoreOptions, demo_dataset};

async fn writers(settings: WriterSettings) -> RoomWriters {
    let clock: SharedClock = Arc::new(ManualClock::new(Utc::now()));
    let store = MemoryStore::new(clock.clone(), StoreOptions::default());
    store
        .load_dataset(&demo_dataset())
        .await
        .expect("demo data");
    let store: Arc<dyn Store> = Arc::new(store);
    let io = SocketIo::new(SocketIoConfig::default());
    let mut chat_settings = ChatSettings::default();
    chat_settings.jwt.secret = Some(b"writer-test".to_vec());
    let chat = Chat::install(&io, store.clone(), clock, chat_settings).expect("chat");
    RoomWriters::new(store, chat.namespace().clone(), settings)
}

const ROOM: RoomRef = RoomRef {
    kind: huddle_storage::model::RoomType::Project,
    id: 1,
};

#[tokio::test(start_paused = true)]
async fn what_queues_while_busy_is_stored_in_batches_in_queue_order() {
    let writers = writers(WriterSettings {
        batch_max: 4,
        idle_timeout: Duration::from_secs(60),
        ..WriterSettings::default()
    })
    .await;
    // Hold the room's writer busy.
    let (release, released) = oneshot::channel::<()>();
    let busy = {
        let writers = writers.clone();
        tokio::spawn(async move {
            writers
                .exclusive(ROOM, move || async move {
                    let _ = released.await;
                    Ok(())
                })
                .await
        })
    };
    tokio::task::yield_now().await;

    let mut sends = Vec::new();
    for i in 0..10 {
        let writers = writers.clone();
        sends.push(tokio::spawn(async move {
            writers
                .insert(NewMessage::text(ROOM, 3, format!("m{i}")), Role::Researcher)
                .await
        }));
        // Let it reach the queue before the next one: queue order = this order.
        tokio::task::yield_now().await;
    }
    assert_eq!(writers.stats().batches, 0, "nothing stored while busy");
    release.send(()).expect("release");
    busy.await.expect("task").expect("exclusive job");

    let mut ids = Vec::new();
    for (i, send) in sends.into_iter().enumerate() {
        match send.await.expect("task").expect("stored") {
            InsertOutcome::Created(m) => {
                assert_eq!(m.content, format!("m{i}"));
                ids.push(m.id);
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "ids follow queue order: {ids:?}"
    );
    assert_eq!(
        writers.stats(),
        WriterStats {
            batches: 3,
            messages: 10,
            commits: 3
        },
        "4 + 4 + 2, one room: one commit per batch"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_writer_ends_and_a_new_one_starts_on_demand() {
    let writers = writers(WriterSettings {
        batch_max: 64,
        idle_timeout: Duration::from_millis(100),
        ..WriterSettings::default()
    })
    .await;
    assert_eq!(writers.active(), 0);
    writers
        .insert(NewMessage::text(ROOM, 3, "first"), Role::Researcher)
        .await
        .expect("stored");
    assert_eq!(writers.active(), 1);
    tokio::time::sleep(Duration::from_millis(99)).await;
    assert_eq!(writers.active(), 1, "not idle long enough");
    tokio::time::sleep(Duration::from_millis(2)).await;
    tokio::task::yield_now().await;
    assert_eq!(writers.active(), 0, "retired");
    let again = writers
        .insert(NewMessage::text(ROOM, 3, "second"), Role::Researcher)
        .await
        .expect("stored");
    assert!(again.is_created());
    assert_eq!(writers.active(), 1);
    // Rooms do not share writers.
    writers
        .insert(
            NewMessage::text(RoomRef::study(1), 3, "elsewhere"),
            Role::Researcher,
        )
        .await
        .expect("stored");
    assert_eq!(writers.active(), 2);
}
