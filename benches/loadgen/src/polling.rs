//! The HTTP long-polling driver of a Socket.IO client (Engine.IO v4 "polling"
//! transport, never upgraded): a GET opens the session, a poller task keeps one GET
//! pending at all times and hands each response body to the driver, and the driver
//! POSTs what the session and the sender produce, one POST at a time as the protocol
//! requires. Bodies are split and joined with `huddle-protocol`'s payload codec.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use huddle_protocol::engine::{self, Frame, PayloadDecoder};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Flow, due};
use crate::config::RunConfig;
use crate::session::{Incoming, Session};
use crate::stats::ClientStats;

/// The HTTP client all polling clients share (its pool holds their connections).
pub type Http = HyperClient<HttpConnector, Full<Bytes>>;

/// Response bodies queued between the poller and the driver.
const BODY_QUEUE: usize = 64;

/// A pooled HTTP/1.1 client with Nagle off.
pub fn http_client() -> Http {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    HyperClient::builder(TokioExecutor::new())
        .pool_max_idle_per_host(usize::MAX)
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector)
}

/// One request; the body of a 200 answer, or why not.
async fn request(http: &Http, method: Method, uri: &str, body: Bytes) -> Result<Bytes, String> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(Full::new(body))
        .map_err(|e| format!("request: {e}"))?;
    let res = http.request(req).await.map_err(|e| format!("http: {e}"))?;
    let status = res.status();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("http body: {e}"))?
        .to_bytes();
    if status != StatusCode::OK {
        return Err(format!(
            "http {}: {}",
            status.as_u16(),
            String::from_utf8_lossy(&body[..body.len().min(120)])
        ));
    }
    Ok(body)
}

/// Feeds every packet of a polling body to the session.
fn on_body(
    client: &mut Client,
    session: &mut Session,
    body: Bytes,
    out: &mut Vec<Bytes>,
) -> (Flow, Option<String>) {
    let mut flow = Flow::Continue;
    let mut sid = None;
    let decoder = match PayloadDecoder::new(body, session.limits()) {
        Ok(d) => d,
        Err(e) => {
            client.stats.error(format!("bad payload: {e}"));
            return (Flow::Continue, None);
        }
    };
    for packet in decoder {
        let packet = match packet {
            Ok(p) => p,
            Err(e) => {
                client.stats.error(format!("bad payload: {e}"));
                break;
            }
        };
        match session.on_packet(packet, out) {
            Ok(Incoming::Opened(h)) => sid = Some(h.sid),
            Ok(incoming) => match client.on_incoming(incoming) {
                Flow::Continue => {}
                other => flow = other,
            },
            Err(e) => client.stats.error(format!("bad packet: {e}")),
        }
        if flow == Flow::Stop {
            break;
        }
    }
    (flow, sid)
}

/// POSTs the queued packets as one payload.
async fn post(http: &Http, uri: &str, out: &mut Vec<Bytes>) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    let frames: Vec<Frame> = out.drain(..).map(Frame::Text).collect();
    let mut body = BytesMut::with_capacity(engine::payload_len(&frames));
    engine::encode_payload(&frames, &mut body);
    request(http, Method::POST, uri, body.freeze())
        .await
        .map(|_| ())
}

/// Keeps one GET pending until `stop`, handing each body over.
async fn poller(
    http: Http,
    uri: String,
    tx: mpsc::Sender<Result<Bytes, String>>,
    stop: CancellationToken,
) {
    loop {
        let body = tokio::select! {
            _ = stop.cancelled() => return,
            b = request(&http, Method::GET, &uri, Bytes::new()) => b,
        };
        let failed = body.is_err();
        if tx.send(body).await.is_err() || failed {
            return;
        }
    }
}

struct Open {
    session_uri: String,
    rx: mpsc::Receiver<Result<Bytes, String>>,
}

async fn connect(
    cfg: &RunConfig,
    http: &Http,
    client: &mut Client,
    session: &mut Session,
    out: &mut Vec<Bytes>,
    stop: &CancellationToken,
) -> Result<Open, String> {
    let base = format!("http://{}{}?EIO=4&transport=polling", cfg.addr, cfg.path);
    let body = request(http, Method::GET, &base, Bytes::new()).await?;
    let (flow, sid) = on_body(client, session, body, out);
    if flow == Flow::Stop {
        return Err("refused while opening".into());
    }
    let sid = sid.ok_or("no OPEN packet in the first response")?;
    let session_uri = format!("{base}&sid={sid}");
    let (tx, mut rx) = mpsc::channel(BODY_QUEUE);
    tokio::spawn(poller(
        http.clone(),
        session_uri.clone(),
        tx,
        stop.child_token(),
    ));
    post(http, &session_uri, out).await?;
    loop {
        let body = rx.recv().await.ok_or("poller ended")??;
        let (flow, _) = on_body(client, session, body, out);
        post(http, &session_uri, out).await?;
        match flow {
            Flow::Ready => return Ok(Open { session_uri, rx }),
            Flow::Stop => return Err("refused or closed while connecting".into()),
            Flow::Continue => {}
        }
    }
}

/// Runs one polling client until `stop`.
pub async fn run(
    cfg: Arc<RunConfig>,
    http: Http,
    mut client: Client,
    mut session: Session,
    permits: Arc<Semaphore>,
    stop: CancellationToken,
) -> ClientStats {
    let mut out = Vec::new();
    // The poller stops with the client, whatever the reason.
    let own_stop = stop.child_token();
    let _guard = own_stop.clone().drop_guard();
    let opened = {
        let _permit = permits.acquire().await;
        let started = Instant::now();
        match tokio::time::timeout(
            cfg.connect_timeout,
            connect(&cfg, &http, &mut client, &mut session, &mut out, &own_stop),
        )
        .await
        {
            Ok(Ok(open)) => Some((open, started.elapsed())),
            Ok(Err(e)) => {
                client.stats.error(e);
                None
            }
            Err(_) => {
                client.stats.error(format!(
                    "connect timeout waiting for {}",
                    session.waiting_for()
                ));
                None
            }
        }
    };
    let (mut open, took) = match opened {
        Some((open, took)) => (open, Some(took)),
        None => {
            client.connected(None);
            return client.stats;
        }
    };
    if client.connected(took) == Flow::Stop {
        return client.stats;
    }
    let shared = client.shared_arc();
    let mut phases = shared.phases();
    loop {
        tokio::select! {
            biased;
            _ = own_stop.cancelled() => break,
            body = open.rx.recv() => match body {
                Some(Ok(body)) => {
                    if on_body(&mut client, &mut session, body, &mut out).0 == Flow::Stop {
                        break;
                    }
                }
                Some(Err(e)) => {
                    client.stats.error(e);
                    client.stats.dropped = true;
                    break;
                }
                None => {
                    client.stats.dropped = true;
                    break;
                }
            },
            _ = due(&mut client.sender, &shared, &mut phases) => {
                if let Err(e) = client.send_socketio(&mut session, &mut out) {
                    client.stats.error(format!("encode: {e}"));
                }
            }
        }
        if let Err(e) = post(&http, &open.session_uri, &mut out).await {
            client.stats.error(e);
            client.stats.dropped = true;
            break;
        }
    }
    client.stats
}
