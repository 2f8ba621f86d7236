//! The Engine.IO v4 heartbeat as a clock-free state machine (engine.io-protocol v4,
//! "Heartbeat"; engine.io `Socket.schedulePing` / `resetPingTimeout` / `checkPingTimeout`).
//!
//! The server sends a ping `ping_interval` after the session opens and after each
//! pong; if no pong comes within `ping_timeout` of a ping, the session is dead. As in
//! the reference, any packet received after the ping also proves the client alive
//! and pushes the deadline to `timeout` after that packet, so a client busy sending
//! data is not dropped because its pong sits behind that data.
//!
//! No timers inside: the caller passes `now` in, asks [`Heartbeat::deadline`] when to
//! wake up, and calls [`Heartbeat::poll`] then. Deadlines, not intervals: a late
//! wake-up never produces a burst of pings.

use std::time::Duration;

use tokio::time::Instant;

/// What the caller must do after [`Heartbeat::poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartbeatAction {
    /// Nothing yet; wake up again at [`Heartbeat::deadline`].
    Wait,
    /// Send a ping packet (`2`) now.
    SendPing,
    /// No pong in time: close the session with "ping timeout".
    TimedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting to send the next ping at `at`.
    Idle { at: Instant },
    /// A ping was sent at `sent`; a pong is expected.
    AwaitingPong { sent: Instant },
}

/// The heartbeat of one session.
#[derive(Clone, Debug)]
pub struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    state: State,
    last_packet: Instant,
}

impl Heartbeat {
    /// A heartbeat for a session opened at `now`: the first ping is due at `now + interval`.
    pub fn new(now: Instant, interval: Duration, timeout: Duration) -> Self {
        Heartbeat {
            interval,
            timeout,
            state: State::Idle { at: now + interval },
            last_packet: now,
        }
    }

    /// When [`Heartbeat::poll`] has something to do next.
    pub fn deadline(&self) -> Instant {
        match self.state {
            State::Idle { at } => at,
            State::AwaitingPong { sent } => self.pong_deadline(sent),
        }
    }

    fn pong_deadline(&self, sent: Instant) -> Instant {
        // A packet received after the ping counts as a sign of life (see module docs).
        let from = if self.last_packet > sent {
            self.last_packet
        } else {
            sent
        };
        from + self.timeout
    }

    /// True while a pong is expected.
    pub fn awaiting_pong(&self) -> bool {
        matches!(self.state, State::AwaitingPong { .. })
    }

    /// Any packet arrived from the client at `now`.
    pub fn on_packet(&mut self, now: Instant) {
        if now > self.last_packet {
            self.last_packet = now;
        }
    }

    /// A pong arrived at `now`: the next ping is due `interval` later. A pong nobody
    /// asked for is only a sign of life.
    pub fn on_pong(&mut self, now: Instant) {
        self.on_packet(now);
        if self.awaiting_pong() {
            self.state = State::Idle {
                at: now + self.interval,
            };
        }
    }

    /// Advances to `now`.
    pub fn poll(&mut self, now: Instant) -> HeartbeatAction {
        match self.state {
            State::Idle { at } if now >= at => {
                self.state = State::AwaitingPong { sent: now };
                HeartbeatAction::SendPing
            }
            State::AwaitingPong { sent } if now >= self.pong_deadline(sent) => {
                HeartbeatAction::TimedOut
            }
            _ => HeartbeatAction::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: Duration = Duration::from_millis(300);
    const T: Duration = Duration::from_millis(200);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn pings_after_interval_and_again_after_each_pong() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, I, T);
        assert_eq!(hb.deadline(), t0 + I);
        assert_eq!(hb.poll(t0 + ms(299)), HeartbeatAction::Wait);
        assert_eq!(hb.poll(t0 + I), HeartbeatAction::SendPing);
        assert!(hb.awaiting_pong());
        assert_eq!(hb.deadline(), t0 + I + T);
        hb.on_pong(t0 + ms(350));
        assert!(!hb.awaiting_pong());
        assert_eq!(hb.deadline(), t0 + ms(350) + I);
        assert_eq!(hb.poll(t0 + ms(649)), HeartbeatAction::Wait);
        assert_eq!(hb.poll(t0 + ms(650)), HeartbeatAction::SendPing);
    }

    #[test]
    fn times_out_without_pong() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, I, T);
        assert_eq!(hb.poll(t0 + I), HeartbeatAction::SendPing);
        assert_eq!(hb.poll(t0 + I + ms(199)), HeartbeatAction::Wait);
        assert_eq!(hb.poll(t0 + I + T), HeartbeatAction::TimedOut);
    }

    #[test]
    fn a_late_wake_up_sends_one_ping_not_a_burst() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, I, T);
        // The task was busy for ten intervals.
        assert_eq!(hb.poll(t0 + I * 10), HeartbeatAction::SendPing);
        assert_eq!(hb.poll(t0 + I * 10), HeartbeatAction::Wait);
        assert_eq!(hb.deadline(), t0 + I * 10 + T);
    }

    #[test]
    fn any_packet_after_the_ping_extends_the_pong_deadline() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, I, T);
        assert_eq!(hb.poll(t0 + I), HeartbeatAction::SendPing);
        hb.on_packet(t0 + I + ms(150));
        assert_eq!(hb.poll(t0 + I + T), HeartbeatAction::Wait);
        assert_eq!(hb.deadline(), t0 + I + ms(150) + T);
        assert_eq!(hb.poll(t0 + I + ms(350)), HeartbeatAction::TimedOut);
    }

    #[test]
    fn packets_before_the_ping_do_not_count_and_unasked_pongs_do_not_reschedule() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, I, T);
        hb.on_pong(t0 + ms(100));
        assert_eq!(hb.deadline(), t0 + I);
        assert_eq!(hb.poll(t0 + I), HeartbeatAction::SendPing);
        assert_eq!(hb.deadline(), t0 + I + T);
    }
}
