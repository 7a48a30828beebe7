//! Transient SQL Server failures retried from the start of the load.
//!
//! A deadlock victim, a failover, a dropped connection or a busy server
//! (`mssql/errors.rs` says which errors are transient) fail the attempt
//! and roll its transaction back; the next attempt starts over, from a new
//! connection and the first staged file, after a pause that grows. Bounded
//! by count and by time: after the last attempt the error goes to the
//! caller, which exits 1 so the scheduler may retry later. Each attempt
//! writes its own audit row.

use std::future::Future;
use std::time::{Duration, Instant};

use super::audit::error_text;
use super::error::LoadError;
use crate::failure::Failure;

/// Attempts in all, and the pause before each retry.
const PAUSES: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(30),
];
/// No retry starts after this long since the first attempt.
const RETRY_WINDOW: Duration = Duration::from_secs(600);

/// Runs `attempt` until it succeeds, fails for good, or the retries run out.
pub(super) async fn with_backoff<T, F, Fut>(attempt: F) -> Result<T, LoadError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, LoadError>>,
{
    with_pauses(attempt, &PAUSES, RETRY_WINDOW).await
}

async fn with_pauses<T, F, Fut>(
    mut attempt: F,
    pauses: &[Duration],
    window: Duration,
) -> Result<T, LoadError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, LoadError>>,
{
    let started = Instant::now();
    let mut pauses = pauses.iter();
    loop {
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let retryable = error.failure() == Failure::Retryable
            && matches!(
                error,
                LoadError::Database { .. } | LoadError::Unavailable(_)
            );
        match pauses.next() {
            Some(pause) if retryable && started.elapsed() + *pause < window => {
                tracing::warn!(
                    error = %error_text(&error),
                    retry_in_s = pause.as_secs(),
                    "the load failed on a transient error; retrying from the start"
                );
                tokio::time::sleep(*pause).await;
            }
            _ => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transient_errors_are_retried_a_bounded_number_of_times() {
        let pauses = [Duration::from_millis(1); 2];
        let mut calls = 0;
        let result: Result<(), LoadError> = with_pauses(
            || {
                calls += 1;
                async { Err(LoadError::Unavailable("down".into())) }
            },
            &pauses,
            Duration::from_secs(60),
        )
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 3, "one attempt and two retries");

        let mut calls = 0;
        let result = with_pauses(
            || {
                calls += 1;
                let n = calls;
                async move {
                    if n < 2 {
                        Err(LoadError::Unavailable("blip".into()))
                    } else {
                        Ok(n)
                    }
                }
            },
            &pauses,
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(result.unwrap(), 2);
    }

    #[tokio::test]
    async fn fatal_errors_and_a_spent_window_are_not_retried() {
        let pauses = [Duration::from_millis(1); 3];
        let mut calls = 0;
        let _ = with_pauses::<(), _, _>(
            || {
                calls += 1;
                async { Err(LoadError::Table("differs".into())) }
            },
            &pauses,
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(calls, 1);
        let mut calls = 0;
        let _ = with_pauses::<(), _, _>(
            || {
                calls += 1;
                async { Err(LoadError::Unavailable("down".into())) }
            },
            &pauses,
            Duration::ZERO,
        )
        .await;
        assert_eq!(calls, 1, "no retry may start after the window");
    }
}
