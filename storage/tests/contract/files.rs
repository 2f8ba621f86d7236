//! File records: upload, attach through a message, rooms that carry them,
//! housekeeping of stale unattached uploads.

use chrono::Duration;
use huddle_storage::{
    Entity, InsertOutcome, MessageType, NewFile, NewMessage, Rejection, RoomRef, StoreError,
};

use crate::common::{Ctx, start_time_ms};
use crate::helpers::{demo, send};

fn upload(uploader: u64, name: &str) -> NewFile {
    NewFile {
        uploader_id: uploader,
        file_name: name.into(),
        file_size: 1_234,
        mime_type: "image/png".into(),
        storage_key: format!("uploads/{name}"),
    }
}

fn image_message(room: RoomRef, sender: u64, file_id: u64) -> NewMessage {
    let mut m = NewMessage::text(room, sender, "look");
    m.kind = MessageType::Image;
    m.file_id = Some(file_id);
    m
}

pub async fn file_lifecycle(ctx: Ctx) {
    demo(&ctx).await;
    let first = ctx.store.insert_file(upload(3, "chart.png")).await.unwrap();
    assert!(!first.attached);
    assert_eq!(first.created_at, start_time_ms());
    assert_eq!(first.uploader_id, 3);
    assert_eq!(first.storage_key, "uploads/chart.png");
    assert_eq!(
        ctx.store.get_file(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(ctx.store.get_file(9_999).await.unwrap(), None);

    // Two more uploads, one now and one two hours later.
    let stale = ctx.store.insert_file(upload(3, "stale.png")).await.unwrap();
    ctx.clock.advance(Duration::hours(2));
    let fresh = ctx.store.insert_file(upload(4, "fresh.png")).await.unwrap();
    assert!(first.id < stale.id && stale.id < fresh.id);

    // Sending a message with the file attaches it and records the room.
    let room = RoomRef::study(1);
    let message = send(&ctx, image_message(room, 3, first.id)).await;
    assert!(
        ctx.store
            .get_file(first.id)
            .await
            .unwrap()
            .unwrap()
            .attached
    );
    assert_eq!(ctx.store.file_rooms(first.id).await.unwrap(), vec![room]);
    assert!(ctx.store.file_rooms(stale.id).await.unwrap().is_empty());

    // Housekeeping sees only unattached files older than the cutoff, oldest first.
    let cutoff = start_time_ms() + Duration::hours(1);
    let candidates = ctx.store.unattached_files_before(cutoff, 10).await.unwrap();
    assert_eq!(candidates, vec![stale.clone()]);
    let everything = ctx
        .store
        .unattached_files_before(start_time_ms() + Duration::hours(3), 10)
        .await
        .unwrap();
    assert_eq!(everything, vec![stale.clone(), fresh.clone()]);
    let one = ctx
        .store
        .unattached_files_before(start_time_ms() + Duration::hours(3), 1)
        .await
        .unwrap();
    assert_eq!(one, vec![stale.clone()]);

    assert_eq!(
        ctx.store.delete_file(first.id).await,
        Err(StoreError::FileAttached(first.id))
    );
    ctx.store.delete_file(stale.id).await.unwrap();
    assert_eq!(ctx.store.get_file(stale.id).await.unwrap(), None);
    assert_eq!(
        ctx.store.delete_file(stale.id).await,
        Err(StoreError::NotFound {
            entity: Entity::File,
            id: stale.id
        })
    );

    // Marking attached by hand (idempotent) takes a file out of housekeeping.
    ctx.store.mark_file_attached(fresh.id).await.unwrap();
    ctx.store.mark_file_attached(fresh.id).await.unwrap();
    assert!(
        ctx.store
            .unattached_files_before(start_time_ms() + Duration::hours(3), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ctx.store.mark_file_attached(9_999).await,
        Err(StoreError::NotFound {
            entity: Entity::File,
            id: 9_999
        })
    );

    // A file whose only message is deleted is in no room any more.
    ctx.store.delete_message(message.id).await.unwrap();
    assert!(ctx.store.file_rooms(first.id).await.unwrap().is_empty());
}

pub async fn file_message_takes_metadata_from_the_record(ctx: Ctx) {
    demo(&ctx).await;
    let file = ctx.store.insert_file(upload(1, "plan.png")).await.unwrap();
    let project = RoomRef::project(1);
    let message = send(&ctx, image_message(project, 1, file.id)).await;
    assert_eq!(message.kind, MessageType::Image);
    assert_eq!(message.file_id, Some(file.id));
    assert_eq!(message.file_name.as_deref(), Some("plan.png"));
    assert_eq!(message.file_size, Some(1_234));
    assert_eq!(message.mime_type.as_deref(), Some("image/png"));
    assert_eq!(message.file, Some(file.metadata()));
    assert_eq!(message.content, "look");
    assert_eq!(
        ctx.store.get_message(message.id).await.unwrap(),
        Some(message.clone())
    );

    // The same file may be shared again, in another room.
    let mut again = image_message(RoomRef::project(3), 1, file.id);
    again.kind = MessageType::File;
    send(&ctx, again).await;
    assert_eq!(
        ctx.store.file_rooms(file.id).await.unwrap(),
        vec![project, RoomRef::project(3)]
    );

    // A deleted file message drops every file field.
    let tombstone = ctx.store.delete_message(message.id).await.unwrap();
    assert_eq!(
        (
            tombstone.file_id,
            tombstone.file_name,
            tombstone.file_size,
            tombstone.mime_type,
            tombstone.file
        ),
        (None, None, None, None, None)
    );
    let outcomes = ctx
        .store
        .insert_messages(&[image_message(project, 1, 9_999)])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![InsertOutcome::Rejected(Rejection::UnknownFile(9_999))]
    );
}

pub async fn file_record_limits_are_enforced(ctx: Ctx) {
    demo(&ctx).await;
    assert_eq!(
        ctx.store.insert_file(upload(42, "x.png")).await,
        Err(StoreError::NotFound {
            entity: Entity::User,
            id: 42
        })
    );
    let longest = "n".repeat(255);
    let kept = ctx.store.insert_file(upload(1, &longest)).await.unwrap();
    assert_eq!(kept.file_name, longest);
    let utf8 = "é".repeat(255);
    assert_eq!(
        ctx.store
            .insert_file(upload(1, &utf8))
            .await
            .unwrap()
            .file_name,
        utf8
    );
    let bad = [
        upload(1, &"n".repeat(256)),
        upload(1, ""),
        NewFile {
            mime_type: "m".repeat(256),
            ..upload(1, "a")
        },
        NewFile {
            storage_key: "k".repeat(513),
            ..upload(1, "a")
        },
        NewFile {
            file_size: (1 << 53) + 1,
            ..upload(1, "a")
        },
    ];
    for file in bad {
        let err = ctx.store.insert_file(file).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
}
