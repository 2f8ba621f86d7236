//! The task that owns one Engine.IO session (engine.io `Socket` + its transports):
//! heartbeat, long-polling requests, the WebSocket, the upgrade from polling to
//! WebSocket, and closing.
//!
//! Everything that changes the session happens here, so there are no locks on the
//! session state beyond the outbound queue shared with [`SessionHandle`]s. The HTTP
//! side talks to the task with [`Command`]s; the application reaches it through the
//! outbound queue and its wake-up.
//!
//! Upgrade (engine.io-protocol v4, "Upgrade"): a WebSocket with the session's `sid`
//! becomes a *candidate*; on `2probe` it answers `3probe` and releases a pending GET
//! with a `6` noop; on `5` it becomes the transport, and the outbound queue (which
//! polling drained only as far as it answered GETs) continues on it in order, so no
//! frame is lost or sent twice across the switch.

use std::future::poll_fn;
use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use bytes::{Bytes, BytesMut};
use huddle_protocol::Str;
use huddle_protocol::engine::{Frame, Packet, decode_payload, decode_text, encode_payload};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::EngineInner;
use super::api::{CloseReason, SessionHandle, Transport};
use super::error::ErrorCode;
use super::heartbeat::{Heartbeat, HeartbeatAction};
use super::table::Entry;
use super::ws::{WsConn, WsEvent, frame_message};

/// A request from the HTTP side to the session's task.
pub(crate) enum Command {
    /// A long-polling GET: answer with the queued frames as soon as there are some.
    Poll(oneshot::Sender<PollReply>),
    /// A long-polling POST body to decode and deliver.
    Post(Bytes, oneshot::Sender<Result<(), ErrorCode>>),
    /// A WebSocket opened with this session's `sid` (an upgrade attempt). Boxed: the
    /// queue's storage is sized by its largest command.
    Upgrade(Box<WsConn>),
}

/// The answer to a long-polling GET.
#[derive(Debug)]
pub(crate) enum PollReply {
    /// A polling payload (records joined by `0x1e`).
    Payload(Bytes),
    /// An Engine.IO error to answer with.
    Error(ErrorCode),
}

/// How the session's transport starts.
pub(crate) enum Initial {
    /// Long-polling; the handshake GET follows as the first [`Command::Poll`].
    Polling,
    /// A WebSocket whose HTTP upgrade is under way.
    WebSocket(OnUpgrade),
}

/// How the session ends, which decides what the client is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EndKind {
    /// The client closed: release a pending GET with a noop, no close packet.
    ClientClosed,
    /// The transport is gone: nothing can be sent.
    Gone,
    /// Server side: discard queued frames, send the close packet.
    Close,
    /// Server side, orderly (the application or shutdown asked): send the queued
    /// frames, then the close packet.
    Drain,
    /// A WebSocket message over `maxPayload`: close the WebSocket with 1009.
    TooBig,
}

#[derive(Clone, Copy, Debug)]
struct End {
    reason: CloseReason,
    kind: EndKind,
}

impl End {
    fn new(reason: CloseReason, kind: EndKind) -> Self {
        End { reason, kind }
    }

    /// A close asked for through the handle (application, engine, HTTP side).
    fn requested(reason: CloseReason) -> Self {
        let kind = match reason {
            CloseReason::ForcedClose
            | CloseReason::ConnectTimeout
            | CloseReason::ServerShutdown => EndKind::Drain,
            _ => EndKind::Close,
        };
        End { reason, kind }
    }
}

/// A long-polling GET the session holds, counted in the engine's parked-polls gauge
/// for as long as it is held (however it ends: answered, dropped, session gone).
struct ParkedGet {
    reply: Option<oneshot::Sender<PollReply>>,
    gauge: Arc<AtomicUsize>,
}

impl ParkedGet {
    fn new(reply: oneshot::Sender<PollReply>, gauge: &Arc<AtomicUsize>) -> Self {
        gauge.fetch_add(1, Ordering::Relaxed);
        ParkedGet {
            reply: Some(reply),
            gauge: gauge.clone(),
        }
    }

    fn is_closed(&self) -> bool {
        self.reply.as_ref().is_none_or(|r| r.is_closed())
    }

    /// Resolves when the client has gone (its connection closed).
    async fn closed(&mut self) {
        match self.reply.as_mut() {
            Some(reply) => reply.closed().await,
            None => std::future::pending().await,
        }
    }

    /// Answers the GET. If the client went away meanwhile, the answer is lost with the
    /// connection, as with any HTTP response in flight.
    fn reply(mut self, answer: PollReply) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(answer);
        }
    }
}

impl Drop for ParkedGet {
    fn drop(&mut self) {
        self.gauge.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Candidate {
    ws: Box<WsConn>,
    probed: bool,
    deadline: Instant,
}

pub(crate) struct Session {
    engine: Arc<EngineInner>,
    handle: SessionHandle,
    /// The session's table entry: its command queue is read here.
    entry: Arc<Entry>,
    heartbeat: Heartbeat,
    transport: Transport,
    /// The pending long-polling GET (at most one).
    pending_get: Option<ParkedGet>,
    /// The WebSocket, once it is the transport. Boxed, as the candidate: a polling
    /// session does not carry the room for one, and an upgrade moves a pointer.
    ws: Option<Box<WsConn>>,
    /// A WebSocket in the middle of an upgrade.
    candidate: Option<Candidate>,
}

fn text_frame(s: &'static str) -> Frame {
    Frame::Text(Bytes::from_static(s.as_bytes()))
}

fn payload(frames: &[Frame]) -> Bytes {
    let mut out = BytesMut::new();
    encode_payload(frames, &mut out);
    out.freeze()
}

impl Session {
    pub(crate) fn new(engine: Arc<EngineInner>, entry: Arc<Entry>, transport: Transport) -> Self {
        let handle = entry.handle();
        let config = &engine.config;
        let heartbeat = Heartbeat::new(Instant::now(), config.ping_interval, config.ping_timeout);
        Session {
            engine,
            handle,
            entry,
            heartbeat,
            transport,
            pending_get: None,
            ws: None,
            candidate: None,
        }
    }

    fn sid(&self) -> &str {
        self.handle.sid()
    }

    /// Runs the session to its end.
    ///
    /// This future lives as long as the session, so it is kept small: an `async move`
    /// block rather than an `async fn` (which would store `self` twice, as argument and
    /// as local), and the one-off steps, opening the WebSocket and closing, boxed so
    /// that their state is only allocated while they run.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn stores its arguments twice"
    )]
    pub(crate) fn run(mut self, initial: Initial) -> impl Future<Output = ()> + Send {
        async move {
            if let Initial::WebSocket(on_upgrade) = initial {
                let accepted = Box::pin(accept_websocket(
                    &self.engine,
                    self.handle.sid(),
                    on_upgrade,
                ))
                .await;
                match accepted {
                    Some(ws) => self.ws = Some(ws),
                    None => {
                        // Never opened: nobody was told about it, so no on_close either.
                        self.engine.table.remove(self.handle.sid());
                        self.handle.shared.lock().closed = true;
                        return;
                    }
                }
            }
            self.engine.handler.on_open(&self.handle);
            let end = self.serve().await;
            Box::pin(self.close(end)).await;
            self.finish(end.reason);
        }
    }

    fn next_deadline(&self) -> Instant {
        let hb = self.heartbeat.deadline();
        match &self.candidate {
            Some(c) if c.deadline < hb => c.deadline,
            _ => hb,
        }
    }

    /// The main loop: returns how the session ends.
    async fn serve(&mut self) -> End {
        let shared = self.handle.shared.clone();
        let sleep = sleep_until(self.next_deadline());
        tokio::pin!(sleep);
        loop {
            let requested = shared.lock().close;
            if let Some(reason) = requested {
                return End::requested(reason);
            }
            self.flush_polling();
            let deadline = self.next_deadline();
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            let ws = &mut self.ws;
            let candidate = &mut self.candidate;
            let pending_get = &mut self.pending_get;
            let outcome = tokio::select! {
                biased;
                () = &mut sleep => Step::Timer,
                command = self.entry.commands.recv() => Step::Command(command),
                () = shared.wake().notified() => Step::Wake,
                event = poll_fn(|cx| match ws.as_mut() {
                    Some(ws) => ws.poll_event(cx, Some(&shared)),
                    None => Poll::Pending,
                }) => Step::Ws(event),
                event = poll_fn(|cx| match candidate.as_mut() {
                    Some(c) => c.ws.poll_event(cx, None),
                    None => Poll::Pending,
                }) => Step::Candidate(event),
                () = async {
                    match pending_get.as_mut() {
                        Some(parked) => parked.closed().await,
                        None => std::future::pending().await,
                    }
                } => Step::GetGone,
            };
            let end = match outcome {
                Step::Timer => self.on_timer(Instant::now()),
                Step::Command(command) => self.on_command(command),
                Step::Wake => None,
                Step::Ws(event) => self.on_ws_event(event),
                Step::Candidate(event) => {
                    self.on_candidate_event(event);
                    None
                }
                Step::GetGone => {
                    // The reference closes the session: "poll connection closed prematurely".
                    tracing::debug!(
                        sid = self.sid(),
                        "pending poll request closed by the client"
                    );
                    self.pending_get = None;
                    Some(End::new(CloseReason::TransportError, EndKind::Gone))
                }
            };
            if let Some(end) = end {
                return end;
            }
        }
    }

    /// Answers a pending GET if there is something to send.
    fn flush_polling(&mut self) {
        if self.transport != Transport::Polling {
            return;
        }
        let Some(parked) = self.pending_get.take() else {
            return;
        };
        if parked.is_closed() {
            // Left for the GetGone branch, which closes the session.
            self.pending_get = Some(parked);
            return;
        }
        let frames: Vec<Frame> = self.handle.shared.lock().frames.drain(..).collect();
        if frames.is_empty() {
            self.pending_get = Some(parked);
            return;
        }
        parked.reply(PollReply::Payload(payload(&frames)));
    }

    fn queue_is_empty(&self) -> bool {
        self.handle.shared.lock().frames.is_empty()
    }

    fn on_timer(&mut self, now: Instant) -> Option<End> {
        if self.candidate.as_ref().is_some_and(|c| now >= c.deadline) {
            tracing::debug!(sid = self.sid(), "upgrade not completed in time");
            self.drop_candidate();
        }
        match self.heartbeat.poll(now) {
            HeartbeatAction::Wait => None,
            HeartbeatAction::SendPing => {
                self.handle.shared.push_control(text_frame("2"));
                None
            }
            HeartbeatAction::TimedOut => {
                tracing::debug!(sid = self.sid(), "ping timeout");
                Some(End::new(CloseReason::PingTimeout, EndKind::Close))
            }
        }
    }

    fn on_command(&mut self, command: Command) -> Option<End> {
        match command {
            Command::Poll(reply) => {
                if self.transport != Transport::Polling {
                    let _ = reply.send(PollReply::Error(ErrorCode::BadRequest));
                    return None;
                }
                if self.pending_get.is_some() {
                    tracing::debug!(sid = self.sid(), "overlapping poll requests");
                    let _ = reply.send(PollReply::Error(ErrorCode::BadRequest));
                    return Some(End::new(CloseReason::TransportError, EndKind::Close));
                }
                if self.candidate.as_ref().is_some_and(|c| c.probed) && self.queue_is_empty() {
                    // Mid-upgrade: end the poll at once so the client can pause polling.
                    let _ = reply.send(PollReply::Payload(Bytes::from_static(b"6")));
                    return None;
                }
                self.pending_get = Some(ParkedGet::new(reply, &self.engine.parked_polls));
                None
            }
            Command::Post(body, reply) => {
                if self.transport != Transport::Polling {
                    let _ = reply.send(Err(ErrorCode::BadRequest));
                    return None;
                }
                let packets = match decode_payload(body, &self.engine.limits) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::info!(sid = self.sid(), error = %e, "bad polling payload: closing");
                        let _ = reply.send(Err(ErrorCode::BadRequest));
                        return Some(End::new(CloseReason::ParseError, EndKind::Close));
                    }
                };
                let now = Instant::now();
                let mut end = None;
                for packet in packets {
                    end = self.on_packet(packet, now);
                    if end.is_some() {
                        break;
                    }
                }
                let _ = reply.send(Ok(()));
                end
            }
            Command::Upgrade(mut ws) => {
                if self.transport != Transport::Polling || self.candidate.is_some() {
                    tracing::debug!(sid = self.sid(), "second upgrade attempt refused");
                    ws.push_close(CloseCode::Policy, "");
                    self.linger(ws);
                    return None;
                }
                self.candidate = Some(Candidate {
                    ws,
                    probed: false,
                    deadline: Instant::now() + self.engine.config.upgrade_timeout,
                });
                None
            }
        }
    }

    /// One packet from the active transport.
    fn on_packet(&mut self, packet: Packet, now: Instant) -> Option<End> {
        self.heartbeat.on_packet(now);
        match packet {
            Packet::Message(data) => {
                // Like the reference: once closing, nothing more is delivered.
                if self.handle.is_open() {
                    self.engine.handler.on_message(&self.handle, data);
                }
                None
            }
            Packet::Pong(_) => {
                self.heartbeat.on_pong(now);
                None
            }
            Packet::Close => Some(End::new(CloseReason::TransportClose, EndKind::ClientClosed)),
            Packet::Ping(_) => {
                tracing::info!(
                    sid = self.sid(),
                    "client ping on v4 (invalid heartbeat direction): closing"
                );
                Some(End::new(CloseReason::TransportError, EndKind::Close))
            }
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => None,
        }
    }

    fn decode_ws_text(&self, text: tokio_tungstenite::tungstenite::Utf8Bytes) -> Option<Packet> {
        let str = Str::try_from(Bytes::from(text)).ok()?;
        match decode_text(str, &self.engine.limits) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::info!(sid = self.sid(), error = %e, "bad websocket packet");
                None
            }
        }
    }

    fn on_ws_event(&mut self, event: WsEvent) -> Option<End> {
        let now = Instant::now();
        match event {
            WsEvent::Message(Message::Text(text)) => match self.decode_ws_text(text) {
                Some(packet) => self.on_packet(packet, now),
                None => Some(End::new(CloseReason::ParseError, EndKind::Close)),
            },
            WsEvent::Message(Message::Binary(data)) => self.on_packet(Packet::binary(data), now),
            WsEvent::Message(Message::Close(_)) => {
                Some(End::new(CloseReason::TransportClose, EndKind::ClientClosed))
            }
            // WebSocket-level ping/pong are answered by tungstenite; not Engine.IO traffic.
            WsEvent::Message(_) => None,
            WsEvent::Closed => Some(End::new(CloseReason::TransportClose, EndKind::Gone)),
            WsEvent::Error(WsError::Capacity(e)) => {
                tracing::info!(sid = self.sid(), error = %e, "websocket message over maxPayload: closing");
                Some(End::new(CloseReason::TransportError, EndKind::TooBig))
            }
            // The peer went away, with or without the closing handshake: as the
            // reference, that is the client closing the transport.
            WsEvent::Error(
                WsError::ConnectionClosed
                | WsError::AlreadyClosed
                | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
            ) => Some(End::new(CloseReason::TransportClose, EndKind::Gone)),
            WsEvent::Error(WsError::Io(e))
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                        | ErrorKind::UnexpectedEof
                ) =>
            {
                Some(End::new(CloseReason::TransportClose, EndKind::Gone))
            }
            WsEvent::Error(e) => {
                tracing::debug!(sid = self.sid(), error = %e, "websocket error");
                Some(End::new(CloseReason::TransportError, EndKind::Gone))
            }
        }
    }

    fn on_candidate_event(&mut self, event: WsEvent) {
        let packet = match event {
            WsEvent::Message(Message::Text(text)) => self.decode_ws_text(text),
            WsEvent::Message(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => return,
            other => {
                tracing::debug!(sid = self.sid(), event = ?other, "upgrade abandoned");
                self.drop_candidate();
                return;
            }
        };
        match packet {
            Some(Packet::Ping(data)) if data == "probe" => {
                if let Some(c) = self.candidate.as_mut() {
                    c.ws.push_local(Message::text("3probe"));
                    c.probed = true;
                }
                if self.queue_is_empty()
                    && let Some(parked) = self.pending_get.take()
                {
                    parked.reply(PollReply::Payload(Bytes::from_static(b"6")));
                }
            }
            Some(Packet::Upgrade) => {
                let Some(candidate) = self.candidate.take() else {
                    return;
                };
                if let Some(parked) = self.pending_get.take() {
                    parked.reply(PollReply::Payload(Bytes::from_static(b"6")));
                }
                self.transport = Transport::WebSocket;
                self.handle.shared.set_transport(Transport::WebSocket);
                self.ws = Some(candidate.ws);
                self.heartbeat.on_packet(Instant::now());
                tracing::debug!(sid = self.sid(), "upgraded to websocket");
            }
            _ => {
                tracing::debug!(sid = self.sid(), "unexpected packet during upgrade");
                self.drop_candidate();
            }
        }
    }

    fn drop_candidate(&mut self) {
        if let Some(mut c) = self.candidate.take() {
            c.ws.push_close(CloseCode::Normal, "");
            self.linger(c.ws);
        }
    }

    /// Closes a WebSocket that is not the session's, in the background.
    fn linger(&self, mut ws: Box<WsConn>) {
        let limit = self.engine.config.close_timeout;
        tokio::spawn(async move {
            let _ = timeout(limit, ws.finish()).await;
        });
    }

    /// Carries out the end: tells the client what it needs, bounded by `close_timeout`.
    async fn close(&mut self, end: End) {
        let deadline = Instant::now() + self.engine.config.close_timeout;
        tracing::debug!(sid = self.sid(), reason = %end.reason, kind = ?end.kind, "closing session");
        self.drop_candidate();
        // Nothing more is accepted from here on.
        let frames: Vec<Frame> = {
            let mut outbox = self.handle.shared.lock();
            if outbox.close.is_none() {
                outbox.close = Some(end.reason);
            }
            let frames = outbox.frames.drain(..).collect();
            if end.kind == EndKind::Drain {
                frames
            } else {
                Vec::new()
            }
        };
        match self.ws.take() {
            Some(mut ws) => {
                match end.kind {
                    EndKind::Gone => return,
                    // After a `1` packet, close the WebSocket too; after a close frame,
                    // tungstenite has already answered and this is a no-op.
                    EndKind::ClientClosed => ws.push_close(CloseCode::Normal, ""),
                    EndKind::TooBig => ws.push_close(CloseCode::Size, "message too big"),
                    EndKind::Close | EndKind::Drain => {
                        for message in frames.into_iter().filter_map(frame_message) {
                            ws.push_local(message);
                        }
                        ws.push_local(Message::text("1"));
                        ws.push_close(CloseCode::Normal, "");
                    }
                }
                // The last frames and the close go out now; the peer's close reply is
                // awaited in the background so the session ends without waiting on a
                // client that may be gone.
                // A client that overflowed its queue is not reading: do not wait on it.
                if end.reason == CloseReason::OutboundOverflow {
                    self.linger(ws);
                } else if let Ok(Ok(())) = timeout_at(deadline, ws.flush()).await {
                    self.linger(ws);
                }
            }
            None => self.close_polling(end, frames, deadline).await,
        }
    }

    async fn close_polling(&mut self, end: End, mut frames: Vec<Frame>, deadline: Instant) {
        match end.kind {
            EndKind::Gone | EndKind::TooBig => {}
            EndKind::ClientClosed => {
                if let Some(parked) = self.pending_get.take() {
                    parked.reply(PollReply::Payload(Bytes::from_static(b"6")));
                }
            }
            EndKind::Close | EndKind::Drain => {
                frames.push(text_frame("1"));
                let body = payload(&frames);
                if let Some(parked) = self.pending_get.take() {
                    parked.reply(PollReply::Payload(body));
                    return;
                }
                // No GET to answer. After an error the client is gone or broken, and at
                // shutdown it reconnects anyway: end now. An orderly close from the
                // application carries frames the client must see (a Socket.IO
                // DISCONNECT): give it until the deadline to come back for them (a
                // polling client normally does at once).
                if end.kind != EndKind::Drain || end.reason == CloseReason::ServerShutdown {
                    return;
                }
                while let Ok(command) = timeout_at(deadline, self.entry.commands.recv()).await {
                    match command {
                        Command::Poll(tx) => {
                            let _ = tx.send(PollReply::Payload(body));
                            return;
                        }
                        // Closing: what the client still sends is not delivered.
                        Command::Post(_, tx) => {
                            let _ = tx.send(Ok(()));
                        }
                        Command::Upgrade(mut ws) => {
                            ws.push_close(CloseCode::Away, "");
                            self.linger(ws);
                        }
                    }
                }
            }
        }
    }

    /// Forgets the session and tells the application, exactly once.
    fn finish(&mut self, reason: CloseReason) {
        self.engine.table.remove(self.handle.sid());
        {
            let mut outbox = self.handle.shared.lock();
            outbox.closed = true;
            outbox.frames.clear();
        }
        // Requests that raced with the end get "unknown session" from here on.
        self.entry.commands.close();
        while let Some(command) = self.entry.commands.try_recv() {
            match command {
                Command::Poll(tx) => {
                    let _ = tx.send(PollReply::Error(ErrorCode::UnknownSid));
                }
                Command::Post(_, tx) => {
                    let _ = tx.send(Err(ErrorCode::UnknownSid));
                }
                Command::Upgrade(_) => {}
            }
        }
        tracing::debug!(sid = self.sid(), reason = %reason, "session closed");
        self.engine.handler.on_close(&self.handle, reason);
    }
}

impl Drop for Session {
    /// However the task ends (also when it is dropped, e.g. with the runtime), later
    /// commands are refused and queued ones dropped, so an HTTP request waiting on an
    /// answer gets "unknown session" instead of hanging, as with a channel whose
    /// receiver is gone.
    fn drop(&mut self) {
        self.entry.commands.close();
        while self.entry.commands.try_recv().is_some() {}
    }
}

async fn accept_websocket(
    engine: &EngineInner,
    sid: &str,
    on_upgrade: OnUpgrade,
) -> Option<Box<WsConn>> {
    match timeout(engine.config.upgrade_timeout, on_upgrade).await {
        Ok(Ok(upgraded)) => Some(Box::new(WsConn::new(
            WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(engine.ws_config),
            )
            .await,
        ))),
        Ok(Err(e)) => {
            tracing::debug!(sid, error = %e, "websocket upgrade failed");
            None
        }
        Err(_) => {
            tracing::debug!(sid, "websocket upgrade timed out");
            None
        }
    }
}

enum Step {
    Timer,
    Command(Command),
    Wake,
    Ws(WsEvent),
    Candidate(WsEvent),
    GetGone,
}
