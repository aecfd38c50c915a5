//! Durations in scenario files, written the Kubernetes/Go way: `10s`, `500ms`, `2h45m`.
//!
//! The grammar is Go's `time.ParseDuration` (Go `src/time/format.go`): a sequence of
//! decimal numbers, each with a unit of `ns`, `us` (or `µs`), `ms`, `s`, `m` or `h`; a
//! bare `0` is zero. Nothing else: no days or years, which Kubernetes does not take
//! either. Arithmetic is exact on integers (a fraction of a nanosecond is dropped, as Go
//! does), and a duration past what a `u64` of nanoseconds holds (~584 years) is an error,
//! never a saturated value. Negative durations are refused: nothing meshmem reads is
//! negative.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::engine::SimDuration;

/// A duration in a scenario file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Duration(pub SimDuration);

const FORM: &str = "a duration such as 10s, 500ms, 15m or 2h45m (units ns, us, ms, s, m, h)";

/// Go's units, in nanoseconds.
const UNITS: [(&str, u128); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("", 0),
];

/// Parses `text` as a non-negative Go duration.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    let bad = || format!("expected {FORM}, found `{text}`");
    if t.starts_with('-') {
        return Err(format!(
            "expected {FORM}, found the negative duration `{text}`"
        ));
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    if t == "0" {
        return Ok(SimDuration::ZERO);
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!(
            "expected {FORM}, found `{text}` (durations need a unit)"
        ));
    }
    let too_long = || format!("`{text}` is too long: durations end at ~584 years");
    let mut total: u128 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
            return Err(bad());
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale = UNITS
            .iter()
            .find(|(u, _)| *u == unit && !u.is_empty())
            .map(|&(_, n)| n)
            .ok_or_else(bad)?;
        // Digits past what can matter are dropped before they can overflow.
        let whole: u128 = if whole.is_empty() {
            0
        } else if whole.len() > 30 {
            return Err(too_long());
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let frac = &frac[..frac.len().min(20)];
        let frac_value: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        let part = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_value * scale / 10u128.pow(frac.len() as u32)))
            .ok_or_else(too_long)?;
        total = total.checked_add(part).ok_or_else(too_long)?;
        rest = next;
    }
    u64::try_from(total)
        .map(SimDuration::from_nanos)
        .map_err(|_| too_long())
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
    fn go_units_and_only_those() {
        assert_eq!(
            parse_duration("1h30m5s").unwrap(),
            SimDuration::from_secs(5405)
        );
        assert_eq!(
            parse_duration("1.5us").unwrap(),
            SimDuration::from_nanos(1500)
        );
        assert_eq!(
            parse_duration("1µs").unwrap(),
            SimDuration::from_nanos(1000)
        );
        assert_eq!(
            parse_duration(".5s").unwrap(),
            SimDuration::from_millis(500)
        );
        assert_eq!(parse_duration("0").unwrap(), SimDuration::ZERO);
        for bad in [
            "1d", "100y", "2w", "1 h", "1hour", "h", "1.2.3s", "1e3s", "5min",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_past_u64_nanoseconds_are_refused() {
        assert_eq!(
            parse_duration("5124095h").unwrap(),
            SimDuration::from_secs(5_124_095 * 3600)
        );
        assert!(parse_duration("5124096h").unwrap_err().contains("too long"));
        assert!(parse_duration("99999999999999999999999999999999999h").is_err());
    }

    #[test]
    fn negative_and_unitless_durations_are_rejected() {
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("30").unwrap_err().contains("unit"));
        assert!(parse_duration("soon").is_err());
    }
}
