//! The session table: session id → the channel to the session's task, with the cap on
//! concurrent sessions.
//!
//! A plain `std::sync::Mutex` around a `HashMap`: every critical section is one
//! insert, lookup or removal, never held across an `.await`, so an async lock would
//! only add cost. Removals wake [`SessionTable::wait_empty`] (shutdown, tests).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, Semaphore};

use super::api::{SessionHandle, SessionShared};
use super::session::Command;

/// One open session as the HTTP side sees it.
pub(crate) struct Entry {
    pub(super) shared: Arc<SessionShared>,
    pub(super) commands: Commands,
    /// A polling POST is being read: the reference refuses overlapping POSTs.
    pub(crate) post_busy: AtomicBool,
}

impl Entry {
    pub(crate) fn handle(&self) -> SessionHandle {
        SessionHandle {
            shared: self.shared.clone(),
        }
    }
}

/// The queue of [`Command`]s from the HTTP side to a session's task: bounded (a sender
/// waits for room), one receiver (the task), closed by the task when it ends.
///
/// Why not a tokio `mpsc` channel: that allocates a block of 32 slots and a padded
/// channel header for every session up front (about 2 KB), while most sessions, those
/// that start on WebSocket, never receive a command. This queue allocates only when
/// something is queued.
pub(crate) struct Commands {
    queue: Mutex<CommandQueue>,
    /// One permit per free slot; closed with the queue, which fails waiting senders.
    space: Semaphore,
    /// Wakes the task when a command is queued (keeps a permit if it is not waiting).
    ready: Notify,
}

#[derive(Default)]
struct CommandQueue {
    items: VecDeque<Command>,
    closed: bool,
}

impl Commands {
    pub(crate) fn new(capacity: usize) -> Self {
        Commands {
            queue: Mutex::new(CommandQueue::default()),
            space: Semaphore::new(capacity),
            ready: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CommandQueue> {
        // Each critical section is one push, pop or flag: a poisoned lock is still sound.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `command`, waiting while the queue is full. Gives it back if the session
    /// has ended.
    pub(crate) async fn send(&self, command: Command) -> Result<(), Command> {
        let Ok(permit) = self.space.acquire().await else {
            return Err(command);
        };
        let mut queue = self.lock();
        if queue.closed {
            return Err(command);
        }
        // The slot is given back when the task takes the command.
        permit.forget();
        queue.items.push_back(command);
        drop(queue);
        self.ready.notify_one();
        Ok(())
    }

    /// Takes the next command without waiting.
    pub(crate) fn try_recv(&self) -> Option<Command> {
        let command = self.lock().items.pop_front()?;
        self.space.add_permits(1);
        Some(command)
    }

    /// Waits for the next command. Cancel-safe: a command is only taken when this
    /// returns it.
    pub(crate) async fn recv(&self) -> Command {
        loop {
            if let Some(command) = self.try_recv() {
                return command;
            }
            self.ready.notified().await;
        }
    }

    /// Refuses every later command (and fails senders waiting for room); what is already
    /// queued can still be taken.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.space.close();
    }
}

/// The table is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableFull;

#[derive(Default)]
pub(crate) struct SessionTable {
    map: Mutex<HashMap<Box<str>, Arc<Entry>>>,
    removed: Notify,
}

impl SessionTable {
    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, Arc<Entry>>> {
        // Each critical section is a single map operation: a panic cannot leave the
        // map inconsistent, so a poisoned lock is still sound to use.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Inserts unless `cap` sessions are already open.
    pub(crate) fn insert(&self, sid: &str, entry: Arc<Entry>, cap: usize) -> Result<(), TableFull> {
        let mut map = self.lock();
        if map.len() >= cap {
            return Err(TableFull);
        }
        map.insert(sid.into(), entry);
        Ok(())
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<Entry>> {
        self.lock().get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &str) {
        let removed = self.lock().remove(sid);
        if removed.is_some() {
            self.removed.notify_waiters();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Every entry, for closing them all (the lock is released before the caller acts).
    pub(crate) fn snapshot(&self) -> Vec<Arc<Entry>> {
        self.lock().values().cloned().collect()
    }

    /// Resolves once the table is empty.
    pub(crate) async fn wait_empty(&self) {
        loop {
            // Register before checking, so a removal between the check and the wait
            // is not missed.
            let notified = self.removed.notified();
            if self.len() == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;
    use tokio::sync::oneshot;

    use super::super::session::PollReply;
    use super::*;

    fn poll() -> (Command, oneshot::Receiver<PollReply>) {
        let (tx, rx) = oneshot::channel();
        (Command::Poll(tx), rx)
    }

    #[tokio::test]
    async fn commands_wait_for_room_and_are_refused_once_closed() {
        let commands = Commands::new(1);
        assert!(commands.send(poll().0).now_or_never().unwrap().is_ok());
        // Full: the second sender waits until the task takes the first command.
        let second = commands.send(poll().0);
        tokio::pin!(second);
        assert!(second.as_mut().now_or_never().is_none());
        assert!(matches!(commands.try_recv(), Some(Command::Poll(_))));
        assert!(second.as_mut().now_or_never().unwrap().is_ok());
        assert!(matches!(commands.recv().await, Command::Poll(_)));
        assert!(commands.try_recv().is_none());

        // Closed: what is queued can still be taken, nothing more is accepted, and a
        // sender waiting for room is refused too.
        assert!(commands.send(poll().0).await.is_ok());
        let waiting = commands.send(poll().0);
        tokio::pin!(waiting);
        assert!(waiting.as_mut().now_or_never().is_none());
        commands.close();
        assert!(waiting.await.is_err());
        assert!(commands.send(poll().0).await.is_err());
        let (command, mut reply) = poll();
        assert!(commands.send(command).await.is_err());
        assert!(commands.try_recv().is_some());
        assert!(commands.try_recv().is_none());
        // The refused command was handed back and dropped: its waiter sees the end.
        assert_eq!(
            reply.try_recv().unwrap_err(),
            oneshot::error::TryRecvError::Closed
        );
    }
}
