//! Who is typing where, and when that stops by itself (spec: "Typing Indicator Timeout:
//! Auto-stop typing indicators after 3 seconds"; issue 4 item 6).
//!
//! One entry per (room, user). A `typing:start` creates it ([`StartOutcome::Started`]: the
//! caller broadcasts `typing:started` and spawns the expiry watcher) or pushes its deadline
//! back ([`StartOutcome::Extended`]: nothing is broadcast). `typing:stop`, a leave or a
//! disconnect remove it; a start not renewed within the timeout is removed by the watcher,
//! which then reports it so the caller broadcasts `typing:stopped`.
//!
//! Each entry carries a generation number, so a watcher of an entry that was stopped and
//! started again never ends the newer one. Time is tokio's, so tests use
//! `tokio::time::pause` and `advance` instead of sleeping.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use huddle_storage::model::{RoomRef, UserId};

/// The default auto-stop delay.
pub const DEFAULT_TYPING_TIMEOUT: Duration = Duration::from_secs(3);

/// What a `typing:start` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOutcome {
    /// The user was not typing: broadcast `typing:started`, watch generation `.0`.
    Started(u64),
    /// The user was typing already: the deadline moved, nothing to broadcast.
    Extended,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    deadline: Instant,
    generation: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<(RoomRef, UserId), Entry>,
    next_generation: u64,
}

/// The typing table.
#[derive(Debug)]
pub struct TypingTracker {
    // A std mutex: held for one map operation, never across an await.
    inner: Mutex<Inner>,
    timeout: Duration,
}

impl TypingTracker {
    /// A tracker whose entries stop after `timeout` without renewal.
    pub fn new(timeout: Duration) -> Self {
        TypingTracker {
            inner: Mutex::new(Inner::default()),
            timeout,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a `typing:start` at `now`.
    pub fn start(&self, room: RoomRef, user: UserId, now: Instant) -> StartOutcome {
        let deadline = now + self.timeout;
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(&(room, user)) {
            entry.deadline = deadline;
            return StartOutcome::Extended;
        }
        inner.next_generation += 1;
        let generation = inner.next_generation;
        inner.entries.insert(
            (room, user),
            Entry {
                deadline,
                generation,
            },
        );
        StartOutcome::Started(generation)
    }

    /// Ends the user's typing in the room; true if they were typing (broadcast `typing:stopped`).
    pub fn stop(&self, room: RoomRef, user: UserId) -> bool {
        self.lock().entries.remove(&(room, user)).is_some()
    }

    /// Whether the user is typing in the room.
    pub fn is_typing(&self, room: RoomRef, user: UserId) -> bool {
        self.lock().entries.contains_key(&(room, user))
    }

    /// How many (room, user) pairs are typing.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nobody is typing anywhere.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The watcher's step: removes the entry of `generation` if its deadline has passed.
    fn poll_expiry(&self, room: RoomRef, user: UserId, generation: u64, now: Instant) -> Expiry {
        let mut inner = self.lock();
        match inner.entries.get(&(room, user)) {
            Some(e) if e.generation != generation => Expiry::Gone,
            None => Expiry::Gone,
            Some(e) if e.deadline <= now => {
                inner.entries.remove(&(room, user));
                Expiry::Expired
            }
            Some(e) => Expiry::NotYet(e.deadline),
        }
    }

    /// Waits until the entry of `generation` expires (returns true: broadcast `typing:stopped`)
    /// or is ended another way (returns false: whoever ended it broadcast already).
    /// Spawn it right after a [`StartOutcome::Started`].
    pub fn watch(
        self: &Arc<Self>,
        room: RoomRef,
        user: UserId,
        generation: u64,
    ) -> impl Future<Output = bool> + Send + 'static {
        let this = Arc::clone(self);
        // Read the deadline now, not at the first poll: a spawned task may first run later.
        let first = self
            .lock()
            .entries
            .get(&(room, user))
            .filter(|e| e.generation == generation)
            .map(|e| e.deadline);
        async move {
            let Some(mut wake) = first else {
                return false;
            };
            loop {
                tokio::time::sleep_until(wake).await;
                match this.poll_expiry(room, user, generation, Instant::now()) {
                    Expiry::Expired => return true,
                    Expiry::Gone => return false,
                    Expiry::NotYet(deadline) => wake = deadline,
                }
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Expiry {
    Expired,
    Gone,
    NotYet(Instant),
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: RoomRef = RoomRef {
        kind: huddle_storage::model::RoomType::Project,
        id: 1,
    };

    #[tokio::test(start_paused = true)]
    async fn a_start_not_renewed_stops_after_three_seconds() {
        let t = Arc::new(TypingTracker::new(DEFAULT_TYPING_TIMEOUT));
        let StartOutcome::Started(g) = t.start(ROOM, 3, Instant::now()) else {
            panic!("first start must start");
        };
        let watcher = tokio::spawn(t.watch(ROOM, 3, g));
        tokio::time::advance(Duration::from_millis(2_999)).await;
        tokio::task::yield_now().await;
        assert!(t.is_typing(ROOM, 3));
        assert!(!watcher.is_finished());
        assert!(watcher.await.unwrap(), "expired by itself");
        assert!(!t.is_typing(ROOM, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_start_extends_without_a_new_started() {
        let t = Arc::new(TypingTracker::new(DEFAULT_TYPING_TIMEOUT));
        let start = Instant::now();
        let StartOutcome::Started(g) = t.start(ROOM, 3, start) else {
            panic!("first start must start");
        };
        let watcher = tokio::spawn(t.watch(ROOM, 3, g));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(t.start(ROOM, 3, Instant::now()), StartOutcome::Extended);
        assert!(watcher.await.unwrap());
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(5),
            "stopped 3 s after the last start"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_explicit_stop_ends_the_watcher_quietly() {
        let t = Arc::new(TypingTracker::new(DEFAULT_TYPING_TIMEOUT));
        let StartOutcome::Started(g) = t.start(ROOM, 3, Instant::now()) else {
            panic!("first start must start");
        };
        let watcher = tokio::spawn(t.watch(ROOM, 3, g));
        assert!(t.stop(ROOM, 3));
        assert!(!t.stop(ROOM, 3), "a second stop is a no-op");
        assert!(
            !watcher.await.unwrap(),
            "the stopper broadcast, not the watcher"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_old_watcher_never_ends_a_newer_start() {
        let t = Arc::new(TypingTracker::new(DEFAULT_TYPING_TIMEOUT));
        let StartOutcome::Started(g1) = t.start(ROOM, 3, Instant::now()) else {
            panic!();
        };
        let old = tokio::spawn(t.watch(ROOM, 3, g1));
        tokio::time::advance(Duration::from_secs(1)).await;
        t.stop(ROOM, 3);
        let StartOutcome::Started(g2) = t.start(ROOM, 3, Instant::now()) else {
            panic!("a start after a stop starts again");
        };
        assert_ne!(g1, g2);
        let new = tokio::spawn(t.watch(ROOM, 3, g2));
        assert!(!old.await.unwrap());
        assert!(
            t.is_typing(ROOM, 3),
            "the old watcher left the new entry alone"
        );
        assert!(new.await.unwrap());
        assert!(t.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn users_and_rooms_are_independent() {
        let t = TypingTracker::new(DEFAULT_TYPING_TIMEOUT);
        let other = RoomRef::study(1);
        assert!(matches!(
            t.start(ROOM, 3, Instant::now()),
            StartOutcome::Started(_)
        ));
        assert!(matches!(
            t.start(ROOM, 4, Instant::now()),
            StartOutcome::Started(_)
        ));
        assert!(matches!(
            t.start(other, 3, Instant::now()),
            StartOutcome::Started(_)
        ));
        assert_eq!(t.len(), 3);
        t.stop(ROOM, 3);
        assert!(t.is_typing(other, 3) && t.is_typing(ROOM, 4));
    }
}
