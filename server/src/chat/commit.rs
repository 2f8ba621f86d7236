//! Group commit: the room writers' batches, stored several rooms at a time (issue 6,
//! "persisted": every acknowledged message durable, and the throughput of a durable store).
//!
//! Why: with MariaDB every commit waits for the redo log to reach the disk (an fsync: a
//! fraction of a millisecond on an idle disk, several under load), and every statement costs
//! the database CPU time it shares with the server. Room writers that committed on their own would each run their own statements
//! and commit, and a thousand busy rooms would run a thousand transactions at once where a
//! few would do. Instead every room writer hands its batch to the committer, which runs at
//! most [`commit_lanes`](super::writer::WriterSettings) commits at once (two by default: while
//! one waits for the disk the next is being written); whatever batches queue up while every
//! lane is busy go together into the next commit (up to
//! [`commit_max`](super::writer::WriterSettings) messages). Each commit:
//!
//! 1. access, re-checked for every message at once, decided by `policy.rs` (`ROOM_FORBIDDEN` /
//!    `ROOM_NOT_FOUND`; the message is not stored): one `room_access_many` for the distinct
//!    (sender, room) pairs, except pairs allowed less than `access_ttl` ago, whose facts are
//!    kept (`access_cache.rs`: a withdrawn grant or task refuses every send whose commit
//!    starts more than that after the change; with 0, the very next one);
//! 2. one `insert_messages` for every admitted message: one transaction, rows in the order of
//!    the batches and, inside each, of the room's queue, so ids increase in each room's order;
//! 3. each batch gets its outcomes back; its room writer broadcasts and answers (never before
//!    the commit).
//!
//! A failing store call fails the whole commit (nothing of it was stored). When the failure is
//! not the database being unavailable (a bug, a constraint broken by one row), the batches are
//! tried again one by one, so one room's bad message cannot fail the other rooms.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

use huddle_storage::Store;
use huddle_storage::model::{InsertOutcome, NewMessage, Role, RoomAccessFacts, RoomRef, UserId};

use super::access_cache::AccessCache;
use super::errors::ChatError;
use super::policy::{decide, store_error};
use super::writer::WriterSettings;

/// One message handed to the committer, with the role of its sender (for the access
/// re-check).
#[derive(Clone, Debug)]
pub struct Submission {
    /// The message.
    pub message: NewMessage,
    /// The sender's role, as loaded when the connection authenticated.
    pub role: Role,
}

/// What a batch gets back: one answer per message, in order.
pub type Answers = Vec<Result<InsertOutcome, ChatError>>;

struct Request {
    batch: Vec<Submission>,
    reply: oneshot::Sender<Answers>,
}

/// The committer: a task started on first use (and again should it ever die), ending when
/// the committer is dropped. It spawns one task per commit, at most `lanes` at once.
pub struct GroupCommitter {
    // A std mutex: held to use or replace the sender, never across an await.
    queue: Mutex<Option<mpsc::UnboundedSender<Request>>>,
    worker: Worker,
}

/// What the task needs (not the committer itself: the task ends when its queue's sender,
/// held by the committer, is dropped).
#[derive(Clone)]
struct Worker {
    store: Arc<dyn Store>,
    max_messages: usize,
    lanes: usize,
    commits: Arc<AtomicU64>,
    access: Arc<AccessCache>,
}

impl std::fmt::Debug for GroupCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommitter")
            .field("max_messages", &self.worker.max_messages)
            .field("commits", &self.commits())
            .finish()
    }
}

impl GroupCommitter {
    /// A committer into `store`: at most `commit_max` messages per commit (a batch bigger
    /// than that still goes, alone), at most `commit_lanes` commits at once, access facts
    /// kept for `access_ttl`.
    pub fn new(store: Arc<dyn Store>, settings: &WriterSettings) -> Self {
        GroupCommitter {
            queue: Mutex::new(None),
            worker: Worker {
                store,
                max_messages: settings.commit_max.max(1),
                lanes: settings.commit_lanes.max(1),
                commits: Arc::new(AtomicU64::new(0)),
                access: Arc::new(AccessCache::new(settings.access_ttl)),
            },
        }
    }

    /// Store calls made so far (each one transaction holding one or more batches).
    pub fn commits(&self) -> u64 {
        self.worker.commits.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Option<mpsc::UnboundedSender<Request>>> {
        // Each critical section sends once or replaces the Option: a poisoned lock is sound.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `batch` in the next commit and returns one answer per message, in order.
    pub async fn commit(&self, batch: Vec<Submission>) -> Answers {
        if batch.is_empty() {
            return Vec::new();
        }
        let size = batch.len();
        let (reply, answer) = oneshot::channel();
        self.submit(Request { batch, reply });
        answer.await.unwrap_or_else(|_| {
            tracing::error!("the committer ended without answering");
            vec![Err(ChatError::internal()); size]
        })
    }

    fn submit(&self, request: Request) {
        let mut queue = self.lock();
        let request = match queue.as_ref() {
            Some(tx) => match tx.send(request) {
                Ok(()) => return,
                // The task died (a panic in the store): start a fresh one below.
                Err(mpsc::error::SendError(request)) => request,
            },
            None => request,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        // The receiver is alive (it is moved into the task just below), so this cannot fail.
        let _ = tx.send(request);
        *queue = Some(tx);
        tokio::spawn(run(self.worker.clone(), rx));
    }
}

/// The committer task: takes what has queued up, stores it, answers each batch.
async fn run(worker: Worker, mut rx: mpsc::UnboundedReceiver<Request>) {
    let lanes = Arc::new(Semaphore::new(worker.lanes));
    loop {
        // A free lane first, then the work: what arrives while every lane is busy queues up
        // and goes into the next commit together.
        let Ok(lane) = lanes.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut size = first.batch.len();
        let mut requests = vec![first];
        while size < worker.max_messages {
            match rx.try_recv() {
                Ok(request) => {
                    size += request.batch.len();
                    requests.push(request);
                }
                Err(_) => break,
            }
        }
        let worker = worker.clone();
        tokio::spawn(async move {
            let (batches, replies): (Vec<Vec<Submission>>, Vec<_>) =
                requests.into_iter().map(|r| (r.batch, r.reply)).unzip();
            let answers = store_batches(&worker, batches).await;
            for (reply, answers) in replies.into_iter().zip(answers) {
                // The room writer waits for this answer; if it is gone, so is its room's batch.
                let _ = reply.send(answers);
            }
            drop(lane);
        });
    }
}

/// Re-checks access for every message, stores the admitted ones in one transaction, and
/// returns each batch's answers.
async fn store_batches(committer: &Worker, batches: Vec<Vec<Submission>>) -> Vec<Answers> {
    let started = std::time::Instant::now();
    let decisions = match access(committer, &batches).await {
        Ok(decisions) => decisions,
        Err(error) => {
            return batches
                .iter()
                .map(|b| vec![Err(error.clone()); b.len()])
                .collect();
        }
    };
    // Every admitted message in order, how many of them each batch has, and each
    // input's decision.
    let mut admitted: Vec<NewMessage> = Vec::with_capacity(decisions.len());
    let mut sizes: Vec<usize> = Vec::with_capacity(batches.len());
    let mut verdicts: Vec<Vec<Result<(), ChatError>>> = Vec::with_capacity(batches.len());
    let mut decisions = decisions.into_iter();
    for batch in batches {
        let before = admitted.len();
        let mut verdict = Vec::with_capacity(batch.len());
        for submission in batch {
            let decision = decisions
                .next()
                .unwrap_or_else(|| Err(ChatError::internal()));
            if decision.is_ok() {
                admitted.push(submission.message);
            }
            verdict.push(decision);
        }
        sizes.push(admitted.len() - before);
        verdicts.push(verdict);
    }

    let access_time = started.elapsed();
    let messages = admitted.len();
    let stored = insert(committer, admitted, &sizes).await;
    tracing::debug!(
        batches = sizes.len(),
        messages,
        access_us = access_time.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "group commit"
    );
    verdicts
        .into_iter()
        .zip(stored)
        .map(|(verdict, outcomes)| merge(verdict, outcomes))
        .collect()
}

/// One decision per message of every batch, in order: the room's access rule applied to
/// facts read now (one store call for every pair not found in the cache) or, for pairs
/// allowed a moment ago, kept from then (`access_cache.rs`).
async fn access(
    committer: &Worker,
    batches: &[Vec<Submission>],
) -> Result<Vec<Result<(), ChatError>>, ChatError> {
    let now = Instant::now();
    // Facts per pair: from the cache, or read now (`None` inside: the room does not exist).
    let mut cached: HashMap<(UserId, RoomRef), RoomAccessFacts> = HashMap::new();
    let mut read: HashMap<(UserId, RoomRef), Option<RoomAccessFacts>> = HashMap::new();
    let mut to_read = Vec::new();
    for submission in batches.iter().flatten() {
        let pair = (submission.message.sender_id, submission.message.room);
        if cached.contains_key(&pair) || read.contains_key(&pair) {
            continue;
        }
        match committer.access.get(pair, now) {
            Some(facts) => {
                cached.insert(pair, facts);
            }
            None => {
                read.insert(pair, None);
                to_read.push(pair);
            }
        }
    }
    if !to_read.is_empty() {
        let facts = committer
            .store
            .room_access_many(&to_read)
            .await
            .map_err(|e| store_error(&e, "room access"))?;
        if facts.len() != to_read.len() {
            tracing::error!(
                asked = to_read.len(),
                answered = facts.len(),
                "store answered an access question with the wrong number of facts"
            );
            return Err(ChatError::internal());
        }
        read.extend(to_read.into_iter().zip(facts));
    }
    let mut allowed_by_read = Vec::new();
    let decisions = batches
        .iter()
        .flatten()
        .map(|submission| {
            let pair = (submission.message.sender_id, submission.message.room);
            let (facts, fresh) = match cached.get(&pair) {
                Some(facts) => (Some(facts), false),
                None => (read.get(&pair).and_then(Option::as_ref), true),
            };
            let decision = decide(pair.0, submission.role, pair.1, facts).map(|_| ());
            if decision.is_ok() && fresh {
                allowed_by_read.push(pair);
            }
            decision
        })
        .collect();
    // Kept: facts read now that allowed a send (facts from the cache keep their age).
    for pair in allowed_by_read {
        if let Some(Some(facts)) = read.remove(&pair) {
            // Asked at `now`: their age is never underestimated.
            committer.access.put(pair, facts, now);
        }
    }
    Ok(decisions)
}

/// Stores every batch's admitted messages (`all`, `sizes[i]` of them for batch `i`) in
/// one store call; one list of results per batch.
async fn insert(
    committer: &Worker,
    all: Vec<NewMessage>,
    sizes: &[usize],
) -> Vec<Result<Vec<InsertOutcome>, ChatError>> {
    if all.is_empty() {
        return sizes.iter().map(|_| Ok(Vec::new())).collect();
    }
    committer.commits.fetch_add(1, Ordering::Relaxed);
    match committer.store.insert_messages(&all).await {
        Ok(outcomes) if outcomes.len() == all.len() => {
            let mut outcomes = outcomes.into_iter();
            sizes
                .iter()
                .map(|&n| Ok(outcomes.by_ref().take(n).collect()))
                .collect()
        }
        Ok(outcomes) => {
            tracing::error!(
                sent = all.len(),
                answered = outcomes.len(),
                "store answered a commit with the wrong number of outcomes"
            );
            sizes.iter().map(|_| Err(ChatError::internal())).collect()
        }
        Err(e) if e.is_unavailable() || sizes.len() == 1 => {
            let error = store_error(&e, "insert messages");
            sizes.iter().map(|_| Err(error.clone())).collect()
        }
        Err(e) => {
            tracing::warn!(error = %e, batches = sizes.len(), "commit failed; storing its batches one by one");
            let mut results = Vec::with_capacity(sizes.len());
            let mut start = 0;
            for &n in sizes {
                let batch = &all[start..start + n];
                start += n;
                results.push(if batch.is_empty() {
                    Ok(Vec::new())
                } else {
                    committer.commits.fetch_add(1, Ordering::Relaxed);
                    match committer.store.insert_messages(batch).await {
                        Ok(outcomes) if outcomes.len() == n => Ok(outcomes),
                        Ok(_) => Err(ChatError::internal()),
                        Err(e) => Err(store_error(&e, "insert messages")),
                    }
                });
            }
            results
        }
    }
}

/// A batch's answers: its decisions, with the store's outcome in place of each admitted one.
fn merge(
    verdict: Vec<Result<(), ChatError>>,
    stored: Result<Vec<InsertOutcome>, ChatError>,
) -> Answers {
    match stored {
        Ok(outcomes) => {
            let mut outcomes = outcomes.into_iter();
            verdict
                .into_iter()
                .map(|decision| {
                    decision.and_then(|()| outcomes.next().ok_or_else(ChatError::internal))
                })
                .collect()
        }
        Err(error) => verdict
            .into_iter()
            .map(|decision| decision.and(Err(error.clone())))
            .collect(),
    }
}
