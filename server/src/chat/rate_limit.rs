//! The per-user `message:send` rate limit (spec: "Security Considerations" 1, "10 messages per
//! minute"; issue 4 item 7).
//!
//! A token bucket per user, refilled evenly: with the default of 10 per minute a full bucket
//! lets a burst of 10 through, the 11th is refused, and one token comes back every 6 seconds.
//! A refused attempt consumes nothing. The bucket is `governor`'s keyed GCRA limiter (GCRA is
//! the token bucket expressed as one "theoretical arrival time" per key), driven by the chat's
//! injectable clock so tests move time instead of sleeping.
//!
//! Memory: one small entry per user who sent recently; entries whose bucket is full again are
//! dropped every [`SWEEP_EVERY`] checks.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::clock::SharedClock;
use super::errors::{ChatError, ErrorCode};
use huddle_storage::model::UserId;

/// How many checks between sweeps of idle entries.
pub const SWEEP_EVERY: u64 = 1024;

/// The rate limit settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Sends allowed per minute, refilled evenly (default 10).
    pub per_minute: NonZeroU32,
    /// How many may be sent at once from a full bucket (default: `per_minute`).
    pub burst: NonZeroU32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        let ten = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
        RateLimitSettings {
            per_minute: ten,
            burst: ten,
        }
    }
}

impl RateLimitSettings {
    /// `per_minute` per minute, with a burst of the same size.
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        RateLimitSettings {
            per_minute,
            burst: per_minute,
        }
    }
}

/// Adapts the chat clock to `governor`'s clock trait (its instants are `SystemTime`s).
#[derive(Clone)]
struct ChatClock(SharedClock);

impl GovernorClock for ChatClock {
    type Instant = SystemTime;

    fn now(&self) -> SystemTime {
        SystemTime::from(self.0.now())
    }
}

type Limiter =
    RateLimiter<UserId, DefaultKeyedStateStore<UserId>, ChatClock, NoOpMiddleware<SystemTime>>;

/// The per-user limiter for `message:send`.
pub struct SendRateLimiter {
    limiter: Limiter,
    clock: ChatClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for SendRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendRateLimiter")
            .field("users", &self.limiter.len())
            .finish()
    }
}

impl SendRateLimiter {
    /// A limiter with these settings, reading time from `clock`.
    pub fn new(settings: RateLimitSettings, clock: SharedClock) -> Self {
        let period = Duration::from_secs(60) / settings.per_minute.get();
        // `with_period` only fails for a zero period, which 60 s / u32 cannot be; fall back to
        // the per-minute constructor rather than panic.
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_minute(settings.per_minute))
            .allow_burst(settings.burst);
        let clock = ChatClock(clock);
        SendRateLimiter {
            limiter: RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone()),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one token for `user`, or says how long until one is back (nothing is consumed then).
    pub fn check(&self, user: UserId) -> Result<(), ChatError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&user).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Round up: "retry in 0 s" would be wrong while the bucket is still empty.
            let secs = wait.as_millis().div_ceil(1000).max(1);
            ChatError::new(
                ErrorCode::RateLimited,
                format!("too many messages: retry in {secs} s"),
            )
        })
    }

    /// How many users currently have an entry (for tests and metrics).
    pub fn tracked_users(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::clock::ManualClock;
    use chrono::{TimeZone, Utc};
    use std::sync::Arc;

    fn setup(per_minute: u32) -> (Arc<ManualClock>, SendRateLimiter) {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        ));
        let limiter = SendRateLimiter::new(
            RateLimitSettings::per_minute(NonZeroU32::new(per_minute).unwrap()),
            clock.clone(),
        );
        (clock, limiter)
    }

    #[test]
    fn default_is_ten_per_minute_with_a_burst_of_ten() {
        let s = RateLimitSettings::default();
        assert_eq!((s.per_minute.get(), s.burst.get()), (10, 10));
    }

    #[test]
    fn a_burst_of_ten_passes_and_the_eleventh_is_refused() {
        let (_, l) = setup(10);
        for i in 0..10 {
            assert!(l.check(1).is_ok(), "send {i}");
        }
        let err = l.check(1).unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.message, "too many messages: retry in 6 s");
    }

    #[test]
    fn tokens_come_back_evenly() {
        let (clock, l) = setup(10);
        for _ in 0..10 {
            l.check(1).unwrap();
        }
        clock.advance(chrono::Duration::milliseconds(5_999));
        assert!(l.check(1).is_err());
        clock.advance(chrono::Duration::milliseconds(1));
        assert!(l.check(1).is_ok(), "one token after 6 s");
        assert!(l.check(1).is_err(), "only one");
        clock.advance(chrono::Duration::seconds(60));
        for i in 0..10 {
            assert!(l.check(1).is_ok(), "refilled send {i}");
        }
        assert!(
            l.check(1).is_err(),
            "the bucket holds no more than the burst"
        );
    }

    #[test]
    fn refused_attempts_consume_nothing() {
        let (clock, l) = setup(10);
        for _ in 0..10 {
            l.check(1).unwrap();
        }
        for _ in 0..100 {
            assert!(l.check(1).is_err());
        }
        clock.advance(chrono::Duration::seconds(6));
        assert!(
            l.check(1).is_ok(),
            "hammering while empty did not delay the refill"
        );
    }

    #[test]
    fn users_have_their_own_buckets() {
        let (_, l) = setup(10);
        for _ in 0..10 {
            l.check(1).unwrap();
        }
        assert!(l.check(1).is_err());
        assert!(l.check(2).is_ok());
    }

    #[test]
    fn the_limit_is_configurable() {
        let (_, l) = setup(3);
        for _ in 0..3 {
            l.check(1).unwrap();
        }
        let err = l.check(1).unwrap_err();
        assert_eq!(err.message, "too many messages: retry in 20 s");
    }

    #[test]
    fn idle_entries_are_swept() {
        let (clock, l) = setup(10);
        for user in 1..=50 {
            l.check(user).unwrap();
        }
        assert_eq!(l.tracked_users(), 50);
        clock.advance(chrono::Duration::minutes(2));
        for _ in 0..SWEEP_EVERY {
            l.check(1000).unwrap_or(());
            clock.advance(chrono::Duration::seconds(6));
        }
        assert!(
            l.tracked_users() <= 1,
            "idle users dropped: {}",
            l.tracked_users()
        );
    }
}
