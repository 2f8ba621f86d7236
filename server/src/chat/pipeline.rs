//! One connection's `message:send` pipeline: its consecutive sends to one room are stored
//! together instead of one commit each (issue 6, "persisted").
//!
//! A socket's events are handled one at a time, in the order sent (`socketio/namespace.rs`).
//! If a send held its socket until stored, a connection could store one message per commit,
//! and a durable commit takes milliseconds. So a send hands its message to the room's writer
//! and lets the socket go on to its next event; the writer answers it after the commit and the
//! broadcast (`writer.rs`), in the room's order. What stays exactly as if every event waited
//! for the previous one:
//! - only sends to the room the connection's in-flight sends go to are pipelined: a send to
//!   another room waits until those are answered, so a connection's messages are stored in the
//!   order sent, across rooms too;
//! - every other event (join, leave, edit, history...) and every refused send is handled once
//!   the in-flight sends are answered, so answers and events reach the client in event order;
//! - at most `max_sends_in_flight` sends are in flight; the next one waits for a free slot.
//!   With 1, sends are stored one at a time.

use std::sync::Mutex;

use tokio::sync::Semaphore;

use huddle_storage::model::RoomRef;

/// The in-flight sends of one connection.
#[derive(Debug)]
pub struct SendPipeline {
    slots: Semaphore,
    max: u32,
    // A std mutex: read or written in one statement, never across an await.
    room: Mutex<Option<RoomRef>>,
}

impl SendPipeline {
    /// A pipeline with `max` slots (at least 1).
    pub fn new(max: u32) -> Self {
        let max = max.max(1);
        SendPipeline {
            slots: Semaphore::new(max as usize),
            max,
            room: Mutex::new(None),
        }
    }

    /// Sends taken and not yet answered.
    pub fn in_flight(&self) -> usize {
        (self.max as usize).saturating_sub(self.slots.available_permits())
    }

    /// Waits until every send of this connection is answered.
    pub async fn idle(&self) {
        if self.in_flight() == 0 {
            return;
        }
        // Taking every slot means none is in flight; they are given back at once. The
        // semaphore is never closed, so this cannot fail.
        let _all = self.slots.acquire_many(self.max).await;
    }

    /// Takes a slot for a send to `room`: first waits for the sends to any other room, then
    /// for a free slot. Called by the socket's event task only (one event at a time), so no
    /// other send can slip in between. Each call must be followed by one [`Self::release`].
    pub async fn enter(&self, room: RoomRef) {
        if self.current_room() != Some(room) {
            self.idle().await;
            *self.room.lock().unwrap_or_else(|e| e.into_inner()) = Some(room);
        }
        if let Ok(permit) = self.slots.acquire().await {
            // Given back by `release` when the send is answered, from another task.
            permit.forget();
        }
    }

    /// Gives back the slot of an answered send.
    pub fn release(&self) {
        self.slots.add_permits(1);
    }

    fn current_room(&self) -> Option<RoomRef> {
        *self.room.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn sends_to_one_room_share_the_slots() {
        let p = SendPipeline::new(3);
        for _ in 0..3 {
            p.enter(RoomRef::project(1)).await;
        }
        assert_eq!(p.in_flight(), 3);
        p.release();
        p.enter(RoomRef::project(1)).await;
        assert_eq!(p.in_flight(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_pipeline_waits_for_a_release() {
        let p = Arc::new(SendPipeline::new(2));
        p.enter(RoomRef::project(1)).await;
        p.enter(RoomRef::project(1)).await;
        let third = tokio::spawn({
            let p = p.clone();
            async move { p.enter(RoomRef::project(1)).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!third.is_finished(), "no free slot");
        p.release();
        third.await.expect("entered once a slot was free");
        assert_eq!(p.in_flight(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn another_room_waits_until_every_send_is_answered() {
        let p = Arc::new(SendPipeline::new(4));
        p.enter(RoomRef::project(1)).await;
        p.enter(RoomRef::project(1)).await;
        let elsewhere = tokio::spawn({
            let p = p.clone();
            async move { p.enter(RoomRef::study(1)).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        p.release();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            !elsewhere.is_finished(),
            "one send of project 1 still in flight"
        );
        p.release();
        elsewhere.await.expect("entered once project 1 was done");
        assert_eq!(p.in_flight(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_waits_for_every_answer() {
        let p = Arc::new(SendPipeline::new(4));
        p.idle().await;
        p.enter(RoomRef::project(1)).await;
        let barrier = tokio::spawn({
            let p = p.clone();
            async move { p.idle().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!barrier.is_finished());
        p.release();
        barrier.await.expect("idle once answered");
        assert_eq!(p.in_flight(), 0, "idle gives every slot back");
    }
}
