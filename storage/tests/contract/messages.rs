//! Inserting messages in batches, idempotency, replies, edits, deletes and the
//! timestamps the 24-hour rule is decided from.

use chrono::Duration;
use huddle_storage::{
    Entity, HistoryCursor, InsertOutcome, MessageType, NewMessage, Rejection, RoomRef, StoreError,
    StoreOptions,
};

use crate::common::{Ctx, start_time_ms};
use crate::helpers::{created, demo, say, send};

const APOLLO: RoomRef = RoomRef {
    kind: huddle_storage::RoomType::Project,
    id: 1,
};
const STUDY_1: RoomRef = RoomRef {
    kind: huddle_storage::RoomType::Study,
    id: 1,
};

pub async fn batch_is_stored_in_order_with_increasing_ids(ctx: Ctx) {
    demo(&ctx).await;
    let batch: Vec<NewMessage> = [
        (APOLLO, 1, "one"),
        (STUDY_1, 3, "two"),
        (APOLLO, 5, "three"),
        (APOLLO, 1, "four"),
        (STUDY_1, 1, "five"),
    ]
    .into_iter()
    .map(|(room, sender, text)| NewMessage::text(room, sender, text))
    .collect();
    let stored = created(ctx.store.insert_messages(&batch).await.unwrap());
    assert_eq!(stored.len(), 5);
    for pair in stored.windows(2) {
        assert!(pair[0].id < pair[1].id, "ids increase in batch order");
    }
    for (new, message) in batch.iter().zip(&stored) {
        assert_eq!(message.content, new.content);
        assert_eq!(message.room(), new.room);
        assert_eq!(message.sender_id, new.sender_id);
        assert_eq!(message.sender.id, new.sender_id);
        assert_eq!(message.kind, MessageType::Text);
        assert_eq!(message.created_at, start_time_ms());
        assert_eq!(message.updated_at, start_time_ms());
        assert_eq!((message.edited_at, message.deleted_at), (None, None));
        assert_eq!(
            (message.file_id, &message.file, message.reply_to_id),
            (None, &None, None)
        );
        // What the batch returned is what a later read returns.
        assert_eq!(
            ctx.store.get_message(message.id).await.unwrap().as_ref(),
            Some(message)
        );
    }
    assert_eq!(stored[1].sender.first_name, "Alan");
    assert_eq!(stored[1].sender.last_name, "Turing");
    // A later batch continues above the earlier ids.
    let later = say(&ctx, APOLLO, 2, "six").await;
    assert!(later.id > stored[4].id);
    assert_eq!(ctx.store.insert_messages(&[]).await.unwrap(), Vec::new());

    // A batch bigger than one insert statement keeps its order too.
    let big: Vec<NewMessage> = (0..150)
        .map(|i| NewMessage::text(STUDY_1, 1 + i % 5, format!("bulk {i}")))
        .collect();
    let stored = created(ctx.store.insert_messages(&big).await.unwrap());
    for (i, pair) in stored.windows(2).enumerate() {
        assert!(pair[0].id < pair[1].id);
        assert_eq!(pair[0].content, format!("bulk {i}"));
    }
    assert!(stored[0].id > later.id);

    // The same with clientMessageIds (their keys are looked up first), one of them a
    // resend of a key of this batch.
    let mut keyed: Vec<NewMessage> = (0..300)
        .map(|i| {
            let mut m = NewMessage::text(APOLLO, 1 + i % 5, format!("keyed {i}"));
            m.client_message_id = Some(format!("k{i}"));
            m
        })
        .collect();
    keyed[299].client_message_id = Some("k7".into());
    keyed[299].sender_id = keyed[7].sender_id;
    let outcomes = ctx.store.insert_messages(&keyed).await.unwrap();
    let last = match &outcomes[299] {
        InsertOutcome::Duplicate(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    let stored = created(outcomes[..299].to_vec());
    assert_eq!(last, stored[7]);
    for (i, pair) in stored.windows(2).enumerate() {
        assert!(pair[0].id < pair[1].id);
        assert_eq!(pair[0].content, format!("keyed {i}"));
    }
    assert!(stored[0].id > later.id);
}

pub async fn rejected_message_leaves_the_rest_of_the_batch(ctx: Ctx) {
    demo(&ctx).await;
    let parent_elsewhere = say(&ctx, STUDY_1, 3, "in study 1").await;
    let mut reply_elsewhere = NewMessage::text(APOLLO, 1, "reply across rooms");
    reply_elsewhere.reply_to_id = Some(parent_elsewhere.id);
    let mut reply_missing = NewMessage::text(APOLLO, 1, "reply to nothing");
    reply_missing.reply_to_id = Some(9_999);
    let mut image_without_file = NewMessage::text(APOLLO, 1, "caption");
    image_without_file.kind = MessageType::Image;
    let mut text_with_file = NewMessage::text(APOLLO, 1, "text");
    text_with_file.file_id = Some(1);
    let mut long_key = NewMessage::text(APOLLO, 1, "key");
    long_key.client_message_id = Some("k".repeat(65));
    let mut unknown_file = NewMessage::text(APOLLO, 1, "file");
    unknown_file.kind = MessageType::File;
    unknown_file.file_id = Some(424_242);
    let batch = vec![
        NewMessage::text(APOLLO, 1, "first"),
        reply_elsewhere,
        reply_missing,
        NewMessage::text(APOLLO, 99, "from nobody"),
        image_without_file,
        text_with_file,
        long_key,
        unknown_file,
        NewMessage::text(APOLLO, 2, "last"),
    ];
    let outcomes = ctx.store.insert_messages(&batch).await.unwrap();
    let rejections: Vec<Option<Rejection>> = outcomes
        .iter()
        .map(|o| match o {
            InsertOutcome::Rejected(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        rejections,
        vec![
            None,
            Some(Rejection::ReplyNotInRoom(parent_elsewhere.id)),
            Some(Rejection::ReplyNotInRoom(9_999)),
            Some(Rejection::UnknownSender(99)),
            Some(Rejection::FileRequired(MessageType::Image)),
            Some(Rejection::FileNotAllowed(1)),
            Some(Rejection::ClientMessageIdInvalid { chars: 65 }),
            Some(Rejection::UnknownFile(424_242)),
            None,
        ]
    );
    assert!(outcomes[0].is_created() && outcomes[8].is_created());
    let page = ctx
        .store
        .history(APOLLO, HistoryCursor::Latest, 50)
        .await
        .unwrap();
    let contents: Vec<&str> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["first", "last"]);
}

/// Plain text messages (nothing to match or look up) with an unknown sender and a
/// malformed message among them: each is refused alone, the rest stored in order with
/// their senders' names.
pub async fn plain_batch_refuses_its_bad_messages_alone(ctx: Ctx) {
    demo(&ctx).await;
    let mut image_without_file = NewMessage::text(STUDY_1, 3, "caption");
    image_without_file.kind = MessageType::Image;
    let batch = vec![
        NewMessage::text(APOLLO, 1, "a"),
        NewMessage::text(APOLLO, 99, "from nobody"),
        NewMessage::text(STUDY_1, 3, "b"),
        image_without_file,
        NewMessage::text(APOLLO, 5, "c"),
    ];
    let outcomes = ctx.store.insert_messages(&batch).await.unwrap();
    assert_eq!(
        outcomes[1],
        InsertOutcome::Rejected(Rejection::UnknownSender(99))
    );
    assert_eq!(
        outcomes[3],
        InsertOutcome::Rejected(Rejection::FileRequired(MessageType::Image))
    );
    let stored: Vec<_> = [0, 2, 4]
        .iter()
        .map(|&i| match &outcomes[i] {
            InsertOutcome::Created(m) => m.clone(),
            other => panic!("{i}: {other:?}"),
        })
        .collect();
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
    let names: Vec<(&str, &str)> = stored
        .iter()
        .map(|m| (m.sender.first_name.as_str(), m.sender.last_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("Ada", "Lovelace"),
            ("Alan", "Turing"),
            ("Edsger", "Dijkstra")
        ]
    );
    for m in &stored {
        assert_eq!(ctx.store.get_message(m.id).await.unwrap().as_ref(), Some(m));
    }
    // A batch of nothing but an unknown sender stores nothing.
    let alone = ctx
        .store
        .insert_messages(&[NewMessage::text(APOLLO, 98, "x")])
        .await
        .unwrap();
    assert_eq!(
        alone,
        vec![InsertOutcome::Rejected(Rejection::UnknownSender(98))]
    );
    // Bigger than one statement, the unknown sender late in it.
    let mut big: Vec<NewMessage> = (0..200)
        .map(|i| NewMessage::text(STUDY_1, 3, format!("big {i}")))
        .collect();
    big[150].sender_id = 97;
    let outcomes = ctx.store.insert_messages(&big).await.unwrap();
    assert_eq!(
        outcomes[150],
        InsertOutcome::Rejected(Rejection::UnknownSender(97))
    );
    let mut rest = outcomes;
    rest.remove(150);
    let rest = created(rest);
    assert_eq!(rest.len(), 199);
    assert!(rest.windows(2).all(|w| w[0].id < w[1].id));
    let study = ctx
        .store
        .history(STUDY_1, HistoryCursor::Latest, 100)
        .await
        .unwrap();
    assert_eq!(
        study.messages.last().map(|m| m.id),
        rest.last().map(|m| m.id)
    );
    let page = ctx
        .store
        .history(APOLLO, HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 2);
}

pub async fn client_message_id_makes_a_resend_return_the_original(ctx: Ctx) {
    demo(&ctx).await;
    let keyed = |sender: u64, key: &str, content: &str| {
        let mut m = NewMessage::text(APOLLO, sender, content);
        m.client_message_id = Some(key.to_owned());
        m
    };
    let original = send(&ctx, keyed(1, "abc-1", "hello")).await;

    // A resend, even with other content or later, answers with the original.
    ctx.clock.advance(Duration::seconds(30));
    let outcomes = ctx
        .store
        .insert_messages(&[keyed(1, "abc-1", "hello again")])
        .await
        .unwrap();
    assert_eq!(outcomes, vec![InsertOutcome::Duplicate(original.clone())]);
    assert!(!outcomes[0].is_created());

    // The key is per sender and exact: another sender, another case or a trailing
    // space is another message.
    let others = ctx
        .store
        .insert_messages(&[
            keyed(2, "abc-1", "same key, other sender"),
            keyed(1, "ABC-1", "case"),
            keyed(1, "abc-1 ", "space"),
        ])
        .await
        .unwrap();
    assert!(others.iter().all(InsertOutcome::is_created), "{others:?}");

    // Twice in one batch: stored once, the second answers with the first.
    let twice = ctx
        .store
        .insert_messages(&[
            keyed(3, "k", "x"),
            NewMessage::text(APOLLO, 3, "between"),
            keyed(3, "k", "y"),
        ])
        .await
        .unwrap();
    let first = match &twice[0] {
        InsertOutcome::Created(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    assert!(twice[1].is_created());
    assert_eq!(twice[2], InsertOutcome::Duplicate(first));

    // A key whose first send was rejected is free to use.
    let mut bad = keyed(4, "retry-me", "bad reply");
    bad.reply_to_id = Some(123_456);
    let outcomes = ctx.store.insert_messages(&[bad]).await.unwrap();
    assert!(matches!(outcomes[0], InsertOutcome::Rejected(_)));
    send(&ctx, keyed(4, "retry-me", "good")).await;

    // A 64-character key (of multi-byte characters) is accepted and matched.
    let long = "é".repeat(64);
    let stored = send(&ctx, keyed(5, &long, "long key")).await;
    let again = ctx
        .store
        .insert_messages(&[keyed(5, &long, "long key")])
        .await
        .unwrap();
    assert_eq!(again, vec![InsertOutcome::Duplicate(stored)]);

    let all = ctx
        .store
        .history(APOLLO, HistoryCursor::Latest, 100)
        .await
        .unwrap();
    assert_eq!(
        all.messages.len(),
        1 + 3 + 2 + 1 + 1,
        "nothing stored twice"
    );
}

pub async fn reply_carries_its_parent_without_nesting(ctx: Ctx) {
    demo(&ctx).await;
    let parent = say(&ctx, APOLLO, 1, "question").await;
    let mut answer = NewMessage::text(APOLLO, 5, "answer");
    answer.reply_to_id = Some(parent.id);
    let child = send(&ctx, answer).await;
    assert_eq!(child.reply_to_id, Some(parent.id));
    assert_eq!(child.reply_to.as_deref(), Some(&parent));

    let mut follow_up = NewMessage::text(APOLLO, 1, "follow-up");
    follow_up.reply_to_id = Some(child.id);
    let grandchild = send(&ctx, follow_up).await;
    let reply_to = grandchild.reply_to.as_deref().unwrap();
    assert_eq!(reply_to.id, child.id);
    assert_eq!(
        reply_to.reply_to_id,
        Some(parent.id),
        "the parent says whom it answered"
    );
    assert!(reply_to.reply_to.is_none(), "but carries no nested parent");
    assert_eq!(reply_to.sender.first_name, "Edsger");

    // Reads agree with the insert's answer, in get_message and in history.
    assert_eq!(
        ctx.store.get_message(grandchild.id).await.unwrap(),
        Some(grandchild.clone())
    );
    let page = ctx
        .store
        .history(APOLLO, HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert_eq!(
        page.messages,
        vec![parent.clone(), child.clone(), grandchild.clone()]
    );

    // A deleted parent shows as a tombstone in its replies.
    ctx.store.delete_message(parent.id).await.unwrap();
    let child_now = ctx.store.get_message(child.id).await.unwrap().unwrap();
    let shown = child_now.reply_to.unwrap();
    assert!(shown.is_deleted());
    assert_eq!(shown.content, "");
    // History pages that start after the parent still load it.
    let page = ctx
        .store
        .history(APOLLO, HistoryCursor::After(parent.id), 50)
        .await
        .unwrap();
    assert_eq!(
        page.messages[0].reply_to.as_ref().map(|p| p.id),
        Some(parent.id)
    );
}

pub async fn edit_sets_content_and_edited_at(ctx: Ctx) {
    demo(&ctx).await;
    let original = say(&ctx, APOLLO, 1, "draft").await;
    ctx.clock.advance(Duration::minutes(5));
    let edited = ctx.store.edit_message(original.id, "final").await.unwrap();
    let five_later = start_time_ms() + Duration::minutes(5);
    assert_eq!(edited.content, "final");
    assert_eq!(edited.edited_at, Some(five_later));
    assert_eq!(edited.updated_at, five_later);
    assert_eq!(edited.created_at, original.created_at);
    assert_eq!(edited.id, original.id);
    assert_eq!(
        ctx.store.get_message(original.id).await.unwrap(),
        Some(edited.clone())
    );

    // The same content again at the same instant is still a successful edit.
    assert_eq!(
        ctx.store.edit_message(original.id, "final").await.unwrap(),
        edited
    );

    assert_eq!(
        ctx.store.edit_message(9_999, "x").await,
        Err(StoreError::NotFound {
            entity: Entity::Message,
            id: 9_999
        })
    );
}

pub async fn delete_leaves_a_tombstone(ctx: Ctx) {
    demo(&ctx).await;
    let doomed = say(&ctx, STUDY_1, 3, "secret").await;
    let kept = say(&ctx, STUDY_1, 1, "kept").await;
    ctx.clock.advance(Duration::minutes(1));
    let tombstone = ctx.store.delete_message(doomed.id).await.unwrap();
    let minute_later = start_time_ms() + Duration::minutes(1);
    assert_eq!(tombstone.deleted_at, Some(minute_later));
    assert_eq!(tombstone.updated_at, minute_later);
    assert_eq!(tombstone.content, "");
    assert_eq!(tombstone.created_at, doomed.created_at);
    assert_eq!(tombstone.room(), STUDY_1);
    let json = serde_json::to_value(&tombstone).unwrap();
    for field in ["fileId", "fileName", "fileSize", "mimeType", "file"] {
        assert!(json[field].is_null(), "{field} of a tombstone is null");
    }
    assert_eq!(
        ctx.store.get_message(doomed.id).await.unwrap(),
        Some(tombstone.clone())
    );
    let page = ctx
        .store
        .history(STUDY_1, HistoryCursor::Latest, 50)
        .await
        .unwrap();
    assert_eq!(page.messages, vec![tombstone, kept]);

    assert_eq!(
        ctx.store.delete_message(doomed.id).await,
        Err(StoreError::MessageDeleted(doomed.id))
    );
    assert_eq!(
        ctx.store.edit_message(doomed.id, "revived").await,
        Err(StoreError::MessageDeleted(doomed.id))
    );
    assert_eq!(
        ctx.store.delete_message(9_999).await,
        Err(StoreError::NotFound {
            entity: Entity::Message,
            id: 9_999
        })
    );
}

pub async fn created_at_is_what_the_store_stored(ctx: Ctx) {
    demo(&ctx).await;
    // The clock has sub-millisecond digits; the store keeps milliseconds, and its
    // own `now` says so too.
    assert_eq!(ctx.store.now(), start_time_ms());
    let message = say(&ctx, APOLLO, 3, "timestamped").await;
    assert_eq!(message.created_at, start_time_ms());

    // A day and a bit later, every read still gives the stored instant, so the
    // 24-hour rule is decided from it against the store's clock.
    ctx.clock
        .advance(Duration::hours(24) + Duration::milliseconds(1));
    let read_back = ctx.store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!(read_back.created_at, start_time_ms());
    assert!(ctx.store.now() - read_back.created_at > Duration::hours(24));
    let page = ctx
        .store
        .history(APOLLO, HistoryCursor::Latest, 1)
        .await
        .unwrap();
    assert_eq!(page.messages[0].created_at, start_time_ms());
    let json = serde_json::to_value(&read_back).unwrap();
    assert_eq!(json["createdAt"], "2024-05-01T12:00:00.123Z");

    // An edit after the window is the chat layer's to refuse; the store only
    // stamps: createdAt never moves.
    let edited = ctx.store.edit_message(message.id, "late").await.unwrap();
    assert_eq!(edited.created_at, start_time_ms());
    assert_eq!(json["updatedAt"], "2024-05-01T12:00:00.123Z");
}

pub async fn oversized_content_is_refused(ctx: Ctx) {
    demo(&ctx).await;
    let max = StoreOptions::default().max_content_bytes;
    let at_limit = say(&ctx, APOLLO, 1, &"a".repeat(max)).await;
    assert_eq!(at_limit.content.len(), max);
    let outcomes = ctx
        .store
        .insert_messages(&[NewMessage::text(APOLLO, 1, "a".repeat(max + 1))])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![InsertOutcome::Rejected(Rejection::ContentTooLong {
            bytes: max + 1,
            max
        })]
    );
    let err = ctx
        .store
        .edit_message(at_limit.id, &"b".repeat(max + 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Non-ASCII text survives intact.
    let unicode = say(&ctx, APOLLO, 1, "héllo 🌍 \u{0}\t\n 1 < 2 & 3").await;
    assert_eq!(
        ctx.store
            .get_message(unicode.id)
            .await
            .unwrap()
            .unwrap()
            .content,
        "héllo 🌍 \u{0}\t\n 1 < 2 & 3"
    );
}
