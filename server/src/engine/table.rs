//! The session table: session id → the channel to the session's task, with the cap on
//! concurrent sessions.
//!
//! A plain `std::sync::Mutex` around a `HashMap`: every critical section is one
//! insert, lookup or removal, never held across an `.await`, so an async lock would
//! only add cost. Removals wake [`SessionTable::wait_empty`] (shutdown, tests).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, mpsc};

use super::api::{SessionHandle, SessionShared};
use super::session::Command;

/// One open session as the HTTP side sees it.
pub(crate) struct Entry {
    pub(super) shared: Arc<SessionShared>,
    pub(super) commands: mpsc::Sender<Command>,
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
