//! The sandbox over HTTP on loopback, as a client sees it: the gateway
//! rules, the data, the faults, and the unkind behaviours a lossless
//! extractor must survive. One test binary, so the crate links once.

mod faults;
mod gateway;
mod golden;
mod orders;
mod util;
