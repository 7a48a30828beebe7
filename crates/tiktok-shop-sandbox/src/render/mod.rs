//! Rendering: an order of the world as the API's JSON at a given "now".
//! It reads the world and never changes it; the endpoints put what it
//! writes into pages.

pub(crate) mod amounts;
pub(crate) mod ids;
pub(crate) mod json;
pub(crate) mod line_items;
pub(crate) mod order;
pub(crate) mod payment;
pub(crate) mod recipient;
