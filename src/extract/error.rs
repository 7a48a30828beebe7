//! What can go wrong in an extract, and whether a retry can help.

use crate::failure::Failure;
use crate::source::OrderSource;
use crate::store::StoreError;

type Source = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The source (the marketplace API) failed; `retryable` says whether a
    /// later attempt may succeed.
    #[error("{source}")]
    Source {
        retryable: bool,
        #[source]
        source: Source,
    },

    /// The credentials may read no shop at all.
    #[error(
        "the access token is not authorized for any shop: authorize the app for a shop in Seller Center"
    )]
    NoShops,

    /// The source handed out a page token it had already given (a loop).
    #[error(
        "search orders of shop {shop}: page {page} (request_id {request_id}) returned a page token that was \
         already used, so paging would never end; narrow the window (--since/--until) and report the \
         request_id to TikTok Shop partner support"
    )]
    RepeatedPageToken {
        shop: String,
        page: u64,
        request_id: String,
    },

    /// A page could not become a batch of the raw schema (a bug).
    #[error("a page of raw orders does not fit the raw schema")]
    Batch(#[source] arrow::error::ArrowError),

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ExtractError {
    /// A source's error, with whether a retry may help.
    pub fn from_source<S: OrderSource>(error: S::Error) -> ExtractError {
        ExtractError::Source {
            retryable: S::is_retryable(&error),
            source: Box::new(error),
        }
    }

    pub fn failure(&self) -> Failure {
        match self {
            ExtractError::Source { retryable, .. } => Failure::from_retryable(*retryable),
            ExtractError::NoShops
            | ExtractError::RepeatedPageToken { .. }
            | ExtractError::Batch(_) => Failure::Fatal,
            ExtractError::Store(e) => e.failure(),
        }
    }
}
