//! One run: raise the descriptor limit, sign the tokens, connect every client,
//! read the server's memory, warm up, measure, drain, stop every client, check the
//! database if asked, and build the [`Report`]. Every phase is bounded; the run
//! stops by itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::config::{Protocol, RunConfig, Transport};
use crate::polling;
use crate::procfs::{self, Sampler};
use crate::report::{Connect, Cpu, MemoryReport, Percentiles, Report};
use crate::sender::Sender;
use crate::session::Session;
use crate::shared::{Phase, Shared};
use crate::stats::{ClientStats, Totals};
use crate::token::{SignError, Signer};
use crate::verify;

/// Descriptors kept free beyond the clients' own.
const SPARE_DESCRIPTORS: u64 = 256;
/// How long stopped clients have to hand in their counters.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Why a run could not be done at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot raise the open-file limit: {0}")]
    Rlimit(std::io::Error),
    #[error(
        "{need} file descriptors are needed but the hard limit allows {have}: raise it (ulimit -Hn) or use fewer clients"
    )]
    Descriptors { need: u64, have: u64 },
    #[error(transparent)]
    Token(#[from] SignError),
    #[error(transparent)]
    Verify(#[from] verify::VerifyError),
}

/// Raises this process's soft open-file limit to its hard limit and checks that
/// `clients` connections fit (a polling client may hold two).
pub fn raise_nofile(cfg: &RunConfig) -> Result<u64, RunError> {
    let per_client = match cfg.transport {
        Transport::Polling => 2,
        Transport::Websocket => 1,
    };
    let need = cfg.clients as u64 * per_client + SPARE_DESCRIPTORS;
    let have = rlimit::increase_nofile_limit(u64::MAX).map_err(RunError::Rlimit)?;
    if have < need {
        return Err(RunError::Descriptors { need, have });
    }
    Ok(have)
}

/// A tag telling this run's messages from any other's.
fn run_tag() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    (nanos ^ std::process::id().rotate_left(16)) | 1
}

/// How long the whole connection phase may take.
fn connect_deadline(cfg: &RunConfig) -> Duration {
    cfg.connect_timeout.max(Duration::from_secs(60)) + Duration::from_millis(2) * cfg.clients as u32
}

fn spawn_clients(
    cfg: &Arc<RunConfig>,
    shared: &Arc<Shared>,
    tokens: Vec<String>,
    stop: &CancellationToken,
) -> JoinSet<ClientStats> {
    let permits = Arc::new(Semaphore::new(cfg.connect_concurrency));
    let http = (cfg.transport == Transport::Polling).then(polling::http_client);
    let mut set = JoinSet::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let rooms: Vec<usize> = (0..cfg.rooms_per_client)
            .map(|j| cfg.room_of(i, j))
            .collect();
        let room_ids: Vec<u64> = rooms.iter().map(|&r| cfg.room_id(r)).collect();
        let sender = (i < cfg.senders).then(|| {
            Sender::new(
                i as u32,
                rooms[0],
                room_ids[0],
                cfg.pace,
                cfg.content_bytes,
                cfg.max_in_flight,
                cfg.senders,
            )
        });
        let client = Client::new(
            i,
            rooms,
            sender,
            Arc::clone(shared),
            cfg.verify_db.is_some(),
        );
        let (cfg, permits, stop) = (Arc::clone(cfg), Arc::clone(&permits), stop.clone());
        match (cfg.protocol, &http) {
            (Protocol::Floor, _) => {
                set.spawn(crate::floor::run(cfg, client, room_ids, permits, stop));
            }
            (Protocol::Socketio, Some(http)) => {
                let session = Session::new(token, room_ids);
                set.spawn(polling::run(
                    cfg,
                    http.clone(),
                    client,
                    session,
                    permits,
                    stop,
                ));
            }
            (Protocol::Socketio, None) => {
                let session = Session::new(token, room_ids);
                set.spawn(crate::ws::run(cfg, client, session, permits, stop));
            }
        }
    }
    set
}

/// Does one run.
pub async fn execute(cfg: RunConfig) -> Result<Report, RunError> {
    raise_nofile(&cfg)?;
    let cfg = Arc::new(cfg);
    let shared = Arc::new(Shared::new(run_tag(), cfg.rooms, cfg.senders));
    let tokens = match cfg.protocol {
        Protocol::Socketio => {
            let signer = Signer::new(&cfg.jwt_secret, cfg.token_ttl);
            (0..cfg.clients)
                .map(|i| signer.token(cfg.user_id(i)))
                .collect::<Result<Vec<_>, _>>()?
        }
        Protocol::Floor => vec![String::new(); cfg.clients],
    };
    let baseline = cfg.server_pid.and_then(procfs::read);
    let sampler = cfg
        .server_pid
        .map(|pid| Sampler::start(pid, Duration::from_millis(50)));
    let stop = CancellationToken::new();

    // Connect.
    let connect_started = Instant::now();
    let mut set = spawn_clients(&cfg, &shared, tokens, &stop);
    let deadline = connect_started + connect_deadline(&cfg);
    while shared.settled.load(Ordering::Acquire) < cfg.clients && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let connect_seconds = connect_started.elapsed().as_secs_f64();
    let ready_now: usize = shared
        .room_members
        .iter()
        .map(|m| m.load(Ordering::Acquire) as usize)
        .sum::<usize>()
        / cfg.rooms_per_client;
    eprintln!(
        "[{} {}] {ready_now}/{} clients ready in {connect_seconds:.2} s",
        cfg.server_name, cfg.scenario, cfg.clients
    );
    for k in 0..cfg.senders {
        shared.fix_sender(k, cfg.room_of(k, 0), cfg.pace);
    }

    // Memory with everyone connected and idle.
    tokio::time::sleep(cfg.settle).await;
    let connected = cfg.server_pid.and_then(procfs::read);

    // Load.
    let measured;
    let mut drained = true;
    if cfg.senders > 0 {
        shared.set_phase(Phase::Warmup);
        tokio::time::sleep(cfg.warmup).await;
    }
    let server_ticks = || cfg.server_pid.and_then(|pid| procfs::cpu_ticks(Some(pid)));
    let cpu_before = (server_ticks(), procfs::cpu_ticks(None));
    let t0 = Instant::now();
    if cfg.senders > 0 {
        shared.set_phase(Phase::Measure);
        tokio::time::sleep(cfg.duration).await;
        shared.set_phase(Phase::Drain);
        measured = t0.elapsed();
    } else {
        tokio::time::sleep(cfg.duration).await;
        measured = t0.elapsed();
    }
    let cpu_after = (server_ticks(), procfs::cpu_ticks(None));
    if cfg.senders > 0 {
        drained = shared.drained(cfg.drain).await;
    }
    let end = cfg.server_pid.and_then(procfs::read);
    let peak = sampler.as_ref().map_or(0, Sampler::peak_kib);
    drop(sampler);

    // Stop.
    shared.set_phase(Phase::Done);
    stop.cancel();
    let mut all = Vec::with_capacity(cfg.clients);
    let collect = async {
        while let Some(done) = set.join_next().await {
            if let Ok(stats) = done {
                all.push(stats);
            }
        }
    };
    if tokio::time::timeout(STOP_GRACE, collect).await.is_err() {
        set.abort_all();
    }
    let lost_tasks = cfg.clients - all.len();
    let totals = Totals::of(all);
    if !drained {
        eprintln!(
            "[{} {}] drain timed out with {} deliveries outstanding",
            cfg.server_name,
            cfg.scenario,
            shared.outstanding()
        );
    }

    let db = match &cfg.verify_db {
        Some(url) => Some(verify::check(url, shared.run, &totals.sum.acked_ids).await?),
        None => None,
    };

    let secs = measured.as_secs_f64();
    let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    let memory = baseline.map(|base| {
        let connected = connected.unwrap_or_default();
        let grew = connected.rss_kib.saturating_sub(base.rss_kib) * 1024;
        MemoryReport {
            baseline_kib: base.rss_kib,
            connected_kib: connected.rss_kib,
            peak_kib: peak.max(connected.rss_kib),
            hwm_kib: end.map_or(0, |m| m.hwm_kib),
            per_connection_bytes: grew / (totals.ready.max(1) as u64),
        }
    });
    let util = |before: Option<u64>, after: Option<u64>| match (before, after) {
        (Some(b), Some(a)) if secs > 0.0 => Some(
            ((a.saturating_sub(b)) as f64 / procfs::TICKS_PER_SECOND / secs * 100.0).round()
                / 100.0,
        ),
        _ => None,
    };
    let cpu = Cpu {
        server: util(cpu_before.0, cpu_after.0),
        generator: util(cpu_before.1, cpu_after.1),
        generator_threads: cfg.threads,
        host_load_1m: procfs::load_average(),
    };
    let mut errors = totals.sum.errors.clone();
    if lost_tasks > 0 {
        errors.insert("client task did not stop".into(), lost_tasks as u64);
    }
    let messages = match cfg.protocol {
        Protocol::Socketio => totals.sum.acked_measured,
        Protocol::Floor => totals.sum.sent_measured,
    };
    let mut report = Report {
        server: cfg.server_name.clone(),
        scenario: cfg.scenario.clone(),
        protocol: format!("{:?}", cfg.protocol).to_lowercase(),
        transport: format!("{:?}", cfg.transport).to_lowercase(),
        clients: cfg.clients,
        rooms: cfg.rooms,
        rooms_per_client: cfg.rooms_per_client,
        senders: cfg.senders,
        pace: cfg.pace.to_string(),
        content_bytes: cfg.content_bytes,
        measured_s: (secs * 1000.0).round() / 1000.0,
        connect: Connect {
            attempted: cfg.clients,
            ready: totals.ready,
            seconds: (connect_seconds * 1000.0).round() / 1000.0,
            per_s: (totals.ready as f64 / connect_seconds.max(1e-9)).round(),
            p50_ms: totals.connect_percentile(50.0).unwrap_or(0) as f64 / 1000.0,
            p99_ms: totals.connect_percentile(99.0).unwrap_or(0) as f64 / 1000.0,
        },
        sent: totals.sum.sent,
        sent_measured: totals.sum.sent_measured,
        acked_ok: totals.sum.acked_ok,
        acked_err: totals.sum.acked_err,
        skipped: totals.sum.skipped,
        delivered: totals.sum.delivered,
        delivered_measured: totals.sum.delivered_measured,
        delivery_bytes: if totals.sum.delivered == 0 {
            0.0
        } else {
            (totals.sum.delivered_bytes as f64 / totals.sum.delivered as f64).round()
        },
        deliveries_per_s: per_s(totals.sum.delivered_measured).round(),
        messages_per_s: per_s(messages).round(),
        missing_deliveries: shared.outstanding(),
        unmarked: totals.sum.unmarked,
        latency_us: Percentiles::of(&shared.latency()),
        ack_latency_us: Percentiles::of(&shared.ack_latency()),
        memory,
        cpu,
        dropped: totals.dropped,
        errors,
        db,
        ok: false,
    };
    report.judge();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cli;
    use clap::Parser;

    #[test]
    fn run_tags_are_odd_and_deadlines_grow_with_clients() {
        assert_eq!(run_tag() % 2, 1);
        let small = Cli::parse_from(["x", "--clients", "10", "--rooms", "1", "--senders", "0"])
            .config()
            .unwrap();
        let big = Cli::parse_from(["x", "--clients", "10000"])
            .config()
            .unwrap();
        assert!(connect_deadline(&big) > connect_deadline(&small));
        assert!(connect_deadline(&small) >= Duration::from_secs(60));
    }
}
