//! Items a law holds until known instants, in order (requests in flight until they
//! leave, tracer reports until the collector answers): what has left by an instant and
//! when the next leaves, for the laws' releases (`MemoryLaw::released`).

use std::collections::VecDeque;

use crate::engine::SimTime;

/// How many of `queue` (instants in order) have left by `t` (at `t` too if `at_too`).
pub(super) fn left_by(queue: &VecDeque<SimTime>, t: SimTime, at_too: bool) -> usize {
    let left = |d: SimTime| d < t || (at_too && d == t);
    // Mostly none has left since the last update: one comparison.
    if !queue.front().is_some_and(|&d| left(d)) {
        return 0;
    }
    queue.partition_point(|&d| left(d))
}

/// The first instant of `queue` after `after` ([`SimTime::NEVER`] if none).
pub(super) fn next_after(queue: &VecDeque<SimTime>, after: SimTime) -> SimTime {
    let i = left_by(queue, after, true);
    queue.get(i).copied().unwrap_or(SimTime::NEVER)
}
