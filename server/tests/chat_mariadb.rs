//! The chat on the real MariaDB (issue 4 items 8 and 9): when the database is unreachable the
//! sender gets DB_UNAVAILABLE, nobody sees the message, a new connection is refused with
//! DB_UNAVAILABLE, and the server recovers by itself once the database is back; a restarted
//! server loses nothing.
//!
//! MariaDB comes from `HUDDLE_TEST_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`); each
//! test uses a database of its own, dropped afterwards. "Unreachable" is real: the store talks
//! to MariaDB through a TCP proxy on 127.0.0.1 that the test cuts and restores.

mod chat_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_support::*;
use chrono::Utc;
use mysql_async::prelude::Queryable;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use huddle_server::chat::clock::{ManualClock, SharedClock};
use huddle_storage::{MariaDbOptions, MariaDbStore, Store, demo_dataset};

fn server_url() -> String {
    std::env::var("HUDDLE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

fn mariadb_addr() -> SocketAddr {
    let opts = mysql_async::Opts::from_url(&server_url()).expect("a MariaDB URL");
    let host = opts.ip_or_hostname();
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{}", opts.tcp_port())
        .parse()
        .expect("MariaDB on an IP address")
}

/// A database of the test's own, dropped when the guard goes.
struct TestDb {
    name: String,
}

impl TestDb {
    fn new() -> TestDb {
        static N: AtomicU32 = AtomicU32::new(0);
        TestDb {
            name: format!(
                "huddle_chat_test_{}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed),
                Utc::now().timestamp_subsec_nanos()
            ),
        }
    }

    /// The URL of this database reached through `port` on 127.0.0.1.
    fn url_via(&self, port: u16) -> String {
        let opts = mysql_async::Opts::from_url(&server_url()).expect("a MariaDB URL");
        let user = opts.user().unwrap_or("root");
        let auth = match opts.pass() {
            Some(p) => format!("{user}:{p}"),
            None => user.to_owned(),
        };
        // prefer_socket=false: otherwise the driver switches to MariaDB's Unix socket when it
        // sees a local server, and the proxy would be bypassed.
        format!(
            "mysql://{auth}@127.0.0.1:{port}/{}?prefer_socket=false",
            self.name
        )
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // The test's runtime cannot be blocked on: drop from a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = mysql_async::Conn::from_url(server_url()).await {
                    let _ = conn
                        .query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
                        .await;
                    let _ = conn.disconnect().await;
                }
            });
        })
        .join();
    }
}

/// A TCP proxy to MariaDB that can be cut (every connection closed, nothing listening) and
/// restored on the same port.
struct Proxy {
    port: u16,
    target: SocketAddr,
    accept: Option<JoinHandle<()>>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let mut proxy = Proxy {
            port: listener.local_addr().expect("address").port(),
            target,
            accept: None,
            links: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target;
        let links = self.links.clone();
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links.lock().unwrap_or_else(|e| e.into_inner()).push(link);
            }
        }));
    }

    async fn cut(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
        let links: Vec<_> =
            std::mem::take(&mut *self.links.lock().unwrap_or_else(|e| e.into_inner()));
        for link in links {
            link.abort();
            let _ = link.await;
        }
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind the proxy port");
        self.serve(listener);
    }
}

async fn mariadb_store(url: &str, clock: &Arc<ManualClock>) -> Arc<dyn Store> {
    let shared: SharedClock = clock.clone();
    let options = MariaDbOptions {
        pool_min: 1,
        pool_max: 4,
        // Short, so an unreachable database is reported quickly.
        operation_timeout: Duration::from_secs(2),
        ..MariaDbOptions::default()
    };
    let store = MariaDbStore::connect(url, shared, options)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "MariaDB must be reachable at {} for this test: {e}",
                server_url()
            )
        });
    store
        .load_dataset(&demo_dataset())
        .await
        .expect("demo data loads");
    Arc::new(store)
}

fn contents(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().expect("content").to_owned())
        .collect()
}

#[tokio::test]
async fn an_unreachable_database_means_db_unavailable_and_the_server_recovers() {
    let db = TestDb::new();
    let mut proxy = Proxy::start(mariadb_addr()).await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = mariadb_store(&db.url_via(proxy.port), &clock).await;
    let server = start_on(store, clock, settings()).await;

    let mut alan = server.client(3).await;
    let mut ada = server.client(1).await;
    alan.join("project", 1).await;
    ada.join("project", 1).await;
    assert_eq!(alan.send("project", 1, "before").await["ok"], true);
    ada.event("message:new").await;
    alan.event("message:new").await;

    proxy.cut().await;
    let ack = alan.send("project", 1, "during").await;
    assert_eq!(error_code(&ack), "DB_UNAVAILABLE");
    assert_eq!(alan.event("error").await["code"], "DB_UNAVAILABLE");
    ada.no_event("message:new", Duration::from_millis(300))
        .await;
    alan.no_event("message:new", Duration::from_millis(10))
        .await;

    // A new connection cannot load its user: refused with DB_UNAVAILABLE.
    let (_, answer) = server
        .connect_raw(Some(&json!({"token": server.token(5)}).to_string()))
        .await;
    assert!(answer.starts_with("44"), "{answer}");
    assert!(answer.contains("\"code\":\"DB_UNAVAILABLE\""), "{answer}");

    proxy.restore().await;
    let ack = alan.send("project", 1, "after").await;
    assert_eq!(ack["ok"], true, "recovered by itself: {ack}");
    assert_eq!(
        ada.event("message:new").await["message"]["content"],
        "after"
    );
    let page = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    assert_eq!(
        contents(&page),
        ["before", "after"],
        "nothing of the failed send"
    );
    let mut edsger = server.client(5).await;
    edsger.join("project", 1).await;
}

#[tokio::test]
async fn a_restarted_server_loses_nothing() {
    let db = TestDb::new();
    let mariadb = mariadb_addr();
    let url = db.url_via(mariadb.port());
    let clock = Arc::new(ManualClock::new(Utc::now()));

    let sent: Vec<Value> = {
        let server = start_on(mariadb_store(&url, &clock).await, clock.clone(), settings()).await;
        let mut alan = server.client(3).await;
        alan.join("study", 1).await;
        let mut sent = Vec::new();
        for i in 0..5 {
            sent.push(alan.send("study", 1, &format!("kept {i}")).await["message"].clone());
        }
        let edited = alan
            .request(
                "message:edit",
                json!({"messageId": sent[1]["id"], "content": "kept 1 (edited)"}),
            )
            .await;
        sent[1] = edited["message"].clone();
        let deleted = alan
            .request("message:delete", json!({"messageId": sent[2]["id"]}))
            .await;
        assert_eq!(deleted["ok"], true);
        alan.close().await;
        sent
    };

    let server = start_on(mariadb_store(&url, &clock).await, clock, settings()).await;
    let mut ada = server.client(1).await;
    let (_, _, history) = ada.join("study", 1).await;
    let messages = history["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5);
    for (stored, original) in messages.iter().zip(&sent) {
        if stored["id"] == sent[2]["id"] {
            assert_eq!(stored["content"], "", "the deletion survived too");
            assert!(stored["deletedAt"].is_string());
        } else {
            assert_eq!(stored, original, "identical after the restart");
        }
    }
}
