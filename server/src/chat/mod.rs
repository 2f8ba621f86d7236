//! The Task Tracker chat on the `/` namespace (spec: every event of "Event Definitions";
//! issue 4 items 3-8 and 10).
//!
//! One module per job:
//! - [`errors`]: the one list of client-facing error codes;
//! - [`clock`]: the injectable wall clock;
//! - [`auth`]: JWT verification and minting;
//! - [`policy`]: the access rules table;
//! - [`validate`] and [`sanitize`]: payloads into typed requests, message text cleaning;
//! - [`rate_limit`]: the per-user `message:send` token bucket;
//! - [`typing_state`]: who is typing, with the 3-second auto-stop.

pub mod auth;
pub mod clock;
pub mod errors;
pub mod policy;
pub mod rate_limit;
pub mod sanitize;
pub mod typing_state;
pub mod validate;
