//! TikTok Shop orders ETL.
//!
//! Three stages — [`extract`], [`transform`], [`load`] — talk to each other
//! only through the Parquet [`store`], keyed by a [`run_id::RunId`]. The
//! [`schema`] module holds the Arrow schemas that are the contract between
//! them; [`api`] is the signed TikTok Shop Open API client and [`sandbox`] a
//! local simulator of that API. The thin binaries under `src/bin/` parse
//! flags ([`cli`]), call one of these and map the result to an exit code.

pub mod api;
pub mod check;
pub mod cli;
pub mod error;
pub mod extract;
pub mod inspect;
pub mod load;
pub mod manifest;
pub mod pipeline;
pub mod run_id;
pub mod sandbox;
pub mod schema;
pub mod secret;
pub mod store;
pub mod telemetry;
pub mod transform;

pub use error::{Error, Result};

/// The version written into every manifest.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
