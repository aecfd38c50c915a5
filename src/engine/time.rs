//! Simulated time as integer nanoseconds.
//!
//! Instants ([`SimTime`]) and spans ([`SimDuration`]) are distinct types so that adding two
//! instants does not compile. Conversions from seconds as `f64` exist only at the edges
//! (rates in the model are per second); they round up, so a predicted crossing is never
//! scheduled before the instant it happens.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time: nanoseconds since the start of the run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time in nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// "Never": later than any instant a run reaches.
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }

    /// The instant `secs` whole seconds after the start.
    pub const fn from_secs(secs: u64) -> Self {
        SimTime(secs * NANOS_PER_SEC)
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, as a float (for rates and output only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at [`SimTime::NEVER`].
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The instant written as seconds with millisecond precision (`"7215.250"`), by
    /// integer arithmetic so that output is exact and identical everywhere.
    pub fn secs_millis(self) -> SecsMillis {
        SecsMillis(self.0)
    }
}

/// Display adapter for [`SimTime::secs_millis`].
pub struct SecsMillis(u64);

impl fmt::Display for SecsMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0 / 1_000_000;
        write!(f, "{}.{:03}", millis / 1000, millis % 1000)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }

    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        SimDuration(millis * 1_000_000)
    }

    /// A span of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs * NANOS_PER_SEC)
    }

    /// A span of `secs` seconds, rounded up to the next nanosecond; negative and NaN
    /// values give zero, values beyond `u64` saturate.
    pub fn from_secs_f64_ceil(secs: f64) -> Self {
        let nanos = (secs * NANOS_PER_SEC as f64).ceil();
        if nanos.is_nan() || nanos <= 0.0 {
            SimDuration(0)
        } else if nanos >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            SimDuration(nanos as u64)
        }
    }

    /// Nanoseconds in this span.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds in this span, as a float (for rates and output only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Whole seconds in this span (truncated).
    pub const fn as_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    /// `self × k`, saturating.
    pub fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }

    /// `true` for a zero-length span.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl From<std::time::Duration> for SimDuration {
    fn from(d: std::time::Duration) -> Self {
        SimDuration(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_formatted_exactly_with_millis() {
        let t = SimTime::from_nanos(7_215_250_999_999);
        assert_eq!(t.secs_millis().to_string(), "7215.250");
        assert_eq!(SimTime::ZERO.secs_millis().to_string(), "0.000");
    }

    #[test]
    fn float_seconds_round_up_so_crossings_are_never_early() {
        assert_eq!(SimDuration::from_secs_f64_ceil(1e-10).as_nanos(), 1);
        assert_eq!(
            SimDuration::from_secs_f64_ceil(1.5).as_nanos(),
            1_500_000_000
        );
        assert_eq!(SimDuration::from_secs_f64_ceil(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64_ceil(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64_ceil(1e30).as_nanos(), u64::MAX);
    }

    /// Whatever the float, the nanoseconds are those of `f64::ceil` (a guard for any
    /// shortcut around the library call: exact below 2^53 ns, where floats have
    /// fractions, and above).
    #[test]
    fn rounding_up_agrees_with_ceil_for_any_float() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let secs = prop_oneof![
            0.0..1e-6f64,
            0.0..10.0f64,
            0.0..1e8f64,
            1e8..2e10f64,
            any::<f64>(),
        ];
        runner
            .run(&secs, |s| {
                let nanos = (s * NANOS_PER_SEC as f64).ceil();
                if nanos > 0.0 && nanos < u64::MAX as f64 {
                    prop_assert_eq!(SimDuration::from_secs_f64_ceil(s).as_nanos(), nanos as u64);
                }
                Ok(())
            })
            .unwrap();
        for s in [0.1, 0.3, 1e-9, 2.5e-9, 9_007_199.254_740_993] {
            let nanos = (s * NANOS_PER_SEC as f64).ceil() as u64;
            assert_eq!(SimDuration::from_secs_f64_ceil(s).as_nanos(), nanos, "{s}");
        }
    }

    #[test]
    fn adding_to_never_stays_never() {
        assert_eq!(SimTime::NEVER + SimDuration::from_secs(5), SimTime::NEVER);
    }
}
