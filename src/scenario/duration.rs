//! Durations in scenario files, written the Kubernetes/Go way: `10s`, `500ms`, `2h45m`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::engine::SimDuration;

/// A duration in a scenario file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Duration(pub SimDuration);

const FORM: &str = "a duration such as 10s, 500ms, 15m or 2h45m";

/// Parses `text` as a non-negative duration.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!(
            "expected {FORM}, found the negative duration `{text}`"
        ));
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!(
            "expected {FORM}, found `{text}` (durations need a unit)"
        ));
    }
    humantime::parse_duration(t)
        .map(SimDuration::from)
        .map_err(|_| format!("expected {FORM}, found `{text}`"))
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(FORM)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map(Duration).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        self.visit_str(&v.to_string())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}ns", self.0.as_nanos()))
    }
}

/// A duration as the schema states it: numbers each followed by a unit (`10s`, `2h45m`,
/// `1h 30m`), as `humantime` reads them.
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]+)?\s*[a-zA-Zµ]+\s*)+$";

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration the Go/Kubernetes way: 500ms, 10s, 15m, 2h45m (a unit is required).",
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["10s", "15m", "2h45m"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), SimDuration::from_secs(10));
        assert_eq!(
            parse_duration("2h45m").unwrap(),
            SimDuration::from_secs(9900)
        );
        assert_eq!(
            parse_duration("500ms").unwrap(),
            SimDuration::from_millis(500)
        );
        assert_eq!(
            parse_duration("1.5s").unwrap(),
            SimDuration::from_millis(1500)
        );
    }

    #[test]
    fn negative_and_unitless_durations_are_rejected() {
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("30").unwrap_err().contains("unit"));
        assert!(parse_duration("soon").is_err());
    }
}
