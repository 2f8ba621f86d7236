//! The chat layer's injectable wall clock.
//!
//! Every time the chat decides from — a token's `exp`, the rate limiter's refill, the
//! 24-hour edit/delete window measured from a message's stored `createdAt` — comes from the
//! same [`Clock`] the store stamps `createdAt`, `editedAt`, `deletedAt` and `readAt` with, so
//! tests move time explicitly instead of sleeping, and an end-to-end test can age messages
//! past the window with an [`OffsetClock`].
//!
//! The clock types are the storage crate's (one definition for both layers); this module adds
//! the shared handle and the helpers the chat needs.

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use huddle_storage::clock::{Clock, ManualClock, OffsetClock, SystemClock, truncate_to_millis};

/// A clock shared by the store and every part of the chat layer.
pub type SharedClock = Arc<dyn Clock>;

/// "Now" as the chat compares it with stored times: whole milliseconds, like the stores keep.
pub fn now(clock: &dyn Clock) -> DateTime<Utc> {
    truncate_to_millis(clock.now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn now_is_whole_milliseconds_of_the_given_clock() {
        let start = Utc
            .timestamp_opt(1_900_000_000, 123_456_789)
            .single()
            .unwrap();
        let clock = ManualClock::new(start);
        let t = now(&clock);
        assert_eq!(t.timestamp(), 1_900_000_000);
        assert_eq!(t.timestamp_subsec_nanos(), 123_000_000);
        clock.advance(Duration::hours(25));
        assert_eq!(now(&clock) - t, Duration::hours(25));
    }
}
