//! Housekeeping (issue 5 item 4): files no message carries are deleted once older than the
//! configured time, bytes and record; attached files stay. Time is the store's manual
//! clock, never a sleep of that length.

mod files_support;

use std::time::Duration;

use files_support::*;
use huddle_server::chat::clock::{Clock, now};
use huddle_server::files::FilesConfig;
use huddle_server::files::housekeeping::{spawn_sweeper, sweep_once};
use huddle_storage::model::{MessageType, NewMessage, RoomRef};
use tokio_util::sync::CancellationToken;

async fn uploaded(server: &FilesServer, len: u64) -> u64 {
    let token = server.token(1);
    let answer = upload(
        server.addr,
        Some(&token),
        "f.bin",
        "application/octet-stream",
        b"\0",
        len,
    )
    .await;
    assert_eq!(answer.status, 201);
    answer.json()["fileId"].as_u64().unwrap()
}

#[tokio::test]
async fn unattached_files_older_than_the_cutoff_are_deleted() {
    let server = start().await;
    let loose = uploaded(&server, 100).await;
    let carried = uploaded(&server, 200).await;
    let message = NewMessage {
        kind: MessageType::File,
        file_id: Some(carried),
        ..NewMessage::text(RoomRef::project(1), 1, "")
    };
    server.store.insert_messages(&[message]).await.unwrap();
    let ttl = chrono::Duration::hours(24);
    let store = server.store.as_ref();
    let dir = server.files.dir();

    // Both are younger than the TTL: nothing goes.
    let cutoff = now(server.clock.as_ref() as &dyn Clock) - ttl;
    assert_eq!(sweep_once(store, dir, cutoff).await.unwrap(), 0);
    assert_eq!(server.stored_names().len(), 2);

    server.clock.advance(chrono::Duration::hours(25));
    let cutoff = now(server.clock.as_ref() as &dyn Clock) - ttl;
    assert_eq!(sweep_once(store, dir, cutoff).await.unwrap(), 1);
    assert!(store.get_file(loose).await.unwrap().is_none());
    let kept = store
        .get_file(carried)
        .await
        .unwrap()
        .expect("attached file kept");
    assert_eq!(server.stored_names(), vec![kept.storage_key.clone()]);
    // A second sweep finds nothing more.
    assert_eq!(sweep_once(store, dir, cutoff).await.unwrap(), 0);
}

#[tokio::test]
async fn the_sweeper_runs_by_itself_and_stops_on_shutdown() {
    let server = start_with(FilesConfig {
        unattached_ttl: Duration::from_secs(3600),
        sweep_interval: Duration::from_millis(20),
        ..FilesConfig::default()
    })
    .await;
    let id = uploaded(&server, 10).await;
    let shutdown = CancellationToken::new();
    let task = spawn_sweeper(server.files.clone(), shutdown.clone());
    // Younger than the TTL: it survives several sweeps.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.store.get_file(id).await.unwrap().is_some());
    server.clock.advance(chrono::Duration::hours(2));
    assert!(
        eventually(|| async { server.stored_names().is_empty() }).await,
        "the sweeper removed the bytes"
    );
    assert!(server.store.get_file(id).await.unwrap().is_none());
    shutdown.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("stops")
        .expect("no panic");
}
