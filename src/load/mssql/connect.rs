//! A connection to SQL Server, checked before tiberius can panic.
//!
//! tiberius 0.12.3 asserts that the system has CA roots when it checks a
//! server certificate (`with_native_roots`: a panic, exit 101, in an image
//! without a CA bundle). The same roots, through the same crate and version
//! (`rustls-native-certs` 0.6), are loaded here first, so a missing bundle
//! is an error that says what to do. A `host\INSTANCE` target without a
//! port asks the SQL Browser for the port (`browser.rs`); Azure SQL may
//! redirect the login once.

use tiberius::Client;
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use super::super::error::LoadError;
use super::browser::{self, BROWSER_PORT};
use super::errors::database_error;
use super::options::Trust;
use super::target::SqlServerTarget;

pub(super) type Connection = Client<Compat<TcpStream>>;

pub(super) async fn connect(target: &SqlServerTarget) -> Result<Connection, LoadError> {
    let shown = target.display();
    if target.options().trust == Trust::SystemRoots {
        roots_found(
            shown,
            rustls_native_certs::load_native_certs().map(|c| c.len()),
        )?;
    }
    let mut config = target.config().clone();
    if let Some(instance) = target.instance() {
        let address = config.get_addr();
        let host = address
            .rsplit_once(':')
            .map_or(address.as_str(), |(h, _)| h);
        let port =
            browser::instance_port(&format!("{host}:{BROWSER_PORT}"), instance, shown).await?;
        config.port(port);
    }
    let timeout = target.connect_timeout();
    // Azure SQL may redirect the login to another node, once.
    for _ in 0..2 {
        let address = config.get_addr();
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(&address))
            .await
            .map_err(|_| {
                LoadError::Unavailable(format!(
                    "SQL Server {shown}: no answer from {address} in {timeout:?}"
                ))
            })?
            .map_err(|e| {
                LoadError::Unavailable(format!(
                    "SQL Server {shown}: cannot connect to {address}: {e}"
                ))
            })?;
        let _ = tcp.set_nodelay(true);
        let login =
            tokio::time::timeout(timeout, Client::connect(config.clone(), tcp.compat_write()))
                .await
                .map_err(|_| {
                    LoadError::Unavailable(format!(
                        "SQL Server {shown}: the login did not finish in {timeout:?}"
                    ))
                })?;
        match login {
            Ok(client) => return Ok(client),
            Err(tiberius::error::Error::Routing { host, port }) => {
                config.host(&host);
                config.port(port);
            }
            Err(e) => return Err(database_error("log in", shown, e)),
        }
    }
    Err(LoadError::Unavailable(format!(
        "SQL Server {shown}: the login was redirected more than once"
    )))
}

/// Whether CA roots were found (`loaded`: how many, or why none could be
/// read); an error that names the ways out when not.
pub(super) fn roots_found(shown: &str, loaded: std::io::Result<usize>) -> Result<(), LoadError> {
    let source = match loaded {
        Ok(count) if count > 0 => return Ok(()),
        Ok(_) => None,
        Err(e) => Some(e),
    };
    Err(LoadError::TlsRoots {
        target: shown.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;

    #[test]
    fn no_ca_roots_is_a_clear_fatal_error_not_a_panic() {
        assert!(roots_found("t", Ok(140)).is_ok());
        for loaded in [Ok(0), Err(std::io::ErrorKind::NotFound.into())] {
            let err = roots_found("server=tcp:db,1433", loaded).unwrap_err();
            assert_eq!(err.failure(), Failure::Fatal);
            let text = err.to_string();
            for way_out in [
                "ca-certificates",
                "SSL_CERT_FILE",
                "TrustServerCertificateCA=",
                "TrustServerCertificate=true",
            ] {
                assert!(text.contains(way_out), "{way_out} missing from: {text}");
            }
        }
    }
}
