//! History pages: latest first page, older pages by cursor, catch-up after an id.

use huddle_storage::{HistoryCursor, Message, NewMessage, RoomRef};

use crate::common::Ctx;
use crate::helpers::{created, demo, say};

/// Stores 120 messages in project 1, in batches of 7, with a message in study 1
/// after every batch so the rooms interleave in the id sequence.
async fn hundred_and_twenty(ctx: &Ctx) -> Vec<Message> {
    demo(ctx).await;
    let mut room = Vec::new();
    let texts: Vec<String> = (1..=120).map(|i| format!("message {i}")).collect();
    for chunk in texts.chunks(7) {
        let batch: Vec<NewMessage> = chunk
            .iter()
            .map(|t| NewMessage::text(RoomRef::project(1), 1 + (room.len() as u64 % 5), t.as_str()))
            .collect();
        room.extend(created(ctx.store.insert_messages(&batch).await.unwrap()));
        say(ctx, RoomRef::study(1), 3, "elsewhere").await;
    }
    assert_eq!(room.len(), 120);
    room
}

pub async fn paging_across_120_messages(ctx: Ctx) {
    let all = hundred_and_twenty(&ctx).await;
    let room = RoomRef::project(1);

    let first = ctx
        .store
        .history(room, HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert_eq!(
        first.messages,
        all[70..120].to_vec(),
        "latest 50, oldest first"
    );
    assert!(first.has_more);
    assert_eq!(first.next_cursor, Some(all[70].id));

    let second = ctx
        .store
        .history(room, HistoryCursor::Before(first.next_cursor.unwrap()), 50)
        .await
        .unwrap();
    assert_eq!(second.messages, all[20..70].to_vec());
    assert!(second.has_more);
    assert_eq!(second.next_cursor, Some(all[20].id));

    let last = ctx
        .store
        .history(room, HistoryCursor::Before(second.next_cursor.unwrap()), 50)
        .await
        .unwrap();
    assert_eq!(last.messages, all[..20].to_vec());
    assert!(!last.has_more);
    assert_eq!(last.next_cursor, None);
    let json = serde_json::to_value(&last).unwrap();
    assert!(
        json.get("nextCursor").is_none(),
        "nextCursor is absent on the last page"
    );

    // Exactly 50 left: a full page, and nothing more.
    let exact = ctx
        .store
        .history(room, HistoryCursor::Before(all[50].id), 50)
        .await
        .unwrap();
    assert_eq!(exact.messages, all[..50].to_vec());
    assert!(!exact.has_more);
    assert_eq!(exact.next_cursor, None);

    // Before the first message: an empty last page.
    let none = ctx
        .store
        .history(room, HistoryCursor::Before(all[0].id), 50)
        .await
        .unwrap();
    assert!(none.messages.is_empty() && !none.has_more && none.next_cursor.is_none());
}

pub async fn catch_up_after_an_id(ctx: Ctx) {
    let all = hundred_and_twenty(&ctx).await;
    let room = RoomRef::project(1);

    let page = ctx
        .store
        .history(room, HistoryCursor::After(all[29].id), 50)
        .await
        .unwrap();
    assert_eq!(
        page.messages,
        all[30..80].to_vec(),
        "the 50 after the id, oldest first"
    );
    assert!(page.has_more);
    assert_eq!(page.next_cursor, Some(all[79].id));

    let rest = ctx
        .store
        .history(room, HistoryCursor::After(page.next_cursor.unwrap()), 50)
        .await
        .unwrap();
    assert_eq!(rest.messages, all[80..].to_vec());
    assert!(!rest.has_more);
    assert_eq!(rest.next_cursor, None);

    let caught_up = ctx
        .store
        .history(room, HistoryCursor::After(all[119].id), 50)
        .await
        .unwrap();
    assert!(caught_up.messages.is_empty() && !caught_up.has_more);

    // After 0 is the whole room from the start.
    let from_start = ctx
        .store
        .history(room, HistoryCursor::After(0), 50)
        .await
        .unwrap();
    assert_eq!(from_start.messages, all[..50].to_vec());
}

pub async fn page_limits_are_clamped(ctx: Ctx) {
    let all = hundred_and_twenty(&ctx).await;
    let room = RoomRef::project(1);
    // The default cap is 100 (StoreOptions::max_page_size); 0 is read as 1.
    let big = ctx
        .store
        .history(room, HistoryCursor::Latest, 1_000)
        .await
        .unwrap();
    assert_eq!(big.messages, all[20..].to_vec());
    assert!(big.has_more);
    let small = ctx
        .store
        .history(room, HistoryCursor::Latest, 0)
        .await
        .unwrap();
    assert_eq!(small.messages, all[119..].to_vec());
    assert_eq!(small.next_cursor, Some(all[119].id));
    let huge = ctx
        .store
        .history(room, HistoryCursor::After(0), u32::MAX)
        .await
        .unwrap();
    assert_eq!(huge.messages.len(), 100);
}

pub async fn rooms_do_not_share_history(ctx: Ctx) {
    demo(&ctx).await;
    let project = say(&ctx, RoomRef::project(1), 1, "project one").await;
    let study = say(&ctx, RoomRef::study(1), 1, "study one").await;
    let page = ctx
        .store
        .history(RoomRef::project(1), HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert_eq!(page.messages, vec![project]);
    let page = ctx
        .store
        .history(RoomRef::study(1), HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert_eq!(page.messages, vec![study]);
    let empty = ctx
        .store
        .history(RoomRef::study(2), HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert!(empty.messages.is_empty() && !empty.has_more && empty.next_cursor.is_none());
}
