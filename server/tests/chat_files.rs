//! Image and file messages over the wire (issue 5 item 2 and the message part of item 5):
//! files are uploaded through the real `POST /api/files/upload` route of the in-process
//! server (multipart over a TCP connection to 127.0.0.1), then sent with `message:send`.
//! Covered: the image happy path with the file fields and the `file` relation received by
//! another member and the file marked attached; the 10 MiB image boundary (exactly
//! 10,485,760 bytes accepted, one more refused); a text file refused as an image; another
//! user's file refused; client metadata that disagrees with the record refused; file
//! messages of any type with and without a caption; housekeeping keeping a file once a
//! message carries it; refused file messages consuming no rate-limit token.

mod chat_support;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use chat_support::{Client, SECRET, WAIT, Ws, error_code, settings};
use huddle_server::chat::auth::{JwtSigner, JwtVerifier};
use huddle_server::chat::clock::{ManualClock, SharedClock};
use huddle_server::chat::rate_limit::RateLimitSettings;
use huddle_server::chat::{Chat, ChatSettings};
use huddle_server::engine::{Engine, EngineConfig};
use huddle_server::files::housekeeping::sweep_once;
use huddle_server::files::{DataDir, FilesConfig, FilesService};
use huddle_server::http::{AllowedOrigins, Cors, HttpConfig, Router, Server};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_storage::{MemoryStore, Store, StoreOptions, demo_dataset};

/// The image limit of image messages.
const TEN_MIB: usize = 10_485_760;

/// The chat and the files API on one in-process server.
struct FilesChat {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    shutdown: CancellationToken,
    dir: DataDir,
    _io: SocketIo,
    _chat: Chat,
}

impl Drop for FilesChat {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start() -> FilesChat {
    start_with(settings()).await
}

async fn start_with(settings: ChatSettings) -> FilesChat {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let shared: SharedClock = clock.clone();
    let memory = MemoryStore::new(shared.clone(), StoreOptions::default());
    memory
        .load_dataset(&demo_dataset())
        .await
        .expect("demo data loads");
    let store: Arc<dyn Store> = Arc::new(memory);
    let verifier = JwtVerifier::new(&settings.jwt, shared.clone()).expect("verifier");
    let io = SocketIo::new(SocketIoConfig::default());
    let chat = Chat::install(&io, store.clone(), shared.clone(), settings).expect("chat installs");
    let engine =
        Engine::new(EngineConfig::default(), io.engine_handler()).expect("valid engine config");
    let router = Router::new(vec![engine], Cors::new(AllowedOrigins::Any));
    let dir = DataDir::temporary().expect("temporary data dir");
    let files = FilesService::new(
        store.clone(),
        verifier,
        shared,
        dir.clone(),
        FilesConfig::default(),
    );
    assert!(router.install_files(files));
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
    FilesChat {
        addr,
        store,
        clock,
        shutdown,
        dir,
        _io: io,
        _chat: chat,
    }
}

impl FilesChat {
    fn token(&self, user: u64) -> String {
        let clock: SharedClock = self.clock.clone();
        JwtSigner::hs256(SECRET)
            .expect("secret")
            .mint(user, chrono::Duration::hours(1), &clock)
    }

    async fn client(&self, user: u64) -> Client {
        let mut ws = Ws::open(self.addr, None).await;
        ws.send(&format!("40{}", json!({ "token": self.token(user) })))
            .await;
        let answer = ws.recv_text().await;
        assert!(answer.starts_with("40{\"sid\":"), "connect: {answer}");
        let mut client = Client::new(ws, user);
        assert_eq!(client.event("auth:success").await["userId"], user);
        client
    }

    /// Uploads `bytes` as `name` for `user` through `POST /api/files/upload`; returns the
    /// status and the JSON answer.
    async fn upload(&self, user: u64, name: &str, bytes: &[u8]) -> (u16, Value) {
        let boundary = "huddle-test-boundary-7d1f";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let head = format!(
            "POST /api/files/upload HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            self.token(user),
            body.len()
        );
        let exchange = async {
            let mut tcp = TcpStream::connect(self.addr).await.expect("connect");
            tcp.write_all(head.as_bytes()).await.expect("write head");
            tcp.write_all(&body).await.expect("write body");
            let mut answer = Vec::new();
            tcp.read_to_end(&mut answer).await.expect("read answer");
            answer
        };
        // Generous: 10 MiB through an unoptimised build.
        let answer = tokio::time::timeout(WAIT * 12, exchange)
            .await
            .expect("upload answered in time");
        parse_response(&answer)
    }

    /// Uploads and expects 201; returns `{fileId, fileName, fileSize, mimeType}`.
    async fn uploaded(&self, user: u64, name: &str, bytes: &[u8]) -> Value {
        let (status, json) = self.upload(user, name, bytes).await;
        assert_eq!(status, 201, "upload of {name}: {json}");
        json
    }
}

/// Status and JSON body of an HTTP/1.1 response (fixed length or chunked).
fn parse_response(raw: &[u8]) -> (u16, Value) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size");
            let size_text = String::from_utf8_lossy(&rest[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .expect("hex chunk size");
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = out;
    }
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, json)
}

/// A PNG of exactly `len` bytes: a real signature, IHDR and IEND, padded with a private
/// ancillary chunk so the size is exact.
fn png(len: usize) -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    // IHDR: 1x1, 8-bit greyscale (CRCs are not checked by the server; the bytes only need
    // to be a PNG by their signature).
    v.extend_from_slice(&[0, 0, 0, 13]);
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    v.extend_from_slice(&[0x3a, 0x7e, 0x9b, 0x55]);
    let iend = 12;
    let pad = len
        .checked_sub(v.len() + iend)
        .expect("room for the chunks");
    if pad >= 12 {
        let data = pad - 12;
        v.extend_from_slice(&(data as u32).to_be_bytes());
        v.extend_from_slice(b"huDl");
        v.extend(std::iter::repeat_n(0x5a, data));
        v.extend_from_slice(&[0, 0, 0, 0]);
    } else {
        v.extend(std::iter::repeat_n(0, pad));
    }
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(b"IEND");
    v.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
    assert_eq!(v.len(), len);
    v
}

fn image_message(file: &Value, extra: Value) -> Value {
    let mut v =
        json!({"roomType": "project", "roomId": 1, "type": "image", "fileId": file["fileId"]});
    for (k, x) in extra.as_object().expect("object") {
        v[k] = x.clone();
    }
    v
}

#[tokio::test]
async fn image_message_reaches_the_room_with_the_file_fields() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("project", 1).await;
    alan.join("project", 1).await;

    let bytes = png(4096);
    let file = server.uploaded(1, "pic.png", &bytes).await;
    assert_eq!(file["fileName"], "pic.png");
    assert_eq!(file["fileSize"], 4096);
    assert_eq!(file["mimeType"], "image/png");
    let id = file["fileId"].as_u64().expect("fileId");
    assert!(!server.store.get_file(id).await.unwrap().unwrap().attached);

    let ack = ada
        .request(
            "message:send",
            image_message(
                &file,
                json!({"content": "our <b>diagram</b>", "fileName": "pic.png",
                       "fileSize": 4096, "mimeType": "image/png"}),
            ),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let message = &ack["message"];
    assert_eq!(message["type"], "image");
    assert_eq!(
        message["content"], "our diagram",
        "the caption is sanitised"
    );
    assert_eq!(message["fileId"], id);
    assert_eq!(message["fileName"], "pic.png");
    assert_eq!(message["fileSize"], 4096);
    assert_eq!(message["mimeType"], "image/png");
    assert_eq!(
        message["file"],
        json!({"id": id, "fileName": "pic.png", "fileSize": 4096, "mimeType": "image/png"})
    );
    assert_eq!(message["sender"]["id"], 1);

    let received = alan.event("message:new").await;
    assert_eq!(
        &received["message"], message,
        "what is stored is what is broadcast"
    );
    assert_eq!(ada.event("message:new").await["message"], *message);
    // Attached in the same commit: housekeeping keeps it from now on.
    assert!(server.store.get_file(id).await.unwrap().unwrap().attached);
    let stored = server
        .store
        .get_message(message["id"].as_u64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serde_json::to_value(&stored).unwrap(), *message);
}

#[tokio::test]
async fn an_image_of_exactly_ten_mib_is_accepted_and_one_byte_more_is_refused() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;

    let at_limit = server.uploaded(1, "big.png", &png(TEN_MIB)).await;
    assert_eq!(at_limit["fileSize"], TEN_MIB);
    assert_eq!(at_limit["mimeType"], "image/png");
    let ack = ada
        .request("message:send", image_message(&at_limit, json!({})))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["message"]["fileSize"], TEN_MIB);
    assert_eq!(ack["message"]["content"], "");

    let over = server.uploaded(1, "bigger.png", &png(TEN_MIB + 1)).await;
    assert_eq!(over["fileSize"], TEN_MIB + 1);
    let ack = ada
        .request("message:send", image_message(&over, json!({})))
        .await;
    assert_eq!(error_code(&ack), "FILE_TOO_LARGE");
    assert_eq!(ada.event("error").await["code"], "FILE_TOO_LARGE");
    let over_id = over["fileId"].as_u64().unwrap();
    assert!(
        !server
            .store
            .get_file(over_id)
            .await
            .unwrap()
            .unwrap()
            .attached
    );
    // The image limit is not a file limit: the same bytes go as a file message.
    let ack = ada
        .request(
            "message:send",
            image_message(&over, json!({"type": "file"})),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["message"]["type"], "file");
    assert!(
        server
            .store
            .get_file(over_id)
            .await
            .unwrap()
            .unwrap()
            .attached
    );
}

#[tokio::test]
async fn the_image_limit_is_configurable() {
    let mut s = settings();
    s.attachments.max_image_bytes = 1000;
    let server = start_with(s).await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let fits = server.uploaded(1, "a.png", &png(1000)).await;
    let ack = ada
        .request("message:send", image_message(&fits, json!({})))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let over = server.uploaded(1, "b.png", &png(1001)).await;
    let ack = ada
        .request("message:send", image_message(&over, json!({})))
        .await;
    assert_eq!(error_code(&ack), "FILE_TOO_LARGE");
}

#[tokio::test]
async fn a_text_file_named_png_is_not_an_image() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let text = server
        .uploaded(1, "notes.png", b"just some notes, not a picture\n")
        .await;
    assert_eq!(text["mimeType"], "text/plain", "typed by its bytes");
    let ack = ada
        .request("message:send", image_message(&text, json!({})))
        .await;
    assert_eq!(error_code(&ack), "INVALID_FILE_TYPE");
    assert_eq!(ada.event("error").await["code"], "INVALID_FILE_TYPE");
    // Nothing was stored.
    let history = ada
        .request(
            "message:history",
            json!({"roomType": "project", "roomId": 1}),
        )
        .await;
    assert_eq!(history["messages"], json!([]), "{history}");
}

#[tokio::test]
async fn another_users_file_or_an_unknown_file_is_not_found() {
    let server = start().await;
    let mut ada = server.client(1).await;
    let mut alan = server.client(3).await;
    ada.join("project", 1).await;
    alan.join("project", 1).await;
    let alans = server.uploaded(3, "alan.png", &png(200)).await;
    // Alan and Ada share the room, but the file is Alan's.
    let ack = ada
        .request("message:send", image_message(&alans, json!({})))
        .await;
    assert_eq!(error_code(&ack), "FILE_NOT_FOUND");
    let ack = ada
        .request(
            "message:send",
            json!({"roomType": "project", "roomId": 1, "type": "file", "fileId": 987654}),
        )
        .await;
    assert_eq!(error_code(&ack), "FILE_NOT_FOUND");
    alan.no_event("message:new", std::time::Duration::from_millis(200))
        .await;
    // Its owner may send it.
    let ack = alan
        .request("message:send", image_message(&alans, json!({})))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
}

#[tokio::test]
async fn client_metadata_that_disagrees_with_the_upload_is_refused() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let file = server.uploaded(1, "pic.png", &png(300)).await;
    for wrong in [
        json!({"fileName": "other.png"}),
        json!({"fileSize": 301}),
        json!({"mimeType": "image/gif"}),
        json!({"fileName": "pic.png", "fileSize": 300, "mimeType": "image/jpeg"}),
    ] {
        let ack = ada
            .request("message:send", image_message(&file, wrong.clone()))
            .await;
        assert_eq!(error_code(&ack), "FILE_METADATA_MISMATCH", "{wrong}");
        assert_eq!(ada.event("error").await["code"], "FILE_METADATA_MISMATCH");
    }
    let id = file["fileId"].as_u64().unwrap();
    assert!(!server.store.get_file(id).await.unwrap().unwrap().attached);
    // Bad types are payload errors, before any look-up.
    let ack = ada
        .request(
            "message:send",
            image_message(&file, json!({"fileSize": "300"})),
        )
        .await;
    assert_eq!(error_code(&ack), "INVALID_PAYLOAD");
    // The values of the record pass.
    let ack = ada
        .request(
            "message:send",
            image_message(
                &file,
                json!({"fileName": "pic.png", "fileSize": 300, "mimeType": "image/png"}),
            ),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
}

#[tokio::test]
async fn file_messages_of_any_type_with_and_without_a_caption() {
    let server = start().await;
    let mut grace = server.client(2).await;
    let mut katherine = server.client(4).await;
    grace.join("study", 3).await;
    katherine.join("study", 3).await;
    let binary: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let cases = [
        ("report.txt", b"quarterly numbers\n".to_vec(), "text/plain"),
        ("data.bin", binary, "application/octet-stream"),
        ("photo.png", png(512), "image/png"),
    ];
    for (i, (name, bytes, mime)) in cases.into_iter().enumerate() {
        let file = server.uploaded(4, name, &bytes).await;
        assert_eq!(file["mimeType"], mime);
        let caption = (i % 2 == 0).then_some("see <i>this</i> & that");
        let mut payload = json!({"roomType": "study", "roomId": 3, "type": "file",
                                 "fileId": file["fileId"]});
        if let Some(c) = caption {
            payload["content"] = json!(c);
        }
        let ack = katherine.request("message:send", payload).await;
        assert_eq!(ack["ok"], true, "{name}: {ack}");
        let message = &ack["message"];
        assert_eq!(message["type"], "file");
        assert_eq!(
            message["content"],
            if caption.is_some() {
                "see this & that"
            } else {
                ""
            }
        );
        assert_eq!(message["fileName"], name);
        assert_eq!(message["fileSize"], bytes.len());
        assert_eq!(message["mimeType"], mime);
        assert_eq!(message["file"]["id"], file["fileId"]);
        let received = grace.event("message:new").await;
        assert_eq!(&received["message"], message);
    }
    // A file message with no fileId is refused with its own code.
    let ack = katherine
        .request(
            "message:send",
            json!({"roomType": "study", "roomId": 3, "type": "file", "content": "x"}),
        )
        .await;
    assert_eq!(error_code(&ack), "FILE_REQUIRED");
}

#[tokio::test]
async fn housekeeping_keeps_a_file_once_a_message_carries_it() {
    let server = start().await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let kept = server.uploaded(1, "kept.png", &png(700)).await;
    let dropped = server.uploaded(1, "dropped.png", &png(800)).await;
    let ack = ada
        .request("message:send", image_message(&kept, json!({})))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    // A refused message attaches nothing.
    let ack = ada
        .request(
            "message:send",
            image_message(&dropped, json!({"fileSize": 1})),
        )
        .await;
    assert_eq!(error_code(&ack), "FILE_METADATA_MISMATCH");

    // A sweep whose cutoff lies after both uploads: only the unattached file goes.
    let cutoff = server.store.now() + chrono::Duration::days(2);
    let deleted = sweep_once(server.store.as_ref(), &server.dir, cutoff)
        .await
        .expect("sweep");
    assert_eq!(deleted, 1);
    let kept_id = kept["fileId"].as_u64().unwrap();
    let dropped_id = dropped["fileId"].as_u64().unwrap();
    let record = server.store.get_file(kept_id).await.unwrap().expect("kept");
    assert!(record.attached);
    let path = server.dir.file_path(&record.storage_key).expect("a key");
    assert_eq!(std::fs::read(path).unwrap(), png(700), "the bytes stay");
    assert!(server.store.get_file(dropped_id).await.unwrap().is_none());
    // Sending the swept file now is refused.
    let ack = ada
        .request("message:send", image_message(&dropped, json!({})))
        .await;
    assert_eq!(error_code(&ack), "FILE_NOT_FOUND");
}

#[tokio::test]
async fn refused_file_messages_consume_no_rate_limit_token() {
    let one = std::num::NonZeroU32::new(1).unwrap();
    let mut s = settings();
    s.rate_limit = RateLimitSettings {
        per_minute: one,
        burst: one,
    };
    let server = start_with(s).await;
    let mut ada = server.client(1).await;
    ada.join("project", 1).await;
    let text = server.uploaded(1, "t.png", b"text, not an image").await;
    for _ in 0..3 {
        let ack = ada
            .request("message:send", image_message(&text, json!({})))
            .await;
        assert_eq!(error_code(&ack), "INVALID_FILE_TYPE");
    }
    // The one token of the minute is still there.
    let ack = ada
        .request(
            "message:send",
            image_message(&text, json!({"type": "file"})),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let ack = ada
        .request(
            "message:send",
            image_message(&text, json!({"type": "file"})),
        )
        .await;
    assert_eq!(error_code(&ack), "RATE_LIMITED");
}
