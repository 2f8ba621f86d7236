//! Versioned schema migrations: the SQL files of `storage/migrations/`, embedded in
//! the binary and applied in order at start-up. Each applied version is recorded in
//! `schema_migrations` with a checksum of its text, so running them again changes
//! nothing and a released migration that was edited afterwards is refused. A
//! per-database named lock keeps two starting servers from migrating at once.

use std::time::Duration;

use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use sha2::{Digest, Sha256};

use super::errors::map;
use crate::error::StoreError;

/// One migration file.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Its version, the number the file name starts with.
    pub version: u32,
    /// Its name, the rest of the file name.
    pub name: &'static str,
    /// Its statements.
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the text (line endings normalised, so a checkout with CRLF
    /// endings does not look edited).
    pub fn checksum(&self) -> String {
        let digest = Sha256::digest(self.sql.replace('\r', "").as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Every migration, in order. New ones go at the end; released ones never change.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "directory",
        sql: include_str!("../../migrations/0001_directory.sql"),
    },
    Migration {
        version: 2,
        name: "files",
        sql: include_str!("../../migrations/0002_files.sql"),
    },
    Migration {
        version: 3,
        name: "messages",
        sql: include_str!("../../migrations/0003_messages.sql"),
    },
];

/// What a migration run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run.
    pub applied: Vec<u32>,
    /// Versions found already applied.
    pub already_applied: Vec<u32>,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(3) NOT NULL,
  PRIMARY KEY (version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci";

// Lock names are server-wide: derive one per database so that servers (and tests)
// migrating different databases do not wait for each other.
const LOCK_NAME: &str = "CONCAT('huddle_migrations_', MD5(DATABASE()))";

fn failed(m: &Migration, message: impl Into<String>) -> StoreError {
    StoreError::Migration {
        version: m.version,
        name: m.name.to_owned(),
        message: message.into(),
    }
}

/// Applies every pending migration on `conn`'s database.
pub(super) async fn run(
    conn: &mut Conn,
    lock_timeout: Duration,
) -> Result<MigrationReport, StoreError> {
    conn.query_drop(CREATE_TABLE).await.map_err(map)?;
    let locked: Option<Option<i64>> = conn
        .exec_first(
            format!("SELECT GET_LOCK({LOCK_NAME}, ?)"),
            (lock_timeout.as_secs_f64(),),
        )
        .await
        .map_err(map)?;
    if locked.flatten() != Some(1) {
        return Err(StoreError::Backend(format!(
            "another process held the migration lock for more than {lock_timeout:?}"
        )));
    }
    let outcome = apply_pending(conn).await;
    // Dropping the connection would release the lock too; releasing it now lets
    // a waiting process go on without waiting for the pool to recycle the conn.
    let released = conn
        .query_drop(format!("DO RELEASE_LOCK({LOCK_NAME})"))
        .await;
    if let Err(e) = released {
        tracing::warn!(error = %e, "could not release the migration lock");
    }
    outcome
}

async fn apply_pending(conn: &mut Conn) -> Result<MigrationReport, StoreError> {
    let recorded: Vec<(u32, String)> = conn
        .query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .await
        .map_err(map)?;
    let mut report = MigrationReport::default();
    for migration in MIGRATIONS {
        let checksum = migration.checksum();
        if let Some((_, stored)) = recorded.iter().find(|(v, _)| *v == migration.version) {
            if *stored != checksum {
                return Err(failed(
                    migration,
                    "was applied with a different text: released migrations must not \
                     change, add a new one instead",
                ));
            }
            report.already_applied.push(migration.version);
            continue;
        }
        // The statements are idempotent (IF NOT EXISTS), so a run interrupted between
        // them and the bookkeeping insert below is safe to repeat.
        conn.query_drop(migration.sql)
            .await
            .map_err(|e| failed(migration, map(e).to_string()))?;
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES (?, ?, ?, UTC_TIMESTAMP(3))",
            (migration.version, migration.name, &checksum),
        )
        .await
        .map_err(|e| failed(migration, map(e).to_string()))?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
        report.applied.push(migration.version);
    }
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some((newest, _)) = recorded.iter().rev().find(|(v, _)| *v > known) {
        tracing::warn!(
            newest,
            known,
            "the database has migrations newer than this binary knows"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_nonempty() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(m.sql.contains("CREATE TABLE IF NOT EXISTS"));
            assert_eq!(m.checksum().len(), 64);
        }
    }

    #[test]
    fn checksum_ignores_carriage_returns() {
        let unix = Migration {
            version: 9,
            name: "x",
            sql: "A;\nB;\n",
        };
        let windows = Migration {
            sql: "A;\r\nB;\r\n",
            ..unix
        };
        assert_eq!(unix.checksum(), windows.checksum());
    }
}
