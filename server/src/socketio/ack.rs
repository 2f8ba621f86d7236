//! Acknowledgements both ways (socket.io-protocol v5, "Acknowledgement").
//!
//! - Client to server: an event sent with an ack id gives its handler an
//!   [`AckSender`]; answering consumes it, so a handler answers at most once.
//! - Server to client: [`super::Socket::emit_with_ack`] registers a fresh id in the
//!   socket's [`PendingAcks`] and waits for the client's ACK with a timeout. Replies
//!   are resolved as soon as they are received, without waiting behind the socket's
//!   event handlers (a handler may itself be waiting for one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::oneshot;

use super::emit::{self, EmitError};
use super::payload::AckReply;
use super::socket::SocketCore;

/// Why [`super::Socket::emit_with_ack`] has no reply.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// The client did not answer within the timeout.
    #[error("no acknowledgement within the timeout")]
    Timeout,
    /// The socket disconnected before the client answered.
    #[error("the socket disconnected before acknowledging")]
    Disconnected,
    /// The packet could not be sent.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// The answer to one event the client sent with an ack id. Dropping it without
/// answering sends nothing (the client's callback then never runs, as with the
/// reference server).
#[derive(Debug)]
pub struct AckSender {
    id: u64,
    core: Arc<SocketCore>,
}

impl AckSender {
    pub(crate) fn new(id: u64, core: Arc<SocketCore>) -> Self {
        AckSender { id, core }
    }

    /// The ack id the client chose.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Answers with `args` (a tuple is spread into several arguments, `&()` is none,
    /// anything else is one argument; bytes become binary attachments). Nothing is
    /// sent if the socket has disconnected since.
    pub fn send<T: ?Sized + Serialize>(self, args: &T) -> Result<(), EmitError> {
        let frames = emit::ack(&self.core.nsp, self.id, args)?;
        self.core.send(&frames)
    }
}

struct State {
    connected: bool,
    next_id: u64,
    waiting: HashMap<u64, oneshot::Sender<AckReply>>,
}

/// A socket's server-to-client acks awaiting their reply.
///
/// The connected flag lives under the same lock as the map: closing flips it and
/// drops every waiting sender in one critical section, so an ack registered just as
/// the socket disconnects is either refused or woken with `Disconnected`, never left
/// to its timeout. A std mutex: the lock is held for a map operation only, never
/// across an `.await`.
pub(crate) struct PendingAcks {
    state: Mutex<State>,
}

impl PendingAcks {
    pub(crate) fn new() -> Self {
        PendingAcks {
            state: Mutex::new(State {
                connected: true,
                next_id: 0,
                waiting: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is a single map/flag update: poison carries no risk.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh ack id and the receiver of its reply; `None` once disconnected.
    pub(crate) fn register(&self) -> Option<(u64, oneshot::Receiver<AckReply>)> {
        let mut state = self.lock();
        if !state.connected {
            return None;
        }
        let id = state.next_id;
        // Ids stay below 2^53 so a JavaScript client reads them exactly; wrapping
        // around that far is harmless because old ids are long resolved.
        state.next_id = (id + 1) % huddle_protocol::JS_MAX_SAFE_INTEGER;
        let (tx, rx) = oneshot::channel();
        state.waiting.insert(id, tx);
        Some((id, rx))
    }

    /// Forgets `id` (timed out, or its packet could not be sent).
    pub(crate) fn cancel(&self, id: u64) {
        self.lock().waiting.remove(&id);
    }

    /// Delivers the client's reply to `id`; false if nobody waits for it (unknown,
    /// answered twice, or already timed out).
    pub(crate) fn resolve(&self, id: u64, reply: AckReply) -> bool {
        let waiter = self.lock().waiting.remove(&id);
        match waiter {
            Some(tx) => tx.send(reply).is_ok(),
            None => false,
        }
    }

    /// Marks the socket disconnected and wakes every waiter with `Disconnected`.
    pub(crate) fn close(&self) {
        let waiting = {
            let mut state = self.lock();
            state.connected = false;
            std::mem::take(&mut state.waiting)
        };
        // Dropping the senders wakes the receivers.
        drop(waiting);
    }

    /// Number of acks awaiting a reply.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::payload::Body;
    use super::*;
    use huddle_protocol::socketio::decode;
    use huddle_protocol::{Limits, Str};

    fn reply(raw: &'static str) -> AckReply {
        let packet = decode(Str::from_static(raw), &Limits::default()).unwrap();
        AckReply::new(Body::Text(packet), Limits::default())
    }

    #[tokio::test]
    async fn ids_are_fresh_and_replies_reach_their_waiter() {
        let acks = PendingAcks::new();
        let (a, rx_a) = acks.register().unwrap();
        let (b, rx_b) = acks.register().unwrap();
        assert_eq!((a, b), (0, 1));
        assert!(acks.resolve(b, reply(r#"31["b"]"#)));
        assert!(!acks.resolve(b, reply(r#"31["again"]"#)), "answered once");
        assert!(!acks.resolve(99, reply(r#"399[]"#)), "unknown id");
        let got: (String,) = rx_b.await.unwrap().args().unwrap();
        assert_eq!(got.0, "b");
        acks.cancel(a);
        assert!(rx_a.await.is_err(), "a cancelled ack never resolves");
        assert_eq!(acks.len(), 0);
    }

    #[tokio::test]
    async fn close_wakes_waiters_and_refuses_new_ones() {
        let acks = PendingAcks::new();
        let (_, rx) = acks.register().unwrap();
        acks.close();
        assert!(rx.await.is_err());
        assert!(acks.register().is_none());
        assert_eq!(acks.len(), 0);
    }
}
