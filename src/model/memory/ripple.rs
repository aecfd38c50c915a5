//! A law's periodic part in closed form: bytes held during windows that repeat with a
//! fixed period, known in advance, so nothing has to wake up at each window.
//!
//! Envoy's stats flush is the case (`stats.rs`): when the flush takes no CPU from the
//! workers, nothing else depends on it, and its snapshot is a square wave — held for a
//! flush's duration, then released for the flush interval, again and again until the
//! load changes. A 1 s flush interval is two wake-ups a second per proxy as events
//! (≈ 90 % of a fluid mesh's wake-ups); as a ripple it costs nothing between load
//! changes. The container adds the ripple where it reads its laws: the working set at
//! an instant, the peak between two wake-ups, the instant a limit is reached.

use crate::engine::{SimDuration, SimTime};

/// `height` bytes held during `[first + k·period, first + k·period + high)` for every
/// k ≥ 0, and during `open` (a window already running when the ripple was drawn).
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) struct Ripple {
    /// Bytes held while a window is open.
    pub height: f64,
    /// A window open before `first`: `[since, until)`.
    pub open: Option<(SimTime, SimTime)>,
    /// Start of the first regular window.
    pub first: SimTime,
    /// How long each regular window stays open (> 0).
    pub high: SimDuration,
    /// From one window's start to the next (> `high`).
    pub period: SimDuration,
}

impl Ripple {
    /// Start of the last regular window starting at or before `t`, if any.
    fn window_start(&self, t: SimTime) -> Option<SimTime> {
        if t < self.first {
            return None;
        }
        let k = (t - self.first).as_nanos() / self.period.as_nanos();
        Some(self.first + SimDuration::from_nanos(k * self.period.as_nanos()))
    }

    /// Start of the window open at `t`, if one is.
    pub fn open_since(&self, t: SimTime) -> Option<SimTime> {
        if let Some((since, until)) = self.open
            && since <= t
            && t < until
        {
            return Some(since);
        }
        self.window_start(t).filter(|&s| t < s + self.high)
    }

    /// `true` when a window is open at `t`.
    pub fn is_high(&self, t: SimTime) -> bool {
        self.open_since(t).is_some()
    }

    /// Bytes held at `t`.
    pub fn at(&self, t: SimTime) -> f64 {
        if self.is_high(t) { self.height } else { 0.0 }
    }

    /// The first instant at or after `t` at which a window is open.
    pub fn next_high(&self, t: SimTime) -> SimTime {
        if self.is_high(t) {
            return t;
        }
        if let Some((since, _)) = self.open
            && t < since
        {
            return since;
        }
        match self.window_start(t) {
            None => self.first,
            Some(s) => s + self.period,
        }
    }

    /// The first instant after `t` at which a window opens or closes.
    pub fn next_edge(&self, t: SimTime) -> SimTime {
        let open = match self.open {
            Some((since, _)) if t < since => since,
            Some((_, until)) if t < until => until,
            _ => SimTime::NEVER,
        };
        let regular = match self.window_start(t) {
            None => self.first,
            Some(s) if t < s + self.high => s + self.high,
            Some(s) => s + self.period,
        };
        open.min(regular)
    }

    /// The latest instant in `(after, t]` at which a window is open, or the end of the
    /// last window that closed in it (the supremum of what was held: a rising trend is
    /// highest there); `None` if no window touched the interval.
    pub fn last_high_in(&self, after: SimTime, t: SimTime) -> Option<SimTime> {
        if self.is_high(t) {
            return Some(t);
        }
        let end = match self.window_start(t) {
            Some(s) => Some(s + self.high),
            None => self.open.map(|(_, until)| until),
        };
        end.filter(|&e| e > after && e <= t)
    }

    /// The earliest instant in `[after, t]` at which a window is open (a falling trend
    /// is highest there); `None` if none is.
    pub fn first_high_in(&self, after: SimTime, t: SimTime) -> Option<SimTime> {
        Some(self.next_high(after)).filter(|&p| p <= t)
    }

    /// Duration of the last window that closed at or before `t`, if any did.
    pub fn last_closed(&self, t: SimTime) -> Option<SimDuration> {
        match self.window_start(t) {
            Some(s) if s + self.high <= t => Some(self.high),
            Some(s) if s > self.first => Some(self.high),
            _ => self
                .open
                .filter(|&(_, until)| until <= t)
                .map(|(since, until)| until - since),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: f64) -> SimDuration {
        SimDuration::from_nanos((s * 1e9).round() as u64)
    }

    fn secs(s: f64) -> SimTime {
        SimTime::ZERO + d(s)
    }

    /// A 0.25 s window every 1.25 s from t = 2 s, and one open from 0.5 s to 1 s.
    fn ripple() -> Ripple {
        Ripple {
            height: 7.0,
            open: Some((secs(0.5), secs(1.0))),
            first: secs(2.0),
            high: d(0.25),
            period: d(1.25),
        }
    }

    /// The ripple by brute force on a 1 ms grid, to check the closed forms.
    fn high_by_grid(t_ms: u64) -> bool {
        let t = t_ms as f64 / 1000.0;
        (0.5..1.0).contains(&t) || (t >= 2.0 && ((t - 2.0) % 1.25) < 0.25 - 1e-12)
    }

    #[test]
    fn windows_open_and_close_where_the_period_says() {
        let r = ripple();
        for ms in 0..10_000 {
            let t = SimTime::ZERO + SimDuration::from_nanos(ms * 1_000_000);
            assert_eq!(r.is_high(t), high_by_grid(ms), "at {ms} ms");
            assert_eq!(r.at(t), if high_by_grid(ms) { 7.0 } else { 0.0 });
        }
    }

    #[test]
    fn the_next_open_instant_is_the_first_on_the_grid() {
        let r = ripple();
        for ms in 0..9_000 {
            let t = SimTime::ZERO + SimDuration::from_nanos(ms * 1_000_000);
            let want = (ms..).find(|&m| high_by_grid(m)).unwrap();
            assert_eq!(
                r.next_high(t),
                SimTime::ZERO + SimDuration::from_nanos(want * 1_000_000),
                "from {ms} ms"
            );
        }
    }

    #[test]
    fn the_next_edge_is_the_next_change_on_the_grid() {
        let r = ripple();
        for ms in 0..9_000 {
            let t = SimTime::ZERO + SimDuration::from_nanos(ms * 1_000_000);
            let want = (ms + 1..)
                .find(|&m| high_by_grid(m) != high_by_grid(m - 1))
                .unwrap();
            assert_eq!(
                r.next_edge(t),
                SimTime::ZERO + SimDuration::from_nanos(want * 1_000_000),
                "from {ms} ms"
            );
        }
    }

    #[test]
    fn the_last_window_in_an_interval_is_found() {
        let r = ripple();
        // Inside a window: the end of the interval itself.
        assert_eq!(r.last_high_in(secs(0.0), secs(2.1)), Some(secs(2.1)));
        // Between windows: where the last one closed.
        assert_eq!(r.last_high_in(secs(0.0), secs(3.0)), Some(secs(2.25)));
        assert_eq!(r.last_high_in(secs(0.0), secs(1.5)), Some(secs(1.0)));
        // No window touched (2.25, 3.0].
        assert_eq!(r.last_high_in(secs(2.25), secs(3.0)), None);
        assert_eq!(r.first_high_in(secs(2.3), secs(3.2)), None);
        assert_eq!(r.first_high_in(secs(2.3), secs(3.3)), Some(secs(3.25)));
    }

    #[test]
    fn the_last_closed_window_gives_the_flush_duration() {
        let r = ripple();
        assert_eq!(r.last_closed(secs(0.7)), None);
        assert_eq!(r.last_closed(secs(1.5)), Some(d(0.5)));
        assert_eq!(r.last_closed(secs(2.1)), Some(d(0.5)));
        assert_eq!(r.last_closed(secs(2.3)), Some(d(0.25)));
        assert_eq!(r.last_closed(secs(3.3)), Some(d(0.25)));
    }
}
