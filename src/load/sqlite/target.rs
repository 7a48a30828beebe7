//! A SQLite target: `sqlite://path/to/file.db[?option=value&…]`.
//!
//! Options: `busy_timeout_ms=N` (how long a load waits for another writer,
//! default 5000), `journal_mode=wal|delete|truncate|persist|memory|off`
//! (default wal: readers read while a load writes) and
//! `synchronous=normal|full|extra|off` (default normal: with WAL a crash
//! loses at most the last commit, never consistency). The load that
//! creates the file journals by rollback until it commits (see `open` in
//! `mod.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::super::error::{FORMS, LoadError};

const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

#[derive(Debug, Clone)]
pub struct SqliteTarget {
    path: PathBuf,
    /// How long to wait for another writer before giving up (exit 1).
    busy_timeout: Duration,
    journal_mode: &'static str,
    synchronous: &'static str,
    display: String,
}

const JOURNAL_MODES: [&str; 6] = ["WAL", "DELETE", "TRUNCATE", "PERSIST", "MEMORY", "OFF"];
const SYNCHRONOUS: [&str; 4] = ["NORMAL", "FULL", "EXTRA", "OFF"];

/// `value` as one of `allowed` (case-insensitive).
fn one_of(
    option: &str,
    value: &str,
    allowed: &'static [&'static str],
) -> Result<&'static str, LoadError> {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value))
        .copied()
        .ok_or_else(|| {
            LoadError::Target(format!(
                "{option}={value} in the SQLite target is not one of {}",
                allowed.join(", ").to_ascii_lowercase()
            ))
        })
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
        let mut journal_mode = "WAL";
        let mut synchronous = "NORMAL";
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
                Some(("journal_mode", value)) => {
                    journal_mode = one_of("journal_mode", value, &JOURNAL_MODES)?
                }
                Some(("synchronous", value)) => {
                    synchronous = one_of("synchronous", value, &SYNCHRONOUS)?
                }
                _ => {
                    return Err(LoadError::Target(format!(
                        "unknown option {pair:?} in the SQLite target; the options are \
                         busy_timeout_ms=N, journal_mode=… and synchronous=…"
                    )));
                }
            }
        }
        Ok(SqliteTarget {
            path: PathBuf::from(path),
            busy_timeout,
            journal_mode,
            synchronous,
            display: raw.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    pub fn journal_mode(&self) -> &'static str {
        self.journal_mode
    }

    pub fn synchronous(&self) -> &'static str {
        self.synchronous
    }

    pub fn display(&self) -> &str {
        &self.display
    }
}
