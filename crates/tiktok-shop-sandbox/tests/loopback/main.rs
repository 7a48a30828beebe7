//! The sandbox over HTTP on loopback, as a client sees it: the gateway
//! rules, the data, the faults, and the unkind behaviours a lossless
//! extractor must survive. One test binary, so the crate links once.

mod bursts;
mod faults;
mod gateway;
mod golden;
mod latency;
mod limits;
mod live_paging;
mod oracles;
mod orders;
mod result_cap;
mod tokens;
mod util;
