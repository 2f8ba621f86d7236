//! Small helpers the behaviours share.

use huddle_storage::{InsertOutcome, Message, NewMessage, RoomRef, demo_dataset};

use crate::common::Ctx;

/// Loads the demo directory.
pub async fn demo(ctx: &Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
}

/// Inserts one message that must be created, and returns it.
pub async fn send(ctx: &Ctx, new: NewMessage) -> Message {
    let mut outcomes = ctx.store.insert_messages(&[new]).await.unwrap();
    match outcomes.pop() {
        Some(InsertOutcome::Created(m)) => m,
        other => panic!("expected a created message, got {other:?}"),
    }
}

/// Inserts one text message from `sender` into `room`.
pub async fn say(ctx: &Ctx, room: RoomRef, sender: u64, content: &str) -> Message {
    send(ctx, NewMessage::text(room, sender, content)).await
}

/// The created messages of a batch's outcomes (panics on anything else).
pub fn created(outcomes: Vec<InsertOutcome>) -> Vec<Message> {
    outcomes
        .into_iter()
        .map(|o| match o {
            InsertOutcome::Created(m) => m,
            other => panic!("expected a created message, got {other:?}"),
        })
        .collect()
}
