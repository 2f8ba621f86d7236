//! Read receipts: one per user and message (issue: `message:read`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{MessageId, UserId, iso8601};

/// One user's first read of one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadReceipt {
    pub message_id: MessageId,
    pub user_id: UserId,
    #[serde(with = "iso8601")]
    pub read_at: DateTime<Utc>,
}

/// The answer to marking a message read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkRead {
    /// The receipt as stored (the first read's time on a repeat).
    pub receipt: ReadReceipt,
    /// Whether this call recorded it (a repeat changes nothing and is not broadcast).
    pub newly_read: bool,
}
