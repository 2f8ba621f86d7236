//! How `mysql_async` failures become [`StoreError`]s: anything that means "the
//! database cannot be reached right now" is `Unavailable` (the chat layer's
//! `DB_UNAVAILABLE`); the server codes the store reacts to are named here.

use mysql_async::{DriverError, Error};

use crate::error::StoreError;

/// Duplicate key (a unique index refused the row).
pub(super) const ER_DUP_ENTRY: u16 = 1062;
/// A foreign key refused the row: it refers to a missing parent.
pub(super) const ER_NO_REFERENCED_ROW: u16 = 1452;
/// A foreign key refused a delete: a child row refers to it.
pub(super) const ER_ROW_IS_REFERENCED: u16 = 1451;
/// The transaction was chosen as a deadlock victim; retrying it is safe.
pub(super) const ER_LOCK_DEADLOCK: u16 = 1213;
/// A table does not exist (used to explain a missing SEQUENCE engine).
pub(super) const ER_NO_SUCH_TABLE: u16 = 1146;

/// Server errors that mean the server is going away or refusing connections.
const UNAVAILABLE_SERVER_CODES: &[u16] = &[
    1040, // ER_CON_COUNT_ERROR: too many connections
    1053, // ER_SERVER_SHUTDOWN
    1077, // ER_NORMAL_SHUTDOWN
    1079, // ER_SHUTDOWN_COMPLETE
    1152, // ER_ABORTING_CONNECTION
    1158, // ER_NET_READ_ERROR
    1159, // ER_NET_READ_INTERRUPTED
    1160, // ER_NET_ERROR_ON_WRITE
    1161, // ER_NET_WRITE_INTERRUPTED
    1927, // ER_CONNECTION_KILLED
];

/// The server error code, if the failure is a server error.
pub(super) fn server_code(e: &Error) -> Option<u16> {
    match e {
        Error::Server(s) => Some(s.code),
        _ => None,
    }
}

/// Maps a driver failure to the store's error.
pub(super) fn map(e: Error) -> StoreError {
    match &e {
        Error::Io(_) => StoreError::Unavailable(e.to_string()),
        Error::Driver(DriverError::ConnectionClosed | DriverError::PoolDisconnected) => {
            StoreError::Unavailable(e.to_string())
        }
        Error::Server(s) if UNAVAILABLE_SERVER_CODES.contains(&s.code) => {
            StoreError::Unavailable(format!("MariaDB error {}: {}", s.code, s.message))
        }
        Error::Server(s) => StoreError::Backend(format!("MariaDB error {}: {}", s.code, s.message)),
        Error::Url(_) => StoreError::Invalid(format!("bad database URL: {e}")),
        Error::Driver(_) | Error::Other(_) => StoreError::Backend(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable() {
        let io = Error::Io(mysql_async::IoError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert!(map(io).is_unavailable());
        assert!(map(Error::Driver(DriverError::ConnectionClosed)).is_unavailable());
        assert!(map(Error::Driver(DriverError::PoolDisconnected)).is_unavailable());
    }

    #[test]
    fn other_driver_failures_are_backend_errors() {
        assert!(matches!(
            map(Error::Driver(DriverError::PacketTooLarge)),
            StoreError::Backend(_)
        ));
    }
}
