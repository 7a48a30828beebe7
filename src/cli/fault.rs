//! The testing hook `ETL_FAULT_FAIL_ONCE=<path>`: when set and `<path>` does
//! not exist, create it and fail with a retryable error before doing any
//! work. The Airflow tests use it to prove that one stage is retried alone.

use super::error::CliError;

pub fn injected() -> Result<(), CliError> {
    let Some(marker) = std::env::var("ETL_FAULT_FAIL_ONCE")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(());
    };
    if std::path::Path::new(&marker).exists() {
        return Ok(());
    }
    std::fs::write(&marker, b"injected fault fired\n").map_err(|source| CliError::FaultMarker {
        path: marker.clone(),
        source,
    })?;
    Err(CliError::InjectedFault(marker))
}
