//! A SQL Server target: an ADO.NET connection string or an `mssql://` URL,
//! as a tiberius [`Config`] and a display form without the password.
//!
//! A target without a password takes it from `DB_PASSWORD` or
//! `DB_PASSWORD_FILE` (the old `.env` name). Every password is a
//! [`Secret`], registered so that `secret::redact` scrubs it from any
//! message.

use tiberius::{AuthMethod, Config, EncryptionLevel};
use tiktok_shop_api::Secret;
use tiktok_shop_api::secret::{self, SecretError};

use super::super::error::{FORMS, LoadError};

/// Holds the password inside `config`: never give it a `Debug` that shows it.
#[derive(Clone)]
pub struct SqlServerTarget {
    config: Config,
    display: String,
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

    /// The target for messages and the manifest: never holds a password.
    pub fn display(&self) -> &str {
        &self.display
    }
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

/// An ADO.NET connection string.
fn parse_ado(
    raw: &str,
    env_password: impl FnOnce() -> Result<Option<Secret>, SecretError>,
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
    let mut config = Config::from_ado_string(raw).map_err(|source| LoadError::TargetSyntax {
        target: display.clone(),
        source: Box::new(source),
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

/// An `mssql://user@host:port/database?options` URL.
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

    #[test]
    fn ado_pairs_unquote_and_keep_semicolons_in_quotes() {
        let pairs = ado_pairs("a=1; B = 'x;y' ;c=\"say \"\"hi\"\"\";");
        let kv: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v, _)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(kv, [("a", "1"), ("b", "x;y"), ("c", "say \"hi\"")]);
    }
}
