//! Housekeeping (issue 5 item 4): files no message carries are deleted once older than
//! `unattached_ttl` — the record first (the store refuses if a message took the file in
//! the meantime), then the bytes. A periodic task runs [`sweep_once`], and also removes
//! partial uploads left by a process killed mid-upload once they are as old.

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use huddle_storage::{Store, StoreError};

use super::FilesService;
use super::disk::DataDir;
use crate::chat::clock::now;

/// Records examined per store query.
pub const SWEEP_BATCH: u32 = 100;
/// Most batches per sweep, so one sweep is bounded; the rest waits for the next.
pub const SWEEP_MAX_BATCHES: usize = 100;

/// Deletes every unattached file created before `cutoff` (up to the bounds above);
/// returns how many were deleted.
pub async fn sweep_once(
    store: &dyn Store,
    dir: &DataDir,
    cutoff: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut deleted = 0;
    for _ in 0..SWEEP_MAX_BATCHES {
        let batch = store.unattached_files_before(cutoff, SWEEP_BATCH).await?;
        let mut progressed = false;
        for record in &batch {
            match store.delete_file(record.id).await {
                Ok(()) => {
                    progressed = true;
                    deleted += 1;
                    if let Err(e) = dir.remove(&record.storage_key).await {
                        tracing::error!(file_id = record.id, error = %e, "cannot remove the bytes of a deleted file");
                    }
                }
                // Attached since it was listed, or already removed by another instance.
                Err(StoreError::FileAttached(_)) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        if batch.len() < SWEEP_BATCH as usize || !progressed {
            break;
        }
    }
    Ok(deleted)
}

/// Runs [`sweep_once`] every `sweep_interval` until `shutdown` is cancelled.
pub fn spawn_sweeper(
    files: FilesService,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let interval = files.config().sweep_interval;
        let ttl = chrono::Duration::from_std(files.config().unattached_ttl)
            .unwrap_or(chrono::Duration::MAX);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
            let cutoff = now(files.clock().as_ref())
                .checked_sub_signed(ttl)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            // Partial uploads of a killed process: aged by the system clock (file times).
            let partial_cutoff = std::time::SystemTime::now()
                .checked_sub(files.config().unattached_ttl)
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
            let dir = files.dir().clone();
            match tokio::task::spawn_blocking(move || dir.remove_stale_partials(partial_cutoff))
                .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(removed = n, "removed stale partial uploads"),
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot clean partial uploads"),
                Err(e) => tracing::warn!(error = %e, "partial upload cleanup task failed"),
            }
            match sweep_once(files.store().as_ref(), files.dir(), cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "removed unattached files"),
                Err(e) => {
                    tracing::warn!(error = %e, "file housekeeping failed; retrying at the next sweep")
                }
            }
        }
    })
}
