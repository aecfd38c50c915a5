//! Values as a scenario file writes them: quantities with units, Go-style durations,
//! YAML strings quoted only when they must be.

/// Bytes as a Kubernetes quantity with a unit (`116.2Mi`, `2.5Ki`); under a kibibyte a
/// plain number of bytes, which the caller must say in a comment.
pub fn bytes(b: f64) -> String {
    let b = b.max(0.0);
    let (v, unit) = if b >= (1u64 << 30) as f64 {
        (b / (1u64 << 30) as f64, "Gi")
    } else if b >= (1u64 << 20) as f64 {
        (b / (1u64 << 20) as f64, "Mi")
    } else if b >= 1024.0 {
        (b / 1024.0, "Ki")
    } else {
        return format!("{}", b.round());
    };
    let digits = if v >= 100.0 { 1 } else { 2 };
    let s = format!("{v:.digits$}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{unit}")
}

/// Seconds as a Go duration (`6h`, `2h30m`, `9m59s`, `250ms`).
pub fn duration(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms.div_ceil(1000);
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if sec > 0 || out.is_empty() {
        out += &format!("{sec}s");
    }
    out
}

/// A number with up to `digits` decimals, trailing zeros dropped.
pub fn number(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A YAML scalar for `s`: plain when unambiguous, single-quoted when that suffices,
/// JSON-quoted (valid YAML) otherwise.
pub fn string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
        && ![
            "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
        ]
        .contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_string()
    } else if !s.contains('\'') && !s.chars().any(char::is_control) {
        format!("'{s}'")
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_carry_units_and_round_trip_closely() {
        assert_eq!(bytes(120.0 * 1048576.0), "120Mi");
        assert_eq!(bytes(1536.0), "1.5Ki");
        assert_eq!(bytes(64.0), "64");
        assert_eq!(bytes(1.25 * 1073741824.0), "1.25Gi");
        let b = 116.237 * 1048576.0;
        let back = crate::scenario::quantity::parse_bytes(&bytes(b)).unwrap().0 as f64;
        assert!((back - b).abs() / b < 1e-3);
    }

    #[test]
    fn durations_are_written_the_go_way() {
        assert_eq!(duration(21600.0), "6h");
        assert_eq!(duration(599.0), "9m59s");
        assert_eq!(duration(0.25), "250ms");
        assert_eq!(duration(9000.0), "2h30m");
    }

    #[test]
    fn strings_are_quoted_only_when_needed() {
        assert_eq!(string("checkout"), "checkout");
        assert_eq!(string("false"), "'false'");
        assert_eq!(string("256Mi"), "'256Mi'");
        assert_eq!(string("{\"a\":1}"), "'{\"a\":1}'");
        assert_eq!(string("it's"), "\"it's\"");
    }
}
