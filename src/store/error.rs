use crate::error::Failure;
use crate::store::StageName;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {url:?}: {reason}")]
    Open { url: String, reason: String },
    #[error(
        "the {stage} stage has not finished for run {run_id:?}: {path} is missing; \
         run the {stage} stage for this run id first"
    )]
    MissingManifest {
        stage: StageName,
        run_id: String,
        path: String,
    },
    #[error("the manifest {path} is unreadable: {reason}")]
    Manifest { path: String, reason: String },
    #[error("cannot {op} {path}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot {op} the Parquet file {path}: {reason}")]
    Parquet {
        op: &'static str,
        path: String,
        reason: String,
        retryable: bool,
    },
}

impl StoreError {
    pub(crate) fn io(op: &'static str, path: String, source: object_store::Error) -> Self {
        StoreError::Io { op, path, source }
    }

    pub fn failure(&self) -> Failure {
        match self {
            StoreError::Open { .. }
            | StoreError::MissingManifest { .. }
            | StoreError::Manifest { .. } => Failure::Fatal,
            StoreError::Io { source, .. } => match source {
                object_store::Error::NotFound { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. } => Failure::Fatal,
                _ => Failure::Retryable,
            },
            StoreError::Parquet { retryable, .. } => {
                if *retryable {
                    Failure::Retryable
                } else {
                    Failure::Fatal
                }
            }
        }
    }
}
