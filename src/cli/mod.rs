//! The command lines: the three stage binaries and `tiktok-etl`.
//!
//! Everything a user types is parsed and checked here, into the typed
//! configurations of the stages, before any data moves. The exit-code error
//! over every stage's error ([`error::CliError`]) lives here too, and
//! nothing below `cli/` imports it: errors flow up, exit codes are decided
//! in one place ([`exit`]).

pub mod app;
pub mod args;
mod check;
pub mod error;
pub mod exit;
mod fault;
mod inspect;
mod run;
#[cfg(feature = "sandbox")]
mod sandbox;
pub mod stages;
