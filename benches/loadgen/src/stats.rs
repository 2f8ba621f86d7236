//! Per-client counters, kept in the client's own task (no sharing on the hot path)
//! and merged when the run ends.

use std::collections::BTreeMap;

/// Most distinct error texts kept per client (the rest are counted as "other").
const MAX_KINDS: usize = 16;

/// What one client saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientStats {
    /// Became ready (connected, authenticated, every room joined).
    pub ready: bool,
    /// Microseconds from its first connection attempt to ready.
    pub connect_us: Option<u64>,
    /// `message:new` of this run received, in any phase.
    pub delivered: u64,
    /// ... of which during the measurement.
    pub delivered_measured: u64,
    /// Bytes of the packets of those deliveries, as the server wrote them (the
    /// WebSocket frame's payload: a floor frame, or an engine.io packet).
    pub delivered_bytes: u64,
    /// `message:new` without a marker of this run.
    pub unmarked: u64,
    /// Messages sent, in any phase.
    pub sent: u64,
    /// ... of which during the measurement.
    pub sent_measured: u64,
    /// Acks with `ok: true` / `ok: false`.
    pub acked_ok: u64,
    pub acked_err: u64,
    /// `ok: true` acks received during the measurement.
    pub acked_measured: u64,
    /// Ids of the acknowledged messages (kept only when the run verifies the database).
    pub acked_ids: Vec<u64>,
    /// `rate:D` ticks skipped because too many messages were still in flight.
    pub skipped: u64,
    /// Errors by kind: connection failures, refusals, `error` events, failed acks.
    pub errors: BTreeMap<String, u64>,
    /// The connection ended before the run did.
    pub dropped: bool,
}

impl ClientStats {
    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: impl Into<String>) {
        let kind = kind.into();
        if self.errors.len() >= MAX_KINDS && !self.errors.contains_key(&kind) {
            *self.errors.entry("other".into()).or_default() += 1;
        } else {
            *self.errors.entry(kind).or_default() += 1;
        }
    }

    /// Adds another client's counters to these.
    pub fn merge(&mut self, other: ClientStats) {
        self.delivered += other.delivered;
        self.delivered_measured += other.delivered_measured;
        self.delivered_bytes += other.delivered_bytes;
        self.unmarked += other.unmarked;
        self.sent += other.sent;
        self.sent_measured += other.sent_measured;
        self.acked_ok += other.acked_ok;
        self.acked_err += other.acked_err;
        self.acked_measured += other.acked_measured;
        self.acked_ids.extend(other.acked_ids);
        self.skipped += other.skipped;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
    }
}

/// The merged figures of all clients.
#[derive(Debug, Default)]
pub struct Totals {
    /// Every client's counters added up.
    pub sum: ClientStats,
    /// Clients that became ready.
    pub ready: usize,
    /// Clients whose connection ended early.
    pub dropped: usize,
    /// Connect times of the ready clients, in microseconds, sorted.
    pub connect_us: Vec<u64>,
}

impl Totals {
    /// Merges every client.
    pub fn of(clients: Vec<ClientStats>) -> Self {
        let mut t = Totals::default();
        for c in clients {
            if c.ready {
                t.ready += 1;
            }
            if c.dropped {
                t.dropped += 1;
            }
            if let Some(us) = c.connect_us {
                t.connect_us.push(us);
            }
            t.sum.merge(c);
        }
        t.connect_us.sort_unstable();
        t
    }

    /// A percentile (0..=100) of the connect times.
    pub fn connect_percentile(&self, p: f64) -> Option<u64> {
        if self.connect_us.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * (self.connect_us.len() - 1) as f64).round() as usize;
        self.connect_us.get(rank).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_counters_and_errors() {
        let mut a = ClientStats {
            ready: true,
            connect_us: Some(300),
            delivered: 5,
            sent: 2,
            acked_ids: vec![1],
            ..Default::default()
        };
        a.error("room:error: forbidden");
        let mut b = ClientStats {
            ready: true,
            connect_us: Some(100),
            delivered: 7,
            acked_ids: vec![2, 3],
            dropped: true,
            ..Default::default()
        };
        b.error("room:error: forbidden");
        b.error("RATE_LIMITED");
        let c = ClientStats::default();
        let t = Totals::of(vec![a, b, c]);
        assert_eq!((t.ready, t.dropped), (2, 1));
        assert_eq!(t.sum.delivered, 12);
        assert_eq!(t.sum.acked_ids, [1, 2, 3]);
        assert_eq!(t.sum.errors["room:error: forbidden"], 2);
        assert_eq!(t.connect_us, [100, 300]);
        assert_eq!(t.connect_percentile(0.0), Some(100));
        assert_eq!(t.connect_percentile(100.0), Some(300));
        assert_eq!(Totals::default().connect_percentile(50.0), None);
    }

    #[test]
    fn error_kinds_are_bounded() {
        let mut s = ClientStats::default();
        for i in 0..40 {
            s.error(format!("kind {i}"));
        }
        assert_eq!(s.errors.len(), MAX_KINDS + 1);
        assert_eq!(s.errors["other"], 40 - MAX_KINDS as u64);
    }
}
