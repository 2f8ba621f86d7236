//! State shared by every client of one run.
//!
//! - The run's clock: one `Instant`, so send times in markers and receive times
//!   agree without synchronised clocks.
//! - The phase (connecting → warm-up → measurement → drain → done), read on every
//!   delivery from an atomic and awaited through a `watch` channel by waiting senders.
//! - Room sizes: the members of each room that became ready, fixed before the first
//!   send, so each sent message is expected to be delivered that many times.
//! - Per sender, the deliveries of its messages still outstanding: receivers count
//!   them down, which paces `window:N` senders and tells the drain when everything
//!   sent has arrived.
//! - Latency histograms, sharded so clients on different threads rarely meet on a
//!   lock (a histogram per client would cost over 100 KB each).

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::{Notify, watch};

use crate::pace::Pace;

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Phase {
    /// Clients are connecting and joining; nobody sends.
    Connecting = 0,
    /// Senders send; nothing is counted in the figures yet.
    Warmup = 1,
    /// Senders send; deliveries and latencies are counted.
    Measure = 2,
    /// Nobody sends; deliveries still in flight arrive.
    Drain = 3,
    /// Clients stop.
    Done = 4,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            0 => Phase::Connecting,
            1 => Phase::Warmup,
            2 => Phase::Measure,
            3 => Phase::Drain,
            _ => Phase::Done,
        }
    }

    /// Whether senders may send.
    pub fn sending(self) -> bool {
        matches!(self, Phase::Warmup | Phase::Measure)
    }
}

/// Highest latency recorded, in microseconds (a minute); anything slower is clamped.
pub const MAX_LATENCY_US: u64 = 60_000_000;
const SHARDS: usize = 16;

/// One sender's shared counters.
pub struct SenderShared {
    /// Deliveries of its messages not received yet (sent × room size − received).
    pub outstanding: AtomicI64,
    /// Members of its room, fixed when the run starts sending.
    pub room_size: AtomicU32,
    /// The window, in deliveries: `window:N` waits while `outstanding` is above it.
    pub threshold: AtomicI64,
    /// Woken when `outstanding` falls to the threshold.
    pub notify: Notify,
}

/// Everything the clients of one run share.
pub struct Shared {
    /// The run's clock.
    pub start: Instant,
    /// The run's tag (in every marker).
    pub run: u32,
    phase: AtomicU8,
    phase_tx: watch::Sender<Phase>,
    /// Ready members per room index.
    pub room_members: Vec<AtomicU32>,
    /// Clients whose connection attempt is over (ready or failed).
    pub settled: AtomicUsize,
    /// Per sender index.
    pub senders: Vec<SenderShared>,
    latency: Vec<Mutex<Histogram<u64>>>,
    ack_latency: Mutex<Histogram<u64>>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant bounds are valid")
}

impl Shared {
    /// State for `rooms` rooms and `senders` senders.
    pub fn new(run: u32, rooms: usize, senders: usize) -> Self {
        let (phase_tx, _) = watch::channel(Phase::Connecting);
        Self {
            start: Instant::now(),
            run,
            phase: AtomicU8::new(Phase::Connecting as u8),
            phase_tx,
            room_members: (0..rooms).map(|_| AtomicU32::new(0)).collect(),
            settled: AtomicUsize::new(0),
            senders: (0..senders)
                .map(|_| SenderShared {
                    outstanding: AtomicI64::new(0),
                    room_size: AtomicU32::new(0),
                    threshold: AtomicI64::new(i64::MAX),
                    notify: Notify::new(),
                })
                .collect(),
            latency: (0..SHARDS).map(|_| Mutex::new(histogram())).collect(),
            ack_latency: Mutex::new(histogram()),
        }
    }

    /// Microseconds since the run started.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Acquire))
    }

    /// Moves to `phase` and wakes everyone waiting for a change.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Release);
        self.phase_tx.send_replace(phase);
    }

    /// A receiver of phase changes.
    pub fn phases(&self) -> watch::Receiver<Phase> {
        self.phase_tx.subscribe()
    }

    /// Fixes sender `index`'s room size from the ready members of room index `room`,
    /// and its window threshold under `window:N`. Called once every client is ready,
    /// before the first send.
    pub fn fix_sender(&self, index: usize, room: usize, pace: Pace) {
        let me = &self.senders[index];
        let size = self.room_members[room].load(Ordering::Acquire);
        me.room_size.store(size, Ordering::Release);
        if let Pace::Window(n) = pace {
            me.threshold
                .store(i64::from(n - 1) * i64::from(size), Ordering::Release);
        }
    }

    /// Counts a receipt of one of `sender`'s messages; wakes the sender when its
    /// window opens. Unknown senders (not of this run) are ignored.
    pub fn delivered(&self, sender: u32) {
        let Some(s) = self.senders.get(sender as usize) else {
            return;
        };
        let now = s.outstanding.fetch_sub(1, Ordering::AcqRel) - 1;
        if now == s.threshold.load(Ordering::Relaxed) {
            s.notify.notify_one();
        }
    }

    /// Records a delivery latency (measurement phase only; the caller checks).
    pub fn record_latency(&self, shard: usize, us: u64) {
        let mut h = self.latency[shard % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        h.saturating_record(us.clamp(1, MAX_LATENCY_US));
    }

    /// Records the time from a send to its ack.
    pub fn record_ack_latency(&self, us: u64) {
        let mut h = self.ack_latency.lock().unwrap_or_else(|e| e.into_inner());
        h.saturating_record(us.clamp(1, MAX_LATENCY_US));
    }

    /// The merged delivery latency histogram.
    pub fn latency(&self) -> Histogram<u64> {
        let mut all = histogram();
        for shard in &self.latency {
            let h = shard.lock().unwrap_or_else(|e| e.into_inner());
            // Same bounds on both sides: adding cannot fail.
            let _ = all.add(&*h);
        }
        all
    }

    /// The ack latency histogram.
    pub fn ack_latency(&self) -> Histogram<u64> {
        self.ack_latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Deliveries still outstanding over all senders.
    pub fn outstanding(&self) -> i64 {
        self.senders
            .iter()
            .map(|s| s.outstanding.load(Ordering::Acquire))
            .sum()
    }

    /// Waits until every sent message has been delivered to every member, or `limit`.
    /// Returns whether everything arrived.
    pub async fn drained(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.outstanding() <= 0 {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_seen_by_readers_and_watchers() {
        let s = Shared::new(1, 2, 1);
        let rx = s.phases();
        assert_eq!(s.phase(), Phase::Connecting);
        s.set_phase(Phase::Measure);
        assert_eq!(s.phase(), Phase::Measure);
        assert_eq!(*rx.borrow(), Phase::Measure);
        assert!(Phase::Warmup.sending() && Phase::Measure.sending());
        assert!(!Phase::Drain.sending() && !Phase::Connecting.sending());
    }

    #[tokio::test]
    async fn deliveries_count_down_and_wake_at_the_threshold() {
        let s = Shared::new(1, 1, 1);
        let sender = &s.senders[0];
        sender.threshold.store(2, Ordering::Relaxed);
        sender.outstanding.store(4, Ordering::Relaxed);
        s.delivered(0);
        s.delivered(0);
        // The permit stored by notify_one completes this at once.
        tokio::time::timeout(Duration::from_secs(1), sender.notify.notified())
            .await
            .expect("woken at the threshold");
        s.delivered(7); // not a sender of this run: ignored
        assert_eq!(s.outstanding(), 2);
        assert!(!s.drained(Duration::from_millis(20)).await);
        s.delivered(0);
        s.delivered(0);
        assert!(s.drained(Duration::from_millis(20)).await);
    }

    #[test]
    fn latencies_merge_across_shards_and_clamp() {
        let s = Shared::new(1, 1, 0);
        s.record_latency(0, 100);
        s.record_latency(5, 300);
        s.record_latency(21, 0);
        s.record_latency(3, u64::MAX);
        let h = s.latency();
        assert_eq!(h.len(), 4);
        assert_eq!(h.min(), 1);
        assert!(h.max() >= MAX_LATENCY_US && h.max() < MAX_LATENCY_US + MAX_LATENCY_US / 100);
        s.record_ack_latency(50);
        assert_eq!(s.ack_latency().len(), 1);
    }
}
