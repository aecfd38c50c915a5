//! Kubernetes quantities (`512Mi`, `1.5Gi`, `1G`, `500m`, `1e3`) parsed exactly.
//!
//! The grammar is apimachinery's `resource.Quantity`: a decimal number followed by a
//! binary suffix (`Ki` … `Ei`), a decimal suffix (`m`, `k`, `M` … `E`) or an exponent
//! (`e3`, `E-2`). Arithmetic is on integers (a mantissa and a power of ten), so `1.5Gi`
//! is exactly 1 610 612 736 bytes; a fractional result rounds up, as `Quantity.Value()`
//! does. Negative quantities are rejected: nothing meshmem reads can be negative.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::model::{Bytes, MilliCpu};

/// What went wrong parsing a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError(String);

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A quantity as an exact fraction `num / den`.
struct Exact {
    num: u128,
    den: u128,
}

fn pow(base: u128, exp: u32) -> Option<u128> {
    base.checked_pow(exp)
}

/// Parses `text` as a non-negative quantity; `what` names the expected form in errors.
fn parse_exact(text: &str, what: &str) -> Result<Exact, QuantityError> {
    let bad = || QuantityError(format!("expected {what}, found `{text}`"));
    let s = text.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return Err(QuantityError(format!(
            "expected {what}, found the negative quantity `{text}`"
        )));
    }
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_end);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
        return Err(bad());
    }
    let digits = format!("{whole}{frac}");
    let mut num: u128 = digits.parse().map_err(|_| bad())?;
    let mut den: u128 = pow(10, frac.len() as u32).ok_or_else(bad)?;
    let overflow = || QuantityError(format!("`{text}` is too large"));
    let scale_up = |num: u128, k: u128| num.checked_mul(k).ok_or_else(overflow);
    match suffix {
        "" => {}
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let k = "KMGTPE".find(&suffix[..1]).expect("listed") as u32 + 1;
            num = scale_up(num, 1u128 << (10 * k))?;
        }
        "m" => den = den.checked_mul(1000).ok_or_else(overflow)?,
        "k" | "M" | "G" | "T" | "P" | "E" => {
            let k = "kMGTPE".find(suffix).expect("listed") as u32 + 1;
            num = scale_up(num, pow(10, 3 * k).ok_or_else(overflow)?)?;
        }
        _ => {
            let exp = suffix
                .strip_prefix(['e', 'E'])
                .and_then(|e| e.parse::<i32>().ok())
                .ok_or_else(bad)?;
            let p = pow(10, exp.unsigned_abs()).ok_or_else(overflow)?;
            if exp >= 0 {
                num = scale_up(num, p)?;
            } else {
                den = den.checked_mul(p).ok_or_else(overflow)?;
            }
        }
    }
    Ok(Exact { num, den })
}

fn ceil_div(num: u128, den: u128) -> u128 {
    num.div_ceil(den)
}

const MEMORY_FORM: &str = "a memory quantity such as 512Mi, 1.5Gi, 1G or 1048576 (bytes)";
const CPU_FORM: &str = "a CPU quantity such as 500m, 0.5 or 2 (cores)";

/// Parses a memory quantity into bytes (rounding a fraction of a byte up).
pub fn parse_bytes(text: &str) -> Result<Bytes, QuantityError> {
    let q = parse_exact(text, MEMORY_FORM)?;
    u64::try_from(ceil_div(q.num, q.den))
        .map(Bytes)
        .map_err(|_| QuantityError(format!("`{text}` is too large")))
}

/// Parses a CPU quantity into millicores (rounding a fraction of a millicore up).
pub fn parse_millicpu(text: &str) -> Result<MilliCpu, QuantityError> {
    let q = parse_exact(text, CPU_FORM)?;
    let num = q
        .num
        .checked_mul(1000)
        .ok_or_else(|| QuantityError(format!("`{text}` is too large")))?;
    u64::try_from(ceil_div(num, q.den))
        .map(MilliCpu)
        .map_err(|_| QuantityError(format!("`{text}` is too large")))
}

/// The largest memory quantity a scenario may hold: 8Pi (2^53 bytes), the largest whole
/// number of bytes the model's floating-point arithmetic represents exactly, and some
/// 300 times the memory of the largest machines sold.
pub const MAX_MEMORY: Bytes = Bytes(1 << 53);

/// Parses a memory quantity of a scenario file: as [`parse_bytes`], at most [`MAX_MEMORY`].
pub fn parse_memory(text: &str) -> Result<Bytes, QuantityError> {
    let b = parse_bytes(text)?;
    if b > MAX_MEMORY {
        return Err(QuantityError(format!(
            "`{text}` is too large: memory quantities go up to {MAX_MEMORY}"
        )));
    }
    Ok(b)
}

/// A memory quantity in a scenario file: `512Mi`, `1.5Gi`, or a number of bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Memory(pub Bytes);

/// A CPU quantity in a scenario file: `500m`, or a number of cores.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cpu(pub MilliCpu);

struct QuantityVisitor<T> {
    form: &'static str,
    parse: fn(&str) -> Result<T, QuantityError>,
}

impl<T> Visitor<'_> for QuantityVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.form)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(|e| E::custom(e))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
}

impl<'de> Deserialize<'de> for Memory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QuantityVisitor {
            form: MEMORY_FORM,
            parse: parse_memory,
        })
        .map(Memory)
    }
}

impl Serialize for Memory {
    /// Exact bytes: a variant's patch reads the scenario back, and `953.7Mi` would not
    /// be the `1000000001` that was written.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Cpu {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QuantityVisitor {
            form: CPU_FORM,
            parse: parse_millicpu,
        })
        .map(Cpu)
    }
}

impl Serialize for Cpu {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}m", self.0.0))
    }
}

/// A Kubernetes quantity as the schema states it: apimachinery's grammar (a decimal
/// number and a binary or decimal suffix or an exponent), or a plain number.
pub const QUANTITY_PATTERN: &str =
    r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$";

fn quantity_schema(description: &str, examples: serde_json::Value) -> schemars::Schema {
    schemars::json_schema!({
        "description": description,
        "anyOf": [
            {"type": "string", "pattern": QUANTITY_PATTERN},
            {"type": "number", "minimum": 0}
        ],
        "examples": examples
    })
}

impl schemars::JsonSchema for Memory {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Memory".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        quantity_schema(
            "Memory: a Kubernetes quantity (512Mi, 1.5Gi, 1G); a bare number is bytes.",
            serde_json::json!(["512Mi", "1.5Gi", "64Ki"]),
        )
    }
}

impl schemars::JsonSchema for Cpu {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cpu".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        quantity_schema(
            "CPU: a Kubernetes quantity (500m, 0.5, 2); a bare number is cores.",
            serde_json::json!(["500m", "2"]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kubernetes_examples_parse_exactly() {
        assert_eq!(parse_bytes("64Mi").unwrap(), Bytes(64 << 20));
        assert_eq!(parse_bytes("1.5Gi").unwrap(), Bytes(1_610_612_736));
        assert_eq!(parse_bytes("129e6").unwrap(), Bytes(129_000_000));
        assert_eq!(parse_bytes("129M").unwrap(), Bytes(129_000_000));
        assert_eq!(parse_bytes("128974848").unwrap(), Bytes(128_974_848));
        assert_eq!(parse_bytes("1E").unwrap(), Bytes(1_000_000_000_000_000_000));
        assert_eq!(parse_bytes(".5Ki").unwrap(), Bytes(512));
        assert_eq!(parse_millicpu("500m").unwrap(), MilliCpu(500));
        assert_eq!(parse_millicpu("0.5").unwrap(), MilliCpu(500));
        assert_eq!(parse_millicpu("2").unwrap(), MilliCpu(2000));
        assert_eq!(parse_millicpu("0.0001").unwrap(), MilliCpu(1));
    }

    #[test]
    fn scenario_memory_is_bounded_and_serialises_exactly() {
        assert_eq!(parse_memory("8Pi").unwrap(), MAX_MEMORY);
        assert!(
            parse_memory("9Pi")
                .unwrap_err()
                .to_string()
                .contains("too large")
        );
        let odd = Memory(Bytes(1_000_000_001));
        let json = serde_json::to_value(odd).unwrap();
        assert_eq!(json, serde_json::json!("1000000001"));
    }

    #[test]
    fn malformed_and_negative_quantities_are_rejected() {
        for bad in [
            "12Qi", "", "Mi", "1.2.3Mi", "1 Mi", "abc", "1e", "-5Mi", "1e400",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad} parsed");
        }
        let msg = parse_bytes("12Qi").unwrap_err().to_string();
        assert!(msg.contains("512Mi") && msg.contains("`12Qi`"), "{msg}");
    }

    proptest! {
        #[test]
        fn binary_suffixes_multiply_exactly(n in 0u64..1_000_000, k in 0usize..4) {
            let (suffix, mult) = [("Ki", 1u64 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40)][k];
            prop_assert_eq!(parse_bytes(&format!("{n}{suffix}")).unwrap(), Bytes(n * mult));
        }

        #[test]
        fn display_round_trips(n in 0u64..(1 << 50)) {
            let shown = Bytes(n).to_string();
            if !shown.contains('.') {
                prop_assert_eq!(parse_bytes(&shown).unwrap(), Bytes(n));
            }
        }

        #[test]
        fn decimal_fractions_round_up(whole in 0u64..10_000, tenths in 0u64..10) {
            let parsed = parse_bytes(&format!("{whole}.{tenths}")).unwrap();
            prop_assert_eq!(parsed, Bytes(whole + u64::from(tenths > 0)));
        }

        #[test]
        fn millicores_and_cores_agree(m in 0u64..100_000) {
            let cores = format!("{}.{:03}", m / 1000, m % 1000);
            prop_assert_eq!(parse_millicpu(&format!("{m}m")).unwrap(), parse_millicpu(&cores).unwrap());
        }
    }
}
