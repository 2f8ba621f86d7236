//! The interface between the Engine.IO layer and what runs on top of it (the Socket.IO
//! server, or the raw echo server of conformance mode).
//!
//! An upper layer implements [`EngineHandler`] and talks to each session through a
//! [`SessionHandle`]: it queues already encoded [`Frame`]s on the session's bounded
//! outbound queue (Engine.IO v4 "message" packets; the engine adds nothing but the
//! transport framing) and may close the session with a [`CloseReason`].
//!
//! Why a queue of pre-encoded frames: a broadcast encodes its packet once and pushes the
//! same `Bytes` onto every member's queue. Why bounded: a consumer that cannot keep up
//! must not make the server's memory grow; when its queue is full the session is closed
//! with [`CloseReason::OutboundOverflow`] and a log line.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

pub use super::handshake::Handshake;

/// Data of one incoming message packet (text or binary).
pub use huddle_protocol::engine::Data;
/// One outbound Engine.IO packet, already encoded once; cloned cheaply (it holds a
/// [`bytes::Bytes`]) for every recipient of a broadcast. `Text` is the complete packet text,
/// type digit included (e.g. `b"42[\"hi\"]"`), sent as a WebSocket text frame or one
/// polling record; `Binary` is a binary message's raw data, sent as a WebSocket binary
/// frame or a `b`+base64 polling record.
pub use huddle_protocol::engine::Frame;

/// Why an Engine.IO session ended. [`CloseReason::as_str`] gives the Socket.IO
/// disconnect reason name. ("client namespace disconnect" is a Socket.IO-level reason
/// and stays in that layer.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed the transport (WebSocket close, close packet, vanished TCP connection).
    TransportClose,
    /// The transport failed (I/O error, overlapping polling requests, frame over the limit).
    TransportError,
    /// No pong arrived within `pingTimeout` of a ping.
    PingTimeout,
    /// The server is shutting down; the client is expected to reconnect elsewhere.
    ServerShutdown,
    /// The application closed the session ([`SessionHandle::close`]).
    ForcedClose,
    /// The client sent something that is not Engine.IO.
    ParseError,
    /// The session's outbound queue was full: the client does not read fast enough.
    OutboundOverflow,
    /// No Socket.IO CONNECT arrived in time (decided by the Socket.IO layer).
    ConnectTimeout,
}

impl CloseReason {
    /// The reason as Socket.IO names it in its `disconnect` event.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ServerShutdown => "server shutting down",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ParseError => "parse error",
            CloseReason::OutboundOverflow => "outbound queue overflow",
            CloseReason::ConnectTimeout => "connect timeout",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a frame could not be queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is closed or closing; nothing more is sent on it.
    #[error("session is closed")]
    Closed,
    /// The outbound queue was full; the session has been closed with
    /// [`CloseReason::OutboundOverflow`].
    #[error("outbound queue full ({capacity} frames); session closed")]
    QueueFull {
        /// The queue capacity, in frames.
        capacity: usize,
    },
}

/// The transport a session currently uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling (GET to receive, POST to send).
    Polling,
    /// One WebSocket connection.
    WebSocket,
}

impl Transport {
    /// The transport name as it appears in the `transport` query parameter.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Transport::Polling => 0,
            Transport::WebSocket => 1,
        }
    }

    fn from_u8(v: u8) -> Self {
        if v == 1 {
            Transport::WebSocket
        } else {
            Transport::Polling
        }
    }
}

/// What runs on top of Engine.IO (the Socket.IO server; the conformance-mode echo server).
pub trait EngineHandler: Send + Sync + 'static {
    /// A session completed its handshake (its open packet is queued before any frame
    /// sent from here).
    fn on_open(&self, session: &SessionHandle);
    /// One incoming Engine.IO message packet (text or binary), delivered in the order
    /// received, from the session's own task. Must not block: do cheap work inline,
    /// hand longer work to a task.
    fn on_message(&self, session: &SessionHandle, data: Data);
    /// The session ended (called exactly once per opened session, after which every
    /// send on its handle fails with [`SendError::Closed`]).
    fn on_close(&self, session: &SessionHandle, reason: CloseReason);
}

/// Handle to one Engine.IO session, cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct SessionHandle {
    pub(in crate::engine) shared: Arc<SessionShared>,
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionHandle")
            .field("sid", &self.sid())
            .field("transport", &self.transport())
            .field("open", &self.is_open())
            .finish()
    }
}

impl SessionHandle {
    /// The session id (the `sid` of the open packet).
    pub fn sid(&self) -> &str {
        &self.shared.sid
    }

    /// Queue a pre-encoded frame on the session's bounded outbound queue without
    /// waiting. If the queue is full the session is closed with
    /// [`CloseReason::OutboundOverflow`] (logged) and `Err` is returned.
    pub fn send(&self, frame: Frame) -> Result<(), SendError> {
        self.send_many(std::slice::from_ref(&frame))
    }

    /// Queue several frames atomically and in order (a Socket.IO binary packet is one
    /// text frame and N binary frames): either all are queued or none.
    pub fn send_many(&self, frames: &[Frame]) -> Result<(), SendError> {
        self.shared.push(frames)
    }

    /// Close the session at the Engine.IO level: a `1` close packet (on the pending or
    /// next long-polling GET, or as a WebSocket message followed by the close frame).
    /// For an orderly close ([`CloseReason::ForcedClose`], [`CloseReason::ConnectTimeout`],
    /// [`CloseReason::ServerShutdown`]) the frames already queued go first, e.g. a
    /// Socket.IO DISCONNECT; for the other reasons they are dropped. `reason` is what
    /// [`EngineHandler::on_close`] receives. Idempotent: the first reason wins.
    pub fn close(&self, reason: CloseReason) {
        self.shared.request_close(reason);
    }

    /// The handshake request, as seen when the session was opened.
    pub fn handshake(&self) -> &Handshake {
        &self.shared.handshake
    }

    /// The transport the session currently uses.
    pub fn transport(&self) -> Transport {
        Transport::from_u8(self.shared.transport.load(Ordering::Relaxed))
    }

    /// True until the session is closing or closed.
    pub fn is_open(&self) -> bool {
        let outbox = self.shared.lock();
        outbox.close.is_none() && !outbox.closed
    }
}

/// The state shared between a session's own task and every [`SessionHandle`].
pub(in crate::engine) struct SessionShared {
    sid: Box<str>,
    handshake: Handshake,
    transport: AtomicU8,
    capacity: usize,
    // A plain std mutex: it guards a queue push/pop and is never held across an
    // `.await`, so it is cheaper than an async lock and cannot deadlock the runtime.
    outbox: Mutex<Outbox>,
    // Wakes the session task on new frames or a close request. `Notify` keeps one
    // permit when nobody waits, so a wake-up is never lost.
    wake: Notify,
}

#[derive(Default)]
pub(in crate::engine) struct Outbox {
    /// Frames waiting for the transport.
    pub(in crate::engine) frames: VecDeque<Frame>,
    /// A close requested by the application or the engine, not yet carried out.
    pub(in crate::engine) close: Option<CloseReason>,
    /// The session has ended; nothing more is accepted.
    pub(in crate::engine) closed: bool,
}

impl SessionShared {
    pub(in crate::engine) fn new(
        sid: String,
        handshake: Handshake,
        transport: Transport,
        capacity: usize,
    ) -> Self {
        SessionShared {
            sid: sid.into_boxed_str(),
            handshake,
            transport: AtomicU8::new(transport.to_u8()),
            capacity,
            outbox: Mutex::new(Outbox::default()),
            wake: Notify::new(),
        }
    }

    pub(in crate::engine) fn sid(&self) -> &str {
        &self.sid
    }

    pub(in crate::engine) fn lock(&self) -> MutexGuard<'_, Outbox> {
        // A panic while holding this lock cannot leave the queue half-updated (every
        // critical section is a push, a pop or a flag), so a poisoned lock is still usable.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(in crate::engine) fn wake(&self) -> &Notify {
        &self.wake
    }

    pub(in crate::engine) fn set_transport(&self, transport: Transport) {
        self.transport.store(transport.to_u8(), Ordering::Relaxed);
    }

    fn push(&self, frames: &[Frame]) -> Result<(), SendError> {
        let mut outbox = self.lock();
        if outbox.closed || outbox.close.is_some() {
            return Err(SendError::Closed);
        }
        if outbox.frames.len() + frames.len() > self.capacity {
            outbox.close = Some(CloseReason::OutboundOverflow);
            let queued = outbox.frames.len();
            // The client will not read these: free the memory now.
            outbox.frames.clear();
            drop(outbox);
            tracing::warn!(
                sid = %self.sid,
                queued,
                capacity = self.capacity,
                "outbound queue full: closing the session"
            );
            self.wake.notify_one();
            return Err(SendError::QueueFull {
                capacity: self.capacity,
            });
        }
        outbox.frames.extend(frames.iter().cloned());
        drop(outbox);
        self.wake.notify_one();
        Ok(())
    }

    /// Queue a frame the engine itself emits (open, ping, noop): it does not count
    /// against the application's capacity, so a full queue never loses a heartbeat.
    pub(in crate::engine) fn push_control(&self, frame: Frame) {
        let mut outbox = self.lock();
        if outbox.closed {
            return;
        }
        outbox.frames.push_back(frame);
        drop(outbox);
        self.wake.notify_one();
    }

    pub(in crate::engine) fn request_close(&self, reason: CloseReason) {
        let mut outbox = self.lock();
        if outbox.closed || outbox.close.is_some() {
            return;
        }
        outbox.close = Some(reason);
        drop(outbox);
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn shared(capacity: usize) -> SessionHandle {
        let handshake = Handshake::new(
            "/socket.io/?EIO=4",
            &http::HeaderMap::new(),
            &[("EIO".into(), "4".into())],
            "127.0.0.1:1".parse().unwrap(),
            std::time::SystemTime::now(),
        );
        SessionHandle {
            shared: Arc::new(SessionShared::new(
                "sid1".into(),
                handshake,
                Transport::Polling,
                capacity,
            )),
        }
    }

    #[test]
    fn send_many_is_all_or_nothing_and_overflow_closes() {
        let s = shared(3);
        let t = Frame::Text(Bytes::from_static(b"4a"));
        s.send_many(&[t.clone(), t.clone()]).unwrap();
        assert_eq!(
            s.send_many(&[t.clone(), t.clone()]),
            Err(SendError::QueueFull { capacity: 3 })
        );
        assert!(!s.is_open());
        let outbox = s.shared.lock();
        assert!(outbox.frames.is_empty());
        assert_eq!(outbox.close, Some(CloseReason::OutboundOverflow));
        drop(outbox);
        assert_eq!(s.send(t), Err(SendError::Closed));
    }

    #[test]
    fn close_is_idempotent_and_keeps_first_reason() {
        let s = shared(8);
        s.close(CloseReason::ForcedClose);
        s.close(CloseReason::PingTimeout);
        assert_eq!(s.shared.lock().close, Some(CloseReason::ForcedClose));
        assert_eq!(
            s.send(Frame::Binary(Bytes::from_static(&[1]))),
            Err(SendError::Closed)
        );
    }

    #[test]
    fn handshake_query_param_and_transport() {
        let s = shared(1);
        assert_eq!(s.handshake().query_param("EIO"), Some("4"));
        assert_eq!(s.handshake().query_param("nope"), None);
        assert_eq!(s.transport(), Transport::Polling);
        s.shared.set_transport(Transport::WebSocket);
        assert_eq!(s.transport(), Transport::WebSocket);
        assert_eq!(s.sid(), "sid1");
    }
}
