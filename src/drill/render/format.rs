//! Times as kubectl and the API server write them.

use crate::engine::{SimDuration, SimTime};

/// The wall-clock instant of simulated time zero: Thursday 19 March 2026, 12:00:00 UTC
/// (seed 001's date), so that `Started:`/`Finished:` read like a real cluster's.
pub const EPOCH_UNIX_S: u64 = 1_773_921_600;

/// An age as kubectl prints it (`HumanDuration` in k8s.io/apimachinery
/// `pkg/util/duration`): `45s`, `5m30s` under ten minutes, `12m` under three hours,
/// `3h5m` under eight hours, `20h` under two days, then days.
pub fn age(d: SimDuration) -> String {
    let s = d.as_secs();
    if s < 120 {
        return format!("{s}s");
    }
    let m = s / 60;
    if m < 10 {
        return match s % 60 {
            0 => format!("{m}m"),
            r => format!("{m}m{r}s"),
        };
    }
    if m < 180 {
        return format!("{m}m");
    }
    let h = s / 3600;
    if h < 8 {
        return match m % 60 {
            0 => format!("{h}h"),
            r => format!("{h}h{r}m"),
        };
    }
    if h < 48 {
        return format!("{h}h");
    }
    if h < 24 * 8 {
        return match h % 24 {
            0 => format!("{}d", h / 24),
            r => format!("{}d{r}h", h / 24),
        };
    }
    format!("{}d", h / 24)
}

/// Calendar fields of a Unix time (UTC): (year, month, day, weekday 0 = Sunday, h, m, s).
fn civil(unix: u64) -> (i64, u32, u32, u32, u64, u64, u64) {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    let weekday = ((days + 4).rem_euclid(7)) as u32;
    (y, m, d, weekday, secs / 3600, (secs / 60) % 60, secs % 60)
}

fn unix(t: SimTime) -> u64 {
    EPOCH_UNIX_S + t.as_nanos() / 1_000_000_000
}

/// [`rfc1123`] of the instant `ago` before `now` (which may precede the run's start).
pub fn rfc1123_ago(now: SimTime, ago: SimDuration) -> String {
    let secs = (unix(now) as i64 - ago.as_secs() as i64).max(0) as u64;
    rfc1123_unix(secs)
}

/// `Thu, 19 Mar 2026 12:16:05 +0000`, as `kubectl describe` prints times.
pub fn rfc1123(t: SimTime) -> String {
    rfc1123_unix(unix(t))
}

fn rfc1123_unix(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, wd, h, mi, s) = civil(unix);
    format!(
        "{}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} +0000",
        DAYS[wd as usize],
        MONTHS[(mo - 1) as usize]
    )
}

/// `2026-03-19T12:16:05.250000Z`, as Envoy and istio-agent stamp log lines.
pub fn rfc3339_micros(t: SimTime) -> String {
    let (y, mo, d, _, h, mi, s) = civil(unix(t));
    let micros = (t.as_nanos() % 1_000_000_000) / 1000;
    format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_follow_kubectl_human_duration() {
        let s = SimDuration::from_secs;
        assert_eq!(age(s(45)), "45s");
        assert_eq!(age(s(119)), "119s");
        assert_eq!(age(s(330)), "5m30s");
        assert_eq!(age(s(300)), "5m");
        assert_eq!(age(s(12 * 60 + 59)), "12m");
        assert_eq!(age(s(3 * 3600 + 5 * 60)), "3h5m");
        assert_eq!(age(s(20 * 3600)), "20h");
        assert_eq!(age(s(50 * 3600)), "2d2h");
    }

    #[test]
    fn the_epoch_is_a_thursday_at_noon() {
        assert_eq!(rfc1123(SimTime::ZERO), "Thu, 19 Mar 2026 12:00:00 +0000");
        assert_eq!(
            rfc3339_micros(SimTime::from_nanos(61_250_000_000)),
            "2026-03-19T12:01:01.250000Z"
        );
    }
}
