//! `huddle-floor`: the benchmarks' floor, a bare tokio-tungstenite fan-out server
//! with no Engine.IO or Socket.IO framing, no authentication and no storage (wire
//! rules in `huddle_loadgen::floor`). It does what every chat server must do at the
//! least — read a frame, find the room, queue the same buffer on every member's
//! connection, write — so the Socket.IO servers' figures can be read against it.
//!
//! One task owns each connection and drains a bounded queue of shared buffers; a
//! member whose queue is full is disconnected (as Huddle does), so memory stays
//! bounded. Rooms are copy-on-write member lists behind a short, non-async lock:
//! a broadcast clones one `Arc` under the lock and sends outside it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use huddle_loadgen::floor::{JOINED, parse_client_frame, parse_rooms};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::accept_hdr_async_with_config;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

/// `huddle-floor`: the raw WebSocket fan-out floor of the benchmarks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:3300")]
    addr: SocketAddr,
    /// Frames that may wait for one slow client before it is disconnected.
    #[arg(long, default_value_t = 1024)]
    queue: usize,
    /// Read buffer of each WebSocket, in bytes (Huddle's default is 1024 too).
    #[arg(long, default_value_t = 1024)]
    read_buffer: usize,
    /// Bytes a WebSocket buffers before writing to the socket; everything queued is
    /// flushed at once after each batch (Huddle's default is 16384 too). With 0 every
    /// frame would be its own write system call.
    #[arg(long, default_value_t = 16 * 1024)]
    write_buffer: usize,
    /// Most concurrent connections.
    #[arg(long, default_value_t = 20_000)]
    max_connections: usize,
    /// Largest frame accepted, in bytes.
    #[arg(long, default_value_t = 1_000_000)]
    max_message: usize,
}

struct Member {
    id: u64,
    tx: mpsc::Sender<Utf8Bytes>,
    kick: CancellationToken,
}

#[derive(Default)]
struct Rooms {
    // Held only to clone or replace a list, never across an await.
    map: Mutex<HashMap<u64, Arc<Vec<Arc<Member>>>>>,
}

impl Rooms {
    fn join(&self, room: u64, member: Arc<Member>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.entry(room).or_default();
        let mut next = Vec::with_capacity(list.len() + 1);
        next.extend(list.iter().cloned());
        next.push(member);
        *list = Arc::new(next);
    }

    fn leave(&self, room: u64, id: u64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = map.get_mut(&room) {
            let next: Vec<_> = list.iter().filter(|m| m.id != id).cloned().collect();
            if next.is_empty() {
                map.remove(&room);
            } else {
                *list = Arc::new(next);
            }
        }
    }

    fn members(&self, room: u64) -> Option<Arc<Vec<Arc<Member>>>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&room)
            .cloned()
    }

    fn broadcast(&self, room: u64, frame: &Utf8Bytes) {
        let Some(members) = self.members(room) else {
            return;
        };
        for m in members.iter() {
            if m.tx.try_send(frame.clone()).is_err() {
                m.kick.cancel();
            }
        }
    }
}

struct Server {
    rooms: Rooms,
    next_id: AtomicU64,
    connections: AtomicUsize,
    args: Args,
}

fn main() {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        eprintln!("huddle-floor: invalid setting --addr: must be a loopback address");
        std::process::exit(2);
    }
    if args.queue == 0 || args.read_buffer == 0 || args.max_message == 0 {
        eprintln!(
            "huddle-floor: invalid setting: --queue, --read-buffer and --max-message must be at least 1"
        );
        std::process::exit(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("huddle-floor: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(serve(args)) {
        eprintln!("huddle-floor: {e}");
        std::process::exit(1);
    }
}

async fn serve(args: Args) -> std::io::Result<()> {
    let listener = TcpListener::bind(args.addr).await?;
    eprintln!("huddle-floor listening on {}", listener.local_addr()?);
    let server = Arc::new(Server {
        rooms: Rooms::default(),
        next_id: AtomicU64::new(1),
        connections: AtomicUsize::new(0),
        args,
    });
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of descriptors and the like: keep serving the others.
                Err(e) => {
                    eprintln!("huddle-floor: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        if server.connections.fetch_add(1, Ordering::AcqRel) >= server.args.max_connections {
            server.connections.fetch_sub(1, Ordering::AcqRel);
            continue;
        }
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            connection(&server, stream).await;
            server.connections.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn connection(server: &Server, stream: TcpStream) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(server.args.read_buffer)
        .write_buffer_size(server.args.write_buffer)
        .max_write_buffer_size(server.args.write_buffer + 2 * server.args.max_message + 64)
        .max_message_size(Some(server.args.max_message))
        .max_frame_size(Some(server.args.max_message));
    let mut rooms = Vec::new();
    #[allow(clippy::result_large_err)] // see check_request
    let callback = |req: &Request, res: Response| check_request(req, res, &mut rooms);
    let Ok(mut ws) = accept_hdr_async_with_config(stream, callback, Some(config)).await else {
        return;
    };
    let id = server.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel(server.args.queue);
    let kick = CancellationToken::new();
    let member = Arc::new(Member {
        id,
        tx,
        kick: kick.clone(),
    });
    for &room in &rooms {
        server.rooms.join(room, Arc::clone(&member));
    }
    drop(member);
    if ws.send(Message::Text(JOINED.into())).await.is_ok() {
        loop {
            tokio::select! {
                _ = kick.cancelled() => break,
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => relay(server, text),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
                Some(frame) = rx.recv() => {
                    if ws.feed(Message::Text(frame)).await.is_err() {
                        break;
                    }
                    // Everything already queued goes out with one flush.
                    let mut failed = false;
                    while let Ok(frame) = rx.try_recv() {
                        if ws.feed(Message::Text(frame)).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                    if failed || ws.flush().await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    for &room in &rooms {
        server.rooms.leave(room, id);
    }
}

/// Reads the rooms from the upgrade request's query, or refuses it with 400.
// The error type is tungstenite's handshake callback contract.
#[allow(clippy::result_large_err)]
fn check_request(
    req: &Request,
    res: Response,
    rooms: &mut Vec<u64>,
) -> Result<Response, ErrorResponse> {
    match parse_rooms(req.uri().query()) {
        Ok(list) => {
            *rooms = list;
            Ok(res)
        }
        Err(e) => {
            let mut err = ErrorResponse::new(Some(e.to_string()));
            *err.status_mut() = http::StatusCode::BAD_REQUEST;
            Err(err)
        }
    }
}

/// `<room> <content>`: the content, sliced out of the received buffer without a
/// copy, to every member of the room.
fn relay(server: &Server, text: Utf8Bytes) {
    let Some((room, at)) = parse_client_frame(text.as_str()) else {
        return;
    };
    let bytes = Bytes::from(text).slice(at..);
    // A slice at an ASCII space of valid UTF-8 is valid UTF-8.
    let Ok(content) = Utf8Bytes::try_from(bytes) else {
        return;
    };
    server.rooms.broadcast(room, &content);
}
