//! The raw Engine.IO echo server of conformance mode (what the engine.io v4 protocol
//! test suite expects at `/engine.io/`): every message comes back as it came, text as
//! text and binary as binary.

use bytes::{BufMut, BytesMut};
use huddle_protocol::engine::write_message_prefix;

use super::api::{CloseReason, Data, EngineHandler, Frame, SessionHandle};

/// Echoes every message back on the session it came from.
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoHandler;

impl EngineHandler for EchoHandler {
    fn on_open(&self, session: &SessionHandle) {
        tracing::debug!(sid = session.sid(), "echo session opened");
    }

    fn on_message(&self, session: &SessionHandle, data: Data) {
        let frame = match data {
            Data::Text(text) => {
                let mut out = BytesMut::with_capacity(1 + text.len());
                write_message_prefix(&mut out);
                out.put_slice(text.as_bytes());
                Frame::Text(out.freeze())
            }
            Data::Binary(bytes) => Frame::Binary(bytes),
        };
        // A full queue closes the session (logged by the engine); nothing else to do.
        let _ = session.send(frame);
    }

    fn on_close(&self, session: &SessionHandle, reason: CloseReason) {
        tracing::debug!(sid = session.sid(), %reason, "echo session closed");
    }
}
