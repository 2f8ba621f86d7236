//! `huddle-storage`: domain types, the `Store` trait and its two implementations.
