//! `--target`: where the rows go, parsed once at start-up, shown without
//! its password.
//!
//! Accepted forms:
//!
//! * `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, optionally
//!   with `?busy_timeout_ms=N` (how long to wait for another writer, default
//!   5000);
//! * a SQL Server ADO.NET connection string,
//!   `server=tcp:host,1433;database=Facolos_Staging;user id=tiktok_etl;TrustServerCertificate=true`
//!   (keys are case-insensitive; parsed by tiberius);
//! * `mssql://user@host:1433/database?TrustServerCertificate=true&encrypt=true`.
//!
//! Each backend owns its target type (`sqlite/target.rs`,
//! `mssql/target.rs`); this file only tells the forms apart.

use tiktok_shop_api::Secret;
use tiktok_shop_api::secret::SecretError;

use super::error::{FORMS, LoadError};
use super::mssql::target::SqlServerTarget;
use super::sqlite::target::SqliteTarget;

/// A parsed `--target`.
#[derive(Debug, Clone)]
pub enum Target {
    Sqlite(SqliteTarget),
    SqlServer(SqlServerTarget),
}

impl Target {
    /// Parses `raw`, taking a missing SQL Server password from `DB_PASSWORD`.
    pub fn parse(raw: &str) -> Result<Target, LoadError> {
        Self::parse_with(raw, || Secret::from_env("DB_PASSWORD"))
    }

    /// [`Target::parse`] with the password lookup passed in (tests).
    pub fn parse_with(
        raw: &str,
        env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
    ) -> Result<Target, LoadError> {
        let raw = raw.trim();
        match raw.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sqlite") => {
                SqliteTarget::parse(rest, raw).map(Target::Sqlite)
            }
            Some((scheme, _))
                if ["mssql", "sqlserver"]
                    .iter()
                    .any(|s| scheme.eq_ignore_ascii_case(s)) =>
            {
                SqlServerTarget::parse_url(raw, env_password).map(Target::SqlServer)
            }
            Some((scheme, _)) => Err(LoadError::Target(format!(
                "the target scheme {scheme}:// is not supported; {FORMS}"
            ))),
            None if raw.contains('=') => {
                SqlServerTarget::parse_ado(raw, env_password).map(Target::SqlServer)
            }
            None => Err(LoadError::Target(format!(
                "the target is neither a URL nor a connection string; {FORMS}"
            ))),
        }
    }

    /// The target for messages and the manifest: never holds a password.
    pub fn display(&self) -> &str {
        match self {
            Target::Sqlite(t) => t.display(),
            Target::SqlServer(t) => t.display(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use tiktok_shop_api::secret;

    fn no_env() -> Result<Option<Secret>, SecretError> {
        Ok(None)
    }

    fn sqlite_path(raw: &str) -> PathBuf {
        match Target::parse_with(raw, no_env).unwrap() {
            Target::Sqlite(t) => t.path().to_owned(),
            Target::SqlServer(_) => panic!("{raw} is not SQLite"),
        }
    }

    #[test]
    fn sqlite_paths_relative_and_absolute() {
        assert_eq!(
            sqlite_path("sqlite://./data/staging.db"),
            PathBuf::from("./data/staging.db")
        );
        assert_eq!(
            sqlite_path("sqlite://data/x.db"),
            PathBuf::from("data/x.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///abs/x.db"),
            PathBuf::from("/abs/x.db")
        );
        let Ok(Target::Sqlite(t)) = Target::parse_with("sqlite:///a.db?busy_timeout_ms=10", no_env)
        else {
            panic!("not parsed")
        };
        assert_eq!(t.busy_timeout(), Duration::from_millis(10));
        assert!(Target::parse_with("sqlite://", no_env).is_err());
        assert!(Target::parse_with("sqlite:///a.db?mode=ro", no_env).is_err());
    }

    #[test]
    fn unknown_schemes_list_the_accepted_forms() {
        for raw in ["postgres://u:p@h/db", "just-a-path.db"] {
            let err = Target::parse_with(raw, no_env).err().unwrap();
            let text = err.to_string();
            assert!(
                text.contains("sqlite://path")
                    && text.contains("server=tcp:")
                    && text.contains("mssql://"),
                "{text}"
            );
            assert_eq!(err.failure(), Failure::Fatal);
        }
    }

    use crate::failure::Failure;

    #[test]
    fn ado_string_with_password_is_shown_without_it() {
        let raw = "Server=tcp:db.example,1433;Database=Facolos_Staging;User Id=tiktok_etl;\
                   Password=\"s3cr;et-Pa55\";TrustServerCertificate=true";
        let target = Target::parse_with(raw, || panic!("the string has a password")).unwrap();
        let shown = target.display();
        assert_eq!(
            shown,
            "Server=tcp:db.example,1433;Database=Facolos_Staging;User Id=tiktok_etl;TrustServerCertificate=true"
        );
        assert!(!shown.contains("s3cr"));
        let Target::SqlServer(t) = &target else {
            panic!("not SQL Server")
        };
        assert_eq!(t.config().get_addr(), "db.example:1433");
        assert!(!format!("{t:?}").contains("s3cr"));
        assert_eq!(
            secret::redact("login with s3cr;et-Pa55 failed"),
            "login with [redacted] failed"
        );
    }

    #[test]
    fn ado_string_without_password_takes_db_password() {
        let raw = "server=tcp:127.0.0.1,14330;database=Facolos_Staging;user id=tiktok_etl;TrustServerCertificate=true";
        let target = Target::parse_with(raw, || Ok(Some(Secret::new("from-env-Pa55")))).unwrap();
        assert_eq!(target.display(), raw);
        let missing = Target::parse_with(raw, no_env).err().unwrap().to_string();
        assert!(
            missing.contains("DB_PASSWORD") && missing.contains("DB_PASSWORD_FILE"),
            "{missing}"
        );
        let unreadable = Target::parse_with(raw, || {
            Err(SecretError {
                variable: "DB_PASSWORD_FILE".into(),
                path: "/x".into(),
                source: std::io::ErrorKind::NotFound.into(),
            })
        })
        .err()
        .unwrap();
        assert!(unreadable.to_string().contains("DB_PASSWORD_FILE=/x"));
        let no_user = Target::parse_with("server=tcp:h,1433;database=d", || {
            Ok(Some(Secret::new("pw-1234")))
        });
        assert!(no_user.err().unwrap().to_string().contains("user id"));
        let no_server = Target::parse_with("database=d;user id=u;password=abcd1234", no_env);
        assert!(no_server.err().unwrap().to_string().contains("server="));
    }

    #[test]
    fn mssql_url_form() {
        let raw = "mssql://tiktok_etl:url-Pa55word@db.example:14330/Facolos_Staging?TrustServerCertificate=true";
        let target = Target::parse_with(raw, || panic!("the URL has a password")).unwrap();
        assert_eq!(
            target.display(),
            "mssql://tiktok_etl@db.example:14330/Facolos_Staging?TrustServerCertificate=true"
        );
        let Target::SqlServer(t) = &target else {
            panic!("not SQL Server")
        };
        assert_eq!(t.config().get_addr(), "db.example:14330");
        let env =
            Target::parse_with("mssql://u@h/db", || Ok(Some(Secret::new("env-pass-1")))).unwrap();
        assert_eq!(env.display(), "mssql://u@h/db");
        assert!(Target::parse_with("mssql://u@h/db", no_env).is_err());
        assert!(
            Target::parse_with("mssql://h/db", || Ok(Some(Secret::new("env-pass-1")))).is_err()
        );
        assert!(
            Target::parse_with("mssql://u@h/db?foo=1", || Ok(Some(Secret::new(
                "env-pass-1"
            ))))
            .is_err()
        );
    }
}
