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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Whatever the queue (wrapped around its ring buffer or not) and the instant,
    /// `left_by` counts what a plain scan counts.
    #[test]
    fn left_by_counts_what_a_scan_counts() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let case = (
            proptest::collection::vec(0u64..6, 0..24),
            0usize..24,
            0u64..40,
            any::<bool>(),
        );
        runner
            .run(&case, |(gaps, popped, t, at_too)| {
                // Popping from the front then pushing makes the deque wrap.
                let mut queue = VecDeque::with_capacity(8);
                let mut at = 0;
                for (i, g) in gaps.iter().enumerate() {
                    at += g;
                    queue.push_back(SimTime::from_secs(at));
                    if i < popped {
                        queue.pop_front();
                    }
                }
                let t = SimTime::from_secs(t);
                let scan = queue
                    .iter()
                    .filter(|&&d| d < t || (at_too && d == t))
                    .count();
                prop_assert_eq!(left_by(&queue, t, at_too), scan);
                Ok(())
            })
            .unwrap();
    }
}
