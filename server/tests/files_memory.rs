//! Memory stays flat during a 50 MiB upload (issue 5 item 5): the real `huddle` binary is
//! started on 127.0.0.1, a 50 MiB file is uploaded, and the process's peak resident set
//! (`VmHWM` in /proc/PID/status) is read before and after. The upload streams to disk, so
//! the peak grows by far less than the file; the numbers are printed for the report.

mod files_support;

use std::process::Stdio;
use std::sync::Arc;

use files_support::*;
use huddle_server::chat::auth::JwtSigner;
use huddle_server::chat::clock::{SharedClock, SystemClock};
use huddle_server::files::config::DEFAULT_MAX_UPLOAD_BYTES;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM line")
}

#[tokio::test]
async fn peak_rss_stays_flat_during_a_50_mib_upload() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_huddle"))
        .args(["--addr", "127.0.0.1:0"])
        .env("HUDDLE_JWT_SECRET", std::str::from_utf8(SECRET).unwrap())
        .env("HUDDLE_DATA_DIR", data.path())
        .env_remove("HUDDLE_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start huddle");
    let pid = child.id().expect("pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(url) = line.strip_prefix("huddle listening on http://") {
                return url.trim().parse::<std::net::SocketAddr>().expect("address");
            }
        }
        panic!("huddle exited before listening");
    })
    .await
    .expect("huddle starts");
    // Keep reading stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let clock: SharedClock = Arc::new(SystemClock);
    let token = JwtSigner::hs256(SECRET)
        .unwrap()
        .mint(1, chrono::Duration::hours(1), &clock);
    // Warm up the paths once with a small file, then measure.
    let small = upload(
        addr,
        Some(&token),
        "s.bin",
        "application/octet-stream",
        b"\0",
        1024,
    )
    .await;
    assert_eq!(small.status, 201);
    let before = vm_hwm_kib(pid);
    let answer = upload(
        addr,
        Some(&token),
        "big.bin",
        "application/octet-stream",
        b"\0",
        DEFAULT_MAX_UPLOAD_BYTES,
    )
    .await;
    assert_eq!(answer.status, 201);
    let after = vm_hwm_kib(pid);
    let file_kib = DEFAULT_MAX_UPLOAD_BYTES / 1024;
    println!(
        "huddle peak RSS (VmHWM): {before} KiB before, {after} KiB after a {file_kib} KiB upload (growth {} KiB)",
        after.saturating_sub(before)
    );
    // Holding the file in memory would add at least its 51,200 KiB.
    assert!(
        after.saturating_sub(before) < file_kib / 4,
        "peak RSS grew by {} KiB during a {file_kib} KiB upload",
        after - before
    );
    child.start_kill().expect("stop huddle");
    let _ = tokio::time::timeout(WAIT, child.wait()).await;
}
