//! Read receipts: one per user and message.

use chrono::Duration;
use huddle_storage::{Entity, ReadReceipt, RoomRef, StoreError};

use crate::common::{Ctx, start_time_ms};
use crate::helpers::{demo, say};

pub async fn read_receipt_is_recorded_once_per_user(ctx: Ctx) {
    demo(&ctx).await;
    let message = say(&ctx, RoomRef::project(1), 1, "read me").await;
    let first = ctx.store.mark_read(message.id, 3).await.unwrap();
    assert!(first.newly_read);
    assert_eq!(
        first.receipt,
        ReadReceipt {
            message_id: message.id,
            user_id: 3,
            read_at: start_time_ms()
        }
    );

    ctx.clock.advance(Duration::seconds(10));
    let repeat = ctx.store.mark_read(message.id, 3).await.unwrap();
    assert!(!repeat.newly_read, "a repeat records nothing");
    assert_eq!(
        repeat.receipt, first.receipt,
        "and answers with the first read"
    );

    let other = ctx.store.mark_read(message.id, 5).await.unwrap();
    assert!(other.newly_read);
    assert_eq!(
        other.receipt.read_at,
        start_time_ms() + Duration::seconds(10)
    );

    // The sender may mark their own message too; that is the chat layer's call.
    ctx.clock.advance(Duration::seconds(1));
    assert!(ctx.store.mark_read(message.id, 1).await.unwrap().newly_read);

    let receipts = ctx.store.message_reads(message.id).await.unwrap();
    let readers: Vec<u64> = receipts.iter().map(|r| r.user_id).collect();
    assert_eq!(readers, [3, 5, 1], "in order of reading");
    assert_eq!(receipts[0], first.receipt);
    let json = serde_json::to_value(&receipts[0]).unwrap();
    assert_eq!(json["readAt"], "2024-05-01T12:00:00.123Z");
    assert_eq!(json["userId"], 3);

    assert!(ctx.store.message_reads(9_999).await.unwrap().is_empty());
}

pub async fn read_of_unknown_message_or_user_is_not_found(ctx: Ctx) {
    demo(&ctx).await;
    let message = say(&ctx, RoomRef::project(1), 1, "hello").await;
    assert_eq!(
        ctx.store.mark_read(9_999, 3).await,
        Err(StoreError::NotFound {
            entity: Entity::Message,
            id: 9_999
        })
    );
    assert_eq!(
        ctx.store.mark_read(message.id, 77).await,
        Err(StoreError::NotFound {
            entity: Entity::User,
            id: 77
        })
    );
    assert!(
        ctx.store
            .message_reads(message.id)
            .await
            .unwrap()
            .is_empty()
    );
}
