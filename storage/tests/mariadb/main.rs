//! What only the MariaDB store has: migrations, connection failures and recovery,
//! bulk fixture loading, races on the clientMessageId index, database creation.

#[path = "../common/mod.rs"]
mod common;
mod proxy;

use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use huddle_storage::mariadb::MIGRATIONS;
use huddle_storage::{
    FixtureSpec, InsertOutcome, ManualClock, MariaDbOptions, MariaDbStore, NewMessage, RoomRef,
    Store, StoreError, demo_dataset,
};
use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder};

use common::{TestDatabase, server_url, start_time, test_options};
use proxy::Proxy;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(start_time()))
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    store.load_dataset(&demo_dataset()).await.unwrap();
    store
        .insert_messages(&[NewMessage::text(RoomRef::project(1), 1, "survives")])
        .await
        .unwrap();

    // Again on the same store, and from a second store as a restarted server would.
    let again = store.migrate().await.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(again.already_applied, [1, 2, 3]);
    let second = db.connect(clock(), test_options()).await;
    assert!(second.migrate().await.unwrap().applied.is_empty());

    let mut conn = db.raw_conn().await;
    let versions: Vec<u32> = conn
        .query("SELECT version FROM schema_migrations ORDER BY version")
        .await
        .unwrap();
    assert_eq!(
        versions,
        MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
    );
    let page = second
        .history(
            RoomRef::project(1),
            huddle_storage::HistoryCursor::Latest,
            10,
        )
        .await
        .unwrap();
    assert_eq!(page.messages[0].content, "survives");
    conn.disconnect().await.unwrap();
    store.disconnect().await.unwrap();
    second.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_fresh_database_gets_every_table() {
    let db = TestDatabase::create().await;
    let report = {
        let store = db.connect(clock(), test_options()).await;
        let report = store.migrate().await.unwrap();
        store.disconnect().await.unwrap();
        report
    };
    assert_eq!(
        report.already_applied,
        [1, 2, 3],
        "connect applied them all"
    );
    let mut conn = db.raw_conn().await;
    let mut tables: Vec<String> = conn
        .exec(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            (&db.name,),
        )
        .await
        .unwrap();
    tables.sort();
    assert_eq!(
        tables,
        [
            "files",
            "message_reads",
            "messages",
            "project_access",
            "projects",
            "schema_migrations",
            "studies",
            "tasks",
            "users"
        ]
    );
    let indexes: Vec<(String, u32, String)> = conn
        .exec(
            "SELECT index_name, seq_in_index, column_name FROM information_schema.statistics \
             WHERE table_schema = ? AND table_name = 'messages' AND index_name = 'idx_messages_room' \
             ORDER BY seq_in_index",
            (&db.name,),
        )
        .await
        .unwrap();
    let columns: Vec<&str> = indexes.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!(columns, ["room_type", "room_id", "id"]);
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    let mut conn = db.raw_conn().await;
    conn.query_drop("UPDATE schema_migrations SET checksum = REPEAT('0', 64) WHERE version = 2")
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    match store.migrate().await {
        Err(StoreError::Migration { version: 2, .. }) => {}
        other => panic!("expected a migration error for version 2, got {other:?}"),
    }
    store.disconnect().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // Nothing listens on port 1 of the loopback interface.
    let options = MariaDbOptions {
        create_database: false,
        ..test_options()
    };
    let err = MariaDbStore::connect("mysql://root@127.0.0.1:1/huddle", clock(), options.clone())
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    let err = MariaDbStore::connect("mysql://root@127.0.0.1:1/huddle", clock(), test_options())
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "creating the database: {err:?}");
}

#[tokio::test]
async fn bad_settings_are_invalid() {
    let url = format!(
        "{}/huddle_never_created",
        server_url().trim_end_matches('/')
    );
    let cases: Vec<(String, MariaDbOptions)> = vec![
        ("not a url".into(), test_options()),
        (server_url(), test_options()),
        (format!("{}/bad-name", server_url()), test_options()),
        (
            url.clone(),
            MariaDbOptions {
                pool_min: 5,
                pool_max: 2,
                ..test_options()
            },
        ),
        (
            url,
            MariaDbOptions {
                pool_min: 0,
                pool_max: 0,
                ..test_options()
            },
        ),
    ];
    for (url, options) in cases {
        let result = MariaDbStore::connect(&url, clock(), options).await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{url}: {result:?}"
        );
    }
}

#[tokio::test]
async fn the_database_is_created_when_allowed() {
    let db = TestDatabase::reserve();
    let store = MariaDbStore::connect_with_opts(db.opts(), clock(), test_options())
        .await
        .unwrap();
    store.ping().await.unwrap();
    store.disconnect().await.unwrap();

    let missing = TestDatabase::reserve();
    let options = MariaDbOptions {
        create_database: false,
        ..test_options()
    };
    let err = MariaDbStore::connect_with_opts(missing.opts(), clock(), options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Backend(ref m) if m.contains("1049")),
        "{err:?}"
    );
}

fn server_addr() -> std::net::SocketAddr {
    let opts = Opts::from_url(&server_url()).unwrap();
    (opts.ip_or_hostname(), opts.tcp_port())
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap()
}

#[tokio::test]
async fn the_store_recovers_when_mariadb_comes_back() {
    let db = TestDatabase::create().await;
    let mut proxy = Proxy::start(server_addr()).await;
    let through_proxy = OptsBuilder::from_opts(db.opts())
        .ip_or_hostname("127.0.0.1")
        .tcp_port(proxy.port)
        // Otherwise the driver switches to MariaDB's Unix socket, around the proxy.
        .prefer_socket(false);
    let options = MariaDbOptions {
        operation_timeout: Duration::from_secs(5),
        ..test_options()
    };
    let store = MariaDbStore::connect_with_opts(through_proxy.into(), clock(), options)
        .await
        .unwrap();
    store.load_dataset(&demo_dataset()).await.unwrap();
    let before = store
        .insert_messages(&[NewMessage::text(RoomRef::project(1), 1, "before")])
        .await
        .unwrap();
    assert!(before[0].is_created());

    proxy.cut().await;
    assert!(store.ping().await.unwrap_err().is_unavailable());
    let err = store
        .insert_messages(&[NewMessage::text(RoomRef::project(1), 1, "while down")])
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(store.get_user(1).await.unwrap_err().is_unavailable());

    proxy.restore().await;
    store.ping().await.expect("the pool reconnects by itself");
    let after = store
        .insert_messages(&[NewMessage::text(RoomRef::project(1), 1, "after")])
        .await
        .unwrap();
    assert!(after[0].is_created());
    let page = store
        .history(
            RoomRef::project(1),
            huddle_storage::HistoryCursor::Latest,
            10,
        )
        .await
        .unwrap();
    let contents: Vec<&str> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        contents,
        ["before", "after"],
        "nothing from the outage was stored"
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), store.disconnect()).await;
    proxy.cut().await;
}

#[tokio::test]
async fn a_silent_server_times_out_as_unavailable() {
    let db = TestDatabase::create().await;
    let mut proxy = Proxy::start(server_addr()).await;
    let through_proxy: Opts = OptsBuilder::from_opts(db.opts())
        .ip_or_hostname("127.0.0.1")
        .tcp_port(proxy.port)
        // Otherwise the driver switches to MariaDB's Unix socket, around the proxy.
        .prefer_socket(false)
        .into();
    let options = MariaDbOptions {
        operation_timeout: Duration::from_millis(300),
        ..test_options()
    };
    let store = MariaDbStore::connect_with_opts(through_proxy.clone(), clock(), options.clone())
        .await
        .unwrap();
    store.disconnect().await.unwrap();
    // A listener that accepts and never answers.
    proxy.cut().await;
    let silent = tokio::net::TcpListener::bind(("127.0.0.1", proxy.port))
        .await
        .unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let err = MariaDbStore::connect_with_opts(through_proxy, clock(), options)
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    hold.abort();
}

#[tokio::test]
async fn killed_connections_are_replaced() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    store.load_dataset(&demo_dataset()).await.unwrap();
    store.ping().await.unwrap();

    let mut admin = db.raw_conn().await;
    let own: u32 = admin
        .query_first("SELECT CONNECTION_ID()")
        .await
        .unwrap()
        .unwrap();
    let victims: Vec<u64> = admin
        .exec(
            "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> ?",
            (&db.name, own),
        )
        .await
        .unwrap();
    assert!(!victims.is_empty(), "the pool keeps a connection open");
    for id in &victims {
        admin
            .query_drop(format!("KILL CONNECTION {id}"))
            .await
            .unwrap();
    }
    // Wait (bounded) until the server has closed them.
    for _ in 0..100 {
        let alive: Vec<u64> = admin
            .exec(
                "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> ?",
                (&db.name, own),
            )
            .await
            .unwrap();
        if alive.iter().all(|id| !victims.contains(id)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let user = store
        .get_user(1)
        .await
        .expect("a fresh connection serves the call");
    assert_eq!(user.unwrap().first_name, "Ada");
    admin.disconnect().await.unwrap();
    store.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_resends_store_one_message() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    store.load_dataset(&demo_dataset()).await.unwrap();
    // Several rounds, so that most run on a warm pool and the sends overlap inside
    // MariaDB (the loser of the unique index waits, fails, retries and finds the
    // winner's row).
    for round in 0..10 {
        let key = format!("key-{round}");
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (store, key) = (store.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                // Different rooms, as separate room writers would send them.
                let mut m = NewMessage::text(RoomRef::project(1 + i % 3), 1, "once");
                m.client_message_id = Some(key);
                store.insert_messages(&[m]).await
            }));
        }
        let mut ids = Vec::new();
        let mut created = 0;
        for task in tasks {
            let outcome = task.await.unwrap().unwrap().pop().unwrap();
            created += usize::from(outcome.is_created());
            match outcome {
                InsertOutcome::Created(m) | InsertOutcome::Duplicate(m) => ids.push(m.id),
                InsertOutcome::Rejected(r) => panic!("{r}"),
            }
        }
        assert_eq!(created, 1, "round {round}");
        ids.dedup();
        assert_eq!(ids.len(), 1, "every resend answers with the same message");
    }
    let mut conn = db.raw_conn().await;
    let count: Option<u64> = conn
        .query_first("SELECT COUNT(*) FROM messages")
        .await
        .unwrap();
    assert_eq!(count, Some(10));
    conn.disconnect().await.unwrap();
    store.disconnect().await.unwrap();
}

/// Ids under concurrency, for both write paths (one autocommit INSERT, and a
/// transaction of several): each batch's ids increase in batch order, no id is given
/// twice, and a batch stored after another (as a room writer's next batch is) gets
/// higher ids than all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_keep_their_order() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    store.load_dataset(&demo_dataset()).await.unwrap();
    let mut tasks = Vec::new();
    for writer in 0..6u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let room = RoomRef::project(1 + writer % 3);
            let mut batches = Vec::new();
            for round in 0..6 {
                // Small batches go in one statement, big ones in several.
                let size = if (writer + round) % 2 == 0 { 20 } else { 150 };
                let batch: Vec<NewMessage> = (0..size)
                    .map(|i| NewMessage::text(room, 1, format!("w{writer} r{round} m{i}")))
                    .collect();
                let outcomes = store.insert_messages(&batch).await.unwrap();
                let ids: Vec<u64> = outcomes
                    .into_iter()
                    .zip(&batch)
                    .map(|(o, new)| match o {
                        InsertOutcome::Created(m) => {
                            assert_eq!(m.content, new.content);
                            m.id
                        }
                        other => panic!("{other:?}"),
                    })
                    .collect();
                batches.push(ids);
            }
            batches
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let batches = task.await.unwrap();
        for ids in &batches {
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "in batch order");
        }
        for pair in batches.windows(2) {
            assert!(
                pair[1][0] > *pair[0].last().unwrap(),
                "a later batch is above"
            );
        }
        all.extend(batches.into_iter().flatten());
    }
    let stored = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), stored, "no id given twice");
    let mut conn = db.raw_conn().await;
    let count: Option<u64> = conn
        .query_first("SELECT COUNT(*) FROM messages")
        .await
        .unwrap();
    assert_eq!(count, Some(stored as u64));
    conn.disconnect().await.unwrap();
    store.disconnect().await.unwrap();
}

#[tokio::test]
async fn fixture_is_loaded_in_bulk_and_idempotently() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    let spec = FixtureSpec::parse("users=600,projects=120").unwrap();
    store.load_fixture(&spec).await.unwrap();
    store.load_fixture(&spec).await.unwrap();
    let mut conn = db.raw_conn().await;
    let counts: Option<(u64, u64, u64, u64)> = conn
        .query_first(
            "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM projects), \
             (SELECT COUNT(*) FROM tasks), \
             (SELECT COUNT(*) FROM (SELECT DISTINCT assignee_id, project_id FROM tasks) d)",
        )
        .await
        .unwrap();
    assert_eq!(counts, Some((600, 120, 72_000, 72_000)));
    let facts = store
        .room_access(600, RoomRef::project(120))
        .await
        .unwrap()
        .unwrap();
    assert!(facts.user_has_task_in_project);
    conn.disconnect().await.unwrap();
    store.disconnect().await.unwrap();
}

#[tokio::test]
async fn demo_data_loads_by_url_idempotently() {
    let db = TestDatabase::reserve();
    let url = format!("{}/{}", server_url().trim_end_matches('/'), db.name);
    huddle_storage::load_demo_data(&url).await.unwrap();
    huddle_storage::load_demo_data(&url).await.unwrap();
    let store = db.connect(clock(), test_options()).await;
    let facts = store
        .room_access(1, RoomRef::study(4))
        .await
        .unwrap()
        .unwrap();
    assert!(
        facts.user_has_grant,
        "user 1 is granted project 3, study 4's project"
    );
    let mut conn = db.raw_conn().await;
    let counts: Option<(u64, u64, u64, u64, u64)> = conn
        .query_first(
            "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM projects), \
             (SELECT COUNT(*) FROM project_access), (SELECT COUNT(*) FROM studies), \
             (SELECT COUNT(*) FROM tasks)",
        )
        .await
        .unwrap();
    assert_eq!(counts, Some((5, 3, 1, 4, 3)));
    conn.disconnect().await.unwrap();
    store.disconnect().await.unwrap();

    huddle_storage::mariadb::load_fixture(&url, &FixtureSpec::parse("users=8,projects=5").unwrap())
        .await
        .unwrap();
    let store = db.connect(clock(), test_options()).await;
    // Fixture users beyond the demo's five were added; the demo rows were kept.
    assert_eq!(store.get_user(8).await.unwrap().unwrap().last_name, "8");
    assert_eq!(store.get_user(1).await.unwrap().unwrap().first_name, "Ada");
    store.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_held_migration_lock_is_waited_for_then_refused() {
    let db = TestDatabase::create().await;
    let store = db.connect(clock(), test_options()).await;
    let mut holder = db.raw_conn().await;
    let held: Option<i64> = holder
        .query_first("SELECT GET_LOCK(CONCAT('huddle_migrations_', MD5(DATABASE())), 0)")
        .await
        .unwrap();
    assert_eq!(held, Some(1));
    let options = MariaDbOptions {
        migration_lock_timeout: Duration::from_millis(300),
        ..test_options()
    };
    let err = MariaDbStore::connect_with_opts(db.opts(), clock(), options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Backend(ref m) if m.contains("migration lock")),
        "{err:?}"
    );
    // Once released, migrating goes through.
    holder
        .query_drop("DO RELEASE_LOCK(CONCAT('huddle_migrations_', MD5(DATABASE())))")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    holder.disconnect().await.unwrap();
    store.disconnect().await.unwrap();
}
