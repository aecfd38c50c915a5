//! Units as newtypes: memory in bytes, CPU in millicores.
//!
//! Quantities are parsed from Kubernetes notation by the scenario layer; here they are
//! plain integers with the unit in the type.

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

#[cfg(test)]
mod tests {
    use super::*;

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
