//! SQL Server errors as retryable or not, with what to do about them.

use super::super::error::LoadError;
use crate::failure::Failure;

/// Wraps a tiberius error met while doing `what` on `target`.
pub(super) fn database_error(what: &str, target: &str, e: tiberius::error::Error) -> LoadError {
    let (failure, hint) = classify(&e);
    let hint = match hint {
        Hint::Fixed(text) => text.to_owned(),
        Hint::Truncated => truncated_column(&e).map_or_else(
            || "a value is too long for its column: compare the table to sql/staging/".to_owned(),
            |column| {
                format!(
                    "a value is too long for column {column}: compare the table to sql/staging/"
                )
            },
        ),
    };
    LoadError::database(
        format!("SQL Server {target}: cannot {what} ({hint})"),
        failure,
        e,
    )
}

enum Hint {
    Fixed(&'static str),
    Truncated,
}

fn classify(e: &tiberius::error::Error) -> (Failure, Hint) {
    use tiberius::error::Error as E;
    let fixed = |failure, text| (failure, Hint::Fixed(text));
    match e {
        E::Io { .. } => fixed(
            Failure::Retryable,
            "the connection failed; is the server up and reachable?",
        ),
        E::Tls(_) => fixed(
            Failure::Fatal,
            "TLS failed: add TrustServerCertificate=true for a self-signed certificate, or encrypt=false",
        ),
        E::Routing { .. } => fixed(
            Failure::Retryable,
            "the server redirected the connection twice",
        ),
        E::Server(token) => match token.code() {
            1205 => fixed(Failure::Retryable, "chosen as a deadlock victim"),
            1222 => fixed(Failure::Retryable, "a lock wait timed out"),
            4060 | 40613 | 40197 | 40501 | 10928 | 10929 | 49918 | 49919 | 49920 | 4221 => fixed(
                Failure::Retryable,
                "the database is unavailable (starting, failing over or busy); check database= if this persists",
            ),
            18456 => fixed(
                Failure::Fatal,
                "login failed: check the user in --target and DB_PASSWORD",
            ),
            18452 | 18486 | 18487 | 18488 => fixed(
                Failure::Fatal,
                "the login cannot be used: check it with a DBA",
            ),
            208 => fixed(
                Failure::Fatal,
                "an object is missing: apply sql/ to the staging database",
            ),
            229 | 230 | 262 | 297 | 300 | 916 | 1088 => fixed(
                Failure::Fatal,
                "permission denied: the login needs SELECT, INSERT, UPDATE and DELETE on the table \
                 (and CREATE TABLE for --create-table); see sql/02_create_etl_login.sql",
            ),
            2628 | 8152 => (Failure::Fatal, Hint::Truncated),
            2601 | 2627 => fixed(
                Failure::Fatal,
                "a unique key would be duplicated: the table holds several rows of one (order_id, item_id), \
                 as append loads leave them; merge needs one per key: load once with --load-mode replace",
            ),
            1105 | 9002 => fixed(
                Failure::Fatal,
                "the database or its log is full: a DBA must make room",
            ),
            // Severity 20 and up ends the connection: server-side trouble.
            _ if token.class() >= 20 => {
                fixed(Failure::Retryable, "the server ended the connection")
            }
            _ => fixed(Failure::Fatal, "this is not expected to pass on a retry"),
        },
        _ => fixed(Failure::Fatal, "this is not expected to pass on a retry"),
    }
}

/// The column named by error 2628 ("… in table 'x', column 'y'. Truncated
/// value: …"); 8152 names none.
fn truncated_column(e: &tiberius::error::Error) -> Option<String> {
    let tiberius::error::Error::Server(token) = e else {
        return None;
    };
    let message = token.message();
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
            kind: std::io::ErrorKind::ConnectionRefused,
            message: "refused".into(),
        };
        let err = database_error("connect", "server=tcp:h,1", io);
        assert_eq!(err.failure(), Failure::Retryable);
        assert!(
            err.to_string()
                .starts_with("SQL Server server=tcp:h,1: cannot connect"),
            "{err}"
        );
        assert_eq!(
            database_error("connect", "t", tiberius::error::Error::Tls("x".into())).failure(),
            Failure::Fatal
        );
    }
}
