//! `huddle-server`: the Huddle Socket.IO server.
