//! A law's excursion above its fluid mean in closed form: bytes held during one window
//! known in advance, so nothing has to wake up at its edges.
//!
//! Fluid fidelity draws each arrival step's busiest moment (`busiest.rs`): requests in
//! flight or spans waiting rise above their mean for a few milliseconds, once per step.
//! As events that was two wake-ups per step per law, each re-predicting the node, for an
//! excursion that almost never reaches anything (about two thirds of a small mesh's
//! events). Like the stats flush's [`Ripple`](super::Ripple), the container instead adds
//! the pulse where it reads its laws: the working set at an instant, the peak between
//! two wake-ups, the instant a limit is reached; the kernel adds it to a pod cgroup's or
//! node's upper bound.

use crate::engine::SimTime;

/// `bytes` held during `[at, until)`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) struct Pulse {
    /// When it starts.
    pub at: SimTime,
    /// When it is over.
    pub until: SimTime,
    /// Bytes held while it lasts.
    pub bytes: f64,
}

impl Pulse {
    /// Bytes held at `t`.
    pub fn at(&self, t: SimTime) -> f64 {
        if self.at <= t && t < self.until {
            self.bytes
        } else {
            0.0
        }
    }
}

/// Most pulses a container holds at once: one per law that draws a busiest moment
/// (requests in flight, the tracer's spans), each at most once per container.
const MOST: usize = 2;

/// A container's pulses.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Pulses {
    list: [Option<Pulse>; MOST],
}

impl Pulses {
    /// Adds `p`. Past [`MOST`] (a container with more laws that pulse than the registry
    /// has), the last slot widens to cover both and holds their sum: never below what
    /// they hold.
    pub fn push(&mut self, p: Pulse) {
        if let Some(slot) = self.list.iter_mut().find(|s| s.is_none()) {
            *slot = Some(p);
        } else if let Some(last) = &mut self.list[MOST - 1] {
            last.at = last.at.min(p.at);
            last.until = last.until.max(p.until);
            last.bytes += p.bytes;
        }
    }

    /// Every pulse.
    pub fn iter(&self) -> impl Iterator<Item = &Pulse> {
        self.list.iter().flatten()
    }

    /// Bytes held at `t`.
    pub fn at(&self, t: SimTime) -> f64 {
        self.iter().map(|p| p.at(t)).sum()
    }

    /// Bytes of the pulses not over at `t` (running or to come): what they could add.
    pub fn ahead(&self, t: SimTime) -> f64 {
        self.iter().filter(|p| p.until > t).map(|p| p.bytes).sum()
    }

    /// The first instant after `t` at which a pulse starts or ends.
    pub fn next_edge(&self, t: SimTime) -> SimTime {
        self.iter()
            .flat_map(|p| [p.at, p.until])
            .filter(|&e| e > t)
            .min()
            .unwrap_or(SimTime::NEVER)
    }

    /// `true` without pulses.
    pub fn is_empty(&self) -> bool {
        self.list[0].is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    /// `bytes` held from second `at` to second `until`.
    fn pulse(at: u64, until: u64, bytes: f64) -> Pulse {
        Pulse {
            at: t(at),
            until: t(until),
            bytes,
        }
    }

    #[test]
    fn held_inside_the_window_only() {
        let p = pulse(2, 3, 7.0);
        assert_eq!(p.at(t(1)), 0.0);
        assert_eq!(p.at(t(2)), 7.0);
        assert_eq!(p.at(t(3)), 0.0);
    }

    #[test]
    fn pulses_add_up_and_edges_are_in_order() {
        let mut ps = Pulses::default();
        assert!(ps.is_empty());
        ps.push(pulse(2, 5, 1.0));
        ps.push(pulse(4, 6, 2.0));
        assert_eq!(ps.at(t(4)), 3.0);
        assert_eq!(ps.ahead(t(5)), 2.0);
        assert_eq!(ps.next_edge(t(0)), t(2));
        assert_eq!(ps.next_edge(t(2)), t(4));
        assert_eq!(ps.next_edge(t(6)), SimTime::NEVER);
        // A third widens the last: never below what they hold.
        ps.push(pulse(8, 9, 4.0));
        assert_eq!(ps.at(t(4)), 7.0);
        assert_eq!(ps.at(t(8)), 6.0);
    }
}
