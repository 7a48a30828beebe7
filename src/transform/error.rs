//! What can go wrong in a transform, and whether a retry can help. A bad
//! record is not an error: it becomes a reject.

use crate::failure::Failure;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A worker thread died (a bug, or the process is being shut down).
    #[error("a transform worker stopped unexpectedly")]
    Task(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Rows could not become a batch of their schema (a bug).
    #[error("cannot build a batch of {what}")]
    Batch {
        what: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
}

impl TransformError {
    pub fn failure(&self) -> Failure {
        match self {
            TransformError::Store(e) => e.failure(),
            TransformError::Batch { .. } | TransformError::Task(_) => Failure::Fatal,
        }
    }
}
