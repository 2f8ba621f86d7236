//! Namespaces: the application's handlers (connect middleware, connection hook,
//! event handlers, disconnect hook), registered once per namespace, and the task that
//! runs one socket through them (socket.io v5 "Namespaces" and "Connection to a
//! namespace").
//!
//! Each accepted socket gets one task. The task first runs the connect middleware,
//! then the connection hooks, then the socket's events one at a time in the order the
//! client sent them, then the disconnect hooks. That order is what lets the chat layer
//! store each sender's messages in the order sent. Acks from the client never go
//! through this queue: they are resolved as they arrive (see [`super::client`]).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use futures_util::FutureExt as _;
use huddle_protocol::Str;
use huddle_protocol::socketio::is_reserved_event;
use serde::Serialize;

use super::ack::AckSender;
use super::broadcast::BroadcastOperator;
use super::client::{Client, Inbound, Inbox};
use super::connect::{ConnectError, ConnectRequest};
use super::emit::EmitError;
use super::payload::Event;
use super::reason::DisconnectReason;
use super::rooms::{Name, RoomIndex, Selection};
use super::socket::{Socket, SocketCore};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
type ConnectFn<S> = Box<dyn Fn(ConnectRequest) -> BoxFuture<Result<S, ConnectError>> + Send + Sync>;
type EventFn<S> = Arc<dyn Fn(Socket<S>, Event, Option<AckSender>) -> BoxFuture<()> + Send + Sync>;
type SocketFn<S> = Arc<dyn Fn(Socket<S>) -> BoxFuture<()> + Send + Sync>;
type DisconnectFn<S> = Arc<dyn Fn(Socket<S>, DisconnectReason) -> BoxFuture<()> + Send + Sync>;

/// Reads a handler table. The tables are std `RwLock`s: they are written when the
/// application registers handlers and only read (to clone one `Arc`) afterwards, and
/// no guard is ever held across an `.await`. Registration cannot leave a table
/// half-written, so a poisoned lock is still sound.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// Everything one namespace holds: its handlers and its room index.
pub(crate) struct NsShared<S> {
    pub(crate) name: Str,
    connect: ConnectFn<S>,
    handlers: RwLock<HashMap<String, EventFn<S>>>,
    fallback: RwLock<Option<EventFn<S>>>,
    on_connect: RwLock<Vec<SocketFn<S>>>,
    on_disconnect: RwLock<Vec<DisconnectFn<S>>>,
    pub(crate) index: RoomIndex<Socket<S>>,
}

impl<S: Send + Sync + 'static> NsShared<S> {
    pub(crate) fn new<F, Fut>(name: Str, connect: F) -> Self
    where
        F: Fn(ConnectRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S, ConnectError>> + Send + 'static,
    {
        let connect = Arc::new(connect);
        NsShared {
            name,
            // The middleware is called inside the future, so a panic in it is caught
            // with the future's (see `run_socket`).
            connect: Box::new(move |request| {
                let connect = connect.clone();
                Box::pin(async move { connect(request).await })
            }),
            handlers: RwLock::new(HashMap::new()),
            fallback: RwLock::new(None),
            on_connect: RwLock::new(Vec::new()),
            on_disconnect: RwLock::new(Vec::new()),
            index: RoomIndex::new(),
        }
    }
}

/// The namespace operations the server needs without knowing the state type.
pub(crate) trait NamespaceEntry: Send + Sync {
    /// The namespace name, as registered.
    fn name(&self) -> &Str;
    /// Starts the task of a socket that asked to connect: middleware, then events.
    fn start_socket(self: Arc<Self>, client: Arc<Client>, inbox: Inbox, request: ConnectRequest);
    /// Number of connected sockets.
    fn socket_count(&self) -> usize;
}

impl<S: Send + Sync + 'static> NamespaceEntry for NsShared<S> {
    fn name(&self) -> &Str {
        &self.name
    }

    fn start_socket(self: Arc<Self>, client: Arc<Client>, inbox: Inbox, request: ConnectRequest) {
        tokio::spawn(run_socket(self, client, inbox, request));
    }

    fn socket_count(&self) -> usize {
        self.index.len()
    }
}

/// Runs one socket from its CONNECT to its end.
///
/// The task lives as long as the socket, so its future is kept small: an `async move`
/// block (an `async fn` would store its arguments twice), the connect phase boxed (its
/// state is only needed until the socket is accepted), and each event's handler future
/// on the heap (boxed by the handler table) rather than inline.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn stores its arguments twice"
)]
fn run_socket<S: Send + Sync + 'static>(
    ns: Arc<NsShared<S>>,
    client: Arc<Client>,
    inbox: Inbox,
    request: ConnectRequest,
) -> impl Future<Output = ()> + Send + 'static {
    async move {
        let accepted = Box::pin(connect_socket(&ns, client, &inbox, request)).await;
        let Some((socket, mut early)) = accepted else {
            return;
        };
        tracing::debug!(nsp = %ns.name, socket = socket.id(), "socket connected");

        let hooks = read(&ns.on_connect).clone();
        for hook in hooks {
            guarded(&ns.name, "connection handler", hook(socket.clone())).await;
        }

        let reason = loop {
            let received = match early.pop_front() {
                Some(event) => event,
                None => inbox.recv().await,
            };
            match received {
                Inbound::Event { event, ack } => {
                    inbox.slot().event_taken();
                    if let Some(handling) = dispatch(&ns, &socket, *event, ack) {
                        guarded(&ns.name, "event handler", handling).await;
                    }
                }
                Inbound::Close(reason) => break reason,
            }
        };
        inbox.slot().detach();
        tracing::debug!(nsp = %ns.name, socket = socket.id(), %reason, "socket disconnected");
        let hooks = read(&ns.on_disconnect).clone();
        for hook in hooks {
            guarded(&ns.name, "disconnect handler", hook(socket.clone(), reason)).await;
        }
    }
}

/// Runs the connect middleware; on acceptance, indexes the socket and answers the
/// CONNECT. Returns the socket and the events the client sent meanwhile, or `None`
/// when the socket was refused or the session or namespace went away first.
async fn connect_socket<S: Send + Sync + 'static>(
    ns: &Arc<NsShared<S>>,
    client: Arc<Client>,
    inbox: &Inbox,
    request: ConnectRequest,
) -> Option<(Socket<S>, VecDeque<Inbound>)> {
    let slot = inbox.slot();
    // Events the client sent while the middleware ran, kept for after the accept.
    let mut early = VecDeque::new();
    let middleware = AssertUnwindSafe((ns.connect)(request.clone())).catch_unwind();
    tokio::pin!(middleware);
    let decision = loop {
        tokio::select! {
            decision = &mut middleware => break decision,
            received = inbox.recv() => match received {
                event @ Inbound::Event { .. } => early.push_back(event),
                // The session ended or the client gave up on the namespace: a
                // middleware stuck on a slow dependency must not keep this task (and
                // the session's memory) alive, so it is dropped here.
                Inbound::Close(_) => {
                    tracing::debug!(
                        nsp = %ns.name,
                        session = request.session_id(),
                        "closed while the connect middleware ran; cancelled"
                    );
                    return None;
                }
            },
        }
    };
    let state = match decision {
        Ok(Ok(state)) => state,
        Ok(Err(refusal)) => {
            tracing::debug!(
                nsp = %ns.name,
                session = request.session_id(),
                message = %refusal.message,
                "connect middleware refused the socket"
            );
            client.refuse(slot, &refusal);
            return None;
        }
        Err(_) => {
            tracing::error!(
                nsp = %ns.name,
                session = request.session_id(),
                "connect middleware panicked; refusing the socket"
            );
            client.refuse(slot, &ConnectError::new("Internal server error"));
            return None;
        }
    };
    let core = Arc::new(SocketCore::new(
        slot.sid.clone(),
        ns.name.clone(),
        client.session().clone(),
    ));
    // The middleware's copy, with the auth value it parsed, ends here.
    let request = request.without_parsed_auth();
    let socket = Socket::new(core, state, ns.clone(), request, Arc::downgrade(&client));
    if !client.accept(slot, socket.inner.clone()) {
        // The session closed, or the client left the namespace, just as the
        // middleware finished: the socket never existed for anyone.
        return None;
    }
    Some((socket, early))
}

/// The handler call for one event (`None` when nothing handles it). Not async: the
/// event moves straight into the handler's boxed future instead of the task's state.
fn dispatch<S: Send + Sync + 'static>(
    ns: &NsShared<S>,
    socket: &Socket<S>,
    event: Event,
    ack: Option<u64>,
) -> Option<BoxFuture<()>> {
    let handler = read(&ns.handlers)
        .get(event.name())
        .cloned()
        .or_else(|| read(&ns.fallback).clone());
    let Some(handler) = handler else {
        tracing::debug!(
            nsp = %ns.name,
            socket = socket.id(),
            event = event.name(),
            "no handler for this event; ignored"
        );
        return None;
    };
    let ack = ack.map(|id| AckSender::new(id, socket.inner.core.clone()));
    Some(handler(socket.clone(), event, ack))
}

/// Awaits an application future; a panic in it is logged and does not end the
/// socket's task (the socket goes on with its next event).
async fn guarded(nsp: &Str, what: &'static str, future: BoxFuture<()>) {
    if AssertUnwindSafe(future).catch_unwind().await.is_err() {
        tracing::error!(nsp = %nsp, "{what} panicked");
    }
}

/// Boxes an event handler. The handler is called inside the returned future, so a
/// panic in it is caught with the future's (see `guarded`).
fn erase_event_handler<S, F, Fut>(handler: F) -> EventFn<S>
where
    S: Send + Sync + 'static,
    F: Fn(Socket<S>, Event, Option<AckSender>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    Arc::new(move |socket, event, ack| {
        let handler = handler.clone();
        Box::pin(async move { handler(socket, event, ack).await })
    })
}

/// A namespace: register its handlers, broadcast to its rooms, list its sockets.
/// `S` is the per-socket state its connect middleware produces. Cheap to clone.
pub struct Namespace<S = ()> {
    shared: Arc<NsShared<S>>,
}

impl<S> Clone for Namespace<S> {
    fn clone(&self) -> Self {
        Namespace {
            shared: self.shared.clone(),
        }
    }
}

impl<S> fmt::Debug for Namespace<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.shared.name)
            .finish()
    }
}

impl<S: Send + Sync + 'static> Namespace<S> {
    pub(crate) fn from_shared(shared: Arc<NsShared<S>>) -> Self {
        Namespace { shared }
    }

    /// The namespace name (`/`, `/custom`, ...).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Registers the handler of `event` for every socket of the namespace (replacing
    /// an earlier one for the same name). It receives the socket, the event, and an
    /// [`AckSender`] when the client asked for an acknowledgement. A socket's events
    /// run one at a time in the order received; a handler that must not hold up the
    /// socket's next events spawns its own task. Reserved names (`connect`,
    /// `disconnect`, ...) never arrive from a client and are refused with a warning.
    pub fn on<F, Fut>(&self, event: &str, handler: F) -> &Self
    where
        F: Fn(Socket<S>, Event, Option<AckSender>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if is_reserved_event(event) {
            tracing::warn!(nsp = %self.shared.name, event, "cannot handle a reserved event name");
            return self;
        }
        write(&self.shared.handlers).insert(event.to_owned(), erase_event_handler(handler));
        self
    }

    /// Registers the handler of every event that has no handler of its own (e.g. to
    /// answer a misspelled event's ack with an error instead of leaving the client
    /// waiting). Without one, such events are ignored with a debug log.
    pub fn on_fallback<F, Fut>(&self, handler: F) -> &Self
    where
        F: Fn(Socket<S>, Event, Option<AckSender>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        *write(&self.shared.fallback) = Some(erase_event_handler(handler));
        self
    }

    /// Adds a hook run when a socket has connected (after its CONNECT answer was
    /// queued, before its first event). Hooks run in the order added.
    pub fn on_connect<F, Fut>(&self, hook: F) -> &Self
    where
        F: Fn(Socket<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook = Arc::new(hook);
        let erased: SocketFn<S> = Arc::new(move |socket| {
            let hook = hook.clone();
            Box::pin(async move { hook(socket).await })
        });
        write(&self.shared.on_connect).push(erased);
        self
    }

    /// Adds a hook run once when a socket has disconnected, after every event it sent
    /// before disconnecting was handled. The socket is already out of every room
    /// (broadcasts no longer reach it) and `socket.rooms()` lists the rooms it was in.
    pub fn on_disconnect<F, Fut>(&self, hook: F) -> &Self
    where
        F: Fn(Socket<S>, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook = Arc::new(hook);
        let erased: DisconnectFn<S> = Arc::new(move |socket, reason| {
            let hook = hook.clone();
            Box::pin(async move { hook(socket, reason).await })
        });
        write(&self.shared.on_disconnect).push(erased);
        self
    }

    /// A broadcast to the members of `room` (every one of them: from a socket, use
    /// [`Socket::to`] to leave the sender out).
    pub fn to(&self, room: &str) -> BroadcastOperator<S> {
        BroadcastOperator::new(self.shared.clone(), Selection::default()).to(room)
    }

    /// A broadcast to the whole namespace except the members of `room`.
    pub fn except(&self, room: &str) -> BroadcastOperator<S> {
        BroadcastOperator::new(self.shared.clone(), Selection::default()).except(room)
    }

    /// Emits to every socket of the namespace; returns how many it was queued for.
    pub fn emit<T: ?Sized + Serialize>(&self, event: &str, args: &T) -> Result<usize, EmitError> {
        BroadcastOperator::new(self.shared.clone(), Selection::default()).emit(event, args)
    }

    /// Every connected socket of the namespace.
    pub fn sockets(&self) -> Vec<Socket<S>> {
        BroadcastOperator::new(self.shared.clone(), Selection::default()).sockets()
    }

    /// The connected socket with id `id`.
    pub fn socket(&self, id: &str) -> Option<Socket<S>> {
        self.shared.index.get(id).filter(Socket::connected)
    }

    /// The connected sockets in `room` (read their state to count distinct users).
    pub fn room_sockets(&self, room: &str) -> Vec<Socket<S>> {
        self.to(room).sockets()
    }

    /// Number of connected sockets in `room`.
    pub fn room_size(&self, room: &str) -> usize {
        self.room_sockets(room).len()
    }

    /// The rooms that have members, sockets' own rooms (their ids) included.
    pub fn rooms(&self) -> Vec<String> {
        self.shared
            .index
            .room_names()
            .iter()
            .map(|r: &Name| r.to_string())
            .collect()
    }
}
