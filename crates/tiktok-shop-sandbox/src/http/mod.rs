//! The HTTP side: the routes, the gateway steps every API request goes
//! through (faults, limits, signature and token checks), the endpoints,
//! and what they share. It reads the world and renders orders; nothing
//! below it knows it exists.

pub(crate) mod faults;
pub(crate) mod gateway;
pub(crate) mod latency;
pub(crate) mod paging;
pub(crate) mod quota;
pub(crate) mod rate_limit;
pub(crate) mod refresh;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod router;
pub(crate) mod search;
pub(crate) mod search_request;
pub(crate) mod shared;
pub(crate) mod shops;
pub(crate) mod stats;
pub(crate) mod tokens;
pub(crate) mod verify;
