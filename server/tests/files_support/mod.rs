//! Shared support of the files integration tests: the HTTP server on 127.0.0.1 with the
//! files API over the in-memory store (demo data, manual clock) and a temporary data
//! directory, plus a minimal raw HTTP/1.1 client over TCP, so uploads are real multipart
//! bodies sent in chunks, and a test can stop half-way or watch the answer arrive before
//! it has finished sending. Every wait is bounded by [`WAIT`].
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use huddle_server::chat::auth::{JwtSettings, JwtSigner, JwtVerifier};
use huddle_server::chat::clock::{ManualClock, SharedClock};
use huddle_server::engine::{Engine, EngineConfig};
use huddle_server::files::{DataDir, FilesConfig, FilesService};
use huddle_server::http::{AllowedOrigins, Cors, HttpConfig, Router, Server};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_storage::{MemoryStore, Store, StoreOptions, demo_dataset};

/// Longest any answer may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// The HS256 secret of the test servers.
pub const SECRET: &[u8] = b"files-integration-test-secret-0123456789";

/// The multipart boundary the tests use.
pub const BOUNDARY: &str = "----huddle-test-boundary-7MA4YWxkTrZu0gW";

/// The first bytes of a PNG (signature and IHDR chunk header).
pub const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// A running server with the files API.
pub struct FilesServer {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub files: FilesService,
    shutdown: CancellationToken,
}

impl Drop for FilesServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A server with the default files settings.
pub async fn start() -> FilesServer {
    start_with(FilesConfig::default()).await
}

/// A server with `config` (its `data_dir` is ignored: a fresh temporary directory).
pub async fn start_with(config: FilesConfig) -> FilesServer {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let shared: SharedClock = clock.clone();
    let memory = MemoryStore::new(shared.clone(), StoreOptions::default());
    memory
        .load_dataset(&demo_dataset())
        .await
        .expect("demo data loads");
    let store: Arc<dyn Store> = Arc::new(memory);
    let verifier = JwtVerifier::new(
        &JwtSettings {
            secret: Some(SECRET.to_vec()),
            ..Default::default()
        },
        shared.clone(),
    )
    .expect("verifier");
    let dir = DataDir::temporary().expect("temporary data dir");
    let files = FilesService::new(store.clone(), verifier, shared, dir, config);
    let io = SocketIo::new(SocketIoConfig::default());
    let engine =
        Engine::new(EngineConfig::default(), io.engine_handler()).expect("valid engine config");
    let router = Router::new(vec![engine], Cors::new(AllowedOrigins::Any));
    assert!(router.install_files(files.clone()));
    let server = Server::bind(
        "127.0.0.1:0".parse().expect("addr"),
        router,
        HttpConfig::default(),
    )
    .await
    .expect("bind 127.0.0.1:0");
    let addr = server.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    tokio::spawn(server.run(shutdown.clone()));
    FilesServer {
        addr,
        store,
        clock,
        files,
        shutdown,
    }
}

impl FilesServer {
    /// A valid token for `user`, on the server's clock.
    pub fn token(&self, user: u64) -> String {
        let clock: SharedClock = self.clock.clone();
        JwtSigner::hs256(SECRET)
            .expect("secret")
            .mint(user, chrono::Duration::hours(1), &clock)
    }

    /// Names of the entries of the data directory.
    pub fn stored_names(&self) -> Vec<String> {
        std::fs::read_dir(self.files.dir().path())
            .expect("read data dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// File records the store holds that are not attached (all of them, far cutoff).
    pub async fn unattached_records(&self) -> usize {
        let cutoff = Utc::now() + chrono::Duration::days(3650);
        self.store
            .unattached_files_before(cutoff, 1000)
            .await
            .expect("list files")
            .len()
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value (first one, case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The error code of a JSON error answer.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .expect("error.code")
            .to_owned()
    }
}

/// Reads one answer (head, then `Content-Length` bytes of body, none for 304 / HEAD).
pub async fn read_answer(stream: &mut TcpStream, head_request: bool) -> Answer {
    tokio::time::timeout(WAIT, read_answer_inner(stream, head_request))
        .await
        .expect("answer within WAIT")
}

async fn read_answer_inner(stream: &mut TcpStream, head_request: bool) -> Answer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).await.expect("read answer");
        assert!(
            n > 0,
            "connection closed before the answer's head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').expect("header line");
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().expect("content-length"))
        .unwrap_or(0);
    let length = if head_request || status == 304 {
        0
    } else {
        length
    };
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "connection closed in the body");
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Answer {
        status,
        headers,
        body,
    }
}

/// The multipart pieces around one file field.
pub fn multipart_parts(file_name: &str, part_type: &str) -> (Vec<u8>, Vec<u8>) {
    let before = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {part_type}\r\n\r\n"
    );
    let after = format!("\r\n--{BOUNDARY}--\r\n");
    (before.into_bytes(), after.into_bytes())
}

/// Writes an upload request's head.
pub async fn write_upload_head(
    stream: &mut TcpStream,
    token: Option<&str>,
    content_type: &str,
    content_length: u64,
) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /api/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: {content_type}\r\n\
         Content-Length: {content_length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
}

/// The multipart Content-Type of the tests.
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Byte `i` of the generated file contents (a pattern, so corruption would show).
pub fn pattern_byte(i: u64) -> u8 {
    (i % 251) as u8
}

/// Writes `len` bytes of file contents: `first` then the pattern, in 256 KiB writes.
pub async fn write_contents(stream: &mut TcpStream, first: &[u8], len: u64) -> std::io::Result<()> {
    let mut sent: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    while sent < len {
        let n = ((len - sent) as usize).min(buf.len());
        for (j, b) in buf[..n].iter_mut().enumerate() {
            let i = sent + j as u64;
            *b = if (i as usize) < first.len() {
                first[i as usize]
            } else {
                pattern_byte(i)
            };
        }
        stream.write_all(&buf[..n]).await?;
        sent += n as u64;
    }
    Ok(())
}

/// The contents `write_contents(first, len)` sends.
pub fn contents(first: &[u8], len: u64) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if (i as usize) < first.len() {
                first[i as usize]
            } else {
                pattern_byte(i)
            }
        })
        .collect()
}

/// A complete upload of `len` bytes starting with `first`, named `file_name`, the part
/// declared as `part_type`; returns the answer.
pub async fn upload(
    addr: SocketAddr,
    token: Option<&str>,
    file_name: &str,
    part_type: &str,
    first: &[u8],
    len: u64,
) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let (before, after) = multipart_parts(file_name, part_type);
    let total = before.len() as u64 + len + after.len() as u64;
    write_upload_head(&mut stream, token, &multipart_type(), total).await;
    stream.write_all(&before).await.expect("write");
    write_contents(&mut stream, first, len)
        .await
        .expect("write");
    stream.write_all(&after).await.expect("write");
    read_answer(&mut stream, false).await
}

/// Uploads `bytes` whole, named `file_name`; returns the answer.
pub async fn upload_bytes(addr: SocketAddr, token: &str, file_name: &str, bytes: &[u8]) -> Answer {
    upload(
        addr,
        Some(token),
        file_name,
        "application/octet-stream",
        bytes,
        bytes.len() as u64,
    )
    .await
}

/// A GET (or HEAD) of `path` with extra header lines; returns the answer.
pub async fn get(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    read_answer(&mut stream, method == "HEAD").await
}

/// Polls `check` every 20 ms until it holds or `WAIT` passes.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
