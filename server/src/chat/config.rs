//! The chat's command-line flags and environment variables (issue 4 item 10), validated
//! into [`ChatSettings`] and the store to open.
//!
//! Every flag has an environment fallback and a safe default; a value that cannot work is
//! refused with one line naming the setting ([`ConfigError`]).
//!
//! | flag | environment | default | what |
//! | --- | --- | --- | --- |
//! | `--database-url` | `HUDDLE_DATABASE_URL` | none: in-memory demo store | MariaDB, `mysql://user:pass@host:3306/db` |
//! | `--db-pool-max` | `HUDDLE_DB_POOL_MAX` | 16 | most pooled connections |
//! | `--db-timeout-ms` | `HUDDLE_DB_TIMEOUT_MS` | 10000 | longest database operation before `DB_UNAVAILABLE` |
//! | `--jwt-secret` | `HUDDLE_JWT_SECRET` | a dev secret, in demo mode only | HS256 secret |
//! | `--jwt-public-key` | `HUDDLE_JWT_PUBLIC_KEY` | none | RS256 public key: PEM text or a path to a PEM file |
//! | `--jwt-leeway-secs` | `HUDDLE_JWT_LEEWAY_SECS` | 0 | clock skew tolerated on `exp` |
//! | `--jwt-audience` | `HUDDLE_JWT_AUDIENCE` | none | required `aud`, if set |
//! | `--jwt-issuer` | `HUDDLE_JWT_ISSUER` | none | required `iss`, if set |
//! | `--rate-limit-per-minute` | `HUDDLE_RATE_LIMIT_PER_MINUTE` | 10 | `message:send` per user per minute |
//! | `--rate-limit-burst` | `HUDDLE_RATE_LIMIT_BURST` | the per-minute value | sends allowed at once |
//! | `--max-content-chars` | `HUDDLE_MAX_CONTENT_CHARS` | 10000 | longest text, in Unicode code points |
//! | `--max-image-bytes` | `HUDDLE_MAX_IMAGE_BYTES` | 10485760 | largest file of an image message (at least 1) |
//! | `--history-page-size` | `HUDDLE_HISTORY_PAGE_SIZE` | 50 | messages in the page sent on join |
//! | `--history-max-limit` | `HUDDLE_HISTORY_MAX_LIMIT` | 100 | cap of `message:history`'s `limit` |
//! | `--max-catch-up` | `HUDDLE_MAX_CATCH_UP` | 10000 | most messages replayed on a rejoin with `sinceId` |
//! | `--typing-timeout-ms` | `HUDDLE_TYPING_TIMEOUT_MS` | 3000 | typing auto-stop |
//! | `--edit-window-secs` | `HUDDLE_EDIT_WINDOW_SECS` | 86400 | edit/delete allowed this long after creation |
//! | `--writer-batch` | `HUDDLE_WRITER_BATCH` | 64 | most messages per insert batch of a room |
//! | `--writer-idle-ms` | `HUDDLE_WRITER_IDLE_MS` | 60000 | an idle room writer ends after this |
//! | `--commit-max` | `HUDDLE_COMMIT_MAX` | 1024 | most messages of one group commit across rooms |
//! | `--commit-lanes` | `HUDDLE_COMMIT_LANES` | 2 | group commits running at once |
//! | `--access-cache-ms` | `HUDDLE_ACCESS_CACHE_MS` | 1000 | how long access facts that allowed a send are reused for the same user and room (0: read per commit) |
//! | `--max-sends-in-flight` | `HUDDLE_MAX_SENDS_IN_FLIGHT` | 32 | `message:send` events of one connection being stored at once |
//! | `--clock-offset-secs` | `HUDDLE_CLOCK_OFFSET_SECS` | 0 | shifts the server's clock (end-to-end tests of the 24 h rule only) |
//! | `--fixture` | `HUDDLE_FIXTURE` | none | load-test fixture `users=N,projects=P` added at start-up (benchmarks) |

use std::num::NonZeroU32;
use std::time::Duration;

use clap::Args;

use huddle_storage::seed::FixtureSpec;
use huddle_storage::{MariaDbOptions, StoreOptions};

use super::ChatSettings;
use super::auth::JwtSettings;
use super::rate_limit::RateLimitSettings;
use super::validate::Limits;
use super::writer::WriterSettings;
use crate::files::attachment::AttachmentLimits;

/// The HS256 secret used when none is configured in demo mode (no database). Tokens signed
/// with it are worthless by design: it is public.
pub const DEV_SECRET: &str = "huddle-demo-secret-do-not-use-in-production";

/// Flags of the chat layer (flattened into `huddle`'s serve flags).
#[derive(Debug, Clone, Args)]
pub struct ChatArgs {
    /// MariaDB URL (mysql://user:pass@host:3306/database). Without it: an in-memory store
    /// with the demo data, where nothing persists.
    #[arg(
        long,
        env = "HUDDLE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Most pooled database connections.
    #[arg(long, env = "HUDDLE_DB_POOL_MAX", default_value_t = 16)]
    pub db_pool_max: usize,
    /// Longest database operation, in milliseconds, before it fails as DB_UNAVAILABLE.
    #[arg(
        long,
        env = "HUDDLE_DB_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 10_000
    )]
    pub db_timeout_ms: u64,
    /// HS256 secret of the handshake tokens (required with a database unless a public key
    /// is given; a public dev secret is used in demo mode).
    #[arg(
        long,
        env = "HUDDLE_JWT_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub jwt_secret: Option<String>,
    /// RS256 public key of the handshake tokens: PEM text, or the path of a PEM file.
    #[arg(
        long,
        env = "HUDDLE_JWT_PUBLIC_KEY",
        value_name = "PEM_OR_PATH",
        allow_hyphen_values = true
    )]
    pub jwt_public_key: Option<String>,
    /// Seconds of clock skew tolerated on a token's exp.
    #[arg(
        long,
        env = "HUDDLE_JWT_LEEWAY_SECS",
        value_name = "SECS",
        default_value_t = 0
    )]
    pub jwt_leeway_secs: u64,
    /// Audience tokens must name (aud), if any.
    #[arg(long, env = "HUDDLE_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Issuer tokens must name (iss), if any.
    #[arg(long, env = "HUDDLE_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// message:send allowed per user per minute, refilled evenly.
    #[arg(
        long,
        env = "HUDDLE_RATE_LIMIT_PER_MINUTE",
        value_name = "N",
        default_value_t = 10
    )]
    pub rate_limit_per_minute: u32,
    /// message:send allowed at once from a full bucket [default: the per-minute value].
    #[arg(long, env = "HUDDLE_RATE_LIMIT_BURST", value_name = "N")]
    pub rate_limit_burst: Option<u32>,
    /// Largest file of an image message, in bytes (file messages are bounded by the upload limit).
    #[arg(
        long,
        env = "HUDDLE_MAX_IMAGE_BYTES",
        value_name = "BYTES",
        default_value_t = crate::files::config::DEFAULT_MAX_IMAGE_BYTES
    )]
    pub max_image_bytes: u64,
    /// Longest text content, in Unicode code points.
    #[arg(
        long,
        env = "HUDDLE_MAX_CONTENT_CHARS",
        value_name = "N",
        default_value_t = 10_000
    )]
    pub max_content_chars: usize,
    /// Messages in the history page sent on join.
    #[arg(
        long,
        env = "HUDDLE_HISTORY_PAGE_SIZE",
        value_name = "N",
        default_value_t = 50
    )]
    pub history_page_size: u32,
    /// Cap of message:history's limit (also the size of catch-up pages).
    #[arg(
        long,
        env = "HUDDLE_HISTORY_MAX_LIMIT",
        value_name = "N",
        default_value_t = 100
    )]
    pub history_max_limit: u32,
    /// Most messages replayed to a client rejoining with sinceId; beyond, it gets the latest page.
    #[arg(
        long,
        env = "HUDDLE_MAX_CATCH_UP",
        value_name = "N",
        default_value_t = 10_000
    )]
    pub max_catch_up: usize,
    /// Milliseconds after which a typing indicator stops unless renewed.
    #[arg(
        long,
        env = "HUDDLE_TYPING_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 3_000
    )]
    pub typing_timeout_ms: u64,
    /// Seconds after creation during which a message may be edited or deleted.
    #[arg(
        long,
        env = "HUDDLE_EDIT_WINDOW_SECS",
        value_name = "SECS",
        default_value_t = 86_400
    )]
    pub edit_window_secs: u64,
    /// Most messages one room writer stores in one batch.
    #[arg(
        long,
        env = "HUDDLE_WRITER_BATCH",
        value_name = "N",
        default_value_t = 64
    )]
    pub writer_batch: usize,
    /// Milliseconds after which an idle room writer ends.
    #[arg(
        long,
        env = "HUDDLE_WRITER_IDLE_MS",
        value_name = "MS",
        default_value_t = 60_000
    )]
    pub writer_idle_ms: u64,
    /// Most messages stored in one transaction: the batches of several rooms that queued up
    /// while the previous commit ran (a room's batch is never split).
    #[arg(
        long,
        env = "HUDDLE_COMMIT_MAX",
        value_name = "N",
        default_value_t = 1024
    )]
    pub commit_max: usize,
    /// Group commits running at once: while one waits for the disk the next is written.
    #[arg(
        long,
        env = "HUDDLE_COMMIT_LANES",
        value_name = "N",
        default_value_t = 2
    )]
    pub commit_lanes: usize,
    /// Milliseconds during which the access facts that allowed a user's send to a room are
    /// reused for that user's next sends there; a withdrawn grant or task refuses sends
    /// after at most this long. 0 reads them for every commit.
    #[arg(
        long,
        env = "HUDDLE_ACCESS_CACHE_MS",
        value_name = "MS",
        default_value_t = 1_000
    )]
    pub access_cache_ms: u64,
    /// `message:send` events of one connection queued for storage at once; its next send
    /// waits for a free slot. 1 stores a connection's sends one commit at a time.
    #[arg(
        long,
        env = "HUDDLE_MAX_SENDS_IN_FLIGHT",
        value_name = "N",
        default_value_t = 32
    )]
    pub max_sends_in_flight: u32,
    /// Seconds added to the server's clock. For end-to-end tests of time rules only (e.g.
    /// restart 25 hours "later" to test the edit window); leave at 0 in production.
    #[arg(
        long,
        env = "HUDDLE_CLOCK_OFFSET_SECS",
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub clock_offset_secs: i64,
    /// Load-test fixture to add to the store at start-up: users=N,projects=P (researchers
    /// 1..=N, each with a task in every project 1..=P). For benchmarks.
    #[arg(long, env = "HUDDLE_FIXTURE", value_name = "SPEC")]
    pub fixture: Option<String>,
}

/// A setting that cannot work: printed as one line naming it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {message}")]
pub struct ConfigError {
    /// The environment variable / flag at fault.
    pub setting: &'static str,
    /// What is wrong.
    pub message: String,
}

fn bad(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        message: message.into(),
    }
}

/// Which store to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// The in-memory store with the demo data.
    Memory(StoreOptions),
    /// MariaDB.
    MariaDb {
        /// The URL (may hold a password: never logged).
        url: String,
        /// Pool and limits.
        options: MariaDbOptions,
    },
}

/// The validated chat configuration.
#[derive(Clone, Debug)]
pub struct ChatConfig {
    /// The store to open.
    pub store: StoreChoice,
    /// The chat settings.
    pub chat: ChatSettings,
    /// True when no key was configured and the public dev secret is in use (demo mode).
    pub uses_dev_secret: bool,
    /// The clock offset (zero in production).
    pub clock_offset: chrono::Duration,
    /// The load-test fixture to load at start-up, if any.
    pub fixture: Option<FixtureSpec>,
}

/// Reads a PEM given inline or as a file path.
pub fn read_pem(setting: &'static str, value: &str) -> Result<Vec<u8>, ConfigError> {
    let pem = if value.trim_start().starts_with("-----BEGIN") {
        value.as_bytes().to_vec()
    } else {
        std::fs::read(value).map_err(|e| bad(setting, format!("cannot read {value:?}: {e}")))?
    };
    Ok(pem)
}

fn positive_u32(setting: &'static str, value: u32) -> Result<NonZeroU32, ConfigError> {
    NonZeroU32::new(value).ok_or_else(|| bad(setting, "must be at least 1"))
}

impl ChatArgs {
    /// Validates the flags.
    pub fn config(&self) -> Result<ChatConfig, ConfigError> {
        let database_url = self.database_url.clone().filter(|u| !u.trim().is_empty());

        let secret = match &self.jwt_secret {
            Some(s) if s.is_empty() => return Err(bad("HUDDLE_JWT_SECRET", "must not be empty")),
            Some(s) => Some(s.as_bytes().to_vec()),
            None => None,
        };
        let public_key_pem = match &self.jwt_public_key {
            Some(v) if !v.trim().is_empty() => {
                let pem = read_pem("HUDDLE_JWT_PUBLIC_KEY", v)?;
                jsonwebtoken::DecodingKey::from_rsa_pem(&pem).map_err(|e| {
                    bad(
                        "HUDDLE_JWT_PUBLIC_KEY",
                        format!("not an RSA public key in PEM form: {e}"),
                    )
                })?;
                Some(pem)
            }
            _ => None,
        };
        let uses_dev_secret = secret.is_none() && public_key_pem.is_none();
        if uses_dev_secret && database_url.is_some() {
            return Err(bad(
                "HUDDLE_JWT_SECRET",
                "a secret (or HUDDLE_JWT_PUBLIC_KEY) is required when HUDDLE_DATABASE_URL is set",
            ));
        }
        let jwt = JwtSettings {
            secret: secret.or_else(|| uses_dev_secret.then(|| DEV_SECRET.as_bytes().to_vec())),
            public_key_pem,
            leeway_secs: self.jwt_leeway_secs,
            audience: self.jwt_audience.clone().filter(|a| !a.is_empty()),
            issuer: self.jwt_issuer.clone().filter(|i| !i.is_empty()),
        };

        let per_minute = positive_u32("HUDDLE_RATE_LIMIT_PER_MINUTE", self.rate_limit_per_minute)?;
        let burst = match self.rate_limit_burst {
            Some(b) => positive_u32("HUDDLE_RATE_LIMIT_BURST", b)?,
            None => per_minute,
        };

        if !(1..=100_000).contains(&self.max_content_chars) {
            return Err(bad("HUDDLE_MAX_CONTENT_CHARS", "must be 1 to 100000"));
        }
        if self.max_image_bytes == 0 {
            return Err(bad("HUDDLE_MAX_IMAGE_BYTES", "must be at least 1"));
        }
        if !(1..=1_000).contains(&self.history_max_limit) {
            return Err(bad("HUDDLE_HISTORY_MAX_LIMIT", "must be 1 to 1000"));
        }
        if !(1..=self.history_max_limit).contains(&self.history_page_size) {
            return Err(bad(
                "HUDDLE_HISTORY_PAGE_SIZE",
                format!(
                    "must be 1 to HUDDLE_HISTORY_MAX_LIMIT ({})",
                    self.history_max_limit
                ),
            ));
        }
        if self.max_catch_up == 0 {
            return Err(bad("HUDDLE_MAX_CATCH_UP", "must be at least 1"));
        }
        if !(10..=600_000).contains(&self.typing_timeout_ms) {
            return Err(bad("HUDDLE_TYPING_TIMEOUT_MS", "must be 10 to 600000"));
        }
        if self.edit_window_secs == 0 || self.edit_window_secs > 10 * 365 * 86_400 {
            return Err(bad(
                "HUDDLE_EDIT_WINDOW_SECS",
                "must be 1 second to 10 years",
            ));
        }
        if !(1..=1_000).contains(&self.writer_batch) {
            return Err(bad("HUDDLE_WRITER_BATCH", "must be 1 to 1000"));
        }
        if self.writer_idle_ms == 0 {
            return Err(bad("HUDDLE_WRITER_IDLE_MS", "must be at least 1"));
        }
        if !(1..=100_000).contains(&self.commit_max) {
            return Err(bad("HUDDLE_COMMIT_MAX", "must be 1 to 100000"));
        }
        if self.access_cache_ms > 3_600_000 {
            return Err(bad(
                "HUDDLE_ACCESS_CACHE_MS",
                "must be at most 3600000 (one hour)",
            ));
        }
        if !(1..=64).contains(&self.commit_lanes) {
            return Err(bad("HUDDLE_COMMIT_LANES", "must be 1 to 64"));
        }
        if !(1..=1_024).contains(&self.max_sends_in_flight) {
            return Err(bad("HUDDLE_MAX_SENDS_IN_FLIGHT", "must be 1 to 1024"));
        }
        if self.db_pool_max == 0 {
            return Err(bad("HUDDLE_DB_POOL_MAX", "must be at least 1"));
        }
        if self.db_timeout_ms == 0 {
            return Err(bad("HUDDLE_DB_TIMEOUT_MS", "must be at least 1"));
        }
        // ±100 years is far beyond any test's need and keeps chrono in range.
        if self.clock_offset_secs.unsigned_abs() > 100 * 365 * 86_400 {
            return Err(bad("HUDDLE_CLOCK_OFFSET_SECS", "must be within ±100 years"));
        }

        let fixture = match self.fixture.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(spec) => {
                Some(FixtureSpec::parse(spec).map_err(|e| bad("HUDDLE_FIXTURE", e.to_string()))?)
            }
        };

        let store_options = StoreOptions {
            max_page_size: self.history_max_limit,
            // A code point is at most 4 bytes in UTF-8; sanitising never lengthens text.
            max_content_bytes: (self.max_content_chars * 4)
                .max(StoreOptions::default().max_content_bytes),
        };
        let store = match database_url {
            None => StoreChoice::Memory(store_options),
            Some(url) => StoreChoice::MariaDb {
                url,
                options: MariaDbOptions {
                    store: store_options,
                    pool_max: self.db_pool_max,
                    pool_min: MariaDbOptions::default().pool_min.min(self.db_pool_max),
                    operation_timeout: Duration::from_millis(self.db_timeout_ms),
                    ..MariaDbOptions::default()
                },
            },
        };

        Ok(ChatConfig {
            store,
            chat: ChatSettings {
                jwt,
                limits: Limits {
                    max_content_chars: self.max_content_chars,
                    history_page_size: self.history_page_size,
                    history_max_limit: self.history_max_limit,
                },
                rate_limit: RateLimitSettings { per_minute, burst },
                typing_timeout: Duration::from_millis(self.typing_timeout_ms),
                edit_window: chrono::Duration::seconds(self.edit_window_secs as i64),
                max_catch_up_messages: self.max_catch_up,
                writer: WriterSettings {
                    batch_max: self.writer_batch,
                    idle_timeout: Duration::from_millis(self.writer_idle_ms),
                    commit_max: self.commit_max,
                    commit_lanes: self.commit_lanes,
                    access_ttl: Duration::from_millis(self.access_cache_ms),
                },
                max_sends_in_flight: self.max_sends_in_flight,
                attachments: AttachmentLimits {
                    max_image_bytes: self.max_image_bytes,
                },
            },
            uses_dev_secret,
            clock_offset: chrono::Duration::seconds(self.clock_offset_secs),
            fixture,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        chat: ChatArgs,
    }

    fn parse(args: &[&str]) -> Result<ChatConfig, ConfigError> {
        let mut argv = vec!["huddle"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .expect("flags parse")
            .chat
            .config()
    }

    #[test]
    fn defaults_are_the_spec_values_in_demo_mode() {
        // Run without the HUDDLE_ environment: tests must not depend on the caller's shell.
        let c = parse(&[]).unwrap();
        assert!(c.uses_dev_secret);
        assert_eq!(c.chat.jwt.secret.as_deref(), Some(DEV_SECRET.as_bytes()));
        assert!(matches!(c.store, StoreChoice::Memory(_)));
        assert_eq!(c.chat.rate_limit.per_minute.get(), 10);
        assert_eq!(c.chat.rate_limit.burst.get(), 10);
        assert_eq!(c.chat.limits, Limits::default());
        assert_eq!(c.chat.attachments, AttachmentLimits::default());
        assert_eq!(c.chat.typing_timeout, Duration::from_secs(3));
        assert_eq!(c.chat.edit_window, chrono::Duration::hours(24));
        assert_eq!(c.clock_offset, chrono::Duration::zero());
        let defaults = ChatSettings::default();
        assert_eq!(c.chat.writer, defaults.writer);
        assert_eq!(c.chat.max_sends_in_flight, defaults.max_sends_in_flight);
    }

    #[test]
    fn a_database_requires_a_key() {
        let err = parse(&["--database-url", "mysql://root@127.0.0.1:3306/huddle"]).unwrap_err();
        assert_eq!(err.setting, "HUDDLE_JWT_SECRET");
        let ok = parse(&[
            "--database-url",
            "mysql://root@127.0.0.1:3306/huddle",
            "--jwt-secret",
            "s3cret",
            "--db-pool-max",
            "4",
        ])
        .unwrap();
        assert!(!ok.uses_dev_secret);
        match ok.store {
            StoreChoice::MariaDb { url, options } => {
                assert_eq!(url, "mysql://root@127.0.0.1:3306/huddle");
                assert_eq!(options.pool_max, 4);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn public_key_inline_or_from_a_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/jwt_rs256_public.pem"
        );
        let from_file = parse(&["--jwt-public-key", path]).unwrap();
        assert!(!from_file.uses_dev_secret);
        assert!(from_file.chat.jwt.secret.is_none());
        let inline = std::fs::read_to_string(path).unwrap();
        let from_text = parse(&["--jwt-public-key", &inline]).unwrap();
        assert_eq!(
            from_text.chat.jwt.public_key_pem,
            from_file.chat.jwt.public_key_pem
        );
        assert_eq!(
            parse(&["--jwt-public-key", "/nonexistent/key.pem"])
                .unwrap_err()
                .setting,
            "HUDDLE_JWT_PUBLIC_KEY"
        );
        assert_eq!(
            parse(&[
                "--jwt-public-key",
                "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"
            ])
            .unwrap_err()
            .setting,
            "HUDDLE_JWT_PUBLIC_KEY"
        );
    }

    #[test]
    fn every_bad_value_names_its_setting() {
        let cases: &[(&[&str], &str)] = &[
            (&["--jwt-secret", ""], "HUDDLE_JWT_SECRET"),
            (
                &["--rate-limit-per-minute", "0"],
                "HUDDLE_RATE_LIMIT_PER_MINUTE",
            ),
            (&["--rate-limit-burst", "0"], "HUDDLE_RATE_LIMIT_BURST"),
            (&["--max-content-chars", "0"], "HUDDLE_MAX_CONTENT_CHARS"),
            (&["--max-image-bytes", "0"], "HUDDLE_MAX_IMAGE_BYTES"),
            (
                &["--max-content-chars", "100001"],
                "HUDDLE_MAX_CONTENT_CHARS",
            ),
            (&["--history-max-limit", "0"], "HUDDLE_HISTORY_MAX_LIMIT"),
            (&["--history-page-size", "0"], "HUDDLE_HISTORY_PAGE_SIZE"),
            (&["--history-page-size", "101"], "HUDDLE_HISTORY_PAGE_SIZE"),
            (&["--max-catch-up", "0"], "HUDDLE_MAX_CATCH_UP"),
            (&["--typing-timeout-ms", "0"], "HUDDLE_TYPING_TIMEOUT_MS"),
            (&["--edit-window-secs", "0"], "HUDDLE_EDIT_WINDOW_SECS"),
            (&["--writer-batch", "0"], "HUDDLE_WRITER_BATCH"),
            (&["--writer-idle-ms", "0"], "HUDDLE_WRITER_IDLE_MS"),
            (&["--commit-max", "0"], "HUDDLE_COMMIT_MAX"),
            (&["--commit-lanes", "0"], "HUDDLE_COMMIT_LANES"),
            (&["--access-cache-ms", "3600001"], "HUDDLE_ACCESS_CACHE_MS"),
            (
                &["--max-sends-in-flight", "0"],
                "HUDDLE_MAX_SENDS_IN_FLIGHT",
            ),
            (
                &["--max-sends-in-flight", "1025"],
                "HUDDLE_MAX_SENDS_IN_FLIGHT",
            ),
            (&["--db-pool-max", "0"], "HUDDLE_DB_POOL_MAX"),
            (&["--db-timeout-ms", "0"], "HUDDLE_DB_TIMEOUT_MS"),
            (
                &["--clock-offset-secs", "99999999999"],
                "HUDDLE_CLOCK_OFFSET_SECS",
            ),
        ];
        for (args, setting) in cases {
            let err = parse(args).unwrap_err();
            assert_eq!(&err.setting, setting, "{args:?}");
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid setting {setting}: "))
            );
        }
    }

    #[test]
    fn limits_are_configurable() {
        let c = parse(&[
            "--rate-limit-per-minute",
            "30",
            "--rate-limit-burst",
            "5",
            "--max-content-chars",
            "500",
            "--history-page-size",
            "20",
            "--typing-timeout-ms",
            "1500",
            "--edit-window-secs",
            "60",
            "--clock-offset-secs",
            "-90000",
            "--max-image-bytes",
            "2048",
        ])
        .unwrap();
        assert_eq!(c.chat.attachments.max_image_bytes, 2048);
        assert_eq!(c.chat.rate_limit.per_minute.get(), 30);
        assert_eq!(c.chat.rate_limit.burst.get(), 5);
        assert_eq!(c.chat.limits.max_content_chars, 500);
        assert_eq!(c.chat.limits.history_page_size, 20);
        assert_eq!(c.chat.typing_timeout, Duration::from_millis(1500));
        assert_eq!(c.chat.edit_window, chrono::Duration::seconds(60));
        assert_eq!(c.clock_offset, chrono::Duration::seconds(-90_000));
        let f = parse(&["--fixture", "users=20,projects=2"]).unwrap();
        assert_eq!(
            f.fixture,
            Some(FixtureSpec {
                users: 20,
                projects: 2
            })
        );
    }
}
