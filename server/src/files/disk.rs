//! Where uploaded bytes live: one directory (`HUDDLE_DATA_DIR`, or a temporary directory
//! in demo mode), each file under a random storage key, uploads in progress under a
//! temporary name that is removed if the upload does not complete (issue 5 items 1 and 4).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempfile::{NamedTempFile, TempDir};

/// Prefix of uploads in progress (never a storage key: keys are hex).
pub const PARTIAL_PREFIX: &str = ".upload-";

/// The data directory. Cheap to clone; a temporary one is removed when the last clone drops.
#[derive(Clone, Debug)]
pub struct DataDir {
    path: PathBuf,
    _temp: Option<Arc<TempDir>>,
}

impl DataDir {
    /// `path`, created if missing.
    pub fn open(path: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(path)?;
        Ok(DataDir {
            path: path.to_path_buf(),
            _temp: None,
        })
    }

    /// A fresh temporary directory, removed when dropped (demo mode, tests).
    pub fn temporary() -> io::Result<Self> {
        let temp = tempfile::Builder::new().prefix("huddle-files-").tempdir()?;
        Ok(DataDir {
            path: temp.path().to_path_buf(),
            _temp: Some(Arc::new(temp)),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it is a temporary directory.
    pub fn is_temporary(&self) -> bool {
        self._temp.is_some()
    }

    /// A new upload in progress: deleted when dropped unless persisted, so an aborted
    /// upload (even one whose task is cancelled) leaves no bytes behind.
    pub fn partial(&self) -> io::Result<NamedTempFile> {
        tempfile::Builder::new()
            .prefix(PARTIAL_PREFIX)
            .suffix(".part")
            .tempfile_in(&self.path)
    }

    /// A new random storage key (128 bits, hex).
    pub fn new_key() -> io::Result<String> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(io::Error::other)?;
        Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The path of a stored key; `None` for a key this module did not make (no path
    /// can ever escape the directory).
    pub fn file_path(&self, key: &str) -> Option<PathBuf> {
        let valid =
            !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.path.join(key))
    }

    /// Removes uploads in progress last modified before `cutoff`: left by a process that
    /// was killed mid-upload (a live upload writes continuously, so it is never that old).
    /// Returns how many were removed.
    pub fn remove_stale_partials(&self, cutoff: std::time::SystemTime) -> io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            let name = entry.file_name();
            let is_partial = name
                .to_str()
                .is_some_and(|n| n.starts_with(PARTIAL_PREFIX) && n.ends_with(".part"));
            if !is_partial {
                continue;
            }
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < cutoff);
            if stale {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }

    /// Removes a stored file; a file already gone is not an error.
    pub async fn remove(&self, key: &str) -> io::Result<()> {
        let Some(path) = self.file_path(key) else {
            return Ok(());
        };
        match tokio::fs::remove_file(path).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hex_and_paths_stay_inside() {
        let dir = DataDir::temporary().unwrap();
        let key = DataDir::new_key().unwrap();
        assert_eq!(key.len(), 32);
        assert_eq!(dir.file_path(&key).unwrap().parent().unwrap(), dir.path());
        assert!(dir.file_path("../x").is_none());
        assert!(dir.file_path("").is_none());
        assert!(dir.file_path(".upload-x.part").is_none());
    }

    #[test]
    fn stale_partials_are_removed_and_nothing_else() {
        let dir = DataDir::temporary().unwrap();
        let partial = dir.partial().unwrap();
        let (_file, kept) = partial.keep().unwrap();
        std::fs::write(dir.path().join("00ff"), b"stored").unwrap();
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(dir.remove_stale_partials(past).unwrap(), 0);
        assert!(kept.exists());
        let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        assert_eq!(dir.remove_stale_partials(future).unwrap(), 1);
        assert!(!kept.exists());
        assert!(dir.path().join("00ff").exists());
    }

    #[test]
    fn a_dropped_partial_leaves_nothing() {
        let dir = DataDir::temporary().unwrap();
        let p = dir.partial().unwrap();
        let path = p.path().to_path_buf();
        assert!(path.exists());
        drop(p);
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
