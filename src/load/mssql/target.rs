//! A SQL Server target: an ADO.NET connection string or an `mssql://` URL,
//! as a tiberius [`Config`] and a display form without the password.
//!
//! The string is parsed here, keyword by keyword (`options.rs` for all but
//! the server and credentials), rather than by tiberius's `from_ado_string`,
//! which defaults to an unencrypted session and ignores keywords it does not
//! know. A target without a password takes it from `DB_PASSWORD` or
//! `DB_PASSWORD_FILE` (the old `.env` name). Every password is a
//! [`Secret`], registered so that `secret::redact` scrubs it from any
//! message.

use std::time::Duration;

use tiberius::{AuthMethod, Config, EncryptionLevel};
use tiktok_shop_api::Secret;
use tiktok_shop_api::secret::{self, SecretError};

use super::super::error::{FORMS, LoadError};
use super::ado::{ado_pairs, parse_server};
use super::options::{Encryption, KEYWORDS, Options, Trust};

/// Holds the password inside `config`: never give it a `Debug` that shows it.
#[derive(Clone)]
pub struct SqlServerTarget {
    config: Config,
    display: String,
    options: Options,
    /// `host\INSTANCE` with no port: the port comes from the SQL Browser.
    instance: Option<String>,
}

impl std::fmt::Debug for SqlServerTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlServerTarget")
            .field("target", &self.display)
            .finish()
    }
}

impl SqlServerTarget {
    pub(crate) fn parse_ado(
        raw: &str,
        env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
    ) -> Result<SqlServerTarget, LoadError> {
        parse_ado(raw, env_password)
    }

    pub(crate) fn parse_url(
        raw: &str,
        env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
    ) -> Result<SqlServerTarget, LoadError> {
        parse_url(raw, env_password)
    }

    /// The tiberius configuration, password included.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// The named instance whose port the SQL Browser must tell (none when
    /// the target names a port).
    pub(crate) fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.options.connect_timeout
    }

    /// The target for messages and the manifest: never holds a password.
    pub fn display(&self) -> &str {
        &self.display
    }
}

/// A tiberius configuration of everything but the server address.
fn config_of(
    options: &Options,
    database: Option<String>,
    user: String,
    password: &Secret,
) -> Config {
    let mut config = Config::new();
    if let Some(database) = database.filter(|d| !d.is_empty()) {
        config.database(database);
    }
    config.authentication(AuthMethod::sql_server(user, password.expose()));
    config.application_name(&options.application_name);
    config.encryption(match options.encryption {
        Encryption::Required => EncryptionLevel::Required,
        Encryption::LoginOnly => EncryptionLevel::Off,
    });
    match &options.trust {
        Trust::SystemRoots => {}
        Trust::CaFile(path) => config.trust_cert_ca(path),
        Trust::Any => config.trust_cert(),
    }
    config
}

/// An ADO.NET connection string.
fn parse_ado(
    raw: &str,
    env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
) -> Result<SqlServerTarget, LoadError> {
    let pairs = ado_pairs(raw);
    let display = pairs
        .iter()
        .filter(|(k, _, _)| k != "password" && k != "pwd")
        .map(|(_, _, segment)| segment.trim())
        .collect::<Vec<_>>()
        .join(";");
    let display = secret::redact(&display);
    let (mut server, mut database, mut user, mut password) = (None, None, None, None);
    let mut options = Options::default();
    for (key, value, _) in &pairs {
        match key.as_str() {
            "server" | "data source" | "address" | "addr" | "network address" => {
                server = Some(value.clone())
            }
            "database" | "initial catalog" => database = Some(value.clone()),
            "user id" | "uid" | "user" | "username" => user = Some(value.clone()),
            "password" | "pwd" => {
                password = Some(value.clone())
                    .filter(|p| !p.is_empty())
                    .map(Secret::new)
            }
            _ => {
                if !options.apply(key, value)? {
                    return Err(LoadError::Target(format!(
                        "the connection string {display:?} has the keyword {key:?}, which the loader does not \
                         know; remove it. The keywords are: {KEYWORDS}"
                    )));
                }
            }
        }
    }
    let server = server.ok_or_else(|| {
        LoadError::Target(format!(
            "the connection string {display:?} names no server=; {FORMS}"
        ))
    })?;
    let server = parse_server(&server, &display)?;
    let user = user.filter(|u| !u.is_empty()).ok_or_else(|| {
        LoadError::Target(format!(
            "the connection string {display:?} names no user id="
        ))
    })?;
    let password = match password {
        Some(p) => p,
        None => required_password(env_password, &display)?,
    };
    let mut config = config_of(&options, database, user, &password);
    config.host(&server.host);
    config.port(server.port.unwrap_or(1433));
    Ok(SqlServerTarget {
        config,
        display,
        options,
        instance: server.instance,
    })
}

fn required_password(
    env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
    display: &str,
) -> Result<Secret, LoadError> {
    env_password()?.ok_or_else(|| {
        LoadError::Target(format!(
            "no password for {display}: set DB_PASSWORD (or DB_PASSWORD_FILE, a file holding it), \
             or put password=... in the target"
        ))
    })
}

/// An `mssql://user@host:port/database?options` URL (options: the same
/// keywords as a connection string, e.g. `encrypt=true&TrustServerCertificate=true`).
fn parse_url(
    raw: &str,
    env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
) -> Result<SqlServerTarget, LoadError> {
    let url = url::Url::parse(raw);
    let in_url = url
        .as_ref()
        .ok()
        .and_then(|u| u.password())
        .map(decode)
        .filter(|p| !p.is_empty());
    let password = in_url.map(Secret::new);
    // A URL that does not parse is shown only through its parse error, which
    // names no part of it (a password included).
    let mut url = url.map_err(|source| LoadError::TargetSyntax {
        target: "the mssql:// target".to_owned(),
        source: Box::new(source),
    })?;
    // The URL crate cannot fail to drop a password of a URL that has a host.
    let _ = url.set_password(None);
    let display = secret::redact(url.as_str());
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| LoadError::Target(format!("the target {display} names no host; {FORMS}")))?
        .to_owned();
    let user = decode(url.username());
    if user.is_empty() {
        return Err(LoadError::Target(format!(
            "the target {display} names no user (mssql://user@host/database)"
        )));
    }
    let mut options = Options::default();
    for (key, value) in url.query_pairs() {
        if !options.apply(&key.to_ascii_lowercase(), &value)? {
            return Err(LoadError::Target(format!(
                "unknown option {key:?} in {display}; the options are: {KEYWORDS}"
            )));
        }
    }
    let password = match password {
        Some(p) => p,
        None => required_password(env_password, &display)?,
    };
    let database = Some(decode(url.path().trim_matches('/')));
    let mut config = config_of(&options, database, user, &password);
    config.host(host);
    config.port(url.port().unwrap_or(1433));
    Ok(SqlServerTarget {
        config,
        display,
        options,
        instance: None,
    })
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
