//! What the `huddle` binary runs for the chat (issue 4 items 2 and 10):
//! - [`start`]: serve mode — validate the chat flags, open the store (in-memory with the demo
//!   data, or MariaDB with migrations), install the chat on `/`, and in demo mode build the
//!   quick start (URL and one token per demo user) with its "nothing persists" warning;
//! - [`run_token`]: `huddle token --user N [--ttl 1h]` prints a JWT for a user;
//! - [`run_demo_data`]: `huddle demo-data --database-url ...` loads the demo data into MariaDB.

use std::sync::Arc;

use clap::Args;

use huddle_storage::seed::FixtureSpec;
use huddle_storage::{
    MariaDbOptions, MariaDbStore, MemoryStore, OffsetClock, Store, StoreError, SystemClock,
    demo_dataset,
};

use super::auth::JwtSigner;
use super::clock::SharedClock;
use super::config::{ChatArgs, ConfigError, DEV_SECRET, StoreChoice, read_pem};
use super::{Chat, InstallError};
use crate::socketio::SocketIo;

/// How long the quick-start tokens are valid.
pub const QUICK_START_TTL_HOURS: i64 = 24;

/// Flags of `huddle token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The user id the token is for (its `sub`).
    #[arg(long)]
    pub user: u64,
    /// Validity: a number with s, m, h or d (e.g. 90s, 15m, 1h, 7d); a leading - gives an
    /// already expired token (write --ttl=-1h).
    #[arg(long, default_value = "1h", allow_hyphen_values = true)]
    pub ttl: String,
    /// HS256 secret to sign with [default: the public demo secret].
    #[arg(
        long,
        env = "HUDDLE_JWT_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub jwt_secret: Option<String>,
    /// RS256 private key to sign with instead (PEM text or a path to a PEM file).
    #[arg(
        long,
        env = "HUDDLE_JWT_PRIVATE_KEY",
        value_name = "PEM_OR_PATH",
        allow_hyphen_values = true
    )]
    pub jwt_private_key: Option<String>,
    /// `aud` claim to include.
    #[arg(long, env = "HUDDLE_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// `iss` claim to include.
    #[arg(long, env = "HUDDLE_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Seconds added to the clock the token's iat/exp are computed from (to match a server
    /// started with the same offset).
    #[arg(
        long,
        env = "HUDDLE_CLOCK_OFFSET_SECS",
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub clock_offset_secs: i64,
}

/// Flags of `huddle demo-data`.
#[derive(Debug, Clone, Args)]
pub struct DemoDataArgs {
    /// MariaDB URL (mysql://user:pass@host:3306/database); the database is created if missing.
    #[arg(
        long,
        env = "HUDDLE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Longest database operation, in milliseconds.
    #[arg(
        long,
        env = "HUDDLE_DB_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 10_000
    )]
    pub db_timeout_ms: u64,
}

/// Parses a validity such as `90s`, `15m`, `1h`, `7d`, `-1h` (a bare number is seconds).
pub fn parse_ttl(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (digits, unit) = match rest.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => rest.split_at(i),
        None => (rest, "s"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 15m, 1h or 7d"))?;
    let secs_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use s, m, h or d)"
            ));
        }
    };
    let secs = n
        .checked_mul(secs_per_unit)
        .filter(|s| *s <= 10 * 365 * 86_400)
        .ok_or_else(|| format!("{text:?} is longer than 10 years"))?;
    Ok(chrono::Duration::seconds(if negative {
        -secs
    } else {
        secs
    }))
}

fn clock_with_offset(offset_secs: i64) -> SharedClock {
    if offset_secs == 0 {
        Arc::new(SystemClock)
    } else {
        let clock = OffsetClock::new();
        clock.set_offset(chrono::Duration::seconds(offset_secs));
        Arc::new(clock)
    }
}

/// A token and, when it was signed with the public demo secret, a note saying so.
#[derive(Debug)]
pub struct TokenOutput {
    /// The JWT.
    pub token: String,
    /// For stderr.
    pub note: Option<String>,
}

/// `huddle token`.
pub fn run_token(args: &TokenArgs) -> Result<TokenOutput, ConfigError> {
    let ttl = parse_ttl(&args.ttl).map_err(|message| ConfigError {
        setting: "--ttl",
        message,
    })?;
    if args.user == 0 {
        return Err(ConfigError {
            setting: "--user",
            message: "must be a positive user id".into(),
        });
    }
    let (signer, note) = match (&args.jwt_private_key, &args.jwt_secret) {
        (Some(pem), _) if !pem.trim().is_empty() => {
            let pem = read_pem("HUDDLE_JWT_PRIVATE_KEY", pem)?;
            let signer = JwtSigner::rs256(&pem).map_err(|e| ConfigError {
                setting: "HUDDLE_JWT_PRIVATE_KEY",
                message: e.to_string(),
            })?;
            (signer, None)
        }
        (_, Some(secret)) => (
            JwtSigner::hs256(secret.as_bytes()).map_err(|e| ConfigError {
                setting: "HUDDLE_JWT_SECRET",
                message: e.to_string(),
            })?,
            None,
        ),
        (_, None) => (
            JwtSigner::hs256(DEV_SECRET.as_bytes()).map_err(|e| ConfigError {
                setting: "HUDDLE_JWT_SECRET",
                message: e.to_string(),
            })?,
            Some(
                "note: signed with the public demo secret (set HUDDLE_JWT_SECRET for a real one)"
                    .to_owned(),
            ),
        ),
    };
    let signer = signer.with_claims(
        args.jwt_audience.clone().filter(|a| !a.is_empty()),
        args.jwt_issuer.clone().filter(|i| !i.is_empty()),
    );
    let clock = clock_with_offset(args.clock_offset_secs);
    Ok(TokenOutput {
        token: signer.mint(args.user, ttl, &clock),
        note,
    })
}

/// `huddle demo-data`: returns a summary line.
pub async fn run_demo_data(args: &DemoDataArgs) -> Result<String, StoreError> {
    let options = MariaDbOptions {
        operation_timeout: std::time::Duration::from_millis(args.db_timeout_ms.max(1)),
        ..MariaDbOptions::default()
    };
    let store = MariaDbStore::connect(&args.database_url, Arc::new(SystemClock), options).await?;
    let data = demo_dataset();
    store.load_dataset(&data).await?;
    let summary = format!(
        "demo data loaded into database {}: {} users, {} projects, {} grants, {} studies, {} tasks",
        store.database(),
        data.users.len(),
        data.projects.len(),
        data.grants.len(),
        data.studies.len(),
        data.tasks.len()
    );
    store.disconnect().await?;
    Ok(summary)
}

/// Why serve mode could not start the chat.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A bad setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened (unreachable, bad URL, failed migration).
    #[error("invalid setting HUDDLE_DATABASE_URL: cannot open the database: {0}")]
    Database(StoreError),
    /// The in-memory store could not be prepared (demo data or fixture).
    #[error("cannot prepare the in-memory store: {0}")]
    Store(StoreError),
    /// The chat could not be registered.
    #[error("cannot install the chat: {0}")]
    Install(#[from] InstallError),
}

/// The chat as serve mode runs it.
#[derive(Debug)]
pub struct Started {
    /// The installed chat.
    pub chat: Chat,
    /// The store it uses.
    pub store: Arc<dyn Store>,
    /// Warnings to log at start-up (demo mode, dev secret, clock offset).
    pub warnings: Vec<String>,
    /// In demo mode: the quick start to print (URL and one token per demo user).
    pub quick_start: Option<String>,
}

/// Opens the configured store on `clock`, loading the demo data into the in-memory one and
/// the load-test fixture, if given, into either.
pub async fn open_store(
    choice: &StoreChoice,
    clock: SharedClock,
    fixture: Option<&FixtureSpec>,
) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match choice {
        StoreChoice::Memory(options) => {
            let store = MemoryStore::new(clock, options.clone());
            store.load_dataset(&demo_dataset()).await?;
            Arc::new(store)
        }
        StoreChoice::MariaDb { url, options } => {
            Arc::new(MariaDbStore::connect(url, clock, options.clone()).await?)
        }
    };
    if let Some(spec) = fixture {
        store.load_fixture(spec).await?;
    }
    Ok(store)
}

/// Serve mode: everything the chat needs, installed on `io`. `public_url` is the address
/// clients connect to (for the quick start).
pub async fn start(
    io: &SocketIo,
    args: &ChatArgs,
    public_url: &str,
) -> Result<Started, StartError> {
    let config = args.config()?;
    let clock = clock_with_offset(config.clock_offset.num_seconds());
    let mut warnings = Vec::new();
    if config.clock_offset.num_seconds() != 0 {
        warnings.push(format!(
            "the clock is shifted by {} s (HUDDLE_CLOCK_OFFSET_SECS): for tests only",
            config.clock_offset.num_seconds()
        ));
    }
    let store = open_store(&config.store, clock.clone(), config.fixture.as_ref())
        .await
        .map_err(|e| match config.store {
            StoreChoice::MariaDb { .. } => StartError::Database(e),
            StoreChoice::Memory(_) => StartError::Store(e),
        })?;
    let chat = Chat::install(io, store.clone(), clock.clone(), config.chat.clone())?;
    let quick_start = match config.store {
        StoreChoice::Memory(_) => {
            warnings.push(
                "no HUDDLE_DATABASE_URL: in-memory store with the demo data; nothing persists"
                    .into(),
            );
            if config.uses_dev_secret {
                warnings.push(
                    "no HUDDLE_JWT_SECRET: tokens are checked with the public demo secret".into(),
                );
            }
            Some(quick_start_text(
                public_url,
                &config.chat.jwt.secret,
                &clock,
            ))
        }
        StoreChoice::MariaDb { .. } => None,
    };
    Ok(Started {
        chat,
        store,
        warnings,
        quick_start,
    })
}

/// The demo-mode quick start: where to connect and a token per demo user.
pub fn quick_start_text(public_url: &str, secret: &Option<Vec<u8>>, clock: &SharedClock) -> String {
    let mut text = format!(
        "Huddle demo mode: in-memory store with the demo data. NOTHING PERSISTS: every message \
         is lost when huddle stops (set HUDDLE_DATABASE_URL and HUDDLE_JWT_SECRET to use MariaDB).\n\
         Connect socket.io-client to {public_url} with auth: {{ token }}, e.g.\n  \
         io(\"{public_url}\", {{ auth: {{ token: \"<token>\" }} }})\n"
    );
    let signer = secret.as_deref().map(JwtSigner::hs256);
    match signer {
        Some(Ok(signer)) => {
            text.push_str(&format!("Tokens (valid {QUICK_START_TTL_HOURS} h):\n"));
            for user in demo_dataset().users {
                let token = signer.mint(
                    user.id,
                    chrono::Duration::hours(QUICK_START_TTL_HOURS),
                    clock,
                );
                text.push_str(&format!(
                    "  user {} {} {} ({}): {}\n",
                    user.id, user.first_name, user.last_name, user.role, token
                ));
            }
        }
        _ => text.push_str(
            "Tokens: only RS256 is configured; sign them with the matching private key \
             (huddle token --user N --jwt-private-key key.pem).\n",
        ),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::auth::{JwtSettings, JwtVerifier};

    #[test]
    fn ttl_forms() {
        assert_eq!(parse_ttl("90s").unwrap(), chrono::Duration::seconds(90));
        assert_eq!(parse_ttl("15m").unwrap(), chrono::Duration::minutes(15));
        assert_eq!(parse_ttl("1h").unwrap(), chrono::Duration::hours(1));
        assert_eq!(parse_ttl("7d").unwrap(), chrono::Duration::days(7));
        assert_eq!(parse_ttl("3600").unwrap(), chrono::Duration::hours(1));
        assert_eq!(parse_ttl("-1h").unwrap(), chrono::Duration::hours(-1));
        for bad in ["", "h", "1w", "1.5h", "abc", "99999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    fn token_args(extra: &[&str]) -> TokenArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            token: TokenArgs,
        }
        let mut argv = vec!["huddle-token"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().token
    }

    #[test]
    fn token_command_signs_verifiable_tokens() {
        let out = run_token(&token_args(&["--user", "3", "--jwt-secret", "s3cret"])).unwrap();
        assert!(out.note.is_none());
        let clock: SharedClock = Arc::new(SystemClock);
        let verifier = JwtVerifier::new(
            &JwtSettings {
                secret: Some(b"s3cret".to_vec()),
                ..Default::default()
            },
            clock.clone(),
        )
        .unwrap();
        assert_eq!(verifier.verify(&out.token), Ok(3));

        let expired = run_token(&token_args(&[
            "--user",
            "3",
            "--jwt-secret",
            "s3cret",
            "--ttl=-1m",
        ]))
        .unwrap();
        assert_eq!(
            verifier.verify(&expired.token).unwrap_err().code(),
            crate::chat::errors::ErrorCode::AuthExpired
        );
    }

    #[test]
    fn token_command_rs256_and_bad_input() {
        let key = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/jwt_rs256_private.pem"
        );
        let out = run_token(&token_args(&["--user", "5", "--jwt-private-key", key])).unwrap();
        let public = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/jwt_rs256_public.pem"
        ))
        .unwrap();
        let verifier = JwtVerifier::new(
            &JwtSettings {
                public_key_pem: Some(public),
                ..Default::default()
            },
            Arc::new(SystemClock),
        )
        .unwrap();
        assert_eq!(verifier.verify(&out.token), Ok(5));
        assert_eq!(
            run_token(&token_args(&["--user", "0", "--jwt-secret", "x"]))
                .unwrap_err()
                .setting,
            "--user"
        );
        assert_eq!(
            run_token(&token_args(&[
                "--user",
                "1",
                "--jwt-secret",
                "x",
                "--ttl",
                "soon"
            ]))
            .unwrap_err()
            .setting,
            "--ttl"
        );
        assert_eq!(
            run_token(&token_args(&[
                "--user",
                "1",
                "--jwt-private-key",
                "/nope.pem"
            ]))
            .unwrap_err()
            .setting,
            "HUDDLE_JWT_PRIVATE_KEY"
        );
    }

    #[test]
    fn quick_start_lists_a_working_token_per_demo_user() {
        let clock: SharedClock = Arc::new(SystemClock);
        let text = quick_start_text(
            "http://127.0.0.1:3000",
            &Some(DEV_SECRET.as_bytes().to_vec()),
            &clock,
        );
        assert!(text.contains("NOTHING PERSISTS"));
        assert!(text.contains("http://127.0.0.1:3000"));
        let verifier = JwtVerifier::new(
            &JwtSettings {
                secret: Some(DEV_SECRET.as_bytes().to_vec()),
                ..Default::default()
            },
            clock,
        )
        .unwrap();
        let tokens: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().starts_with("user "))
            .map(|l| l.rsplit(": ").next().unwrap())
            .collect();
        assert_eq!(tokens.len(), 5);
        for (i, token) in tokens.iter().enumerate() {
            assert_eq!(verifier.verify(token), Ok(i as u64 + 1));
        }
    }
}
