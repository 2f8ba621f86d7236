//! The MariaDB store: a `mysql_async` pool, migrations applied at connect, and one
//! module per family of queries (directory and access facts, messages, files).
//!
//! Every operation runs under [`MariaDbOptions::operation_timeout`]: a database that
//! stops answering becomes [`StoreError::Unavailable`] instead of a hang. The pool
//! checks an idle connection before handing it out and drops broken ones, so after
//! MariaDB restarts the store serves again without help.

mod directory;
mod errors;
mod files;
mod insert;
mod messages;
mod migrate;
mod rows;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

pub use migrate::{MIGRATIONS, Migration, MigrationReport};

use crate::clock::{Clock, SystemClock, truncate_to_millis};
use crate::error::StoreError;
use crate::model::{
    FileId, FileRecord, HistoryCursor, HistoryPage, InsertOutcome, MarkRead, Message, MessageId,
    NewFile, NewMessage, ReadReceipt, RoomAccessFacts, RoomRef, User, UserId,
};
use crate::seed::{Dataset, FixtureSpec, demo_dataset};
use crate::store::{Backend, Store, StoreOptions};
use errors::map;

/// Settings of the MariaDB store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MariaDbOptions {
    /// Limits shared with the in-memory store.
    pub store: StoreOptions,
    /// Connections kept open when idle (default 1).
    pub pool_min: usize,
    /// Most connections open at once (default 16).
    pub pool_max: usize,
    /// Longest wait for one operation, connection included, before it fails as
    /// `Unavailable` (default 10 s).
    pub operation_timeout: Duration,
    /// Longest wait for another process's migration run (default 60 s).
    pub migration_lock_timeout: Duration,
    /// Create the URL's database if it does not exist (default true).
    pub create_database: bool,
}

impl Default for MariaDbOptions {
    fn default() -> Self {
        Self {
            store: StoreOptions::default(),
            pool_min: 1,
            pool_max: 16,
            operation_timeout: Duration::from_secs(10),
            migration_lock_timeout: Duration::from_secs(60),
            create_database: true,
        }
    }
}

/// Session settings for every new connection: UTC, and strict mode so an
/// out-of-range value is an error rather than a silent truncation.
const SESSION_INIT: &str = "SET time_zone = '+00:00', sql_mode = \
     'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'";

/// Prepared statements kept per connection: multi-row inserts prepare one text per
/// row count (up to [`insert::MAX_ROWS_PER_INSERT`]), plus the fixed queries.
const STATEMENT_CACHE: usize = 200;

/// How long a pooled connection above `pool_min` may stay idle before it closes.
const IDLE_CONNECTION_TTL: Duration = Duration::from_secs(60);

/// The MariaDB store. Cheap to clone (clones share the pool).
#[derive(Clone)]
pub struct MariaDbStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    clock: Arc<dyn Clock>,
    options: MariaDbOptions,
    database: String,
}

impl fmt::Debug for MariaDbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("MariaDbStore")
            .field("database", &self.inner.database)
            .field("options", &self.inner.options)
            .finish()
    }
}

/// Whether `name` is a database name this store will create and use: letters,
/// digits and `_`, at most 64 characters (it is written into SQL as an identifier).
fn check_database_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "database name {name:?} must be 1 to 64 letters, digits or underscores"
        )))
    }
}

impl MariaDbStore {
    /// Connects to `url` (`mysql://user:pass@host:port/database`), creates the
    /// database if allowed and missing, and applies pending migrations.
    pub async fn connect(
        url: &str,
        clock: Arc<dyn Clock>,
        options: MariaDbOptions,
    ) -> Result<Self, StoreError> {
        let opts = Opts::from_url(url)
            .map_err(|e| StoreError::Invalid(format!("bad database URL: {e}")))?;
        Self::connect_with_opts(opts, clock, options).await
    }

    /// Like [`MariaDbStore::connect`], from parsed options.
    pub async fn connect_with_opts(
        opts: Opts,
        clock: Arc<dyn Clock>,
        options: MariaDbOptions,
    ) -> Result<Self, StoreError> {
        let database = opts
            .db_name()
            .ok_or_else(|| {
                StoreError::Invalid(
                    "the database URL names no database (e.g. mysql://root@127.0.0.1:3306/huddle)"
                        .into(),
                )
            })?
            .to_owned();
        check_database_name(&database)?;
        let constraints = PoolConstraints::new(options.pool_min, options.pool_max)
            .filter(|_| options.pool_max >= 1)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "pool_min ({}) must not exceed pool_max ({}), and pool_max must be at least 1",
                    options.pool_min, options.pool_max
                ))
            })?;
        let timeout = options.operation_timeout;
        if options.create_database {
            let server = OptsBuilder::from_opts(opts.clone()).db_name(None::<String>);
            within(timeout, create_database(server, &database)).await?;
        }
        let pool_opts = PoolOpts::new()
            .with_constraints(constraints)
            // No session state is changed after connecting, so resetting each
            // connection on return (a round trip, and the loss of its prepared
            // statements) buys nothing; unfinished transactions are rolled back by
            // the driver anyway.
            .with_reset_connection(false)
            // Without an idle lifetime the driver keeps only `pool_min` idle connections
            // and closes every other one as soon as it is returned, so a busy server
            // would open a connection (handshake, session set-up, statements prepared
            // again) for almost every operation. Idle connections above `pool_min`
            // close after this long instead.
            .with_inactive_connection_ttl(IDLE_CONNECTION_TTL);
        let opts = OptsBuilder::from_opts(opts)
            .pool_opts(pool_opts)
            .init(vec![SESSION_INIT])
            .stmt_cache_size(STATEMENT_CACHE);
        let store = Self {
            inner: Arc::new(Inner {
                pool: Pool::new(opts),
                clock,
                options,
                database,
            }),
        };
        if let Err(e) = store.migrate().await {
            let _ = within(timeout, store.disconnect()).await;
            return Err(e);
        }
        Ok(store)
    }

    /// The database this store uses.
    pub fn database(&self) -> &str {
        &self.inner.database
    }

    /// Applies pending migrations (connect already did; running again is a no-op).
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let lock_timeout = self.inner.options.migration_lock_timeout;
        let mut conn = self.conn().await?;
        within(lock_timeout + self.inner.options.operation_timeout, async {
            migrate::run(&mut conn, lock_timeout).await
        })
        .await
    }

    /// Closes every pooled connection; later operations fail as `Unavailable`.
    /// Call it on shutdown so MariaDB sees clean disconnects.
    pub async fn disconnect(&self) -> Result<(), StoreError> {
        self.inner.pool.clone().disconnect().await.map_err(map)
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        within(self.inner.options.operation_timeout, async {
            self.inner.pool.get_conn().await.map_err(map)
        })
        .await
    }

    /// Runs one operation under the operation timeout.
    async fn timed<T>(
        &self,
        op: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        within(self.inner.options.operation_timeout, op).await
    }

    fn options(&self) -> &StoreOptions {
        &self.inner.options.store
    }
}

/// Loads the demo data into the database at `url` (migrating it first): what
/// `huddle demo-data --database-url ...` runs. Idempotent.
pub async fn load_demo_data(url: &str) -> Result<(), StoreError> {
    seed(url, |store| async move {
        store.load_dataset(&demo_dataset()).await
    })
    .await
}

/// Loads a generated load-test fixture into the database at `url` (migrating it
/// first). Idempotent.
pub async fn load_fixture(url: &str, spec: &FixtureSpec) -> Result<(), StoreError> {
    let spec = *spec;
    seed(url, |store| async move { store.load_fixture(&spec).await }).await
}

async fn seed<F, Fut>(url: &str, load: F) -> Result<(), StoreError>
where
    F: FnOnce(MariaDbStore) -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let store =
        MariaDbStore::connect(url, Arc::new(SystemClock), MariaDbOptions::default()).await?;
    let loaded = load(store.clone()).await;
    let closed = store.disconnect().await;
    loaded.and(closed)
}

async fn within<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, op).await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(format!(
            "MariaDB did not answer within {limit:?}"
        )))
    })
}

async fn create_database(server: OptsBuilder, database: &str) -> Result<(), StoreError> {
    let mut conn = Conn::new(server).await.map_err(map)?;
    conn.query_drop(format!(
        "CREATE DATABASE IF NOT EXISTS `{database}` \
         CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .await
    .map_err(map)?;
    conn.disconnect().await.map_err(map)
}

#[async_trait]
impl Store for MariaDbStore {
    fn backend(&self) -> Backend {
        Backend::MariaDb
    }

    fn now(&self) -> DateTime<Utc> {
        truncate_to_millis(self.inner.clock.now())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.timed(async {
            let mut conn = self.inner.pool.get_conn().await.map_err(map)?;
            conn.query_drop("DO 1").await.map_err(map)
        })
        .await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.timed(async { directory::get_user(&mut self.conn().await?, id).await })
            .await
    }

    async fn room_access(
        &self,
        user_id: UserId,
        room: RoomRef,
    ) -> Result<Option<RoomAccessFacts>, StoreError> {
        self.timed(async { directory::room_access(&mut self.conn().await?, user_id, room).await })
            .await
    }

    async fn room_access_many(
        &self,
        pairs: &[(UserId, RoomRef)],
    ) -> Result<Vec<Option<RoomAccessFacts>>, StoreError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        self.timed(async { directory::room_access_many(&mut self.conn().await?, pairs).await })
            .await
    }

    async fn insert_messages(
        &self,
        batch: &[NewMessage],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.timed(insert::insert(self, batch)).await
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<Message>, StoreError> {
        self.timed(async {
            let mut loaded = messages::load(&mut self.conn().await?, &[id]).await?;
            Ok(loaded.remove(&id))
        })
        .await
    }

    async fn history(
        &self,
        room: RoomRef,
        cursor: HistoryCursor,
        limit: u32,
    ) -> Result<HistoryPage, StoreError> {
        let limit = self.options().clamp_limit(limit);
        self.timed(async { messages::history(&mut self.conn().await?, room, cursor, limit).await })
            .await
    }

    async fn edit_message(&self, id: MessageId, content: &str) -> Result<Message, StoreError> {
        self.options().check_content(content)?;
        let now = self.now();
        self.timed(async { messages::edit(&mut self.conn().await?, id, content, now).await })
            .await
    }

    async fn delete_message(&self, id: MessageId) -> Result<Message, StoreError> {
        let now = self.now();
        self.timed(async { messages::delete(&mut self.conn().await?, id, now).await })
            .await
    }

    async fn mark_read(
        &self,
        message_id: MessageId,
        user_id: UserId,
    ) -> Result<MarkRead, StoreError> {
        let now = self.now();
        self.timed(async {
            messages::mark_read(&mut self.conn().await?, message_id, user_id, now).await
        })
        .await
    }

    async fn message_reads(&self, message_id: MessageId) -> Result<Vec<ReadReceipt>, StoreError> {
        self.timed(async { messages::reads(&mut self.conn().await?, message_id).await })
            .await
    }

    async fn insert_file(&self, file: NewFile) -> Result<FileRecord, StoreError> {
        file.check().map_err(StoreError::Invalid)?;
        let now = self.now();
        self.timed(async { files::insert(&mut self.conn().await?, file, now).await })
            .await
    }

    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>, StoreError> {
        self.timed(async { files::get(&mut self.conn().await?, id).await })
            .await
    }

    async fn mark_file_attached(&self, id: FileId) -> Result<(), StoreError> {
        self.timed(async { files::mark_attached(&mut self.conn().await?, id).await })
            .await
    }

    async fn file_rooms(&self, id: FileId) -> Result<Vec<RoomRef>, StoreError> {
        self.timed(async { files::rooms(&mut self.conn().await?, id).await })
            .await
    }

    async fn unattached_files_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<FileRecord>, StoreError> {
        self.timed(async { files::unattached_before(&mut self.conn().await?, cutoff, limit).await })
            .await
    }

    async fn delete_file(&self, id: FileId) -> Result<(), StoreError> {
        self.timed(async { files::delete(&mut self.conn().await?, id).await })
            .await
    }

    async fn load_dataset(&self, data: &Dataset) -> Result<(), StoreError> {
        self.timed(async { directory::load_dataset(&mut self.conn().await?, data).await })
            .await
    }

    async fn load_fixture(&self, spec: &FixtureSpec) -> Result<(), StoreError> {
        // Bulk work sized by the spec (millions of rows for a big fixture): each
        // statement is bounded instead of the whole load.
        let mut conn = self.conn().await?;
        directory::load_fixture(&mut conn, spec, self.inner.options.operation_timeout * 6).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_plain_identifiers() {
        assert!(check_database_name("huddle_test_1").is_ok());
        for bad in ["", "a-b", "a`b", "x;DROP", &"a".repeat(65)] {
            assert!(check_database_name(bad).is_err(), "{bad}");
        }
    }
}
