//! Settings of the files API: flags with environment fallbacks (issue 4 item 10, issue 5
//! items 1 and 4). A bad value stops start-up with one line naming the setting.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// The spec's limit for file messages: 50 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 52_428_800;
/// The spec's limit for image messages: 10 MiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 10_485_760;

/// The files flags of `huddle` / `huddle serve`.
#[derive(Debug, Clone, Args)]
pub struct FilesArgs {
    /// Directory uploads are stored in (created if missing). Unset: a temporary directory
    /// removed at exit (demo mode).
    #[arg(long, env = "HUDDLE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Largest upload in bytes; a larger one is refused with 413 while it streams.
    #[arg(
        long,
        env = "HUDDLE_MAX_UPLOAD_BYTES",
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_UPLOAD_BYTES
    )]
    pub max_upload_bytes: u64,
    /// Seconds after which a file no message carries is deleted.
    #[arg(
        long,
        env = "HUDDLE_UNATTACHED_FILE_TTL_SECS",
        value_name = "SECS",
        default_value_t = 86_400
    )]
    pub unattached_file_ttl_secs: u64,
    /// Seconds between two housekeeping sweeps.
    #[arg(
        long,
        env = "HUDDLE_FILE_SWEEP_INTERVAL_SECS",
        value_name = "SECS",
        default_value_t = 600
    )]
    pub file_sweep_interval_secs: u64,
}

/// Validated files settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilesConfig {
    /// Where the bytes go; `None` for a temporary directory.
    pub data_dir: Option<PathBuf>,
    /// Largest upload, in bytes (default 52,428,800).
    pub max_upload_bytes: u64,
    /// Age at which an unattached file is deleted (default 24 h).
    pub unattached_ttl: Duration,
    /// Time between sweeps (default 10 min).
    pub sweep_interval: Duration,
    /// After a refused upload, how many more request bytes are read and discarded so the
    /// client, still sending, reads the 413 before the connection closes (default 64 MiB).
    pub drain_limit_bytes: u64,
    /// ... and for how long at most (default 10 s).
    pub drain_timeout: Duration,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            data_dir: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            unattached_ttl: Duration::from_secs(86_400),
            sweep_interval: Duration::from_secs(600),
            drain_limit_bytes: 64 << 20,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// A setting that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {message}")]
pub struct FilesConfigError {
    /// The environment variable at fault.
    pub setting: &'static str,
    /// What is wrong.
    pub message: String,
}

fn bad(setting: &'static str, message: &str) -> FilesConfigError {
    FilesConfigError {
        setting,
        message: message.to_owned(),
    }
}

impl FilesArgs {
    /// Validates the flags.
    pub fn config(&self) -> Result<FilesConfig, FilesConfigError> {
        // JSON numbers are exact up to 2^53 only (the store's limit on fileSize).
        if self.max_upload_bytes == 0 || self.max_upload_bytes > (1 << 53) {
            return Err(bad("HUDDLE_MAX_UPLOAD_BYTES", "must be 1 to 2^53"));
        }
        if self.unattached_file_ttl_secs == 0 {
            return Err(bad("HUDDLE_UNATTACHED_FILE_TTL_SECS", "must be above 0"));
        }
        if self.file_sweep_interval_secs == 0 {
            return Err(bad("HUDDLE_FILE_SWEEP_INTERVAL_SECS", "must be above 0"));
        }
        if let Some(dir) = &self.data_dir
            && dir.as_os_str().is_empty()
        {
            return Err(bad("HUDDLE_DATA_DIR", "must not be empty"));
        }
        Ok(FilesConfig {
            data_dir: self.data_dir.clone(),
            max_upload_bytes: self.max_upload_bytes,
            unattached_ttl: Duration::from_secs(self.unattached_file_ttl_secs),
            sweep_interval: Duration::from_secs(self.file_sweep_interval_secs),
            ..FilesConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> FilesArgs {
        FilesArgs {
            data_dir: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            unattached_file_ttl_secs: 86_400,
            file_sweep_interval_secs: 600,
        }
    }

    #[test]
    fn defaults_are_the_spec_limits() {
        let c = args().config().unwrap();
        assert_eq!(c.max_upload_bytes, 52_428_800);
        assert_eq!(c.unattached_ttl, Duration::from_secs(86_400));
        assert_eq!(c.data_dir, None);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let mut a = args();
        a.max_upload_bytes = 0;
        assert_eq!(a.config().unwrap_err().setting, "HUDDLE_MAX_UPLOAD_BYTES");
        let mut a = args();
        a.unattached_file_ttl_secs = 0;
        assert_eq!(
            a.config().unwrap_err().setting,
            "HUDDLE_UNATTACHED_FILE_TTL_SECS"
        );
        let mut a = args();
        a.file_sweep_interval_secs = 0;
        assert_eq!(
            a.config().unwrap_err().setting,
            "HUDDLE_FILE_SWEEP_INTERVAL_SECS"
        );
        let mut a = args();
        a.data_dir = Some(PathBuf::new());
        assert_eq!(a.config().unwrap_err().setting, "HUDDLE_DATA_DIR");
    }
}
