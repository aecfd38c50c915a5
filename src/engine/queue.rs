//! The future event list: a binary heap ordered by (time, sequence number).
//!
//! Ties in time are broken by the order of scheduling, so a run never depends on heap
//! internals. Cancellation is lazy: a cancelled event stays in the heap, marked, and is
//! dropped when it reaches the top. When marked events outnumber live ones the heap is
//! rebuilt without them, so memory stays proportional to the live events however often
//! a prediction is moved (amortised O(1) per cancel).
//!
//! Costs: `schedule` O(log n), `pop` O(log n) amortised, `cancel` O(1) amortised.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::time::SimTime;

/// Handle of a scheduled event, used to cancel it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventKey(u64);

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: `BinaryHeap` is a max-heap and the earliest (time, seq) must come first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Sequence numbers are unique, so a multiplicative mix is a good enough hash and far
/// cheaper than SipHash on the hot path.
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Cancelled-event marks below this many never trigger a rebuild.
const MIN_REBUILD: usize = 64;

/// A priority queue of events of type `E` with a clock that advances as events are taken.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    cancelled: HashSet<u64, BuildHasherDefault<SeqHasher>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            cancelled: HashSet::default(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the event taken last (the current simulated time).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at`; an instant in the past is treated as now. O(log n).
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time: at.max(self.now),
            seq,
            event,
        });
        EventKey(seq)
    }

    /// Cancels a scheduled event. Cancelling an event that already happened is harmless.
    pub fn cancel(&mut self, key: EventKey) {
        self.cancelled.insert(key.0);
        if self.cancelled.len() > MIN_REBUILD && 2 * self.cancelled.len() > self.heap.len() {
            let cancelled = std::mem::take(&mut self.cancelled);
            // Marks of events that already happened are dropped here too.
            self.heap.retain(|e| !cancelled.contains(&e.seq));
        }
    }

    /// Cancels `key` (if any) and schedules `event` at `at` in its place.
    pub fn reschedule(&mut self, key: &mut Option<EventKey>, at: SimTime, event: E) {
        if let Some(old) = key.take() {
            self.cancel(old);
        }
        *key = Some(self.schedule(at, event));
    }

    /// Takes the next live event if it is due no later than `horizon`, and advances the
    /// clock to its time. O(log n) amortised.
    pub fn pop_until(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        loop {
            let top = self.heap.peek()?;
            if top.time > horizon {
                return None;
            }
            let Entry { time, seq, event } = self.heap.pop()?;
            if !self.cancelled.is_empty() && self.cancelled.remove(&seq) {
                continue;
            }
            self.now = time;
            return Some((time, event));
        }
    }

    /// Takes the next live event, however far ahead.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::NEVER)
    }

    /// Entries held, cancelled ones included until they are dropped.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// `true` when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_come_out_in_scheduling_order() {
        let mut q = EventQueue::new();
        let t = SimTime::from_secs(5);
        for i in 0..10 {
            q.schedule(t, i);
        }
        q.schedule(SimTime::from_secs(1), 99);
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec![99, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn cancelled_and_rescheduled_events_fire_once_at_the_new_time() {
        let mut q = EventQueue::new();
        let mut key = Some(q.schedule(SimTime::from_secs(10), "oom"));
        q.reschedule(&mut key, SimTime::from_secs(3), "oom");
        q.schedule(SimTime::from_secs(5), "scrape");
        let fired: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            fired,
            vec![
                (SimTime::from_secs(3), "oom"),
                (SimTime::from_secs(5), "scrape")
            ]
        );
    }

    #[test]
    fn memory_stays_bounded_under_endless_rescheduling() {
        let mut q = EventQueue::new();
        let mut key = None;
        for i in 0..100_000u64 {
            q.reschedule(&mut key, SimTime::from_secs(1_000_000 + i), ());
        }
        assert!(q.len() <= 2 * MIN_REBUILD + 2, "heap holds {}", q.len());
        assert_eq!(q.pop().map(|(t, _)| t), Some(SimTime::from_secs(1_099_999)));
        assert!(q.pop().is_none());
    }

    #[test]
    fn pop_until_leaves_later_events_in_place() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(2), 'a');
        q.schedule(SimTime::from_secs(9), 'b');
        assert_eq!(q.pop_until(SimTime::from_secs(5)).map(|x| x.1), Some('a'));
        assert!(q.pop_until(SimTime::from_secs(5)).is_none());
        assert_eq!(q.now(), SimTime::from_secs(2));
        assert_eq!(q.pop().map(|x| x.1), Some('b'));
    }

    #[test]
    fn past_instants_are_scheduled_now() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(4), 1);
        q.pop();
        q.schedule(SimTime::from_secs(1), 2);
        assert_eq!(q.pop(), Some((SimTime::from_secs(4), 2)));
    }
}
