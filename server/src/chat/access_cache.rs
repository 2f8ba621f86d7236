//! Access facts of recent sends, kept for a short time so a busy room does not ask the
//! database again for every commit (issue 6, "persisted").
//!
//! Every `message:send` is authorized again when it is written (`commit.rs`): access can be
//! withdrawn after a join. Reading the facts costs a database statement per commit (with ten
//! busy senders, a union of ten lookups, about a fifth of MariaDB's work per message). So the
//! facts that allowed a (user, room) pair are kept for [`WriterSettings::access_ttl`]
//! (default 1 s), and a later send of that pair within that time is decided from them. What
//! that means for a withdrawn grant or task: every send whose commit starts more than the TTL
//! after the change is refused (`ROOM_FORBIDDEN`); with a TTL of 0 every commit reads the
//! facts, so the very next send is refused.
//!
//! Only facts that allowed the send are kept: a refusal is always decided from facts read
//! then, so access given back (with a new `room:join`, always decided from fresh facts) is
//! never hidden by an old refusal. The rule itself is always the policy's (`policy.rs`),
//! applied to the facts with the sender's role.
//!
//! [`WriterSettings::access_ttl`]: super::writer::WriterSettings

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use huddle_storage::model::{RoomAccessFacts, RoomRef, UserId};

/// Entries kept before the first sweep of expired ones.
const FIRST_SWEEP_AT: usize = 1024;

/// See the module header.
#[derive(Debug)]
pub struct AccessCache {
    ttl: Duration,
    // A std mutex: held for map operations only, never across an await.
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    entries: HashMap<(UserId, RoomRef), (Instant, RoomAccessFacts)>,
    sweep_at: usize,
}

impl AccessCache {
    /// A cache keeping facts for `ttl` (zero: nothing is kept).
    pub fn new(ttl: Duration) -> Self {
        AccessCache {
            ttl,
            state: Mutex::new(State {
                entries: HashMap::new(),
                sweep_at: FIRST_SWEEP_AT,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Each critical section is one map operation or a sweep: a poisoned lock is sound.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The facts of `pair` read at most the TTL ago, if any.
    pub fn get(&self, pair: (UserId, RoomRef), now: Instant) -> Option<RoomAccessFacts> {
        if self.ttl.is_zero() {
            return None;
        }
        let state = self.lock();
        let (read_at, facts) = state.entries.get(&pair)?;
        (now.saturating_duration_since(*read_at) < self.ttl).then(|| facts.clone())
    }

    /// Keeps facts that allowed a send of `pair`, read at `read_at` (when the question was
    /// asked, so their age is never underestimated).
    pub fn put(&self, pair: (UserId, RoomRef), facts: RoomAccessFacts, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut state = self.lock();
        state.entries.insert(pair, (read_at, facts));
        if state.entries.len() >= state.sweep_at {
            let ttl = self.ttl;
            state
                .entries
                .retain(|_, (at, _)| read_at.saturating_duration_since(*at) < ttl);
            // Sweep again once the live entries have doubled: each sweep is paid for by
            // as many insertions.
            state.sweep_at = (state.entries.len() * 2).max(FIRST_SWEEP_AT);
        }
    }

    /// Pairs held (expired ones included until the next sweep).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(room: RoomRef) -> RoomAccessFacts {
        RoomAccessFacts {
            room,
            project_id: room.id,
            project_created_by: 1,
            user_has_grant: false,
            user_has_task_in_project: true,
            user_has_task_in_study: None,
        }
    }

    #[test]
    fn facts_are_served_until_they_are_as_old_as_the_ttl() {
        let cache = AccessCache::new(Duration::from_secs(1));
        let t0 = Instant::now();
        let room = RoomRef::project(1);
        assert_eq!(cache.get((3, room), t0), None);
        cache.put((3, room), facts(room), t0);
        assert_eq!(cache.get((3, room), t0), Some(facts(room)));
        let almost = t0 + Duration::from_millis(999);
        assert_eq!(cache.get((3, room), almost), Some(facts(room)));
        assert_eq!(cache.get((3, room), t0 + Duration::from_secs(1)), None);
        assert_eq!(cache.get((4, room), t0), None, "another user");
        assert_eq!(cache.get((3, RoomRef::study(1)), t0), None, "another room");
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = AccessCache::new(Duration::ZERO);
        let t0 = Instant::now();
        cache.put((3, RoomRef::project(1)), facts(RoomRef::project(1)), t0);
        assert!(cache.is_empty());
        assert_eq!(cache.get((3, RoomRef::project(1)), t0), None);
    }

    #[test]
    fn expired_entries_are_swept_as_the_cache_grows() {
        let cache = AccessCache::new(Duration::from_secs(1));
        let t0 = Instant::now();
        for user in 0..FIRST_SWEEP_AT as u64 - 1 {
            cache.put((user, RoomRef::project(1)), facts(RoomRef::project(1)), t0);
        }
        assert_eq!(cache.len(), FIRST_SWEEP_AT - 1);
        let later = t0 + Duration::from_secs(2);
        cache.put(
            (9_999, RoomRef::project(1)),
            facts(RoomRef::project(1)),
            later,
        );
        assert_eq!(cache.len(), 1, "only the live entry is left");
    }
}
