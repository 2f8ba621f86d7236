//! `huddle-storage`: what Huddle stores and how.
//!
//! - [`model`]: the domain types, serialised as the spec's camelCase JSON (the
//!   Message model with its `sender`, `replyTo` and `file` relations, users, rooms,
//!   files, read receipts) and the access facts the chat policy decides from.
//! - [`Store`]: the async, object-safe trait the server uses as `Arc<dyn Store>`.
//! - [`MemoryStore`]: the zero-config default; [`MariaDbStore`]: pooled
//!   `mysql_async` with versioned migrations from `storage/migrations/`, applied at
//!   start-up.
//! - [`seed`]: the demo data and the generated load-test fixture, loadable into
//!   either store.
//! - [`clock`]: the injected clock every timestamp comes from.
//!
//! One contract test suite (`tests/contract.rs`) runs every behaviour against both
//! stores, MariaDB in a database of its own per test.

pub mod clock;
mod error;
pub mod mariadb;
pub mod memory;
pub mod model;
pub mod seed;
mod store;

pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use error::{Entity, StoreError};
pub use mariadb::{MariaDbOptions, MariaDbStore, load_demo_data};
pub use memory::MemoryStore;
pub use model::*;
pub use seed::{Dataset, FixtureSpec, demo_dataset};
pub use store::{Backend, Store, StoreOptions};
