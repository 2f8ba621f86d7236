//! The WebSocket driver of a Socket.IO client: one task owns one connection
//! (`/socket.io/?EIO=4&transport=websocket`), feeds every text frame to its
//! [`Session`] and writes what the session and the sender produce.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use huddle_protocol::Str;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Flow, due};
use crate::config::RunConfig;
use crate::session::Session;
use crate::stats::ClientStats;

type Ws = WebSocketStream<TcpStream>;

/// Read buffer of each client connection: a loaded run holds thousands of them.
const READ_BUFFER: usize = 8 << 10;

/// The client side's WebSocket settings (small buffers, large messages allowed: a
/// history page may be big).
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(64 << 20))
}

/// Opens a WebSocket to `url` on `addr` with Nagle off (every server under test gets
/// the same treatment).
pub async fn open(addr: std::net::SocketAddr, url: &str) -> Result<Ws, String> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("tcp connect: {}", e.kind()))?;
    tcp.set_nodelay(true)
        .map_err(|e| format!("nodelay: {}", e.kind()))?;
    let (ws, _) = client_async_with_config(url, tcp, Some(ws_config()))
        .await
        .map_err(|e| format!("websocket handshake: {e}"))?;
    Ok(ws)
}

/// Sends every queued packet as a text frame, then flushes once.
async fn write_all(ws: &mut Ws, out: &mut Vec<Bytes>) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    for packet in out.drain(..) {
        let text = Utf8Bytes::try_from(packet).map_err(|_| "non-UTF-8 packet".to_owned())?;
        ws.feed(Message::Text(text))
            .await
            .map_err(|e| format!("write: {e}"))?;
    }
    ws.flush().await.map_err(|e| format!("write: {e}"))
}

/// What one received frame meant.
fn on_frame(
    client: &mut Client,
    session: &mut Session,
    frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    out: &mut Vec<Bytes>,
) -> Flow {
    match frame {
        Some(Ok(Message::Text(text))) => match Str::from_utf8(Bytes::from(text)) {
            Ok(text) => match session.on_text(text, out) {
                Ok(incoming) => client.on_incoming(incoming),
                Err(e) => {
                    client.stats.error(format!("bad packet: {e}"));
                    Flow::Continue
                }
            },
            Err(_) => {
                client.stats.error("non-UTF-8 text frame");
                Flow::Continue
            }
        },
        Some(Ok(Message::Close(_))) | None => {
            client.stats.dropped = true;
            Flow::Stop
        }
        Some(Ok(_)) => Flow::Continue,
        Some(Err(e)) => {
            client.stats.error(format!("read: {e}"));
            client.stats.dropped = true;
            Flow::Stop
        }
    }
}

/// Connects, authenticates and joins; returns the open connection once ready.
async fn connect(
    cfg: &RunConfig,
    client: &mut Client,
    session: &mut Session,
    out: &mut Vec<Bytes>,
) -> Result<Ws, String> {
    let url = format!("ws://{}{}?EIO=4&transport=websocket", cfg.addr, cfg.path);
    let mut ws = open(cfg.addr, &url).await?;
    loop {
        let frame = ws.next().await;
        let flow = on_frame(client, session, frame, out);
        write_all(&mut ws, out).await?;
        match flow {
            Flow::Ready => return Ok(ws),
            Flow::Stop => return Err("refused or closed while connecting".into()),
            Flow::Continue => {}
        }
    }
}

/// Runs one client until `stop`.
pub async fn run(
    cfg: Arc<RunConfig>,
    mut client: Client,
    mut session: Session,
    permits: Arc<Semaphore>,
    stop: CancellationToken,
) -> ClientStats {
    let mut out = Vec::new();
    let opened = {
        let _permit = permits.acquire().await;
        let started = Instant::now();
        match tokio::time::timeout(
            cfg.connect_timeout,
            connect(&cfg, &mut client, &mut session, &mut out),
        )
        .await
        {
            Ok(Ok(ws)) => Some((ws, started.elapsed())),
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
    let (mut ws, took) = match opened {
        Some((ws, took)) => (ws, Some(took)),
        None => {
            client.connected(None);
            return client.stats;
        }
    };
    if client.connected(took) == Flow::Stop {
        return client.stats;
    }
    serve(&mut client, &mut session, &mut ws, &mut out, &stop).await;
    // Closing politely would cost every server a close handshake per client at the
    // end of a run; dropping the connection is what a vanished client does.
    let _ = tokio::time::timeout(Duration::from_millis(1), ws.close(None)).await;
    client.stats
}

async fn serve(
    client: &mut Client,
    session: &mut Session,
    ws: &mut Ws,
    out: &mut Vec<Bytes>,
    stop: &CancellationToken,
) {
    let shared = client.shared_arc();
    let mut phases = shared.phases();
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            frame = ws.next() => {
                if on_frame(client, session, frame, out) == Flow::Stop {
                    return;
                }
            }
            _ = due(&mut client.sender, &shared, &mut phases) => {
                if let Err(e) = client.send_socketio(session, out) {
                    client.stats.error(format!("encode: {e}"));
                }
            }
        }
        if let Err(e) = write_all(ws, out).await {
            client.stats.error(e);
            client.stats.dropped = true;
            return;
        }
    }
}
