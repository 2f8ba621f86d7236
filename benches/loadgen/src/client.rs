//! What every client does with what it receives, whatever its transport: count
//! deliveries and their latency, match acks and echoes to its sends, note errors.
//! The drivers ([`crate::ws`], [`crate::polling`], [`crate::floor`]) own the I/O and
//! call in here.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use crate::marker::Marker;
use crate::sender::Sender;
use crate::session::{Incoming, Session, SessionError};
use crate::shared::{Phase, Shared};
use crate::stats::ClientStats;

/// What the driver should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// The client just became ready.
    Ready,
    /// Stop this client (refused or closed by the server).
    Stop,
}

/// One client's bookkeeping.
pub struct Client {
    /// Its index in the run.
    pub index: usize,
    /// Its counters.
    pub stats: ClientStats,
    /// Its sending side, if it sends.
    pub sender: Option<Sender>,
    /// The room indexes it joins.
    pub rooms: Vec<usize>,
    shared: Arc<Shared>,
    keep_acked_ids: bool,
}

impl Client {
    /// Client `index`, in the room indexes `rooms`.
    pub fn new(
        index: usize,
        rooms: Vec<usize>,
        sender: Option<Sender>,
        shared: Arc<Shared>,
        keep_acked_ids: bool,
    ) -> Self {
        Self {
            index,
            stats: ClientStats::default(),
            sender,
            rooms,
            shared,
            keep_acked_ids,
        }
    }

    /// The run's shared state.
    pub fn shared_arc(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// The connection attempt is over: `Some(time)` if the client became ready.
    /// Counts it in its rooms (unless the run has already started sending: a late
    /// client would make the expected deliveries wrong), then as settled.
    pub fn connected(&mut self, outcome: Option<Duration>) -> Flow {
        let flow = match outcome {
            Some(took) => self.became_ready(took),
            None => Flow::Stop,
        };
        self.shared
            .settled
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        flow
    }

    fn became_ready(&mut self, connect_time: Duration) -> Flow {
        if self.shared.phase() != Phase::Connecting {
            self.stats.error("ready too late");
            return Flow::Stop;
        }
        for &room in &self.rooms {
            self.shared.room_members[room].fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        self.stats.ready = true;
        self.stats.connect_us = Some(u64::try_from(connect_time.as_micros()).unwrap_or(u64::MAX));
        Flow::Ready
    }

    /// A marked message arrived.
    pub fn on_delivery(&mut self, marker: Marker) {
        if marker.run != self.shared.run {
            self.stats.unmarked += 1;
            return;
        }
        self.shared.delivered(marker.sender);
        self.stats.delivered += 1;
        if self.shared.phase() == Phase::Measure {
            self.stats.delivered_measured += 1;
            let now = self.shared.now_us();
            self.shared
                .record_latency(self.index, now.saturating_sub(marker.sent_us));
        }
        if let Some(sender) = &mut self.sender
            && sender.index == marker.sender
        {
            sender.echoed(marker.seq);
        }
    }

    /// What a Socket.IO session made of a packet.
    pub fn on_incoming(&mut self, incoming: Incoming) -> Flow {
        match incoming {
            Incoming::Nothing | Incoming::Opened(_) => Flow::Continue,
            Incoming::Ready => Flow::Ready,
            Incoming::Delivered(marker, wire_bytes) => {
                self.stats.delivered_bytes += wire_bytes as u64;
                self.on_delivery(marker);
                Flow::Continue
            }
            Incoming::DeliveredUnmarked => {
                self.stats.unmarked += 1;
                Flow::Continue
            }
            Incoming::Ack(ack) => {
                if ack.ok {
                    self.stats.acked_ok += 1;
                    if self.shared.phase() == Phase::Measure {
                        self.stats.acked_measured += 1;
                    }
                    if self.keep_acked_ids
                        && let Some(id) = ack.message_id
                    {
                        self.stats.acked_ids.push(id);
                    }
                } else {
                    self.stats.acked_err += 1;
                    self.stats
                        .error(format!("ack {}", ack.code.as_deref().unwrap_or("error")));
                }
                if let Some(sender) = &mut self.sender
                    && let Some(sent_us) = sender.acked(ack.id)
                {
                    let now = self.shared.now_us();
                    self.shared.record_ack_latency(now.saturating_sub(sent_us));
                }
                Flow::Continue
            }
            Incoming::ServerError(code) => {
                self.stats.error(format!("error event {code}"));
                Flow::Continue
            }
            Incoming::Refused(why) => {
                self.stats.error(why);
                Flow::Stop
            }
            Incoming::Closed => {
                self.stats.dropped = true;
                Flow::Stop
            }
        }
    }

    /// Writes the next `message:send` into `out`, if one is due and not skipped.
    pub fn send_socketio(
        &mut self,
        session: &mut Session,
        out: &mut Vec<Bytes>,
    ) -> Result<(), SessionError> {
        let Some(sender) = &mut self.sender else {
            return Ok(());
        };
        let phase = self.shared.phase();
        let room_id = sender.room_id;
        let Some(msg) = sender.next_message(&self.shared) else {
            self.stats.skipped += 1;
            return Ok(());
        };
        let sent_us = msg.sent_us;
        let ack = session.send_message(room_id, msg.content, out)?;
        sender.sent_with_ack(ack, sent_us);
        self.stats.sent += 1;
        if phase == Phase::Measure {
            self.stats.sent_measured += 1;
        }
        Ok(())
    }

    /// Writes the next floor frame (`<room> <content>`), if one is due and not skipped.
    pub fn send_floor(&mut self) -> Option<String> {
        let sender = self.sender.as_mut()?;
        let phase = self.shared.phase();
        let room_id = sender.room_id;
        let Some(msg) = sender.next_message(&self.shared) else {
            self.stats.skipped += 1;
            return None;
        };
        let frame = crate::floor::client_frame(room_id, msg.content);
        self.stats.sent += 1;
        if phase == Phase::Measure {
            self.stats.sent_measured += 1;
        }
        Some(frame)
    }
}

/// Completes when `sender` (if any) may send; never completes without one.
pub async fn due(
    sender: &mut Option<Sender>,
    shared: &Shared,
    phases: &mut watch::Receiver<Phase>,
) {
    match sender {
        Some(s) => s.due(shared, phases).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pace::Pace;
    use crate::session::AckOutcome;

    #[test]
    fn counts_deliveries_latency_and_acks() {
        let shared = Arc::new(Shared::new(5, 2, 1));
        let sender = Sender::new(0, 0, 1, Pace::Ack, 48, 10, 1);
        let mut c = Client::new(0, vec![0], Some(sender), shared.clone(), true);
        assert_eq!(c.connected(Some(Duration::from_micros(250))), Flow::Ready);
        assert_eq!(
            shared.room_members[0].load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        assert_eq!(shared.settled.load(std::sync::atomic::Ordering::Relaxed), 1);
        shared.fix_sender(0, 0, Pace::Ack);
        shared.set_phase(Phase::Measure);

        let mut session = Session::new("t".into(), vec![1]);
        let mut out = Vec::new();
        c.send_socketio(&mut session, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!((c.stats.sent, c.stats.sent_measured), (1, 1));
        let text = String::from_utf8(out[0].to_vec()).unwrap();
        let marker = Marker::find_in_json(text.as_bytes()).unwrap();
        assert_eq!((marker.run, marker.sender, marker.seq), (5, 0, 0));

        c.on_delivery(marker);
        c.on_delivery(Marker { run: 4, ..marker });
        assert_eq!(
            (
                c.stats.delivered,
                c.stats.delivered_measured,
                c.stats.unmarked
            ),
            (1, 1, 1)
        );
        assert_eq!(shared.latency().len(), 1);
        assert_eq!(shared.outstanding(), 0);

        let flow = c.on_incoming(Incoming::Ack(AckOutcome {
            id: 0,
            ok: true,
            message_id: Some(42),
            code: None,
        }));
        assert_eq!(flow, Flow::Continue);
        assert_eq!(c.stats.acked_ids, [42]);
        assert_eq!(shared.ack_latency().len(), 1);
        c.on_incoming(Incoming::Ack(AckOutcome {
            id: 9,
            ok: false,
            message_id: None,
            code: Some("RATE_LIMITED".into()),
        }));
        assert_eq!(c.stats.errors["ack RATE_LIMITED"], 1);
        assert_eq!(c.on_incoming(Incoming::Refused("x".into())), Flow::Stop);
        assert_eq!(c.on_incoming(Incoming::Closed), Flow::Stop);
        assert!(c.stats.dropped);
    }

    #[test]
    fn a_late_client_is_not_counted_in_its_room() {
        let shared = Arc::new(Shared::new(1, 1, 0));
        shared.set_phase(Phase::Warmup);
        let mut c = Client::new(3, vec![0], None, shared.clone(), false);
        assert_eq!(c.connected(Some(Duration::from_millis(1))), Flow::Stop);
        assert_eq!(c.connected(None), Flow::Stop);
        assert_eq!(shared.settled.load(std::sync::atomic::Ordering::Relaxed), 2);
        assert_eq!(
            shared.room_members[0].load(std::sync::atomic::Ordering::Relaxed),
            0
        );
        assert!(!c.stats.ready);
    }
}
