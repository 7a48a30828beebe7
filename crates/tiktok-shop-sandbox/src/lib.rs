//! A local simulator of the TikTok Shop Open API, for tests, demos and
//! development without a seller account.
//!
//! It behaves like the real API where a client can tell (reference
//! `docs/tiktok-shop-api.md`): signed requests verified over the raw body,
//! the timestamp window, access tokens that expire and refresh, shop
//! ciphers, opaque page tokens full of `+` and `/`, the error codes and HTTP
//! statuses, and realistic orders (one line item per unit, money strings
//! that add up, statuses that move with the clock). What a production
//! client must survive can be switched on one by one: live paging with
//! orders updated between pages, same-second bursts, latency, rate limits
//! and quotas, expiring and rotating tokens, result caps, 503s, malformed
//! amounts. At the end of a run the [`Sandbox`] says what a window held,
//! now and at any moment since it started, to judge an extraction by.
//!
//! Orders are a deterministic function of (seed, shop, config) and the
//! sandbox clock: with [`Clock::Frozen`] every response is reproducible
//! (in live paging, for the same sequence of requests). Request
//! timestamps and token lifetimes always follow the real clock, because
//! real clients stamp requests with it.
//!
//! The layers point one way: `http` (routes, gateway, endpoints) renders
//! orders with `render`, which reads the order `world`; the world knows
//! neither. Unit tests sit at the bottom of each file as plain `#[test]`
//! functions rather than in a nested `mod tests`, so that no file ever
//! names its parent module (or itself) and the import graph of files stays
//! free of cycles.

pub mod args;
mod config;
mod http;
mod oracle;
mod render;
mod sandbox;
mod world;

pub use args::{SandboxArgs, serve_cli};
pub use config::{ConfigError, SandboxConfig};
pub use http::stats::SandboxStats;
pub use http::tokens::IssuedTokens;
pub use oracle::{Expected, OrderVersion, WindowHistory};
pub use sandbox::Sandbox;
pub use world::data_clock::Clock;
