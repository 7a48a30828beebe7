//! Secrets: values that must never reach logs, errors, Parquet or manifests.
//!
//! A [`Secret`] prints as `[redacted]`. Every secret that is loaded is also
//! registered, so [`redact`] can scrub it from any text (error chains from
//! libraries included) before that text is shown to anyone.

use std::fmt;
use std::sync::{Mutex, OnceLock};

static REGISTERED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

/// A string that refuses to be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// The value, for the one place that must send it (a header, a hash key).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads `NAME` from the environment, or the file named by `NAME_FILE`
    /// (Docker and Kubernetes secrets). Trailing newlines of the file are
    /// dropped. Empty values count as absent.
    pub fn from_env(name: &str) -> Result<Option<Secret>, SecretError> {
        Self::from_vars(name, |key| std::env::var(key).ok())
    }

    /// [`Secret::from_env`] over any variable lookup (tests pass a map).
    pub fn from_vars(
        name: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Secret>, SecretError> {
        if let Some(value) = var(name).filter(|v| !v.is_empty()) {
            return Ok(Some(Secret::new(value)));
        }
        let file_var = format!("{name}_FILE");
        let Some(path) = var(&file_var).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&path).map_err(|source| SecretError {
            variable: file_var,
            path,
            source,
        })?;
        let value = text.trim_end_matches(['\r', '\n']);
        Ok((!value.is_empty()).then(|| Secret::new(value)))
    }
}

/// A `NAME_FILE` variable names a file that cannot be read. The message
/// names the variable and the path, never the content.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {variable}={path}")]
pub struct SecretError {
    pub variable: String,
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

fn register(value: &str) {
    // Very short values would redact ordinary words; nobody uses them as secrets.
    if value.len() < 4 {
        return;
    }
    let mut all = REGISTERED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !all.iter().any(|v| v == value) {
        all.push(value.to_owned());
        // Longest first, so a secret containing another is scrubbed whole.
        all.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }
}

/// Replaces every registered secret in `text` with `[redacted]`.
pub fn redact(text: &str) -> String {
    let Some(all) = REGISTERED.get() else {
        return text.to_owned();
    };
    let all = all.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    all.iter().fold(text.to_owned(), |acc, secret| {
        acc.replace(secret.as_str(), "[redacted]")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats_its_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redact_scrubs_registered_values_from_text() {
        let _s = Secret::new("pa55-word-in-url");
        let text = "connect to mssql://etl:pa55-word-in-url@db failed";
        assert_eq!(redact(text), "connect to mssql://etl:[redacted]@db failed");
    }

    #[test]
    fn file_variant_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "from-a-file-123\n").unwrap();
        let file_var = path.to_str().unwrap().to_owned();
        let var = |key: &str| (key == "TOKEN_FILE").then(|| file_var.clone());
        let s = Secret::from_vars("TOKEN", var).unwrap().unwrap();
        assert_eq!(s.expose(), "from-a-file-123");
    }

    #[test]
    fn unreadable_file_names_the_variable_not_the_content() {
        let var = |key: &str| (key == "TOKEN_FILE").then(|| "/no/such/file".to_owned());
        let err = Secret::from_vars("TOKEN", var).unwrap_err();
        assert!(
            err.to_string().contains("TOKEN_FILE=/no/such/file"),
            "{err}"
        );
        assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    }
}
