//! The generator against a real `huddle-floor` process on the loopback interface:
//! a short bounded run in which every client connects, every sent message reaches
//! every member of its room exactly once, and the report says so.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use clap::Parser;
use huddle_loadgen::config::Cli;
use huddle_loadgen::run;

/// The floor process, stopped (by its own PID) when the test ends either way.
struct Floor {
    child: Child,
    addr: SocketAddr,
    // Kept open so the floor can still write to its stderr.
    _stderr: BufReader<std::process::ChildStderr>,
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_floor() -> Floor {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huddle-floor"))
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("huddle-floor starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut stderr = BufReader::new(stderr);
    let mut line = String::new();
    stderr
        .read_line(&mut line)
        .expect("the floor prints its address");
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Floor {
        child,
        addr,
        _stderr: stderr,
    }
}

#[test]
fn every_message_reaches_every_member_once() {
    let floor = start_floor();
    let addr = floor.addr.to_string();
    let pid = floor.child.id().to_string();
    let cfg = Cli::parse_from([
        "huddle-loadgen",
        "--protocol",
        "floor",
        "--addr",
        &addr,
        "--server-pid",
        &pid,
        "--clients",
        "30",
        "--rooms",
        "3",
        "--senders",
        "3",
        "--pace",
        "echo",
        "--warmup-ms",
        "100",
        "--duration-ms",
        "400",
        "--settle-ms",
        "50",
        "--drain-ms",
        "2000",
        "--connect-timeout-ms",
        "10000",
    ])
    .config()
    .expect("valid flags");
    let report = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run::execute(cfg))
        .expect("the run is done");

    assert!(report.ok, "{}", report.to_line());
    assert_eq!(report.connect.ready, 30);
    assert!(report.sent > 0);
    // Rooms of 10, senders included: each message is delivered 10 times.
    assert_eq!(report.delivered, report.sent * 10, "{}", report.to_line());
    assert_eq!(report.missing_deliveries, 0);
    assert_eq!(report.unmarked, 0);
    assert!(report.latency_us.count > 0 && report.latency_us.p50 > 0);
    assert!(report.deliveries_per_s > 0.0);
    let memory = report.memory.expect("the floor's memory was read");
    assert!(memory.connected_kib > 0 && memory.peak_kib >= memory.connected_kib);
    assert!(report.cpu.server.is_some() && report.cpu.generator.is_some());
}

#[test]
fn refused_connections_are_counted_not_hidden() {
    // Nothing listens on this port (bound, then released): every client fails fast.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let cfg = Cli::parse_from([
        "huddle-loadgen",
        "--addr",
        &free,
        "--clients",
        "4",
        "--rooms",
        "1",
        "--senders",
        "1",
        "--duration-ms",
        "50",
        "--warmup-ms",
        "0",
        "--settle-ms",
        "0",
        "--connect-timeout-ms",
        "5000",
    ])
    .config()
    .unwrap();
    let report = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run::execute(cfg))
        .unwrap();
    assert!(!report.ok);
    assert_eq!(report.connect.ready, 0);
    assert_eq!(
        report.errors.values().sum::<u64>(),
        4,
        "{:?}",
        report.errors
    );
    assert_eq!(report.sent, 0);
}
