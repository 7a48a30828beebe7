//! The crate-level error: every module's error, plus the exit code it maps to.
//!
//! Exit codes are a contract with Airflow (DESIGN.md): 1 means "worth
//! retrying", 2 means "retrying will not help, fix something first".

use crate::{api::ApiError, load::LoadError, schema::SchemaError, store::StoreError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a failed run should be treated by whoever scheduled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Exit 1: transient (network, 5xx, rate limit, database unavailable).
    Retryable,
    /// Exit 2: configuration, credentials, input or schema; a retry repeats it.
    Fatal,
}

impl Failure {
    pub fn exit_code(self) -> u8 {
        match self {
            Failure::Retryable => 1,
            Failure::Fatal => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags, environment or configuration; the message says what to fix.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A fault injected on purpose through `ETL_FAULT_FAIL_ONCE` (testing hook).
    #[error("injected fault: {0} exists now, so the next attempt will run normally")]
    InjectedFault(String),
}

impl Error {
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    pub fn failure(&self) -> Failure {
        match self {
            Error::Config(_) | Error::Schema(_) => Failure::Fatal,
            Error::Store(e) => e.failure(),
            Error::Api(e) => e.failure(),
            Error::Load(e) => e.failure(),
            Error::InjectedFault(_) => Failure::Retryable,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.failure().exit_code()
    }
}
