//! Test support shared by the contract suite and the MariaDB-only tests: a test
//! clock, a fresh MariaDB database per test (dropped afterwards, also when the test
//! fails) and the runners that hand a store to a behaviour.

#![allow(dead_code)] // each test crate uses a different part of this module

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use huddle_storage::{ManualClock, MariaDbOptions, MariaDbStore, MemoryStore, Store, StoreOptions};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};

/// What a behaviour gets: a store and the clock it stamps times from.
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
}

/// The instant every test starts at: it has sub-millisecond digits on purpose,
/// which the stores must drop.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789)
}

/// The start time as the stores keep it (milliseconds).
pub fn start_time_ms() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::milliseconds(123)
}

/// Runs a behaviour against a fresh in-memory store.
pub async fn run_memory<F, Fut>(body: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let clock = Arc::new(ManualClock::new(start_time()));
    let store = MemoryStore::new(clock.clone(), StoreOptions::default());
    body(Ctx {
        store: Arc::new(store),
        clock,
    })
    .await;
}

/// Runs a behaviour against a MariaDB store in a database of its own.
pub async fn run_mariadb<F, Fut>(body: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = TestDatabase::create().await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let store = db.connect(clock.clone(), test_options()).await;
    // The body runs as its own task so that a failing assertion comes back here as
    // a JoinError, after which the database is still dropped.
    let outcome = tokio::spawn(body(Ctx {
        store: Arc::new(store.clone()),
        clock,
    }))
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(10), store.disconnect()).await;
    drop(db);
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("test task failed: {e}"),
        }
    }
}

/// Store options for tests: a small pool (many tests run at once against one
/// server) and a short operation timeout so a hang fails fast.
pub fn test_options() -> MariaDbOptions {
    MariaDbOptions {
        pool_min: 1,
        pool_max: 4,
        operation_timeout: Duration::from_secs(20),
        ..MariaDbOptions::default()
    }
}

/// The server the tests use.
pub fn server_url() -> String {
    std::env::var("HUDDLE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

fn server_opts() -> Opts {
    let url = server_url();
    Opts::from_url(&url)
        .unwrap_or_else(|e| panic!("HUDDLE_TEST_DATABASE_URL {url:?} is not a MariaDB URL: {e}"))
}

async fn admin_conn() -> Conn {
    let opts = OptsBuilder::from_opts(server_opts()).db_name(None::<String>);
    match Conn::new(opts).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "MariaDB is not reachable at {} ({e}): start it with \
             'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' \
             (or set HUDDLE_TEST_DATABASE_URL)",
            server_url()
        ),
    }
}

/// A database created for one test and dropped when this guard is dropped.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let db = Self::reserve();
        let mut conn = admin_conn().await;
        conn.query_drop(format!("CREATE DATABASE `{}`", db.name))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {}: {e}", db.name));
        conn.disconnect().await.ok();
        db
    }

    /// A unique name, not created yet (still dropped, if it exists, at the end).
    pub fn reserve() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "huddle_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Self { name }
    }

    /// Connection options for this database.
    pub fn opts(&self) -> Opts {
        OptsBuilder::from_opts(server_opts())
            .db_name(Some(self.name.clone()))
            .into()
    }

    /// A store on this database (applying migrations).
    pub async fn connect(&self, clock: Arc<ManualClock>, options: MariaDbOptions) -> MariaDbStore {
        MariaDbStore::connect_with_opts(self.opts(), clock, options)
            .await
            .unwrap_or_else(|e| panic!("cannot open the store on {}: {e}", self.name))
    }

    /// A plain connection to this database, for checks the trait does not offer.
    pub async fn raw_conn(&self) -> Conn {
        Conn::new(self.opts()).await.expect("raw connection")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: drop the
        // database from a thread with a runtime of its own, and wait for it.
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = admin_conn().await;
                conn.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
