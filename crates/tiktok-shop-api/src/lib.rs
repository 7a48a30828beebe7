//! A client for the TikTok Shop Open API's order endpoints.
//!
//! Signed requests ([`sign`]), the response envelope and the `data` of each
//! endpoint ([`envelope`]), what every answer means ([`error`]), retries
//! with backoff ([`backoff`]) and the access-token refresh, behind one
//! [`ApiClient`]. The reference it follows is `docs/tiktok-shop-api.md` in
//! the repository (§1 signing, §3 search, §6 errors, §8 backoff).
//!
//! Secrets are sent and never shown: they stay [`Secret`]s up to the header
//! or hash that needs them, and every loaded secret is registered so that
//! [`secret::redact`] can scrub it from any text.
//!
//! This crate depends on nothing else of the workspace: the ETL and the
//! sandbox (which verifies signatures with the same [`sign::sign`]) both
//! build on it.

mod answer;
pub mod backoff;
mod client;
pub mod credentials;
pub mod envelope;
pub mod error;
mod fetch;
pub mod pace;
mod refresh;
mod request;
pub mod secret;
pub mod sign;
pub mod tokens;
pub mod window;

pub use backoff::Backoff;
pub use client::{ApiClient, ApiStats};
pub use credentials::{ApiConfig, Credentials, DEFAULT_AUTH_BASE_URL, DEFAULT_BASE_URL};
pub use envelope::{AuthorizedShop, OrdersPage, RawOrder};
pub use error::{ApiError, Rejection};
pub use pace::{Pacer, Rate};
pub use secret::Secret;
pub use tokens::{StoredTokens, TokenStore};
pub use window::Window;
