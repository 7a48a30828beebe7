//! The `update_time` window a search covers: `[since, until)`, in UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Orders whose `update_time` is at or after `since` and before `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Window {
    /// The window `[since, until)`, or `None` when it is empty.
    pub fn new(since: DateTime<Utc>, until: DateTime<Utc>) -> Option<Window> {
        (since < until).then_some(Window { since, until })
    }

    pub fn duration(&self) -> chrono::Duration {
        self.until - self.since
    }
}

/// An RFC 3339 time with an offset, as flags and settings give them
/// (`2026-11-25T00:00:00Z`, `2026-11-25T07:00:00+07:00`), in UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.to_utc())
        .map_err(|e| format!("{e}: expected RFC 3339 with an offset, e.g. 2026-11-25T00:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_half_open_and_never_empty() {
        let t = parse_time("2026-11-25T07:00:00+07:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T00:00:00+00:00");
        assert!(Window::new(t, t).is_none());
        let w = Window::new(t, t + chrono::Duration::hours(6)).unwrap();
        assert_eq!(w.duration(), chrono::Duration::hours(6));
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
    }
}
