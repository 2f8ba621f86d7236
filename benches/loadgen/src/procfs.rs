//! The server's memory, read from `/proc/PID/status`: `VmRSS` (resident now) and
//! `VmHWM` (the kernel's resident high-water mark), in KiB. A sampler keeps the
//! highest `VmRSS` it saw during the run, which unlike `VmHWM` excludes start-up
//! (e.g. a fixture loaded and freed before the clients came).
//!
//! CPU time comes from `/proc/PID/stat` (`utime` + `stime`, in the kernel's user
//! clock ticks, which Linux fixes at 100 per second for user space): the run reports
//! how busy the server and the generator itself were, so a run where the generator,
//! not the server, was the limit can be told apart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// One reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size now, KiB.
    pub rss_kib: u64,
    /// Resident high-water mark since the process started, KiB.
    pub hwm_kib: u64,
}

/// Parses the two fields out of the text of `/proc/PID/status`.
pub fn parse_status(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    Some(Memory {
        rss_kib: field("VmRSS")?,
        hwm_kib: field("VmHWM")?,
    })
}

/// Reads process `pid`'s memory, or `None` if it is gone or unreadable.
pub fn read(pid: u32) -> Option<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status(&text)
}

/// Clock ticks per second of `/proc/PID/stat` times (USER_HZ).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// Parses user + system CPU ticks out of the text of `/proc/PID/stat`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After ')': state is field 3; utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU ticks (user + system) used so far by process `pid`, or by this process.
pub fn cpu_ticks(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    parse_stat_ticks(&std::fs::read_to_string(path).ok()?)
}

/// The host's 1-minute load average (other work on the machine shows here).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples a process's RSS every `every` until stopped; the peak is kept.
pub struct Sampler {
    peak: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl Sampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32, every: Duration) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let (p, s) = (Arc::clone(&peak), stop.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = s.cancelled() => return,
                    _ = tick.tick() => {
                        if let Some(m) = read(pid) {
                            p.fetch_max(m.rss_kib, Ordering::Relaxed);
                        }
                    }
                }
            }
        });
        Self { peak, stop }
    }

    /// The highest RSS seen so far, KiB.
    pub fn peak_kib(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_status_fields() {
        let status = "Name:\thuddle\nVmPeak:\t  100 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t3\n";
        assert_eq!(
            parse_status(status),
            Some(Memory {
                rss_kib: 1024,
                hwm_kib: 2048
            })
        );
        assert_eq!(parse_status("VmRSS:\t12 kB\n"), None);
        assert_eq!(parse_status("VmRSS:\tx kB\nVmHWM:\t1 kB\n"), None);
    }

    #[test]
    fn parses_cpu_ticks_even_with_odd_names() {
        let stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 4 0 100 1000 200";
        assert_eq!(parse_stat_ticks(stat), Some(300));
        assert_eq!(parse_stat_ticks("1234 (x) S 1 2"), None);
        assert_eq!(parse_stat_ticks("no parenthesis"), None);
        let mine = cpu_ticks(None).expect("own stat is readable");
        assert!(cpu_ticks(Some(std::process::id())).unwrap() >= mine);
        assert!(load_average().unwrap() >= 0.0);
    }

    #[tokio::test]
    async fn reads_and_samples_this_process() {
        let me = std::process::id();
        let m = read(me).expect("own status is readable");
        assert!(m.rss_kib > 0 && m.hwm_kib >= m.rss_kib);
        let sampler = Sampler::start(me, Duration::from_millis(1));
        tokio::time::timeout(Duration::from_secs(5), async {
            while sampler.peak_kib() == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("a sample within 5 s");
        assert_eq!(read(u32::MAX), None);
    }
}
