//! What the `huddle` binary runs for the chat (issue 4 items 2 and 10): serve-mode start-up in
//! demo mode (quick start with a working token per demo user, "nothing persists" warning) and
//! on MariaDB, `huddle demo-data` into a real MariaDB database, and a bad database URL.

use clap::Parser;
use mysql_async::prelude::Queryable;

use huddle_server::chat::commands::{DemoDataArgs, StartError, run_demo_data, start};
use huddle_server::chat::config::ChatArgs;
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_storage::Backend;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    chat: ChatArgs,
}

fn chat_args(args: &[&str]) -> ChatArgs {
    let mut argv = vec!["huddle"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).expect("flags").chat
}

fn server_url() -> String {
    std::env::var("HUDDLE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

#[tokio::test]
async fn demo_mode_prints_a_quick_start_and_warns() {
    let io = SocketIo::new(SocketIoConfig::default());
    let started = start(&io, &chat_args(&[]), "http://127.0.0.1:3999")
        .await
        .expect("demo mode starts");
    assert_eq!(started.store.backend(), Backend::Memory);
    assert!(
        started
            .warnings
            .iter()
            .any(|w| w.contains("nothing persists"))
    );
    assert!(started.warnings.iter().any(|w| w.contains("demo secret")));
    let quick = started.quick_start.expect("a quick start in demo mode");
    assert!(quick.contains("http://127.0.0.1:3999"));
    assert_eq!(
        quick
            .lines()
            .filter(|l| l.trim_start().starts_with("user "))
            .count(),
        5
    );
    // The demo data is there.
    let ada = started.store.get_user(1).await.unwrap().unwrap();
    assert_eq!(
        (ada.first_name.as_str(), ada.last_name.as_str()),
        ("Ada", "Lovelace")
    );
}

#[tokio::test]
async fn a_fixture_is_loaded_at_start_up() {
    let io = SocketIo::new(SocketIoConfig::default());
    let started = start(
        &io,
        &chat_args(&["--jwt-secret", "s", "--fixture", "users=30,projects=2"]),
        "http://127.0.0.1:1",
    )
    .await
    .expect("starts");
    assert!(started.store.get_user(30).await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_database_stops_start_up_with_a_clear_error() {
    let io = SocketIo::new(SocketIoConfig::default());
    // Port 1 on loopback: nothing listens there.
    let args = chat_args(&[
        "--database-url",
        "mysql://root@127.0.0.1:1/huddle?prefer_socket=false",
        "--jwt-secret",
        "s",
        "--db-timeout-ms",
        "2000",
    ]);
    let err = start(&io, &args, "http://127.0.0.1:1").await.unwrap_err();
    assert!(matches!(err, StartError::Database(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("invalid setting HUDDLE_DATABASE_URL: cannot open the database: "),
        "{err}"
    );
    let bad_url = chat_args(&["--database-url", "not-a-url", "--jwt-secret", "s"]);
    let err = start(&io, &bad_url, "http://127.0.0.1:1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HUDDLE_DATABASE_URL"), "{err}");
}

#[tokio::test]
async fn demo_data_goes_into_mariadb_and_serve_mode_uses_it() {
    let name = format!(
        "huddle_chat_demo_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let opts = mysql_async::Opts::from_url(&server_url()).expect("URL");
    let auth = match opts.pass() {
        Some(p) => format!("{}:{p}", opts.user().unwrap_or("root")),
        None => opts.user().unwrap_or("root").to_owned(),
    };
    let url = format!(
        "mysql://{auth}@{}:{}/{name}",
        opts.ip_or_hostname(),
        opts.tcp_port()
    );

    let summary = run_demo_data(&DemoDataArgs {
        database_url: url.clone(),
        db_timeout_ms: 10_000,
    })
    .await
    .expect("demo data loads into MariaDB");
    assert!(
        summary.contains("5 users, 3 projects, 1 grants, 4 studies, 3 tasks"),
        "{summary}"
    );
    // Idempotent: a second run changes nothing and succeeds.
    run_demo_data(&DemoDataArgs {
        database_url: url.clone(),
        db_timeout_ms: 10_000,
    })
    .await
    .expect("second run");

    let io = SocketIo::new(SocketIoConfig::default());
    let started = start(
        &io,
        &chat_args(&["--database-url", &url, "--jwt-secret", "s"]),
        "http://127.0.0.1:1",
    )
    .await
    .expect("serve mode on MariaDB");
    assert_eq!(started.store.backend(), Backend::MariaDb);
    assert!(
        started.quick_start.is_none(),
        "no quick start when persisting"
    );
    let grace = started.store.get_user(2).await.unwrap().unwrap();
    assert_eq!(grace.last_name, "Hopper");

    let mut conn = mysql_async::Conn::from_url(server_url())
        .await
        .expect("admin");
    conn.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
        .await
        .expect("drop the test database");
    conn.disconnect().await.ok();
}
