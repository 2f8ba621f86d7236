//! Broadcasting: one packet to every socket a room selection designates (socket.io's
//! `BroadcastOperator`: `io.to(room)`, `socket.to(room)`, `.except(room)`).
//!
//! Encode once, fan out many: the packet is encoded a single time into shared
//! `Bytes` frames, and the same frames are queued on each recipient session's bounded
//! outbound queue. A recipient whose queue is full is closed by the engine (with a
//! logged reason) and the broadcast goes on to the others; one slow client never
//! delays or fails the rest.

use std::sync::Arc;

use serde::Serialize;

use super::emit::{self, EmitError};
use super::namespace::NsShared;
use super::rooms::{Name, Selection};
use super::socket::Socket;

/// A broadcast being addressed; finish it with [`BroadcastOperator::emit`].
pub struct BroadcastOperator<S> {
    ns: Arc<NsShared<S>>,
    selection: Selection,
}

impl<S: Send + Sync + 'static> BroadcastOperator<S> {
    pub(crate) fn new(ns: Arc<NsShared<S>>, selection: Selection) -> Self {
        BroadcastOperator { ns, selection }
    }

    /// Adds `room` to the recipients: members of any of the chosen rooms receive the
    /// packet, each once. With no room at all, the whole namespace does.
    pub fn to(mut self, room: &str) -> Self {
        self.selection.rooms.push(Name::from(room));
        self
    }

    /// Excludes the members of `room` (a socket id excludes that socket).
    pub fn except(mut self, room: &str) -> Self {
        self.selection.except.push(Name::from(room));
        self
    }

    /// The connected sockets this broadcast would reach.
    pub fn sockets(&self) -> Vec<Socket<S>> {
        let mut sockets = self.ns.index.select(&self.selection);
        sockets.retain(Socket::connected);
        sockets
    }

    /// Emits `event` with `args` (same argument rule as [`Socket::emit`]) to every
    /// selected socket. Returns how many sockets the packet was queued for; a socket
    /// whose session refused it (closed, or closed now because its queue overflowed)
    /// is skipped.
    pub fn emit<T: ?Sized + Serialize>(&self, event: &str, args: &T) -> Result<usize, EmitError> {
        let frames = emit::event(&self.ns.name, event, args, None)?;
        // The index lock is released before the first send (see `rooms`).
        let recipients = self.ns.index.recipients(&self.selection);
        let mut queued = 0;
        for socket in recipients.iter() {
            let core = &socket.inner.core;
            match core.send(&frames) {
                Ok(()) => queued += 1,
                Err(EmitError::Disconnected) => {}
                Err(e) => tracing::debug!(
                    nsp = %self.ns.name,
                    socket = %core.id,
                    session = core.session.sid(),
                    error = %e,
                    "broadcast skipped a recipient"
                ),
            }
        }
        Ok(queued)
    }
}
