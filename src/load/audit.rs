//! The load audit: one row per load attempt in `etl_load_audit`, beside the
//! staging table, for a DBA who asks "what did last night's load do?".
//!
//! A backend writes the row with outcome `started` in its own short
//! transaction before the load's, sets it to `succeeded` with the counts in
//! the load's own transaction (so the row and the data commit together), and
//! to `failed` with the error in a separate transaction after a rollback. A
//! row still `started` with no `finished_at` is a load that is running or
//! died (killed, machine lost): its data transaction never committed. The
//! error text is the error chain with every known secret redacted, and never
//! a database message that quotes row values (`mssql/errors.rs`).

use tiktok_shop_api::secret;

/// The audit table's name (in the staging table's schema on SQL Server).
pub(crate) const TABLE: &str = "etl_load_audit";

/// The longest error text kept (NVARCHAR(4000)).
const MAX_ERROR_CHARS: usize = 4000;

/// What became of a load attempt (besides `started`, which each backend
/// writes in its audit insert).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
        }
    }
}

/// The error and its causes, `: `-separated, each shown once, secrets
/// redacted, cut to what the column holds.
pub(crate) fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    // Chains are short; the bound keeps a cyclic source from looping.
    for _ in 0..32 {
        let Some(cause) = source else { break };
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    secret::redact(&text)
        .chars()
        .take(MAX_ERROR_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiktok_shop_api::Secret;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn error_text_keeps_causes_and_drops_secrets() {
        let secret = Secret::new("audit-Secret-9x");
        let inner = std::io::Error::other(format!("login with {} refused", secret.expose()));
        let text = error_text(&Outer(inner));
        assert_eq!(text, "outer: login with [redacted] refused");
        let long = std::io::Error::other("x".repeat(5000));
        assert_eq!(error_text(&long).chars().count(), MAX_ERROR_CHARS);
        assert_eq!(Outcome::Failed.as_str(), "failed");
    }
}
