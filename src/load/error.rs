//! What can go wrong in a load, and whether a retry can help.

use crate::error::Failure;

type Source = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `--target` or `--table` cannot be used as given.
    #[error("{0}")]
    Target(String),
    /// The staged rows cannot be loaded as they are (duplicate keys, a value
    /// the table cannot hold, rows of another run).
    #[error("{0}")]
    Input(String),
    /// The table is missing or does not match the staged schema.
    #[error("{0}")]
    Table(String),
    /// The database refused or failed; `failure` says whether a retry helps.
    #[error("{message}")]
    Database {
        message: String,
        failure: Failure,
        #[source]
        source: Source,
    },
    /// The database did not answer in time or the connection broke.
    #[error("{0}")]
    Unavailable(String),
    /// A load task died (a bug, or the process is being shut down).
    #[error("the load stopped unexpectedly: {0}")]
    Task(String),
}

impl LoadError {
    pub fn failure(&self) -> Failure {
        match self {
            LoadError::Target(_)
            | LoadError::Input(_)
            | LoadError::Table(_)
            | LoadError::Task(_) => Failure::Fatal,
            LoadError::Database { failure, .. } => *failure,
            LoadError::Unavailable(_) => Failure::Retryable,
        }
    }

    pub(crate) fn database(
        message: String,
        failure: Failure,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        LoadError::Database {
            message,
            failure,
            source: Box::new(source),
        }
    }
}
