//! Units as newtypes: memory in bytes, CPU in millicores.
//!
//! Quantities are parsed from Kubernetes notation by the scenario layer; here they are
//! plain integers with the unit in the type.

use crate::engine::SimDuration;
use std::fmt;

/// An amount of memory in bytes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

/// An amount of CPU in millicores (1000 = one core), as Kubernetes counts it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MilliCpu(pub u64);

const BINARY_SUFFIXES: [(&str, u64); 6] = [
    ("Ei", 1 << 60),
    ("Pi", 1 << 50),
    ("Ti", 1 << 40),
    ("Gi", 1 << 30),
    ("Mi", 1 << 20),
    ("Ki", 1 << 10),
];

impl Bytes {
    /// `n` mebibytes.
    pub const fn mib(n: u64) -> Bytes {
        Bytes(n << 20)
    }

    /// The value as a float, for rate arithmetic.
    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }

    /// Mebibytes as a float (for tables and messages).
    pub fn as_mib_f64(self) -> f64 {
        self.0 as f64 / (1u64 << 20) as f64
    }
}

/// Kubernetes canonical form when exact (`128Mi`, `1Gi`, `1000`), otherwise the nearest
/// binary unit with one decimal (`127.6Mi`), as `kubectl top` readers expect.
impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0");
        }
        for (suffix, mult) in BINARY_SUFFIXES {
            if self.0.is_multiple_of(mult) {
                return write!(f, "{}{suffix}", self.0 / mult);
            }
        }
        for (suffix, mult) in BINARY_SUFFIXES {
            if self.0 >= mult {
                return write!(f, "{:.1}{suffix}", self.0 as f64 / mult as f64);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl MilliCpu {
    /// Cores as a float (1000m = 1.0).
    pub fn as_cores(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// Kubernetes canonical form: whole cores as `2`, otherwise millicores as `500m`.
impl fmt::Display for MilliCpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}", self.0 / 1000)
        } else {
            write!(f, "{}m", self.0)
        }
    }
}

/// Formats a span the way Go's `time.Duration.String` does (`10s`, `2m40s`, `5m0s`,
/// `1h0m0s`, `1.5s`, `250ms`), as kubelet messages show it.
pub fn go_duration(d: SimDuration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    if ns < 1_000_000_000 {
        return match ns {
            n if n < 1_000 => format!("{n}ns"),
            n if n < 1_000_000 => format!("{}µs", trim_fraction(n, 1_000)),
            n => format!("{}ms", trim_fraction(n, 1_000_000)),
        };
    }
    let secs = trim_fraction(ns % 60_000_000_000, 1_000_000_000);
    let mins = ns / 60_000_000_000;
    match (mins / 60, mins % 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

/// `n / unit` with the fractional digits Go prints (trailing zeros trimmed).
fn trim_fraction(n: u64, unit: u64) -> String {
    let whole = n / unit;
    let frac = n % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_match_kubelet_messages() {
        let s = SimDuration::from_secs;
        assert_eq!(go_duration(s(10)), "10s");
        assert_eq!(go_duration(s(160)), "2m40s");
        assert_eq!(go_duration(s(300)), "5m0s");
        assert_eq!(go_duration(s(3600)), "1h0m0s");
        assert_eq!(go_duration(SimDuration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(SimDuration::from_millis(250)), "250ms");
    }

    #[test]
    fn bytes_display_like_kubectl() {
        assert_eq!(Bytes::mib(128).to_string(), "128Mi");
        assert_eq!(Bytes(1 << 30).to_string(), "1Gi");
        assert_eq!(Bytes(133_800_000).to_string(), "127.6Mi");
        assert_eq!(Bytes(1000).to_string(), "1000");
        assert_eq!(MilliCpu(500).to_string(), "500m");
        assert_eq!(MilliCpu(2000).to_string(), "2");
    }
}
