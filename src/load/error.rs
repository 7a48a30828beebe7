//! What can go wrong in a load, and whether a retry can help.

use crate::failure::Failure;
use crate::store::StoreError;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Every accepted form, for messages.
/// (Said by every error about `--target`.)
pub(crate) const FORMS: &str = "use sqlite://path/to/file.db (sqlite:///absolute/path.db), a SQL Server ADO.NET \
     connection string such as server=tcp:host,1433;database=Facolos_Staging;user id=tiktok_etl;\
     Encrypt=true;TrustServerCertificateCA=/path/to/ca.pem (password from DB_PASSWORD or DB_PASSWORD_FILE), or \
     mssql://user@host:1433/database";

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `--target` or `--table` cannot be used as given.
    #[error("{0}")]
    Target(String),
    /// `--target` does not parse; its source says where.
    #[error("{target} is not a valid target; {FORMS}")]
    TargetSyntax {
        target: String,
        #[source]
        source: Source,
    },
    /// The server certificate is to be checked but this machine has no CA
    /// roots (tiberius would panic).
    #[error(
        "SQL Server {target}: encryption is on and the server's certificate is to be checked, but no CA \
         certificates were found on this machine (an image without /etc/ssl/certs/ca-certificates.crt, or \
         SSL_CERT_FILE naming no bundle). Install the ca-certificates package or set SSL_CERT_FILE to a CA \
         bundle; or name the server's CA with TrustServerCertificateCA=/path/to/ca.pem; or skip the check \
         with TrustServerCertificate=true"
    )]
    TlsRoots {
        target: String,
        #[source]
        source: Option<std::io::Error>,
    },
    /// A password is to come from `DB_PASSWORD_FILE`, which cannot be read.
    #[error(transparent)]
    Password(#[from] tiktok_shop_api::secret::SecretError),
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
    /// Staged batches could not be regrouped to `ETL_BATCH_SIZE` rows.
    #[error(
        "cannot regroup the staged rows into batches (a bug: the files passed the schema check)"
    )]
    Regroup(#[source] arrow::error::ArrowError),
    /// A load task died (a bug, or the process is being shut down).
    #[error("the load stopped unexpectedly")]
    Task(#[source] Source),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LoadError {
    pub fn failure(&self) -> Failure {
        match self {
            LoadError::Target(_)
            | LoadError::TargetSyntax { .. }
            | LoadError::Password(_)
            | LoadError::Input(_)
            | LoadError::Table(_)
            | LoadError::Regroup(_)
            | LoadError::TlsRoots { .. }
            | LoadError::Task(_) => Failure::Fatal,
            LoadError::Database { failure, .. } => *failure,
            LoadError::Unavailable(_) => Failure::Retryable,
            LoadError::Store(e) => e.failure(),
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

    pub(crate) fn task(message: &str) -> Self {
        LoadError::Task(message.into())
    }
}
