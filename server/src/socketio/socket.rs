//! `Socket<S>`: one client's connection to one namespace (socket.io's server-side
//! `Socket`), with the application's per-socket state `S` set by the namespace's
//! connect middleware.
//!
//! A socket is cheap to clone (an `Arc`). It emits to its client, with or without an
//! ack; joins and leaves rooms; broadcasts to rooms without itself; and can be
//! disconnected by the server (a DISCONNECT packet for its namespace, the Engine.IO
//! session stays open for the client's other namespaces).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use huddle_protocol::Str;
use serde::Serialize;

use super::ack::{AckError, PendingAcks};
use super::broadcast::BroadcastOperator;
use super::client::Client;
use super::connect::ConnectRequest;
use super::emit::{self, EmitError};
use super::namespace::{Namespace, NsShared};
use super::payload::AckReply;
use super::rooms::{Name, Selection};
use crate::engine::{Frame, SessionHandle, Transport};

/// The part of a socket that does not depend on the application state: what acks,
/// the client's session and broadcasts need.
pub(crate) struct SocketCore {
    pub(crate) id: Name,
    pub(crate) nsp: Str,
    pub(crate) session: SessionHandle,
    /// Read on every broadcast to skip sockets already disconnected but not yet out
    /// of the room index, so a client never receives a packet for a namespace it
    /// has left.
    connected: AtomicBool,
    pub(crate) acks: PendingAcks,
}

impl fmt::Debug for SocketCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketCore")
            .field("id", &self.id)
            .field("nsp", &self.nsp)
            .field("session", &self.session.sid())
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl SocketCore {
    pub(crate) fn new(id: Name, nsp: Str, session: SessionHandle) -> Self {
        SocketCore {
            id,
            nsp,
            session,
            connected: AtomicBool::new(true),
            acks: PendingAcks::new(),
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Queues the frames of one packet, unless the socket has disconnected.
    pub(crate) fn send(&self, frames: &[Frame]) -> Result<(), EmitError> {
        if !self.is_connected() {
            return Err(EmitError::Disconnected);
        }
        self.session.send_many(frames)?;
        Ok(())
    }

    /// Marks the socket disconnected and fails its waiting acks. True the first time.
    pub(crate) fn mark_disconnected(&self) -> bool {
        let was = self.connected.swap(false, Ordering::AcqRel);
        self.acks.close();
        was
    }
}

/// What the client-side bookkeeping ([`Client`]) needs from a socket, whatever its
/// state type.
pub(crate) trait SocketLink: Send + Sync {
    /// Puts the socket in its namespace's room index (called once, when accepted).
    fn attach(self: Arc<Self>);
    /// Disconnects the socket now: no more packets reach its client, it leaves every
    /// room, its waiting acks fail. Idempotent.
    fn detach(&self);
    /// Delivers a client's ACK; false if nobody waited for that id.
    fn resolve_ack(&self, id: u64, reply: AckReply) -> bool;
}

pub(crate) struct SocketInner<S> {
    pub(crate) core: Arc<SocketCore>,
    state: S,
    pub(crate) ns: Arc<NsShared<S>>,
    handshake: ConnectRequest,
    client: Weak<Client>,
    /// The rooms the socket was in when it disconnected, for the disconnect handler.
    rooms_at_disconnect: OnceLock<Vec<Name>>,
}

/// One client's connection to one namespace. `S` is the application state the
/// namespace's connect middleware produced (the authenticated user, ...).
pub struct Socket<S = ()> {
    pub(crate) inner: Arc<SocketInner<S>>,
}

impl<S> Clone for Socket<S> {
    fn clone(&self) -> Self {
        Socket {
            inner: self.inner.clone(),
        }
    }
}

impl<S> fmt::Debug for Socket<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.inner.core.id)
            .field("nsp", &self.inner.core.nsp)
            .field("connected", &self.inner.core.is_connected())
            .finish()
    }
}

impl<S: Send + Sync + 'static> Socket<S> {
    pub(crate) fn new(
        core: Arc<SocketCore>,
        state: S,
        ns: Arc<NsShared<S>>,
        handshake: ConnectRequest,
        client: Weak<Client>,
    ) -> Self {
        Socket {
            inner: Arc::new(SocketInner {
                core,
                state,
                ns,
                handshake,
                client,
                rooms_at_disconnect: OnceLock::new(),
            }),
        }
    }

    /// The socket id, sent to the client in the CONNECT answer (`socket.id`
    /// client-side). Random, distinct from the Engine.IO session id.
    pub fn id(&self) -> &str {
        &self.inner.core.id
    }

    /// The namespace name.
    pub fn namespace(&self) -> &str {
        &self.inner.core.nsp
    }

    /// A handle to the socket's namespace (to broadcast from it, list its sockets).
    pub fn namespace_handle(&self) -> Namespace<S> {
        Namespace::from_shared(self.inner.ns.clone())
    }

    /// The application state set by the connect middleware.
    pub fn state(&self) -> &S {
        &self.inner.state
    }

    /// The connect request: auth payload, HTTP headers, query, peer address.
    pub fn handshake(&self) -> &ConnectRequest {
        &self.inner.handshake
    }

    /// The Engine.IO transport the client uses now.
    pub fn transport(&self) -> Transport {
        self.inner.core.session.transport()
    }

    /// True until the socket disconnects (either side, or its session ends).
    pub fn connected(&self) -> bool {
        self.inner.core.is_connected()
    }

    /// Emits `event` to this client. `args`: a tuple is spread into several
    /// arguments (`&("a", 1)`), `&()` sends none, any other value is one argument
    /// (`&json!({...})`, a `Serialize` struct); bytes become binary attachments.
    pub fn emit<T: ?Sized + Serialize>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        if !self.connected() {
            return Err(EmitError::Disconnected);
        }
        let frames = emit::event(&self.inner.core.nsp, event, args, None)?;
        self.inner.core.send(&frames)
    }

    /// Emits `event` with an ack id and waits up to `timeout` for the client's
    /// answer. Fails with [`AckError::Timeout`], [`AckError::Disconnected`] (the
    /// socket disconnected first) or [`AckError::Emit`].
    pub async fn emit_with_ack<T: ?Sized + Serialize>(
        &self,
        event: &str,
        args: &T,
        timeout: Duration,
    ) -> Result<AckReply, AckError> {
        let core = &self.inner.core;
        let Some((id, reply)) = core.acks.register() else {
            return Err(AckError::Disconnected);
        };
        let sent = emit::event(&core.nsp, event, args, Some(id)).and_then(|f| core.send(&f));
        match sent {
            Ok(()) => {}
            Err(EmitError::Disconnected) => {
                core.acks.cancel(id);
                return Err(AckError::Disconnected);
            }
            Err(e) => {
                core.acks.cancel(id);
                return Err(e.into());
            }
        }
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(AckError::Disconnected),
            Err(_) => {
                core.acks.cancel(id);
                Err(AckError::Timeout)
            }
        }
    }

    /// Joins `room`. False if the socket has disconnected (it is then in no room,
    /// and stays so).
    pub fn join(&self, room: &str) -> bool {
        self.inner.ns.index.join(self.id(), room)
    }

    /// Leaves `room`. False if it was not in it.
    pub fn leave(&self, room: &str) -> bool {
        self.inner.ns.index.leave(self.id(), room)
    }

    /// Whether the socket is in `room`.
    pub fn in_room(&self, room: &str) -> bool {
        self.inner.ns.index.contains(self.id(), room)
    }

    /// The rooms the socket is in, its own room (named by its id) included. In a
    /// disconnect handler: the rooms it was in when it disconnected (it is no longer
    /// a member; broadcasts no longer reach it).
    pub fn rooms(&self) -> Vec<String> {
        let rooms = match self.inner.rooms_at_disconnect.get() {
            Some(rooms) => rooms.clone(),
            None => self.inner.ns.index.rooms_of(self.id()),
        };
        rooms.iter().map(|r| r.to_string()).collect()
    }

    /// A broadcast to the members of `room`, this socket excluded (socket.io's
    /// `socket.to(room)`). Chain `.to(...)`/`.except(...)`, then `.emit(...)`.
    pub fn to(&self, room: &str) -> BroadcastOperator<S> {
        self.broadcast().to(room)
    }

    /// A broadcast to every socket of the namespace but this one (socket.io's
    /// `socket.broadcast`); narrow it with `.to(room)`.
    pub fn broadcast(&self) -> BroadcastOperator<S> {
        BroadcastOperator::new(
            self.inner.ns.clone(),
            Selection {
                rooms: Vec::new(),
                except: vec![self.inner.core.id.clone()],
            },
        )
    }

    /// Disconnects the socket from its namespace: the client receives a DISCONNECT
    /// (its `disconnect` event says "io server disconnect" and it does not reconnect
    /// by itself), the disconnect handler runs with
    /// [`super::DisconnectReason::ServerNamespaceDisconnect`]. The Engine.IO session
    /// and the client's other namespaces stay. No effect if already disconnected.
    pub fn disconnect(&self) {
        if let Some(client) = self.inner.client.upgrade() {
            client.server_disconnect(&self.inner.core.nsp, &self.inner.core.id);
        }
    }
}

impl<S: Send + Sync + 'static> SocketLink for SocketInner<S> {
    fn attach(self: Arc<Self>) {
        let id = self.core.id.clone();
        self.ns.index.insert(
            &id,
            Socket {
                inner: self.clone(),
            },
        );
    }

    fn detach(&self) {
        if self.core.mark_disconnected() {
            let rooms = self.ns.index.remove(&self.core.id).unwrap_or_default();
            let _ = self.rooms_at_disconnect.set(rooms);
        }
    }

    fn resolve_ack(&self, id: u64, reply: AckReply) -> bool {
        self.core.acks.resolve(id, reply)
    }
}
