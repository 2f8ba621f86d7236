//! The one JSON line a run prints: what was asked, what was measured, and whether
//! anything went wrong (`ok` is false on any failed connection, dropped client,
//! error, lost delivery or acknowledged message missing from the database).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::verify::DbCheck;

/// Percentiles of a latency histogram, in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

impl Percentiles {
    /// Reads a histogram (all zeros when it is empty).
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        Self {
            count: h.len(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: (h.mean() * 10.0).round() / 10.0,
        }
    }
}

/// Connection figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Connect {
    /// Clients started.
    pub attempted: usize,
    /// ... that became ready (connected, authenticated, rooms joined).
    pub ready: usize,
    /// Seconds from the first attempt until every attempt was over.
    pub seconds: f64,
    /// Ready clients per second over that time.
    pub per_s: f64,
    /// Percentiles of one client's time to ready, milliseconds.
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The server's memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MemoryReport {
    /// RSS before any client connected, KiB.
    pub baseline_kib: u64,
    /// RSS with every client connected and idle (after the settle time), KiB.
    pub connected_kib: u64,
    /// Highest RSS sampled during the run, KiB.
    pub peak_kib: u64,
    /// The kernel's high-water mark at the end (includes start-up), KiB.
    pub hwm_kib: u64,
    /// (connected − baseline) / ready clients, bytes.
    pub per_connection_bytes: u64,
}

/// How busy the processes were during the measurement, in cores (1.0 = one core
/// all the time).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cpu {
    /// The server (when its pid was given).
    pub server: Option<f64>,
    /// The load generator itself.
    pub generator: Option<f64>,
    /// The generator's worker threads: at `generator` close to this, the generator
    /// and not the server was the limit.
    pub generator_threads: usize,
    /// The host's 1-minute load average at the end (other work on the machine).
    pub host_load_1m: Option<f64>,
}

/// One run's report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub server: String,
    pub scenario: String,
    pub protocol: String,
    pub transport: String,
    pub clients: usize,
    pub rooms: usize,
    pub rooms_per_client: usize,
    pub senders: usize,
    pub pace: String,
    pub content_bytes: usize,
    /// Seconds actually measured.
    pub measured_s: f64,
    pub connect: Connect,
    /// Messages sent, in any phase / during the measurement.
    pub sent: u64,
    pub sent_measured: u64,
    pub acked_ok: u64,
    pub acked_err: u64,
    /// `rate:D` ticks skipped (too much in flight).
    pub skipped: u64,
    /// `message:new` received, in any phase / during the measurement.
    pub delivered: u64,
    pub delivered_measured: u64,
    /// Mean size of a delivered packet in bytes (what the floor is given as its
    /// payload size, so that it moves as many bytes per delivery).
    pub delivery_bytes: f64,
    /// Deliveries per second during the measurement.
    pub deliveries_per_s: f64,
    /// Messages per second during the measurement: acknowledged (Socket.IO) or sent
    /// (floor).
    pub messages_per_s: f64,
    /// Deliveries never received (sent × room size − received) after the drain.
    pub missing_deliveries: i64,
    /// Frames that were not this run's messages.
    pub unmarked: u64,
    pub latency_us: Percentiles,
    pub ack_latency_us: Percentiles,
    pub memory: Option<MemoryReport>,
    pub cpu: Cpu,
    /// Clients whose connection ended before the run did.
    pub dropped: usize,
    pub errors: BTreeMap<String, u64>,
    pub db: Option<DbCheck>,
    pub ok: bool,
}

impl Report {
    /// Whether nothing went wrong (see the module header); sets `ok`.
    pub fn judge(&mut self) {
        let db_ok = self
            .db
            .as_ref()
            .is_none_or(|d| d.missing == 0 && d.duplicate_acks == 0);
        self.ok = self.connect.ready == self.connect.attempted
            && self.dropped == 0
            && self.errors.is_empty()
            && self.missing_deliveries == 0
            && self.acked_err == 0
            && db_ok;
    }

    /// The JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_histogram() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for v in 1..=1000u64 {
            h.record(v).unwrap();
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.count, 1000);
        assert_eq!(p.p50, 500);
        assert_eq!(p.p99, 990);
        assert_eq!(p.max, 1000);
        let empty = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        assert_eq!(Percentiles::of(&empty), Percentiles::default());
    }

    #[test]
    fn any_failure_makes_the_run_not_ok() {
        let good = Report {
            connect: Connect {
                attempted: 10,
                ready: 10,
                ..Default::default()
            },
            ..Default::default()
        };
        let mut r = good.clone();
        r.judge();
        assert!(r.ok);
        let mut bad = good.clone();
        bad.missing_deliveries = 3;
        bad.judge();
        assert!(!bad.ok);
        let mut bad = good.clone();
        bad.connect.ready = 9;
        bad.judge();
        assert!(!bad.ok);
        let mut bad = good.clone();
        bad.db = Some(DbCheck {
            acked: 5,
            found: 4,
            missing: 1,
            ..Default::default()
        });
        bad.judge();
        assert!(!bad.ok);
        let line = good.to_line();
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["connect"]["attempted"], 10);
        assert!(!line.contains('\n'));
    }
}
