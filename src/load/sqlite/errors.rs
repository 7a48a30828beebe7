//! SQLite errors as retryable or not, with what to do about them.

use std::path::Path;

use rusqlite::ErrorCode;

use super::super::error::LoadError;
use crate::failure::Failure;

pub(super) fn database_error(what: &str, path: &Path, e: rusqlite::Error) -> LoadError {
    let code = e.sqlite_error_code();
    let (failure, hint) = match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            Failure::Retryable,
            "another process holds the database (another load, or a reader holding a write \
             transaction); retry later, or wait longer with ?busy_timeout_ms=N in the target",
        ),
        Some(ErrorCode::SystemIoFailure | ErrorCode::DiskFull) => (
            Failure::Retryable,
            "the disk failed or is full; free space and retry",
        ),
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => (
            Failure::Fatal,
            "check the path in --target and that this user may write it",
        ),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => (
            Failure::Fatal,
            "the file is not a usable SQLite database; point --target at another file",
        ),
        Some(ErrorCode::ConstraintViolation) => (
            Failure::Fatal,
            "the table holds several rows of one (order_id, item_id), as append loads leave them; \
             merge needs one per key: load once with --load-mode replace",
        ),
        _ => (Failure::Fatal, "this is not expected to pass on a retry"),
    };
    LoadError::database(
        format!("SQLite {}: cannot {what} ({hint})", path.display()),
        failure,
        e,
    )
}
