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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use bytes::Bytes;
    use huddle_protocol::Str;

    use super::*;
    use crate::engine::api::{Handshake, SessionShared, Transport};

    #[test]
    fn echoes_text_as_a_message_packet_and_binary_as_is() {
        let handshake = Handshake::new(
            "/engine.io/?EIO=4&transport=polling",
            &http::HeaderMap::new(),
            &[],
            "127.0.0.1:1".parse().unwrap(),
            SystemTime::now(),
        );
        let shared = Arc::new(SessionShared::new(
            "sid".into(),
            handshake,
            Transport::Polling,
            8,
        ));
        let session = SessionHandle {
            shared: shared.clone(),
        };
        EchoHandler.on_message(&session, Data::Text(Str::from("héllo")));
        EchoHandler.on_message(&session, Data::Binary(Bytes::from_static(&[1, 2, 3])));
        let frames: Vec<Frame> = shared.lock().frames.drain(..).collect();
        assert_eq!(
            frames,
            vec![
                Frame::Text(Bytes::from("4héllo".as_bytes())),
                Frame::Binary(Bytes::from_static(&[1, 2, 3])),
            ]
        );
    }
}
