//! The syntax of an ADO.NET connection string: `key=value` pairs (values
//! quoted with `"` or `'` may hold `;`), and the `server=` forms. What the
//! keywords mean is `target.rs`'s and `options.rs`'s business.

use super::super::error::LoadError;

/// `key=value` pairs of an ADO.NET string, with values unquoted. Quotes (`"`
/// or `'`, doubled to escape) may hold `;`.
pub(super) fn ado_pairs(raw: &str) -> Vec<(String, String, &str)> {
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

/// `host`, `host,port`, `tcp:host,port` or `host\INSTANCE[,port]`.
pub(super) struct Server {
    pub host: String,
    pub port: Option<u16>,
    pub instance: Option<String>,
}

pub(super) fn parse_server(value: &str, display: &str) -> Result<Server, LoadError> {
    let value = value.trim();
    let value = match value.split_once(':') {
        Some((protocol, rest)) if protocol.eq_ignore_ascii_case("tcp") => rest,
        Some((protocol, _))
            if ["np", "lpc", "admin"]
                .iter()
                .any(|p| protocol.eq_ignore_ascii_case(p)) =>
        {
            return Err(LoadError::Target(format!(
                "{display}: only TCP connections are supported; use server=tcp:host,port"
            )));
        }
        _ => value,
    };
    let (address, port) = match value.rsplit_once(',') {
        Some((address, port)) => {
            let port: u16 = port.trim().parse().map_err(|_| {
                LoadError::Target(format!(
                    "{display}: the port {port:?} in server= is not a number"
                ))
            })?;
            (address.trim(), Some(port))
        }
        None => (value, None),
    };
    let (host, instance) = match address.split_once('\\') {
        Some((host, instance)) => (host, Some(instance.trim().to_owned())),
        None => (address, None),
    };
    let host = match host.trim() {
        "" | "." | "(local)" | "localhost" => "localhost".to_owned(),
        other => other.to_owned(),
    };
    Ok(Server {
        host,
        // A port wins over an instance name, as in ADO.NET.
        instance: instance.filter(|i| !i.is_empty() && port.is_none()),
        port,
    })
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
