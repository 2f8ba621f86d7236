//! One Engine.IO session seen from the Socket.IO layer (socket.io's server-side
//! `Client`): decoding its messages, reassembling binary packets, and routing each
//! packet to the namespace socket it belongs to (socket.io-protocol v5, "Exchange
//! protocol": multiplexing several namespaces over one session).
//!
//! Runs inline in [`crate::engine::EngineHandler::on_message`], on the session's own
//! task, so it only does cheap work: decode, check, then either answer at once
//! (CONNECT_ERROR for an unknown namespace, an ACK reply handed to its waiter) or
//! queue the packet for the socket's task. Rules, as the reference server applies them:
//! - a malformed packet (bad header, invalid JSON, reserved event name, broken
//!   binary sequence) closes the session with "parse error";
//! - a CONNECT for a namespace the client is already connected to, or a
//!   CONNECT_ERROR from a client, closes the session ("invalid state");
//! - a session with no accepted namespace CONNECT within `connect_timeout` is closed;
//! - an event or ack for a namespace the client is not connected to is ignored
//!   (a race with a server-side disconnect, not an error).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use huddle_protocol::socketio::{
    Assembled, BinaryPacket, Packet, PacketType, Reassembler, decode, is_reserved_event,
};
use huddle_protocol::{Error as ProtocolError, Str};
use serde::de::IgnoredAny;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::connect::{ConnectError, ConnectRequest};
use super::emit;
use super::payload::{AckReply, Body, Event};
use super::reason::DisconnectReason;
use super::rooms::Name;
use super::server::ServerShared;
use super::socket::SocketLink;
use crate::engine::{CloseReason, Data, Frame, SessionHandle};

/// What a socket's task receives, in the order the client sent it.
pub(crate) enum Inbound {
    /// An event, with the ack id the client attached (boxed: an event is a few
    /// hundred bytes, a close one).
    Event { event: Box<Event>, ack: Option<u64> },
    /// The socket is disconnected; handle what came before, then end.
    Close(DisconnectReason),
}

/// The client-side entry of one namespace socket, from its CONNECT (middleware still
/// running) to its disconnect.
pub(crate) struct Slot {
    pub(crate) sid: Name,
    nsp: Str,
    /// What the socket's task has to handle, in order; read through its [`Inbox`].
    /// Unbounded so that `Close` always fits; `pending` bounds the events. A plain queue
    /// rather than a tokio channel, which would allocate about 1.3 KB per socket up
    /// front where this allocates only while something waits.
    inbound: Mutex<InboundQueue>,
    /// Wakes the socket's task (keeps a permit when it is busy, so none is lost).
    ready: Notify,
    /// Events queued and not yet taken by the socket's task.
    pending: AtomicUsize,
    /// Set once the socket is accepted.
    link: OnceLock<Arc<dyn SocketLink>>,
}

#[derive(Default)]
struct InboundQueue {
    items: VecDeque<Inbound>,
    /// The socket's task has ended: nothing more is queued.
    receiver_gone: bool,
}

impl Slot {
    fn new(sid: Name, nsp: Str) -> Self {
        Slot {
            sid,
            nsp,
            inbound: Mutex::new(InboundQueue::default()),
            ready: Notify::new(),
            pending: AtomicUsize::new(0),
            link: OnceLock::new(),
        }
    }

    fn lock_inbound(&self) -> MutexGuard<'_, InboundQueue> {
        // Every critical section is one push, pop or clear: a poisoned lock is sound.
        self.inbound.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, item: Inbound) {
        let mut queue = self.lock_inbound();
        // The task already ended: the item has nobody to go to.
        if queue.receiver_gone {
            return;
        }
        queue.items.push_back(item);
        drop(queue);
        self.ready.notify_one();
    }

    /// The socket's task took one event off the queue.
    pub(crate) fn event_taken(&self) {
        self.pending.fetch_sub(1, Ordering::AcqRel);
    }

    /// Queues an event; false when `max` events already wait.
    fn push_event(&self, event: Event, ack: Option<u64>, max: usize) -> bool {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= max {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        self.push(Inbound::Event {
            event: Box::new(event),
            ack,
        });
        true
    }

    /// Disconnects the socket now and tells its task to finish.
    fn close(&self, reason: DisconnectReason) {
        self.detach();
        self.push(Inbound::Close(reason));
    }

    /// Disconnects the socket now (idempotent; nothing if never accepted).
    pub(crate) fn detach(&self) {
        if let Some(link) = self.link.get() {
            link.detach();
        }
    }
}

/// The receiving end of a [`Slot`]'s queue, owned by the socket's task. Dropping it
/// (the task ended) discards what is queued and refuses what comes later, as a
/// channel's receiver would.
pub(crate) struct Inbox {
    slot: Arc<Slot>,
}

impl Inbox {
    pub(crate) fn slot(&self) -> &Arc<Slot> {
        &self.slot
    }

    /// Waits for the next item. Cancel-safe: an item is only taken when returned.
    pub(crate) async fn recv(&self) -> Inbound {
        loop {
            if let Some(item) = self.slot.lock_inbound().items.pop_front() {
                return item;
            }
            self.slot.ready.notified().await;
        }
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let items = {
            let mut queue = self.slot.lock_inbound();
            queue.receiver_gone = true;
            std::mem::take(&mut queue.items)
        };
        // Dropped outside the lock.
        drop(items);
    }
}

/// Namespace sockets, pending (middleware running) or accepted, one per namespace. A
/// list searched by name: a session uses one namespace or a few, and a map would cost
/// a table allocation per session.
#[derive(Default)]
struct Slots(Vec<Arc<Slot>>);

impl Slots {
    fn get(&self, nsp: &str) -> Option<&Arc<Slot>> {
        self.0.iter().find(|s| &*s.nsp == nsp)
    }

    fn contains(&self, nsp: &str) -> bool {
        self.get(nsp).is_some()
    }

    fn insert(&mut self, slot: Arc<Slot>) {
        self.0.retain(|s| s.nsp != slot.nsp);
        self.0.push(slot);
    }

    fn remove(&mut self, nsp: &str) -> Option<Arc<Slot>> {
        let i = self.0.iter().position(|s| &*s.nsp == nsp)?;
        Some(self.0.swap_remove(i))
    }

    fn drain(&mut self) -> std::vec::Drain<'_, Arc<Slot>> {
        self.0.drain(..)
    }
}

struct ClientState {
    slots: Slots,
    /// Only while a binary packet's attachments are being collected: most sessions
    /// never send one, and an idle reassembler is 200 bytes per session.
    reassembler: Option<Box<Reassembler>>,
    /// A namespace CONNECT was accepted at least once: the connect timeout is over.
    connected_once: bool,
    connect_timer: Option<AbortHandle>,
    /// The session is being closed by this layer (bad input, timeout, overflow):
    /// whatever else it sent is dropped.
    closing: bool,
    /// The engine reported the session's end.
    closed: bool,
}

impl ClientState {
    /// The reassembler, created when a binary packet starts.
    fn reassembler(&mut self, limits: huddle_protocol::Limits) -> &mut Reassembler {
        self.reassembler
            .get_or_insert_with(|| Box::new(Reassembler::new(limits)))
    }
}

/// The Socket.IO state of one Engine.IO session.
pub(crate) struct Client {
    session: SessionHandle,
    server: Arc<ServerShared>,
    /// A std mutex: every critical section is a few map operations and non-blocking
    /// queue pushes, and it is never held across an `.await`. Lock order: this lock,
    /// then a namespace's room index, then the session's queue; none of those ever
    /// takes this one.
    state: Mutex<ClientState>,
}

impl Client {
    pub(crate) fn new(session: SessionHandle, server: Arc<ServerShared>) -> Arc<Self> {
        Arc::new(Client {
            session,
            server,
            state: Mutex::new(ClientState {
                slots: Slots::default(),
                reassembler: None,
                connected_once: false,
                connect_timer: None,
                closing: false,
                closed: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ClientState> {
        // No critical section can panic half-way through an update that matters
        // (map inserts/removes, flags), so a poisoned lock's data is still sound.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn session(&self) -> &SessionHandle {
        &self.session
    }

    /// Starts the connect timeout: the session is closed if no namespace CONNECT is
    /// accepted in time.
    pub(crate) fn start_connect_timer(self: &Arc<Self>) {
        let client = Arc::downgrade(self);
        let timeout = self.server.config.connect_timeout;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(client) = client.upgrade() {
                client.connect_timed_out();
            }
        });
        let mut state = self.lock();
        if state.closed || state.connected_once {
            timer.abort();
        } else {
            state.connect_timer = Some(timer.abort_handle());
        }
    }

    fn connect_timed_out(&self) {
        let mut state = self.lock();
        if state.connected_once || state.closed || state.closing {
            return;
        }
        tracing::info!(
            session = self.session.sid(),
            timeout_ms = self.server.config.connect_timeout.as_millis() as u64,
            "no namespace connected in time: closing the session"
        );
        state.closing = true;
        self.session.close(CloseReason::ConnectTimeout);
    }

    /// One Engine.IO message from the client.
    pub(crate) fn on_message(self: &Arc<Self>, data: Data) {
        let limits = self.server.config.limits;
        let mut state = self.lock();
        if state.closed || state.closing {
            return;
        }
        let assembled = match data {
            Data::Text(text) => decode(text, &limits).and_then(|packet| {
                // What an idle reassembler does with a packet that is not binary.
                if state.reassembler.is_none() && !packet.kind.is_binary() {
                    return Ok(Some(Assembled::Packet(packet)));
                }
                state.reassembler(limits).feed_packet(packet)
            }),
            Data::Binary(bytes) => state
                .reassembler(limits)
                .feed_attachment(bytes)
                .map(|done| done.map(Assembled::Binary)),
        };
        if state.reassembler.as_ref().is_some_and(|r| r.pending() == 0) {
            state.reassembler = None;
        }
        let routed = match assembled {
            Ok(None) => Ok(()),
            Ok(Some(Assembled::Packet(packet))) => self.route(&mut state, packet),
            Ok(Some(Assembled::Binary(packet))) => self.route_binary(&mut state, packet),
            Err(e) => Err(e),
        };
        if let Err(error) = routed {
            tracing::warn!(
                session = self.session.sid(),
                %error,
                "invalid Socket.IO packet: closing the session"
            );
            self.close_now(&mut state, CloseReason::ParseError);
        }
    }

    fn close_now(&self, state: &mut ClientState, reason: CloseReason) {
        state.closing = true;
        state.reassembler = None;
        self.session.close(reason);
    }

    fn route(
        self: &Arc<Self>,
        state: &mut ClientState,
        packet: Packet,
    ) -> Result<(), ProtocolError> {
        let limits = &self.server.config.limits;
        match packet.kind {
            PacketType::Connect => self.connect(state, packet),
            PacketType::Disconnect => {
                match state.slots.remove(&packet.nsp) {
                    Some(slot) => slot.close(DisconnectReason::ClientNamespaceDisconnect),
                    None => tracing::debug!(
                        session = self.session.sid(),
                        nsp = %packet.nsp,
                        "DISCONNECT for a namespace not connected; ignored"
                    ),
                }
                Ok(())
            }
            PacketType::Event => {
                // The decoder checked the header; the whole payload must be JSON too
                // (the reference parser refuses it otherwise).
                packet.payload::<IgnoredAny>(limits)?;
                let name = packet.event_name(limits)?;
                check_event_name(&name)?;
                let nsp = packet.nsp.clone();
                let ack = packet.id;
                let event = Event::new(name, Body::Text(packet), *limits);
                self.deliver(state, &nsp, event, ack);
                Ok(())
            }
            PacketType::Ack => {
                packet.payload::<IgnoredAny>(limits)?;
                let id = packet
                    .id
                    .ok_or(ProtocolError::MissingAckId { kind: packet.kind })?;
                let nsp = packet.nsp.clone();
                self.resolve_ack(state, &nsp, id, Body::Text(packet));
                Ok(())
            }
            PacketType::ConnectError => {
                tracing::warn!(
                    session = self.session.sid(),
                    nsp = %packet.nsp,
                    "CONNECT_ERROR sent by a client: closing the session"
                );
                self.close_now(state, CloseReason::ForcedClose);
                Ok(())
            }
            // The reassembler turns every binary header into a `BinaryPacket`.
            PacketType::BinaryEvent | PacketType::BinaryAck => {
                Err(ProtocolError::InvalidAttachmentCount { offset: 1 })
            }
        }
    }

    fn route_binary(
        self: &Arc<Self>,
        state: &mut ClientState,
        packet: BinaryPacket,
    ) -> Result<(), ProtocolError> {
        let limits = &self.server.config.limits;
        // The payload (JSON, depth, placeholders against the attachments) is checked
        // once all attachments are in, as the reference parser does.
        packet.check()?;
        let nsp = packet.nsp.clone();
        match packet.kind {
            PacketType::BinaryEvent => {
                let name = packet.event_name(limits)?;
                check_event_name(&name)?;
                let ack = packet.id;
                let event = Event::new(name, Body::Binary(packet), *limits);
                self.deliver(state, &nsp, event, ack);
                Ok(())
            }
            _ => {
                let id = packet
                    .id
                    .ok_or(ProtocolError::MissingAckId { kind: packet.kind })?;
                self.resolve_ack(state, &nsp, id, Body::Binary(packet));
                Ok(())
            }
        }
    }

    fn deliver(&self, state: &mut ClientState, nsp: &Str, event: Event, ack: Option<u64>) {
        let Some(slot) = state.slots.get(nsp) else {
            tracing::debug!(
                session = self.session.sid(),
                nsp = %nsp,
                event = event.name(),
                "event for a namespace not connected; ignored"
            );
            return;
        };
        let max = self.server.config.max_pending_events;
        if !slot.push_event(event, ack, max) {
            tracing::warn!(
                session = self.session.sid(),
                nsp = %nsp,
                max_pending_events = max,
                "client sends events faster than they are handled: closing the session"
            );
            self.close_now(state, CloseReason::ForcedClose);
        }
    }

    fn resolve_ack(&self, state: &ClientState, nsp: &Str, id: u64, body: Body) {
        let link = state.slots.get(nsp).and_then(|slot| slot.link.get());
        let resolved = match link {
            Some(link) => link.resolve_ack(id, AckReply::new(body, self.server.config.limits)),
            None => false,
        };
        if !resolved {
            tracing::debug!(
                session = self.session.sid(),
                nsp = %nsp,
                id,
                "ACK with no emit waiting for it (late, repeated or unknown); ignored"
            );
        }
    }

    fn connect(
        self: &Arc<Self>,
        state: &mut ClientState,
        packet: Packet,
    ) -> Result<(), ProtocolError> {
        let nsp = packet.nsp.clone();
        if state.slots.contains(&nsp) {
            tracing::warn!(
                session = self.session.sid(),
                nsp = %nsp,
                "CONNECT to a namespace already connected: closing the session"
            );
            self.close_now(state, CloseReason::ForcedClose);
            return Ok(());
        }
        let auth = match packet.payload::<serde_json::Value>(&self.server.config.limits)? {
            Some(auth) => auth,
            None => serde_json::Value::Object(Default::default()),
        };
        let Some(namespace) = self.server.namespace(&nsp) else {
            tracing::debug!(
                session = self.session.sid(),
                nsp = %nsp,
                "CONNECT to an unknown namespace"
            );
            self.send_control(emit::connect_error(&nsp, "Invalid namespace", None));
            return Ok(());
        };
        let sid = match crate::engine::sid::generate() {
            Ok(sid) => Name::from(sid),
            Err(error) => {
                tracing::error!(%error, "no randomness for a socket id: refusing the CONNECT");
                self.send_control(emit::connect_error(&nsp, "Internal server error", None));
                return Ok(());
            }
        };
        // The namespace's own name, not the packet's: that is a slice of the received
        // message and would keep its whole buffer alive for as long as the socket.
        let nsp = namespace.name().clone();
        let slot = Arc::new(Slot::new(sid, nsp.clone()));
        state.slots.insert(slot.clone());
        let inbox = Inbox { slot };
        let request = ConnectRequest::new(nsp, &auth, self.session.clone());
        // Only spawns the socket's task; nothing runs under this lock.
        namespace.start_socket(self.clone(), inbox, request);
        Ok(())
    }

    fn send_control(&self, frame: Result<Frame, emit::EmitError>) {
        let sent = frame.and_then(|f| self.session.send(f).map_err(Into::into));
        if let Err(error) = sent {
            tracing::debug!(session = self.session.sid(), %error, "control packet not sent");
        }
    }

    fn is_current(state: &ClientState, slot: &Arc<Slot>) -> bool {
        state
            .slots
            .get(&slot.nsp)
            .is_some_and(|s| Arc::ptr_eq(s, slot))
    }

    /// The middleware accepted the socket: index it, answer CONNECT. False if the
    /// session or the slot went away meanwhile (then nothing is sent).
    pub(crate) fn accept(&self, slot: &Arc<Slot>, link: Arc<dyn SocketLink>) -> bool {
        let mut state = self.lock();
        if state.closed || state.closing || !Self::is_current(&state, slot) {
            return false;
        }
        // Indexed before the answer is queued: once the client sees its CONNECT
        // answer, broadcasts to the namespace reach it.
        link.clone().attach();
        let _ = slot.link.set(link);
        self.send_control(emit::connect_ok(&slot.nsp, &slot.sid));
        state.connected_once = true;
        if let Some(timer) = state.connect_timer.take() {
            timer.abort();
        }
        true
    }

    /// The middleware refused the socket: answer CONNECT_ERROR.
    pub(crate) fn refuse(&self, slot: &Arc<Slot>, refusal: &ConnectError) {
        let mut state = self.lock();
        if state.closed || !Self::is_current(&state, slot) {
            return;
        }
        state.slots.remove(&slot.nsp);
        self.send_control(emit::connect_error(
            &slot.nsp,
            &refusal.message,
            refusal.data.as_ref(),
        ));
    }

    /// The server disconnects socket `sid` from `nsp`: DISCONNECT, then close.
    pub(crate) fn server_disconnect(&self, nsp: &Str, sid: &str) {
        let mut state = self.lock();
        let ours = state.slots.get(nsp).is_some_and(|s| &*s.sid == sid);
        if !ours {
            return;
        }
        if let Some(slot) = state.slots.remove(nsp) {
            if !state.closed {
                self.send_control(emit::disconnect(nsp));
            }
            slot.close(DisconnectReason::ServerNamespaceDisconnect);
        }
    }

    /// The engine ended the session: every socket ends with its reason.
    pub(crate) fn on_close(&self, reason: CloseReason) {
        let mut state = self.lock();
        state.closed = true;
        state.reassembler = None;
        if let Some(timer) = state.connect_timer.take() {
            timer.abort();
        }
        for slot in state.slots.drain() {
            slot.close(DisconnectReason::Session(reason));
        }
    }
}

/// Reserved names are refused on receipt, as the reference parser refuses them.
fn check_event_name(name: &str) -> Result<(), ProtocolError> {
    if is_reserved_event(name) {
        return Err(ProtocolError::ReservedEventName {
            name: name.to_owned(),
        });
    }
    Ok(())
}
