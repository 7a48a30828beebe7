//! The order world: what the shops sell and to whom, every order as a
//! deterministic plan, how orders live and change, and which of them a
//! search matches at a given "now". It knows nothing of HTTP or JSON; the
//! renderer and the endpoints read it, never the other way round.

pub(crate) mod basket;
pub(crate) mod bursts;
pub(crate) mod buyer;
pub(crate) mod catalog;
pub(crate) mod churn;
pub(crate) mod data_clock;
pub(crate) mod generator;
pub(crate) mod history;
pub(crate) mod lifecycle;
pub(crate) mod markets;
pub(crate) mod money;
pub(crate) mod orders;
pub(crate) mod overlay;
pub(crate) mod payment;
pub(crate) mod plan;
pub(crate) mod query;
pub(crate) mod rng;
pub(crate) mod status;
pub(crate) mod timeline;
pub(crate) mod timeline_edits;
pub(crate) mod window;
pub(crate) mod window_cache;
