//! TikTok Shop orders ETL.
//!
//! Three stages — [`extract`], [`transform`], [`load`] — talk to each other
//! only through the Parquet [`store`], keyed by a [`run_id::RunId`]; what
//! each wrote is in its [`manifest`]. The [`schema`] module holds the Arrow
//! schemas that are the contract between them, and [`source`] the seam to
//! the marketplace (TikTok Shop, through the `tiktok-shop-api` crate). The
//! thin binaries under `src/bin/` call [`cli`], the only place that parses
//! flags and decides exit codes.
//!
//! Module dependencies point one way, checked by `tests/it/architecture.rs`:
//! `cli` → the stages → `source`, `store`, `schema`, `manifest` → the
//! leaves (`failure`, `money`, `run_id`, `shop`).

pub mod cli;
pub mod extract;
pub mod failure;
pub mod inspect;
pub mod load;
pub mod manifest;
pub mod money;
pub mod run_id;
pub mod schema;
pub mod shop;
pub mod source;
pub mod store;
pub mod telemetry;
pub mod transform;
