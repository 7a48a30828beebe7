//! What can go wrong with the store, and whether a retry can help.

use crate::failure::Failure;
use crate::manifest::StageName;
use crate::schema::SchemaError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {url:?}: {reason}")]
    Open { url: String, reason: String },
    #[error("cannot open the store {url:?}")]
    Backend {
        url: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot open the store {url:?}: cannot create the directory")]
    Directory {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make {path} private to its owner")]
    Permissions {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot remove {path}, left by an earlier attempt that stopped while writing it")]
    Leftover {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the {stage} stage has not finished for run {run_id:?}: {path} is missing; \
         run the {stage} stage for this run id first"
    )]
    MissingManifest {
        stage: StageName,
        run_id: String,
        path: String,
    },
    #[error("the manifest {path} is unreadable; re-run the stage that wrote it")]
    Manifest {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot {op} {path}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: object_store::Error,
    },
    /// Writing failed (the disk or the network, not the data).
    #[error("cannot {op} the Parquet file {path}")]
    Write {
        op: &'static str,
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error(
        "cannot read the Parquet file {path}: the file is damaged or not Parquet; re-run the stage that wrote it"
    )]
    Corrupt {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

impl StoreError {
    pub(crate) fn io(op: &'static str, path: String, source: object_store::Error) -> Self {
        StoreError::Io { op, path, source }
    }

    pub fn failure(&self) -> Failure {
        match self {
            StoreError::Open { .. }
            | StoreError::Backend { .. }
            | StoreError::Directory { .. }
            | StoreError::Permissions { .. }
            | StoreError::Leftover { .. }
            | StoreError::MissingManifest { .. }
            | StoreError::Manifest { .. }
            | StoreError::Corrupt { .. }
            | StoreError::Schema(_) => Failure::Fatal,
            StoreError::Io { source, .. } => match source {
                object_store::Error::NotFound { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. } => Failure::Fatal,
                _ => Failure::Retryable,
            },
            StoreError::Write { .. } => Failure::Retryable,
        }
    }
}
