//! The per-room writer: one task per active room that stores that room's messages in
//! batches and broadcasts them in id order (ARCHITECTURE.md principles 4 and 5; issue 4
//! item 8).
//!
//! Why one task per room: order is a promise. Every `message:send` of a room goes through its
//! writer's queue; the writer takes what has queued up as ONE batch, hands it to the group
//! committer (`commit.rs`: access re-checked, then one transaction, possibly shared with other
//! rooms' batches, ids in queue order), and only after the commit broadcasts `message:new` for
//! each created message, in that order, then answers each sender. So in a room ids, the
//! broadcast order and history agree, each sender's messages (queued in the order its socket
//! sent them: see `pipeline.rs`) are stored in the order sent, and a busy room costs one
//! insert per batch rather than one per message. Rooms never wait for each other's joins,
//! edits or broadcasts: only their inserts share commits.
//!
//! Joins, edits and deletes run through the same queue as "exclusive" jobs between batches: a
//! joining socket's history page is read and the socket added to the room with no insert, edit
//! or delete in between, so what it gets as history and what it then receives live neither
//! overlap nor leave a gap.
//!
//! A writer with nothing to do for [`WriterSettings::idle_timeout`] retires. Retirement and job
//! submission both hold the registry lock, so a job is never queued to a writer that is leaving.
//! The queue is unbounded on purpose: each socket has at most `max_sends_in_flight` sends
//! (`pipeline.rs`) and one other job in it at a time, so its length is bounded by that many
//! times the number of connected sockets, which the engine caps.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use huddle_storage::Store;
use huddle_storage::model::{InsertOutcome, NewMessage, Role, RoomRef};

use super::ChatSocket;
use super::commit::{GroupCommitter, Submission};
use super::errors::ChatError;
use super::messages::MessagePayload;
use super::rooms::room_name;
use crate::socketio::Namespace;

/// Batching and lifetime of the room writers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterSettings {
    /// Most messages stored in one batch (default 64).
    pub batch_max: usize,
    /// A writer with no work for this long ends (default 60 s); the next job starts a new one.
    pub idle_timeout: Duration,
    /// Most messages of one group commit across rooms (default 1024; a room's batch is never
    /// split, so one commit holds at least one whole batch).
    pub commit_max: usize,
    /// Group commits running at once (default 2): while one waits for its fsync the next
    /// can already be written, so a room's batch does not wait for another's commit.
    pub commit_lanes: usize,
    /// How long the access facts that allowed a user's send to a room are used for that
    /// user's next sends there (default 1 s; 0: read for every commit). See
    /// `access_cache.rs`.
    pub access_ttl: Duration,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings {
            batch_max: 64,
            idle_timeout: Duration::from_secs(60),
            commit_max: 1024,
            commit_lanes: 2,
            access_ttl: Duration::from_secs(1),
        }
    }
}

/// Called once with a message's result, by its room's writer, after the commit (and, for a
/// created message, after its broadcast), in the room's order.
pub type Answer = Box<dyn FnOnce(Result<InsertOutcome, ChatError>) + Send + 'static>;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

enum Job {
    Insert {
        submission: Submission,
        answer: Answer,
    },
    Exclusive(Box<dyn FnOnce() -> BoxFuture + Send + 'static>),
}

struct Shared {
    // A std mutex: held to look up, insert or remove one sender, never across an await.
    writers: Mutex<HashMap<RoomRef, mpsc::UnboundedSender<Job>>>,
    committer: GroupCommitter,
    ns: Namespace<ChatSocket>,
    settings: WriterSettings,
    batches: AtomicU64,
    messages: AtomicU64,
}

/// What the writers have stored so far (for tests and metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterStats {
    /// Room batches stored (each one room's queue at one time).
    pub batches: u64,
    /// Messages in those batches (duplicates and refusals included).
    pub messages: u64,
    /// Transactions they took: one group commit holds the batches of several rooms.
    pub commits: u64,
}

/// The registry of room writers.
#[derive(Clone)]
pub struct RoomWriters {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RoomWriters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomWriters")
            .field("active", &self.active())
            .field("settings", &self.shared.settings)
            .finish()
    }
}

impl RoomWriters {
    /// A registry storing into `store` and broadcasting on `ns`.
    pub fn new(store: Arc<dyn Store>, ns: Namespace<ChatSocket>, settings: WriterSettings) -> Self {
        RoomWriters {
            shared: Arc::new(Shared {
                writers: Mutex::new(HashMap::new()),
                committer: GroupCommitter::new(store, &settings),
                ns,
                settings: WriterSettings {
                    batch_max: settings.batch_max.max(1),
                    ..settings
                },
                batches: AtomicU64::new(0),
                messages: AtomicU64::new(0),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomRef, mpsc::UnboundedSender<Job>>> {
        // Each critical section is a single map operation: a poisoned lock holds a sound map.
        self.shared
            .writers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// How many rooms have a running writer.
    pub fn active(&self) -> usize {
        self.lock().len()
    }

    /// Batches and messages stored so far.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.shared.batches.load(Ordering::Relaxed),
            messages: self.shared.messages.load(Ordering::Relaxed),
            commits: self.shared.committer.commits(),
        }
    }

    fn submit(&self, room: RoomRef, job: Job) {
        let mut writers = self.lock();
        let job = match writers.get(&room) {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                // The writer died (a panic in the store): start a fresh one below.
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        // The receiver is alive (it is moved into the task just below), so this cannot fail.
        let _ = tx.send(job);
        writers.insert(room, tx);
        tokio::spawn(run(self.clone(), room, rx));
    }

    /// Stores `message` from a sender with `role` in its room's next batch, if the sender
    /// still has access to the room; returns the outcome once committed and (for a created
    /// message) broadcast as `message:new`.
    pub async fn insert(
        &self,
        message: NewMessage,
        role: Role,
    ) -> Result<InsertOutcome, ChatError> {
        let (reply, answer) = oneshot::channel();
        self.submit_insert(
            message,
            role,
            Box::new(move |result| {
                let _ = reply.send(result);
            }),
        );
        answer.await.unwrap_or_else(|_| {
            tracing::error!("room writer ended without answering");
            Err(ChatError::internal())
        })
    }

    /// Queues `message` (from a sender with `role`) for its room's next batch without waiting:
    /// `answer` is called with the outcome by the room's writer, after the commit and the
    /// broadcast, in the room's order.
    pub fn submit_insert(&self, message: NewMessage, role: Role, answer: Answer) {
        let room = message.room;
        let submission = Submission { message, role };
        self.submit(room, Job::Insert { submission, answer });
    }

    /// Runs `work` in the room's writer between two batches: no message of the room is stored
    /// or broadcast while it runs.
    pub async fn exclusive<T, F, Fut>(&self, room: RoomRef, work: F) -> Result<T, ChatError>
    where
        T: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, ChatError>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.submit(
            room,
            Job::Exclusive(Box::new(move || {
                Box::pin(async move {
                    let _ = reply.send(work().await);
                })
            })),
        );
        answer.await.unwrap_or_else(|_| {
            tracing::error!(%room, "room writer ended without answering");
            Err(ChatError::internal())
        })
    }

    /// Ends the writer of `room` if its queue is empty. Under the registry lock, so no job can
    /// slip into a queue that is closing.
    fn retire(&self, room: RoomRef, rx: &mut mpsc::UnboundedReceiver<Job>) -> bool {
        let mut writers = self.lock();
        if !rx.is_empty() {
            return false;
        }
        writers.remove(&room);
        rx.close();
        true
    }
}

/// The writer task of one room.
async fn run(writers: RoomWriters, room: RoomRef, mut rx: mpsc::UnboundedReceiver<Job>) {
    let settings = writers.shared.settings;
    loop {
        let first = match tokio::time::timeout(settings.idle_timeout, rx.recv()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(_) => {
                if writers.retire(room, &mut rx) {
                    return;
                }
                continue;
            }
        };
        let mut jobs = vec![first];
        while jobs.len() < settings.batch_max {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut inserts = Vec::new();
        for job in jobs {
            match job {
                Job::Insert { submission, answer } => inserts.push((submission, answer)),
                Job::Exclusive(work) => {
                    flush(&writers.shared, room, std::mem::take(&mut inserts)).await;
                    work().await;
                }
            }
        }
        flush(&writers.shared, room, inserts).await;
    }
}

type PendingInsert = (Submission, Answer);

/// Stores one batch (in the next group commit), then broadcasts and answers in batch order.
async fn flush(shared: &Shared, room: RoomRef, inserts: Vec<PendingInsert>) {
    if inserts.is_empty() {
        return;
    }
    let (batch, answers): (Vec<Submission>, Vec<Answer>) = inserts.into_iter().unzip();
    let size = batch.len();
    let results = shared.committer.commit(batch).await;
    shared.batches.fetch_add(1, Ordering::Relaxed);
    shared.messages.fetch_add(size as u64, Ordering::Relaxed);
    tracing::debug!(%room, batch = size, "stored a batch");
    let name = room_name(room);
    let mut results = results.into_iter();
    for answer in answers {
        let result = results.next().unwrap_or_else(|| {
            tracing::error!(%room, "the committer answered a batch with too few results");
            Err(ChatError::internal())
        });
        if let Ok(InsertOutcome::Created(message)) = &result {
            // Committed: now everyone in the room, sender included, may see it.
            if let Err(e) = shared
                .ns
                .to(&name)
                .emit("message:new", &MessagePayload { message })
            {
                tracing::error!(%room, error = %e, "could not encode message:new");
            }
        }
        // The sender may have disconnected meanwhile; the message stands regardless.
        answer(result);
    }
}
