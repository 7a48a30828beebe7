//! A SQLite target: `sqlite://path/to/file.db[?busy_timeout_ms=N]`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::super::error::{FORMS, LoadError};

const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

#[derive(Debug, Clone)]
pub struct SqliteTarget {
    path: PathBuf,
    /// How long to wait for another writer before giving up (exit 1).
    busy_timeout: Duration,
    display: String,
}

impl SqliteTarget {
    /// `rest` is what follows `sqlite://` in `raw`.
    pub(crate) fn parse(rest: &str, raw: &str) -> Result<SqliteTarget, LoadError> {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(LoadError::Target(format!(
                "the SQLite target names no file; {FORMS}"
            )));
        }
        let mut busy_timeout = DEFAULT_BUSY_TIMEOUT;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("busy_timeout_ms", ms)) => {
                    let ms: u64 = ms.parse().map_err(|_| {
                        LoadError::Target(format!(
                            "busy_timeout_ms={ms} in the SQLite target is not a number of milliseconds"
                        ))
                    })?;
                    busy_timeout = Duration::from_millis(ms);
                }
                _ => {
                    return Err(LoadError::Target(format!(
                        "unknown option {pair:?} in the SQLite target; the only one is busy_timeout_ms=N"
                    )));
                }
            }
        }
        Ok(SqliteTarget {
            path: PathBuf::from(path),
            busy_timeout,
            display: raw.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    pub fn display(&self) -> &str {
        &self.display
    }
}
