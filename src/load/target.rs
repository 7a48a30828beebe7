//! `--target`: where the rows go, parsed once, shown without its password.
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
//! A SQL Server target without a password takes it from `DB_PASSWORD` or
//! `DB_PASSWORD_FILE` (the old `.env` name). Every password is registered as
//! a [`Secret`], so [`crate::secret::redact`] scrubs it from any message.

use std::path::PathBuf;
use std::time::Duration;

use tiberius::{AuthMethod, Config, EncryptionLevel};

use super::LoadError;
use crate::secret::{self, Secret};

const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

const FORMS: &str = "use sqlite://path/to/file.db (sqlite:///absolute/path.db), a SQL Server ADO.NET \
     connection string such as server=tcp:host,1433;database=Facolos_Staging;user id=tiktok_etl;\
     TrustServerCertificate=true (password from DB_PASSWORD or DB_PASSWORD_FILE), or \
     mssql://user@host:1433/database";

pub(crate) enum Target {
    Sqlite(SqliteTarget),
    SqlServer(SqlServerTarget),
}

pub(crate) struct SqliteTarget {
    pub path: PathBuf,
    pub busy_timeout: Duration,
    display: String,
}

/// Holds the password inside `config`: never give it a `Debug` that shows it.
pub(crate) struct SqlServerTarget {
    pub config: Config,
    display: String,
}

impl Target {
    /// Parses `raw`, taking a missing SQL Server password from `DB_PASSWORD`.
    pub fn parse(raw: &str) -> Result<Target, LoadError> {
        Self::parse_with(raw, || Secret::from_env("DB_PASSWORD"))
    }

    /// [`Target::parse`] with the password lookup passed in (tests).
    pub fn parse_with(
        raw: &str,
        env_password: impl FnOnce() -> Result<Option<Secret>, String>,
    ) -> Result<Target, LoadError> {
        let raw = raw.trim();
        match raw.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sqlite") => {
                sqlite(rest, raw).map(Target::Sqlite)
            }
            Some((scheme, _))
                if ["mssql", "sqlserver"]
                    .iter()
                    .any(|s| scheme.eq_ignore_ascii_case(s)) =>
            {
                mssql_url(raw, env_password).map(Target::SqlServer)
            }
            Some((scheme, _)) => Err(LoadError::Target(format!(
                "the target scheme {scheme}:// is not supported; {FORMS}"
            ))),
            None if raw.contains('=') => ado(raw, env_password).map(Target::SqlServer),
            None => Err(LoadError::Target(format!(
                "the target is neither a URL nor a connection string; {FORMS}"
            ))),
        }
    }

    /// The target for messages and the manifest: never holds a password.
    pub fn display(&self) -> &str {
        match self {
            Target::Sqlite(t) => &t.display,
            Target::SqlServer(t) => &t.display,
        }
    }
}

impl std::fmt::Debug for SqlServerTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlServerTarget")
            .field("target", &self.display)
            .finish()
    }
}

impl SqlServerTarget {
    pub fn display(&self) -> &str {
        &self.display
    }
}

fn sqlite(rest: &str, raw: &str) -> Result<SqliteTarget, LoadError> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(LoadError::Target(format!(
            "the SQLite target names no file; {FORMS}"
        )));
    }
    let mut busy_timeout = DEFAULT_BUSY_TIMEOUT;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("busy_timeout_ms", ms)) => {
                let ms: u64 = ms.parse().map_err(|_| {
                    LoadError::Target(format!(
                        "busy_timeout_ms={ms} in the SQLite target is not a number of milliseconds"
                    ))
                })?;
                busy_timeout = Duration::from_millis(ms);
            }
            _ => {
                return Err(LoadError::Target(format!(
                    "unknown option {pair:?} in the SQLite target; the only one is busy_timeout_ms=N"
                )));
            }
        }
    }
    Ok(SqliteTarget {
        path: PathBuf::from(path),
        busy_timeout,
        display: raw.to_owned(),
    })
}

/// `key=value` pairs of an ADO.NET string, with values unquoted. Quotes (`"`
/// or `'`, doubled to escape) may hold `;`.
fn ado_pairs(raw: &str) -> Vec<(String, String, &str)> {
    let mut pairs = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                if chars.peek().map(|&(_, n)| n) == Some(q) {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            (None, '"' | '\'') if raw[start..i].trim_end().ends_with('=') => quote = Some(c),
            (None, ';') => {
                pairs.extend(ado_pair(&raw[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    pairs.extend(ado_pair(&raw[start..]));
    pairs
}

fn ado_pair(segment: &str) -> Option<(String, String, &str)> {
    let (key, value) = segment.split_once('=')?;
    let value = value.trim();
    let unquoted = match value.chars().next() {
        Some(q @ ('"' | '\'')) if value.len() >= 2 && value.ends_with(q) => {
            value[1..value.len() - 1].replace(&format!("{q}{q}"), &q.to_string())
        }
        _ => value.to_owned(),
    };
    Some((key.trim().to_ascii_lowercase(), unquoted, segment))
}

fn ado(
    raw: &str,
    env_password: impl FnOnce() -> Result<Option<Secret>, String>,
) -> Result<SqlServerTarget, LoadError> {
    let pairs = ado_pairs(raw);
    let get = |names: &[&str]| {
        pairs
            .iter()
            .find(|(k, _, _)| names.contains(&k.as_str()))
            .map(|(_, v, _)| v.clone())
    };
    let password = get(&["password", "pwd"])
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    let display = pairs
        .iter()
        .filter(|(k, _, _)| k != "password" && k != "pwd")
        .map(|(_, _, segment)| segment.trim())
        .collect::<Vec<_>>()
        .join(";");
    let display = secret::redact(&display);
    if get(&["server", "data source"]).is_none() {
        return Err(LoadError::Target(format!(
            "the connection string {display:?} names no server=; {FORMS}"
        )));
    }
    let mut config = Config::from_ado_string(raw).map_err(|e| {
        LoadError::Target(secret::redact(&format!(
            "the connection string {display:?} is not valid: {e}; {FORMS}"
        )))
    })?;
    if password.is_none() {
        let user = get(&["uid", "username", "user", "user id"]).ok_or_else(|| {
            LoadError::Target(format!(
                "the connection string {display:?} names no user id="
            ))
        })?;
        let password = required_password(env_password, &display)?;
        config.authentication(AuthMethod::sql_server(user, password.expose()));
    }
    config.application_name("tiktok-shop-etl");
    Ok(SqlServerTarget { config, display })
}

fn required_password(
    env_password: impl FnOnce() -> Result<Option<Secret>, String>,
    display: &str,
) -> Result<Secret, LoadError> {
    env_password().map_err(LoadError::Target)?.ok_or_else(|| {
        LoadError::Target(format!(
            "no password for {display}: set DB_PASSWORD (or DB_PASSWORD_FILE, a file holding it), \
             or put password=... in the target"
        ))
    })
}

fn mssql_url(
    raw: &str,
    env_password: impl FnOnce() -> Result<Option<Secret>, String>,
) -> Result<SqlServerTarget, LoadError> {
    let url = url::Url::parse(raw);
    let in_url = url
        .as_ref()
        .ok()
        .and_then(|u| u.password())
        .map(decode)
        .filter(|p| !p.is_empty());
    let password = in_url.map(Secret::new);
    let mut url = url.map_err(|e| {
        LoadError::Target(secret::redact(&format!(
            "the target is not a valid URL: {e}; {FORMS}"
        )))
    })?;
    // The URL crate cannot fail to drop a password of a URL that has a host.
    let _ = url.set_password(None);
    let display = secret::redact(url.as_str());
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| LoadError::Target(format!("the target {display} names no host; {FORMS}")))?;
    let user = decode(url.username());
    if user.is_empty() {
        return Err(LoadError::Target(format!(
            "the target {display} names no user (mssql://user@host/database)"
        )));
    }
    let password = match password {
        Some(p) => p,
        None => required_password(env_password, &display)?,
    };
    let mut config = Config::new();
    config.host(host);
    config.port(url.port().unwrap_or(1433));
    let database = url.path().trim_matches('/');
    if !database.is_empty() {
        config.database(decode(database));
    }
    config.authentication(AuthMethod::sql_server(user, password.expose()));
    config.encryption(EncryptionLevel::Off);
    for (key, value) in url.query_pairs() {
        let yes = matches!(value.to_ascii_lowercase().as_str(), "true" | "yes");
        match key.to_ascii_lowercase().as_str() {
            "trustservercertificate" if yes => config.trust_cert(),
            "trustservercertificate" => {}
            "encrypt" => config.encryption(if yes {
                EncryptionLevel::Required
            } else {
                EncryptionLevel::Off
            }),
            other => {
                return Err(LoadError::Target(format!(
                    "unknown option {other:?} in {display}; the options are TrustServerCertificate and encrypt"
                )));
            }
        }
    }
    config.application_name("tiktok-shop-etl");
    Ok(SqlServerTarget { config, display })
}

/// Percent-decodes a URL part (user, password, database).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%').then(|| text.get(i + 1..i + 3)).flatten();
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env() -> Result<Option<Secret>, String> {
        Ok(None)
    }

    fn sqlite_path(raw: &str) -> PathBuf {
        match Target::parse_with(raw, no_env).unwrap() {
            Target::Sqlite(t) => t.path,
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
        assert_eq!(t.busy_timeout, Duration::from_millis(10));
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

    use crate::error::Failure;

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
        assert_eq!(t.config.get_addr(), "db.example:1433");
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
        let unreadable = Target::parse_with(raw, || Err("cannot read DB_PASSWORD_FILE=/x".into()))
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
    fn ado_pairs_unquote_and_keep_semicolons_in_quotes() {
        let pairs = ado_pairs("a=1; B = 'x;y' ;c=\"say \"\"hi\"\"\";");
        let kv: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v, _)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(kv, [("a", "1"), ("b", "x;y"), ("c", "say \"hi\"")]);
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
        assert_eq!(t.config.get_addr(), "db.example:14330");
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
