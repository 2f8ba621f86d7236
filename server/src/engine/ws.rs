//! One WebSocket connection as a session's task drives it: writes and reads in a single
//! poll, so one task owns the connection without splitting it.
//!
//! Writes are cancel-safe: a frame leaves the session's outbound queue only after
//! the socket said it can take it (`poll_ready`), and is handed over synchronously
//! (`start_send`), so a `select!` that drops the poll never loses a frame. A client
//! that stops reading stops the writes (backpressure) while the queue keeps filling
//! up to its bound.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, Stream};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::api::{Frame, SessionShared};

/// The WebSocket type every session uses: tungstenite over a hyper-upgraded connection.
pub(crate) type WsStream = WebSocketStream<TokioIo<Upgraded>>;

/// What happened on the connection.
#[derive(Debug)]
pub(crate) enum WsEvent {
    /// A message arrived.
    Message(Message),
    /// The peer closed the connection (the stream ended).
    Closed,
    /// Reading or writing failed.
    Error(WsError),
}

pub(crate) struct WsConn {
    ws: WsStream,
    /// Messages of this connection itself (`3probe`, the close packet and frame),
    /// written before anything from the session's queue.
    local: VecDeque<Message>,
    /// Something was handed to the socket and not flushed yet.
    dirty: bool,
    /// Frames are waiting and the task has yielded once before writing them.
    yielded: bool,
}

/// A frame as a WebSocket message. `None` for a text frame that is not UTF-8 (a bug in
/// the layer that built it: logged and dropped rather than sent malformed).
pub(crate) fn frame_message(frame: Frame) -> Option<Message> {
    match frame {
        Frame::Binary(b) => Some(Message::Binary(b)),
        Frame::Text(t) => match Utf8Bytes::try_from(t) {
            Ok(text) => Some(Message::Text(text)),
            Err(e) => {
                tracing::error!(error = %e, "dropping a text frame that is not UTF-8");
                None
            }
        },
    }
}

impl WsConn {
    pub(crate) fn new(ws: WsStream) -> Self {
        WsConn {
            ws,
            local: VecDeque::new(),
            dirty: false,
            yielded: false,
        }
    }

    /// Queues a message of the connection itself.
    pub(crate) fn push_local(&mut self, message: Message) {
        self.local.push_back(message);
    }

    /// Queues a close frame with `code` (after everything queued so far).
    pub(crate) fn push_close(&mut self, code: CloseCode, reason: &'static str) {
        self.local.push_back(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })));
    }

    /// Writes what can be written (this connection's own messages, then frames from
    /// `outbox` when it is the session's active transport), then reads the next message.
    pub(crate) fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
        outbox: Option<&SessionShared>,
    ) -> Poll<WsEvent> {
        if let Err(e) = self.poll_write(cx, outbox) {
            return Poll::Ready(WsEvent::Error(e));
        }
        match Pin::new(&mut self.ws).poll_next(cx) {
            Poll::Ready(Some(Ok(m))) => Poll::Ready(WsEvent::Message(m)),
            Poll::Ready(Some(Err(e))) => Poll::Ready(WsEvent::Error(e)),
            Poll::Ready(None) => Poll::Ready(WsEvent::Closed),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        outbox: Option<&SessionShared>,
    ) -> Result<(), WsError> {
        // Write coalescing: when frames from the queue are waiting, yield to the
        // scheduler once before writing them. The task goes to the back of the run
        // queue, so the tasks that are broadcasting right now queue their frames too,
        // and one system call carries them all. Costs one scheduling round (no timer).
        if !self.yielded
            && self.local.is_empty()
            && outbox.is_some_and(|o| !o.lock().frames.is_empty())
        {
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Ok(());
        }
        self.yielded = false;
        loop {
            let more =
                !self.local.is_empty() || outbox.is_some_and(|o| !o.lock().frames.is_empty());
            if !more {
                break;
            }
            match Pin::new(&mut self.ws).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Err(e),
                // The socket is full; we are woken when it drains.
                Poll::Pending => return Ok(()),
            }
            let message = match self.local.pop_front() {
                Some(m) => m,
                None => {
                    let frame = outbox.and_then(|o| o.lock().frames.pop_front());
                    match frame.and_then(frame_message) {
                        Some(m) => m,
                        None => continue,
                    }
                }
            };
            Pin::new(&mut self.ws).start_send(message)?;
            self.dirty = true;
        }
        if self.dirty {
            match Pin::new(&mut self.ws).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.dirty = false,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => {}
            }
        }
        Ok(())
    }

    /// Sends what is queued locally (without reading).
    pub(crate) async fn flush(&mut self) -> Result<(), WsError> {
        std::future::poll_fn(|cx| {
            self.poll_write(cx, None)?;
            if self.local.is_empty() && !self.dirty {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// Sends what is queued locally, then waits for the peer to end the connection
    /// (its close reply). The caller bounds this with a timeout.
    pub(crate) async fn finish(&mut self) {
        loop {
            let event = std::future::poll_fn(|cx| self.poll_event(cx, None)).await;
            match event {
                WsEvent::Message(_) => continue,
                WsEvent::Closed | WsEvent::Error(_) => return,
            }
        }
    }
}
