//! The store's typed errors. The chat layer maps them to its client error codes:
//! [`StoreError::Unavailable`] to `DB_UNAVAILABLE`, [`StoreError::NotFound`] to a
//! not-found code, and so on; nothing here is a panic.

use std::fmt;

/// What kind of record was missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    User,
    Message,
    File,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::User => "user",
            Entity::Message => "message",
            Entity::File => "file",
        })
    }
}

/// A store operation that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (refused, closed, timed out, shutting down).
    /// Transient: the pool reconnects by itself once the database is back.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The record does not exist.
    #[error("{entity} {id} not found")]
    NotFound { entity: Entity, id: u64 },
    /// The message is soft-deleted and can be neither edited nor deleted again.
    #[error("message {0} is deleted")]
    MessageDeleted(u64),
    /// The file is carried by a message and cannot be removed.
    #[error("file {0} is attached to a message")]
    FileAttached(u64),
    /// The input breaks a rule of the store (a column limit, a dangling reference in
    /// a dataset, a malformed fixture spec, a bad database URL).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A schema migration could not be applied or does not match what was applied.
    #[error("migration {version} ({name}): {message}")]
    Migration {
        version: u32,
        name: String,
        message: String,
    },
    /// Any other database failure (a bug or an unexpected server state).
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether the failure is the database being unreachable (worth a retry later).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    pub(crate) fn not_found(entity: Entity, id: u64) -> Self {
        StoreError::NotFound { entity, id }
    }
}
