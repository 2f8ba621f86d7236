//! Message history: the page sent on join, the catch-up after a reconnect, and the client
//! event `message:history` that loads older pages (spec: "History & Initialization",
//! "Message Pagination: 50 per page"; issue 4 item 4).
//!
//! Every page is the event `message:history {messages, roomType, roomId, hasMore, nextCursor?}`
//! with `messages` oldest first and deleted messages as tombstones; `nextCursor` is present
//! exactly when `hasMore` is true.
//!
//! - **On join** (no `sinceId`): the latest page (50 by default). `hasMore` says older messages
//!   exist; `nextCursor` is the oldest id of the page.
//! - **Older pages** (an addition: the spec names no event for it): the client emits
//!   `message:history {roomType, roomId, cursor?, limit?}` — `cursor` is a previous page's
//!   `nextCursor` (absent: the latest page), `limit` defaults to 50 and is capped at 100. It is
//!   open to anyone with access to the room (joined or not). The answer is the same
//!   `message:history` event and, with an ack, `{ok: true, ...the same payload}`.
//! - **Catch-up on rejoin** (`room:join` with `sinceId`, the last id the client saw): instead of
//!   the latest page the server pushes every message after `sinceId`, oldest first, in pages of
//!   up to 100; each page but the last has `hasMore: true` and `nextCursor` = its newest id, the
//!   last has `hasMore: false` and no `nextCursor`. Nothing stored while the client was away is
//!   missed. If more than [`super::ChatSettings::max_catch_up_messages`] were missed, the
//!   client gets the latest page instead, as on a fresh join, and pages back from there.

use std::sync::Arc;

use serde_json::{Value, json};

use huddle_storage::model::{HistoryCursor, HistoryPage, MessageId, RoomRef};

use super::errors::ChatError;
use super::policy::{authorize_room, store_error};
use super::reply::{Outcome, fields};
use super::validate::parse_history;
use super::{ChatSocket, Ctx};
use crate::socketio::Socket;

/// The `message:history` payload of one page.
pub fn page_payload(room: RoomRef, page: &HistoryPage) -> Value {
    let mut payload = json!({
        "messages": page.messages,
        "roomType": room.kind.as_str(),
        "roomId": room.id,
        "hasMore": page.has_more,
    });
    if let Some(cursor) = page.next_cursor {
        payload["nextCursor"] = json!(cursor);
    }
    payload
}

/// The pages a joining socket receives.
pub async fn initial_pages(
    ctx: &Ctx,
    room: RoomRef,
    since: Option<MessageId>,
) -> Result<Vec<HistoryPage>, ChatError> {
    let limits = &ctx.settings.limits;
    let latest = || async {
        ctx.store
            .history(room, HistoryCursor::Latest, limits.history_page_size)
            .await
            .map(|page| vec![page])
            .map_err(|e| store_error(&e, "history"))
    };
    let Some(since) = since else {
        return latest().await;
    };
    let mut pages = Vec::new();
    let mut cursor = since;
    let mut total = 0usize;
    loop {
        let page = ctx
            .store
            .history(room, HistoryCursor::After(cursor), limits.history_max_limit)
            .await
            .map_err(|e| store_error(&e, "catch-up history"))?;
        total += page.messages.len();
        let next = page.next_cursor.filter(|_| page.has_more);
        pages.push(page);
        match next {
            None => return Ok(pages),
            Some(_) if total >= ctx.settings.max_catch_up_messages => {
                tracing::info!(%room, since, total, "catch-up too long; sending the latest page");
                return latest().await;
            }
            Some(next) => cursor = next,
        }
    }
}

/// The client event `message:history`.
pub async fn request(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, payload: Value) -> Outcome {
    let request = parse_history(&payload, &ctx.settings.limits)?;
    authorize_room(ctx.store.as_ref(), &socket.state().user, request.room).await?;
    let cursor = request
        .cursor
        .map_or(HistoryCursor::Latest, HistoryCursor::Before);
    let page = ctx
        .store
        .history(request.room, cursor, request.limit)
        .await
        .map_err(|e| store_error(&e, "history"))?;
    let payload = page_payload(request.room, &page);
    let _ = socket.emit("message:history", &payload);
    Ok(fields(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_page_has_no_next_cursor_key() {
        let page = HistoryPage {
            messages: Vec::new(),
            has_more: false,
            next_cursor: None,
        };
        let v = page_payload(RoomRef::project(2), &page);
        assert_eq!(
            v,
            json!({"messages": [], "roomType": "project", "roomId": 2, "hasMore": false})
        );
        assert!(v.get("nextCursor").is_none());
        let more = HistoryPage {
            messages: Vec::new(),
            has_more: true,
            next_cursor: Some(51),
        };
        assert_eq!(page_payload(RoomRef::study(1), &more)["nextCursor"], 51);
    }
}
