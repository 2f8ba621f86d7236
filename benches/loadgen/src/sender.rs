//! One sending client's side of the load: when its next message is due (by its
//! [`Pace`]), what it carries, and what it waits for. Drivers own a `Sender` next to
//! their connection and select on [`Sender::due`] together with the socket.

use std::collections::VecDeque;
use std::future::pending;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::marker::Marker;
use crate::pace::{Pace, rate_interval};
use crate::shared::{Phase, Shared};

/// Most sends remembered for matching acks (beyond it the oldest are forgotten).
const MAX_PENDING_ACKS: usize = 4096;

/// What a one-in-flight sender waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaiting {
    Ack(u64),
    Echo(u64),
}

/// A sending client.
pub struct Sender {
    /// Its sender index (its client index).
    pub index: u32,
    /// Its room's index and project id.
    pub room: usize,
    pub room_id: u64,
    pace: Pace,
    content_bytes: usize,
    max_in_flight: u64,
    seq: u64,
    awaiting: Option<Awaiting>,
    /// (ack id, send time) of sends whose ack has not come.
    pending_acks: VecDeque<(u64, u64)>,
    /// Senders sharing a `rate:D` (the interval is computed at the first tick, once
    /// the room size is fixed).
    senders_total: usize,
    interval: Duration,
    next_due: Option<Instant>,
    content: String,
}

/// A message ready to go.
pub struct Outgoing<'a> {
    /// Its content (marker and padding).
    pub content: &'a str,
    /// Its send time on the run's clock.
    pub sent_us: u64,
}

impl Sender {
    /// Sender `index` sending to room index `room` (project `room_id`).
    pub fn new(
        index: u32,
        room: usize,
        room_id: u64,
        pace: Pace,
        content_bytes: usize,
        max_in_flight: u64,
        senders_total: usize,
    ) -> Self {
        Self {
            index,
            room,
            room_id,
            pace,
            content_bytes,
            max_in_flight,
            seq: 0,
            awaiting: None,
            pending_acks: VecDeque::new(),
            senders_total,
            interval: Duration::ZERO,
            next_due: None,
            content: String::with_capacity(content_bytes),
        }
    }

    /// Completes when the next message may be sent. Never completes outside the
    /// sending phases.
    pub async fn due(&mut self, shared: &Shared, phases: &mut watch::Receiver<Phase>) {
        loop {
            let phase = *phases.borrow_and_update();
            if !phase.sending() {
                if phase >= Phase::Drain || phases.changed().await.is_err() {
                    pending::<()>().await;
                }
                continue;
            }
            match self.pace {
                Pace::Ack | Pace::Echo => {
                    if self.awaiting.is_none() {
                        return;
                    }
                    // The driver clears `awaiting` when the ack or echo arrives and
                    // then asks again.
                    tokio::select! {
                        _ = pending::<()>() => {}
                        r = phases.changed() => if r.is_err() { pending::<()>().await },
                    }
                }
                Pace::Window(_) => {
                    let me = &shared.senders[self.index as usize];
                    if me.outstanding.load(Ordering::Acquire)
                        <= me.threshold.load(Ordering::Acquire)
                    {
                        return;
                    }
                    tokio::select! {
                        _ = me.notify.notified() => {}
                        r = phases.changed() => if r.is_err() { pending::<()>().await },
                    }
                }
                Pace::Rate(d) => {
                    if self.interval.is_zero() {
                        let size = shared.senders[self.index as usize]
                            .room_size
                            .load(Ordering::Acquire);
                        self.interval = rate_interval(d, self.senders_total, size as usize);
                    }
                    let now = Instant::now();
                    let due = *self.next_due.get_or_insert(now);
                    if due <= now {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep_until(due) => {}
                        r = phases.changed() => if r.is_err() { pending::<()>().await },
                    }
                }
            }
        }
    }

    /// The next message, or `None` when a `rate:D` tick is skipped because too many
    /// messages are still in flight. Counts its deliveries as outstanding before it
    /// is written, so receivers never count below zero.
    pub fn next_message(&mut self, shared: &Shared) -> Option<Outgoing<'_>> {
        let me = &shared.senders[self.index as usize];
        let size = i64::from(me.room_size.load(Ordering::Acquire));
        if let Pace::Rate(_) = self.pace {
            let now = Instant::now();
            let mut next = self.next_due.unwrap_or(now) + self.interval;
            // Do not try to catch up on more than a second of missed ticks.
            if next + Duration::from_secs(1) < now {
                next = now;
            }
            self.next_due = Some(next);
            let in_flight = me.outstanding.load(Ordering::Acquire) / size.max(1);
            if in_flight >= self.max_in_flight as i64 {
                return None;
            }
        }
        me.outstanding.fetch_add(size, Ordering::AcqRel);
        let sent_us = shared.now_us();
        let marker = Marker {
            run: shared.run,
            sender: self.index,
            seq: self.seq,
            sent_us,
        };
        marker.write(self.content_bytes, &mut self.content);
        self.awaiting = match self.pace {
            Pace::Echo => Some(Awaiting::Echo(self.seq)),
            _ => None,
        };
        self.seq += 1;
        Some(Outgoing {
            content: &self.content,
            sent_us,
        })
    }

    /// The message just written got ack id `ack` (Socket.IO).
    pub fn sent_with_ack(&mut self, ack: u64, sent_us: u64) {
        if self.pace == Pace::Ack {
            self.awaiting = Some(Awaiting::Ack(ack));
        }
        if self.pending_acks.len() == MAX_PENDING_ACKS {
            self.pending_acks.pop_front();
        }
        self.pending_acks.push_back((ack, sent_us));
    }

    /// An ack arrived; returns the matching send time.
    pub fn acked(&mut self, ack: u64) -> Option<u64> {
        if self.awaiting == Some(Awaiting::Ack(ack)) {
            self.awaiting = None;
        }
        // Acks come back in order: drop what was overtaken, take the match.
        while let Some(&(id, sent)) = self.pending_acks.front() {
            if id > ack {
                return None;
            }
            self.pending_acks.pop_front();
            if id == ack {
                return Some(sent);
            }
        }
        None
    }

    /// The sender received its own message `seq`.
    pub fn echoed(&mut self, seq: u64) {
        if self.awaiting == Some(Awaiting::Echo(seq)) {
            self.awaiting = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(shared: &Shared, room: usize, members: u32, pace: Pace) {
        shared.room_members[room].store(members, Ordering::Release);
        shared.fix_sender(0, room, pace);
    }

    async fn is_due(s: &mut Sender, shared: &Shared, rx: &mut watch::Receiver<Phase>) -> bool {
        tokio::time::timeout(Duration::from_millis(5), s.due(shared, rx))
            .await
            .is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn ack_pace_waits_for_the_ack() {
        let shared = Shared::new(9, 1, 1);
        ready(&shared, 0, 3, Pace::Ack);
        let mut rx = shared.phases();
        let mut s = Sender::new(0, 0, 1, Pace::Ack, 48, 10, 1);
        assert!(
            !is_due(&mut s, &shared, &mut rx).await,
            "not while connecting"
        );
        shared.set_phase(Phase::Warmup);
        assert!(is_due(&mut s, &shared, &mut rx).await);
        let out = s.next_message(&shared).unwrap();
        assert!(out.content.starts_with("lg 9 0 0 "));
        let sent = out.sent_us;
        s.sent_with_ack(0, sent);
        assert_eq!(shared.outstanding(), 3);
        assert!(!is_due(&mut s, &shared, &mut rx).await);
        assert_eq!(s.acked(0), Some(sent));
        assert!(is_due(&mut s, &shared, &mut rx).await);
        shared.set_phase(Phase::Drain);
        assert!(
            !is_due(&mut s, &shared, &mut rx).await,
            "never after the sending phases"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn echo_pace_waits_for_its_own_copy() {
        let shared = Shared::new(1, 1, 1);
        ready(&shared, 0, 2, Pace::Echo);
        shared.set_phase(Phase::Measure);
        let mut rx = shared.phases();
        let mut s = Sender::new(0, 0, 1, Pace::Echo, 48, 10, 1);
        s.next_message(&shared).unwrap();
        assert!(!is_due(&mut s, &shared, &mut rx).await);
        s.echoed(5);
        assert!(
            !is_due(&mut s, &shared, &mut rx).await,
            "another seq does not count"
        );
        s.echoed(0);
        assert!(is_due(&mut s, &shared, &mut rx).await);
    }

    #[tokio::test(start_paused = true)]
    async fn window_pace_waits_for_deliveries() {
        let shared = Shared::new(1, 1, 1);
        ready(&shared, 0, 4, Pace::Window(2));
        shared.set_phase(Phase::Measure);
        let mut rx = shared.phases();
        let mut s = Sender::new(0, 0, 1, Pace::Window(2), 48, 10, 1);
        s.next_message(&shared).unwrap();
        assert!(
            is_due(&mut s, &shared, &mut rx).await,
            "one of two in flight"
        );
        s.next_message(&shared).unwrap();
        assert!(!is_due(&mut s, &shared, &mut rx).await);
        for _ in 0..3 {
            shared.delivered(0);
        }
        assert!(!is_due(&mut s, &shared, &mut rx).await);
        shared.delivered(0);
        assert!(is_due(&mut s, &shared, &mut rx).await);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_pace_ticks_and_sheds_when_too_much_is_in_flight() {
        let shared = Shared::new(1, 1, 1);
        ready(&shared, 0, 10, Pace::Rate(1000.0));
        shared.set_phase(Phase::Measure);
        let mut rx = shared.phases();
        // 1,000 deliveries/s in rooms of 10: 100 messages/s, every 10 ms.
        let mut s = Sender::new(0, 0, 1, Pace::Rate(1000.0), 48, 2, 1);
        assert!(is_due(&mut s, &shared, &mut rx).await);
        assert!(s.next_message(&shared).is_some());
        assert!(!is_due(&mut s, &shared, &mut rx).await, "5 ms: not yet");
        tokio::time::advance(Duration::from_millis(6)).await;
        assert!(is_due(&mut s, &shared, &mut rx).await);
        assert!(s.next_message(&shared).is_some());
        tokio::time::advance(Duration::from_millis(10)).await;
        assert!(s.next_message(&shared).is_none(), "two in flight: skipped");
        assert_eq!(shared.outstanding(), 20);
    }

    #[test]
    fn acks_match_in_order() {
        let mut s = Sender::new(0, 0, 1, Pace::Window(4), 48, 10, 1);
        s.sent_with_ack(0, 10);
        s.sent_with_ack(1, 20);
        s.sent_with_ack(2, 30);
        assert_eq!(s.acked(1), Some(20), "0 was overtaken");
        assert_eq!(s.acked(0), None);
        assert_eq!(s.acked(2), Some(30));
        assert_eq!(s.acked(3), None);
    }
}
