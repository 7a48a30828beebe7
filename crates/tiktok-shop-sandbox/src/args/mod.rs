//! `tiktok-etl sandbox`: its flags (the basic ones, the real API's unkind
//! habits, tokens and limits) and running the sandbox in the foreground.

pub(crate) mod flags;
pub(crate) mod realism_flags;
pub(crate) mod serve;
pub(crate) mod token_flags;

pub use flags::SandboxArgs;
pub use realism_flags::RealismArgs;
pub use serve::{ServeError, serve_cli};
pub use token_flags::TokenArgs;
