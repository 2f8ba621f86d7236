//! Where the stores get "now" from.
//!
//! Both stores stamp `created_at`, `updated_at`, `edited_at`, `deleted_at`, `read_at`
//! and file `created_at` from an injected [`Clock`], never from the database's own
//! `NOW()`. That keeps the 24-hour edit/delete rule of the spec decidable from the
//! stored `created_at` while tests (and the server's test mode) move time explicitly
//! instead of sleeping. Every instant is truncated to whole milliseconds because the
//! MariaDB columns are `DATETIME(3)` and JSON dates are ISO-8601 with milliseconds:
//! what a store returns is exactly what it stored.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};

/// A source of the current time, shared by a store and the chat layer.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant (any precision; stores truncate it to milliseconds).
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates an instant to whole milliseconds (the precision the stores keep).
pub fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    // `duration_trunc` only fails for out-of-range instants, which no clock produces;
    // fall back to the input rather than panic.
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests of time-based rules.
#[derive(Debug)]
pub struct ManualClock {
    // A std mutex: held only to copy or replace one value, never across an await.
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Sets the current instant.
    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    /// Moves the clock forward (or backward, for a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The wall clock shifted by an adjustable offset: lets an end-to-end test against a
/// running server age its messages past the 24-hour window without waiting.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    /// A clock equal to the wall clock until an offset is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the offset added to the wall clock.
    pub fn set_offset(&self, offset: Duration) {
        self.offset_ms
            .store(offset.num_milliseconds(), Ordering::Relaxed);
    }

    /// Adds to the current offset.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }

    /// The current offset.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn truncation_drops_sub_millisecond_digits() {
        let t = Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .unwrap();
        let truncated = truncate_to_millis(t);
        assert_eq!(truncated.timestamp_subsec_nanos(), 123_000_000);
        assert_eq!(truncated.timestamp(), 1_700_000_000);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(25));
        assert_eq!(clock.now(), start + Duration::hours(25));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn offset_clock_adds_its_offset() {
        let clock = OffsetClock::new();
        clock.set_offset(Duration::hours(24));
        clock.advance(Duration::hours(1));
        assert_eq!(clock.offset(), Duration::hours(25));
        let lag = clock.now() - Utc::now();
        assert!(lag > Duration::hours(24) && lag <= Duration::hours(25));
    }
}
