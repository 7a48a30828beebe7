//! The keywords of a SQL Server target, ADO.NET's names, each either
//! honoured or refused with what to use instead: a keyword the loader would
//! silently ignore (a timeout, an authentication method) is worse than one
//! it refuses.
//!
//! Encryption is `Required` unless the target says otherwise: TLS for the
//! whole session, the server's certificate checked against the system's CA
//! roots (or `TrustServerCertificateCA=file`), or not checked with
//! `TrustServerCertificate=true`. `Encrypt=false`/`Optional` encrypts the
//! login only, as ADO.NET does; `Encrypt=Strict` (TDS 8.0) is not something
//! tiberius 0.12.3 can do, so it is refused rather than weakened.

use std::time::Duration;

use super::super::error::LoadError;

/// How the session is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// The whole session (the default).
    Required,
    /// The login only, then plain text (`Encrypt=false`/`Optional`).
    LoginOnly,
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Against the system's CA roots.
    SystemRoots,
    /// Against this CA file (`TrustServerCertificateCA=`).
    CaFile(String),
    /// Not at all (`TrustServerCertificate=true`).
    Any,
}

/// Everything but the server, the credentials and the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub encryption: Encryption,
    pub trust: Trust,
    pub application_name: String,
    pub connect_timeout: Duration,
}

pub(super) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const APPLICATION_NAME: &str = "tiktok-shop-etl";

/// The keywords a target may use (besides server, database, user and
/// password, which the target parsers read).
pub(super) const KEYWORDS: &str = "server (or data source), database (or initial catalog), user id (uid, user, \
     username), password (pwd), Encrypt (true, Mandatory, false, Optional), TrustServerCertificate, \
     TrustServerCertificateCA, Application Name, Connect Timeout (seconds), Authentication (SqlPassword), \
     ApplicationIntent (ReadWrite)";

impl Default for Options {
    fn default() -> Self {
        Options {
            encryption: Encryption::Required,
            trust: Trust::SystemRoots,
            application_name: APPLICATION_NAME.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl Options {
    /// Applies one `key=value` (key lowercased); `Ok(false)` for a key that
    /// is not an option (the caller's, or unknown).
    pub fn apply(&mut self, key: &str, value: &str) -> Result<bool, LoadError> {
        let refuse = |why: String| Err(LoadError::Target(why));
        match key {
            "encrypt" => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "mandatory" => self.encryption = Encryption::Required,
                "false" | "no" | "optional" => self.encryption = Encryption::LoginOnly,
                "strict" => {
                    return refuse(
                        "Encrypt=Strict (TDS 8.0) is not supported by the SQL Server driver this loader uses \
                         (tiberius 0.12.3); use Encrypt=Mandatory: TLS for the whole session, certificate checked"
                            .into(),
                    );
                }
                other => {
                    return refuse(format!(
                        "Encrypt={other} is not one of true, Mandatory, false, Optional"
                    ));
                }
            },
            "trustservercertificate" => {
                if parse_bool(key, value)? {
                    if let Trust::CaFile(_) = self.trust {
                        return refuse(both_trusts());
                    }
                    self.trust = Trust::Any;
                }
            }
            "trustservercertificateca" => {
                if self.trust == Trust::Any {
                    return refuse(both_trusts());
                }
                self.trust = Trust::CaFile(value.trim().to_owned());
            }
            "application name" | "applicationname" | "app" => {
                self.application_name = value.trim().to_owned()
            }
            "connect timeout" | "connection timeout" | "timeout" => {
                let seconds: u64 = value.trim().parse().map_err(|_| {
                    LoadError::Target(format!("{key}={value} is not a number of seconds"))
                })?;
                if !(1..=3600).contains(&seconds) {
                    return refuse(format!(
                        "{key}={seconds}: give 1 to 3600 seconds (the load never waits without a bound)"
                    ));
                }
                self.connect_timeout = Duration::from_secs(seconds);
            }
            "authentication" => {
                let method = value.trim().to_ascii_lowercase().replace(' ', "");
                if method != "sqlpassword" {
                    return refuse(format!(
                        "Authentication={value} is not supported: the loader logs in with a SQL Server \
                         login and password (Authentication=SqlPassword, or leave it out)"
                    ));
                }
            }
            "integrated security" | "integratedsecurity" | "trusted_connection" => {
                if parse_bool(key, value)? || value.eq_ignore_ascii_case("sspi") {
                    return refuse(format!(
                        "{key}={value}: Windows authentication is not supported; use a SQL Server login \
                         (user id=…, password from DB_PASSWORD)"
                    ));
                }
            }
            "applicationintent" => {
                if !value.trim().eq_ignore_ascii_case("readwrite") {
                    return refuse(format!(
                        "ApplicationIntent={value}: the load writes; use ApplicationIntent=ReadWrite or leave it out"
                    ));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn both_trusts() -> String {
    "TrustServerCertificate=true and TrustServerCertificateCA=… exclude each other: give one".into()
}

fn parse_bool(key: &str, value: &str) -> Result<bool, LoadError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" | "sspi" => Ok(false),
        _ => Err(LoadError::Target(format!(
            "{key}={value} is not true or false"
        ))),
    }
}
