//! Run ids and the path segment each one is stored under.
//!
//! Airflow run ids contain `:` and `+` (`scheduled__2026-11-25T06:00:00+00:00`),
//! which some object stores and shells handle badly. The segment keeps
//! `[A-Za-z0-9._-]` as they are and writes every other byte as `=XX`
//! (upper-case hex), so the mapping is reversible and the same everywhere. A
//! leading `.` is escaped too, so no run can become `.` or `..`.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

/// Longest accepted run id, in bytes; Airflow's own limit is 250.
const MAX_LEN: usize = 250;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunId(String);

impl RunId {
    /// Validates a run id given by the user or by Airflow.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err(
                "--run-id is empty; give the Airflow run id or leave it out to generate one".into(),
            );
        }
        if raw.len() > MAX_LEN {
            return Err(format!(
                "--run-id is {} bytes long; the limit is {MAX_LEN}",
                raw.len()
            ));
        }
        if let Some(c) = raw.chars().find(|c| c.is_control()) {
            return Err(format!(
                "--run-id contains the control character {c:?}, which cannot be mapped to a store path"
            ));
        }
        Ok(RunId(raw.to_owned()))
    }

    /// A fresh id for a manual run, in Airflow's style: `manual__<UTC time>`.
    pub fn generate(now: DateTime<Utc>) -> Self {
        RunId(format!(
            "manual__{}",
            now.to_rfc3339_opts(SecondsFormat::Millis, true)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The store path segment of this run (see the module docs).
    pub fn segment(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 16);
        for (i, byte) in self.0.bytes().enumerate() {
            let plain = byte.is_ascii_alphanumeric()
                || matches!(byte, b'_' | b'-')
                || (byte == b'.' && i > 0);
            if plain {
                out.push(byte as char);
            } else {
                out.push_str(&format!("={byte:02X}"));
            }
        }
        out
    }

    /// The inverse of [`RunId::segment`].
    pub fn from_segment(segment: &str) -> Result<Self, String> {
        let bytes = segment.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' {
                let hex = segment
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        format!("{segment:?} is not a run path segment (bad escape at byte {i})")
                    })?;
                out.push(hex);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        let raw =
            String::from_utf8(out).map_err(|_| format!("{segment:?} does not decode to UTF-8"))?;
        RunId::parse(&raw)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflow_scheduled_id_maps_to_a_safe_segment() {
        let id = RunId::parse("scheduled__2026-11-25T06:00:00+00:00").unwrap();
        assert_eq!(id.segment(), "scheduled__2026-11-25T06=3A00=3A00=2B00=3A00");
    }

    #[test]
    fn mapping_round_trips_for_awkward_ids() {
        for raw in [
            "manual__x",
            "a/b\\c",
            "..",
            ".hidden",
            "ünï cødé",
            "x=3A",
            "100%",
            "a.b",
        ] {
            let id = RunId::parse(raw).unwrap();
            let seg = id.segment();
            assert!(
                seg.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-=".contains(&b)),
                "{seg}"
            );
            assert!(!seg.starts_with('.'), "{seg}");
            assert_eq!(RunId::from_segment(&seg).unwrap(), id);
        }
    }

    #[test]
    fn unmappable_ids_are_refused_with_a_reason() {
        assert!(RunId::parse("").unwrap_err().contains("empty"));
        assert!(
            RunId::parse("a\nb")
                .unwrap_err()
                .contains("control character")
        );
        assert!(
            RunId::parse(&"x".repeat(251))
                .unwrap_err()
                .contains("limit")
        );
        assert!(RunId::from_segment("bad=Z1").is_err());
    }

    #[test]
    fn generated_ids_look_like_airflow_manual_runs() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T01:02:03.456Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            RunId::generate(now).as_str(),
            "manual__2026-11-30T01:02:03.456Z"
        );
    }
}
