//! `server=host\INSTANCE` without a port: the instance's TCP port, asked of
//! the SQL Server Browser (SSRP, [MC-SQLR]) on UDP 1434.
//!
//! tiberius would connect by TCP to 1434 (its `get_addr` for an instance
//! with no port), which is the Browser's UDP port, and time out. This asks
//! once with a bounded wait and says what to do when nobody answers.

use std::time::Duration;

use tokio::net::UdpSocket;

use super::super::error::LoadError;

/// The SQL Server Browser's port.
pub(super) const BROWSER_PORT: u16 = 1434;
const WAIT: Duration = Duration::from_secs(2);

/// The TCP port of `instance` on `host`, asking the Browser at `browser`
/// (`host:1434`).
pub(super) async fn instance_port(
    browser: &str,
    instance: &str,
    shown: &str,
) -> Result<u16, LoadError> {
    let unavailable = |what: String| {
        LoadError::Unavailable(format!(
            "SQL Server {shown}: {what}; is the SQL Server Browser service running and UDP 1434 open? \
             Or name the port instead: server=tcp:host,PORT"
        ))
    };
    let socket = UdpSocket::bind(if browser.starts_with('[') {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    })
    .await
    .map_err(|e| unavailable(format!("cannot open a UDP socket ({e})")))?;
    socket
        .connect(browser)
        .await
        .map_err(|e| unavailable(format!("cannot reach the SQL Browser at {browser} ({e})")))?;
    let mut request = vec![0x04u8];
    request.extend_from_slice(instance.as_bytes());
    socket
        .send(&request)
        .await
        .map_err(|e| unavailable(format!("cannot ask the SQL Browser at {browser} ({e})")))?;
    let mut reply = vec![0u8; 4096];
    let length = tokio::time::timeout(WAIT, socket.recv(&mut reply))
        .await
        .map_err(|_| {
            unavailable(format!(
                "the SQL Browser at {browser} did not answer in {WAIT:?}"
            ))
        })?
        .map_err(|e| unavailable(format!("no answer from the SQL Browser at {browser} ({e})")))?;
    parse_reply(&reply[..length], instance).ok_or_else(|| {
        LoadError::Target(format!(
            "SQL Server {shown}: the SQL Browser at {browser} knows no TCP port for instance {instance}; \
             check the instance name, or name the port: server=tcp:host,PORT"
        ))
    })
}

/// The `tcp;PORT` of `instance` in an SVR_RESP (0x05, u16 length, then
/// `ServerName;…;InstanceName;NAME;…;tcp;PORT;;` for each instance).
pub(super) fn parse_reply(reply: &[u8], instance: &str) -> Option<u16> {
    let (&kind, rest) = reply.split_first()?;
    if kind != 0x05 || rest.len() < 2 {
        return None;
    }
    let text = String::from_utf8_lossy(&rest[2..]);
    text.split(";;").find_map(|entry| {
        let fields: Vec<&str> = entry.split(';').collect();
        let value = |name: &str| {
            fields
                .chunks(2)
                .find(|pair| pair.len() == 2 && pair[0].eq_ignore_ascii_case(name))
                .map(|pair| pair[1])
        };
        value("InstanceName")
            .filter(|n| n.eq_ignore_ascii_case(instance))
            .and(value("tcp"))
            .and_then(|port| port.parse().ok())
    })
}
