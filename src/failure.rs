//! Whether a failed stage is worth retrying.
//!
//! Every module's error says which kind of failure it is; the command line
//! (`cli/`) turns the kind into the exit code Airflow acts on
//! (`docs/contracts.md`, "Exit codes"). This file imports nothing, so any
//! module can depend on it without tying itself to another.

/// How a failed run should be treated by whoever scheduled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Transient: network, API 5xx, rate limits, a database that is busy or
    /// unavailable. A later attempt may succeed as things are.
    Retryable,
    /// Configuration, credentials, input or schema: a retry repeats it until
    /// someone fixes something.
    Fatal,
}

impl Failure {
    /// `Retryable` when `retryable`, else `Fatal`.
    pub fn from_retryable(retryable: bool) -> Failure {
        if retryable {
            Failure::Retryable
        } else {
            Failure::Fatal
        }
    }
}
