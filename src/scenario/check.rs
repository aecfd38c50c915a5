//! Checks of single values that the build steps share: each returns the value or a
//! problem that says what would be right.

use serde_saphyr::{Location, Spanned};

use crate::engine::SimDuration;
use crate::scenario::duration::Duration;
use crate::scenario::error::Problem;

/// `v` (a percentage) if from 0 to 100.
pub fn percent(v: f64, at: Location) -> Result<f64, Problem> {
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(Problem::new(
            at,
            format!("sampling {v} is not a percentage"),
            "a percentage from 0 to 100 (1 = 1 %)",
        ))
    }
}

/// `v` if finite and ≥ 0.
pub fn non_negative(v: f64, at: Location, what: &str) -> Result<f64, Problem> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Problem::new(
            at,
            format!("`{what}` is {v}"),
            "a finite number ≥ 0",
        ))
    }
}

/// The duration `d` if given and positive, `default` if not given.
pub fn positive_or(
    d: Option<&Spanned<Duration>>,
    default: SimDuration,
    what: &str,
) -> Result<SimDuration, Problem> {
    match d {
        None => Ok(default),
        Some(d) if d.value.0.is_zero() => Err(Problem::new(
            d.referenced,
            format!("`{what}` is zero"),
            "a positive duration such as 5s",
        )),
        Some(d) => Ok(d.value.0),
    }
}
