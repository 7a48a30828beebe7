//! SQL Server errors as retryable or not, with what to do about them.
//!
//! Classified by error number ([`classify_code`], a plain function so every
//! number is tested here without a server). Transient errors (deadlock,
//! lock or memory pressure, failover, a dropped connection) are retried by
//! `load/retry.rs` and end in exit 1; configuration errors (login, missing
//! database, permissions) end in exit 2 with what to fix. Messages of
//! errors that quote row values (2628 quotes the truncated value: a name,
//! a phone, an address) never reach the error chain: their source is
//! replaced by [`Withheld`], which keeps the number and severity only.

use super::super::error::LoadError;
use crate::failure::Failure;

/// A server error whose message is not shown because it may quote row
/// values (personal data).
#[derive(Debug, thiserror::Error)]
#[error(
    "SQL Server error {code}, severity {class} (its message quotes row values and is not shown)"
)]
pub(super) struct Withheld {
    code: u32,
    class: u8,
}

/// Errors whose message quotes the values of a row.
const QUOTES_VALUES: [u32; 10] = [2628, 8152, 2627, 2601, 515, 547, 245, 8114, 241, 1505];

/// The application lock of another load of the table was not released in
/// time (`sql.rs`, `apply`).
pub(super) const APPLOCK_TIMEOUT: u32 = 51_000;
/// `replace` with no staged row, refused by the server-side guard.
pub(super) const EMPTY_REPLACE: u32 = 51_001;

/// Wraps a tiberius error met while doing `what` on `target`.
pub(super) fn database_error(what: &str, target: &str, e: tiberius::error::Error) -> LoadError {
    use tiberius::error::Error as E;
    let (failure, hint) = match &e {
        E::Io { .. } => (
            Failure::Retryable,
            "the connection failed or broke; is the server up and reachable?".to_owned(),
        ),
        E::Tls(_) => (Failure::Fatal, TLS_HINT.to_owned()),
        E::Routing { .. } => (
            Failure::Retryable,
            "the server redirected the connection twice".to_owned(),
        ),
        E::Protocol(text) if text.contains("Never got") => (
            Failure::Retryable,
            "the connection broke in the middle of an answer".to_owned(),
        ),
        E::Server(token) => {
            let (failure, hint) = classify_code(token.code(), token.class());
            let hint = match (token.code(), truncated_column(token.message())) {
                (2628, Some(column)) => format!(
                    "a value is too long for column {column}: compare the table to sql/staging/"
                ),
                _ => hint.to_owned(),
            };
            (failure, hint)
        }
        _ => (
            Failure::Fatal,
            "this is not expected to pass on a retry".to_owned(),
        ),
    };
    let message = format!("SQL Server {target}: cannot {what} ({hint})");
    match &e {
        E::Server(token) if QUOTES_VALUES.contains(&token.code()) => LoadError::database(
            message,
            failure,
            Withheld {
                code: token.code(),
                class: token.class(),
            },
        ),
        _ => LoadError::database(message, failure, e),
    }
}

pub(super) const TLS_HINT: &str = "the TLS handshake failed. A server with a self-signed certificate (the default \
     install, the container image) needs its CA: TrustServerCertificateCA=/path/to/ca.pem, or \
     TrustServerCertificate=true to accept any certificate (the session stays encrypted, the server is not \
     authenticated). A server without TLS needs Encrypt=false, which still encrypts the login";

/// Whether error number `code` (severity `class`) is worth a retry, and
/// what to do about it.
pub(super) fn classify_code(code: u32, class: u8) -> (Failure, &'static str) {
    let retry = |hint| (Failure::Retryable, hint);
    let fatal = |hint| (Failure::Fatal, hint);
    match code {
        1205 => retry("chosen as a deadlock victim"),
        1222 => retry(
            "a lock wait passed the load's LOCK_TIMEOUT: another session holds rows of the table",
        ),
        APPLOCK_TIMEOUT => retry(
            "another load of this table holds its application lock; this one waited and gave up: retry later",
        ),
        1204 => retry("the server ran out of lock resources"),
        701 | 8645 | 8651 => retry("the server is short of memory"),
        18401 => retry(
            "the server is in script upgrade mode; it will accept logins when the upgrade ends",
        ),
        40613 | 40197 | 40501 | 10928 | 10929 | 49918 | 49919 | 49920 | 4221 | 40540 => {
            retry("the database is unavailable (starting, failing over or busy)")
        }
        233 | 10053 | 10054 | 10060 | 64 | 121 => retry("the connection broke"),
        2714 => retry("another load created the same table at the same moment; the retry finds it"),
        4060 => fatal(
            "the database in database= cannot be opened by this login: check its name, and that the login has a \
             user in it (sql/02_create_etl_login.sql)",
        ),
        18456 => fatal("login failed: check user id in --target and the password (DB_PASSWORD)"),
        18452 | 18486 | 18487 | 18488 => {
            fatal("the login cannot be used (locked, expired or untrusted): check it with a DBA")
        }
        208 => fatal("an object is missing: apply sql/ to the staging database"),
        229 | 230 | 262 | 297 | 300 | 916 | 1088 => fatal(
            "permission denied: the login needs SELECT, INSERT, UPDATE and DELETE on the table and on \
             etl_load_audit (and CREATE TABLE and ALTER on the schema for --create-table); see \
             sql/02_create_etl_login.sql, and run tiktok-etl check",
        ),
        2628 | 8152 => {
            fatal("a value is too long for its column: compare the table to sql/staging/")
        }
        2601 | 2627 => fatal(
            "a unique key would be duplicated: the table holds several rows of one (order_id, item_id), as \
             append loads leave them; merge needs one per key: load once with --load-mode replace",
        ),
        EMPTY_REPLACE => {
            fatal("replace with no staged row would empty the table: see --allow-empty-replace")
        }
        1105 | 9002 => fatal("the database or its log is full: a DBA must make room"),
        // Severity 20 and up ends the connection: server-side trouble.
        _ if class >= 20 => retry("the server ended the connection"),
        _ => fatal("this is not expected to pass on a retry"),
    }
}

/// The column named by error 2628 ("… in table 'x', column 'y'. Truncated
/// value: …"); the value itself is never read.
fn truncated_column(message: &str) -> Option<String> {
    let start = message.find("column '")? + "column '".len();
    let end = message[start..].find('\'')?;
    Some(message[start..start + end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_retryable_and_tls_is_not() {
        let io = tiberius::error::Error::Io {
            kind: std::io::ErrorKind::ConnectionReset,
            message: "reset".into(),
        };
        let err = database_error("bulk load", "server=tcp:h,1", io);
        assert_eq!(err.failure(), Failure::Retryable);
        assert!(
            err.to_string()
                .starts_with("SQL Server server=tcp:h,1: cannot bulk load"),
            "{err}"
        );
        let tls = database_error(
            "log in",
            "t",
            tiberius::error::Error::Tls("bad cert".into()),
        );
        assert_eq!(tls.failure(), Failure::Fatal);
        let text = tls.to_string();
        assert!(
            text.contains("TrustServerCertificateCA=")
                && text.contains("TrustServerCertificate=true"),
            "the hint names both ways out: {text}"
        );
        let dropped = tiberius::error::Error::Protocol("Never got DONE token.".into());
        assert_eq!(
            database_error("apply", "t", dropped).failure(),
            Failure::Retryable
        );
    }

    #[test]
    fn error_numbers_are_classified_as_the_issue_lists_them() {
        for code in [
            1205,
            1222,
            1204,
            701,
            8645,
            18401,
            40613,
            233,
            APPLOCK_TIMEOUT,
        ] {
            assert_eq!(classify_code(code, 16).0, Failure::Retryable, "{code}");
        }
        for code in [4060, 18456, 229, 2628, 8152, 2627, 208, 9002, EMPTY_REPLACE] {
            assert_eq!(classify_code(code, 16).0, Failure::Fatal, "{code}");
        }
        assert!(classify_code(4060, 11).1.contains("database="));
        assert_eq!(classify_code(99_999, 20).0, Failure::Retryable);
        assert_eq!(classify_code(99_999, 16).0, Failure::Fatal);
    }

    #[test]
    fn a_truncation_names_the_column_never_the_value() {
        let message = "String or binary data would be truncated in table 'Facolos_Staging.dbo.t', \
                       column 'recipient_phone'. Truncated value: '+84 912 345 678'.";
        assert_eq!(
            truncated_column(message).as_deref(),
            Some("recipient_phone")
        );
        let withheld = Withheld {
            code: 2628,
            class: 16,
        };
        let err = LoadError::database("cannot load".into(), Failure::Fatal, withheld);
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        assert!(
            chain.contains("error 2628") && !chain.contains("912"),
            "{chain}"
        );
        assert!(QUOTES_VALUES.contains(&2628) && QUOTES_VALUES.contains(&8152));
    }
}
