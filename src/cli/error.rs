//! The error a command ends with, over every stage's error, and the kind of
//! failure it is (retry, or fix something first).

use tiktok_shop_api::ApiError;

use crate::extract::ExtractError;
use crate::failure::Failure;
use crate::load::LoadError;
use crate::shop::NotAShopCipher;
use crate::store::StoreError;
use crate::transform::TransformError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag or variable cannot be used as given; the message says which.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Shop(#[from] NotAShopCipher),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A secret's `_FILE` cannot be read.
    #[error(transparent)]
    Secret(#[from] tiktok_shop_api::secret::SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Transform(#[from] TransformError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[cfg(feature = "sandbox")]
    #[error(transparent)]
    Sandbox(#[from] tiktok_shop_sandbox::args::ServeError),
    /// The async runtime could not start (out of threads or memory).
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("ETL_FAULT_FAIL_ONCE: cannot create {path}")]
    FaultMarker {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A fault injected on purpose through `ETL_FAULT_FAIL_ONCE` (testing hook).
    #[error("injected fault: {0} exists now, so the next attempt will run normally")]
    InjectedFault(String),
}

impl CliError {
    pub fn config(message: impl Into<String>) -> Self {
        CliError::Config(message.into())
    }

    pub fn failure(&self) -> Failure {
        match self {
            CliError::Config(_)
            | CliError::Shop(_)
            | CliError::Secret(_)
            | CliError::FaultMarker { .. } => Failure::Fatal,
            CliError::Api(e) => Failure::from_retryable(e.is_retryable()),
            CliError::Store(e) => e.failure(),
            CliError::Extract(e) => e.failure(),
            CliError::Transform(e) => e.failure(),
            CliError::Load(e) => e.failure(),
            #[cfg(feature = "sandbox")]
            CliError::Sandbox(_) => Failure::Fatal,
            CliError::Runtime(_) | CliError::InjectedFault(_) => Failure::Retryable,
        }
    }
}
