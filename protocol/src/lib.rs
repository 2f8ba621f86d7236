//! `huddle-protocol`: a sans-IO codec for Engine.IO v4 and Socket.IO v5.
//!
//! Bytes in, packets out; packets in, bytes out. No sockets, no clock, no tokio.
#![deny(missing_docs)]
