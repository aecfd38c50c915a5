//! The future event list: a binary heap ordered by (time, sequence number).
//!
//! Ties in time are broken by the order of scheduling, so a run never depends on heap
//! internals. The heap holds only each event's order and the slot its event is kept
//! in (24 bytes a sift moves, whatever the event). A slot's generation names one
//! scheduling: cancelling or moving an event bumps it and frees the slot for reuse,
//! and the heap entry left behind is recognised as stale when it reaches the top (an
//! array read, no side table). When stale entries outnumber live ones the heap is
//! rebuilt without them, so memory stays proportional to the live events however often
//! a prediction is moved (amortised O(1) per cancel).
//!
//! An entry earlier than everything in the heap is kept beside it instead, in `front`:
//! a stream whose next event is usually the soonest (per-request arrivals: one every
//! 0.1 ms in a 100-pod mesh, against stats flushes and exports every second or more)
//! then goes through the queue without a sift.
//!
//! Costs: `schedule` O(log n), `pop` O(log n) amortised, `cancel` O(1) amortised; O(1)
//! for an event scheduled earlier than every other and popped next.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// Handle of a scheduled event, used to cancel or move it. A handle names one
/// scheduling: once the event has happened, been cancelled or been moved, the handle
/// is stale and cancelling it is harmless.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventKey {
    slot: u32,
    generation: u32,
}

/// A heap entry: the event's order, and the scheduling it belongs to.
struct Entry {
    time: SimTime,
    seq: u64,
    key: EventKey,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: `BinaryHeap` is a max-heap and the earliest (time, seq) must come first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Where an event is kept while it is scheduled.
struct Slot<E> {
    /// The current scheduling's generation; bumped when it ends (fired, cancelled,
    /// moved), so old handles and heap entries no longer match. Wraps after 2³²
    /// schedulings of one slot.
    generation: u32,
    event: Option<E>,
}

/// Stale entries below this many never trigger a rebuild.
const MIN_REBUILD: usize = 64;

/// A priority queue of events of type `E` with a clock that advances as events are taken.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry>,
    /// An entry earlier than every entry in `heap` (in (time, sequence) order), kept
    /// out of it.
    front: Option<Entry>,
    slots: Vec<Slot<E>>,
    /// Slots holding no event, to reuse.
    free: Vec<u32>,
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
            front: None,
            slots: Vec::new(),
            free: Vec::new(),
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
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    event: None,
                });
                // 2³² live events would need hundreds of GiB before this wraps.
                (self.slots.len() - 1) as u32
            }
        };
        let s = &mut self.slots[slot as usize];
        s.event = Some(event);
        let key = EventKey {
            slot,
            generation: s.generation,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            time: at.max(self.now),
            seq,
            key,
        };
        // `Entry`'s order is reversed (the heap pops its greatest): `>` is earlier.
        let soonest = match &self.front {
            Some(front) => entry > *front,
            None => self.heap.peek().is_none_or(|top| entry > *top),
        };
        if soonest {
            if let Some(later) = self.front.replace(entry) {
                self.heap.push(later);
            }
        } else {
            self.heap.push(entry);
        }
        key
    }

    /// Cancels a scheduled event. Cancelling an event that already happened (or was
    /// cancelled or moved) is harmless.
    pub fn cancel(&mut self, key: EventKey) {
        if self.release(key).is_none() {
            return;
        }
        let stale = self.stale();
        if stale > MIN_REBUILD && 2 * stale > self.len() {
            let slots = &self.slots;
            self.heap
                .retain(|e| slots[e.key.slot as usize].generation == e.key.generation);
        }
    }

    /// Cancels `key` (if any) and schedules `event` at `at` in its place; `key` then
    /// names the new scheduling, ordered after everything already scheduled at `at`.
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
            let top = self.front.as_ref().or_else(|| self.heap.peek())?;
            if top.time > horizon {
                return None;
            }
            let Entry { time, key, .. } = self.front.take().or_else(|| self.heap.pop())?;
            let Some(event) = self.release(key) else {
                continue;
            };
            self.now = time;
            return Some((time, event));
        }
    }

    /// When the next live event is due, if any (stale entries on top are dropped on the
    /// way): lets a caller finish an instant once nothing else happens in it.
    pub fn next_time(&mut self) -> Option<SimTime> {
        loop {
            let top = self.front.as_ref().or_else(|| self.heap.peek())?;
            let slot = &self.slots[top.key.slot as usize];
            if slot.generation == top.key.generation {
                return Some(top.time);
            }
            if self.front.take().is_none() {
                self.heap.pop();
            }
        }
    }

    /// Takes the next live event, however far ahead.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::NEVER)
    }

    /// Entries held, stale ones included until they are dropped.
    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.front.is_some())
    }

    /// `true` when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.front.is_none() && self.heap.is_empty()
    }

    /// Heap entries whose scheduling was cancelled or moved: every entry but one per
    /// slot in use.
    fn stale(&self) -> usize {
        self.len() - (self.slots.len() - self.free.len())
    }

    /// Ends `key`'s scheduling if it is current: takes its event and frees its slot.
    #[inline]
    fn release(&mut self, key: EventKey) -> Option<E> {
        let s = self.slots.get_mut(key.slot as usize)?;
        if s.generation != key.generation {
            return None;
        }
        s.generation = s.generation.wrapping_add(1);
        self.free.push(key.slot);
        s.event.take()
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
    fn the_next_time_skips_cancelled_events() {
        let mut q = EventQueue::new();
        assert_eq!(q.next_time(), None);
        let k = q.schedule(SimTime::from_secs(2), "moved");
        q.schedule(SimTime::from_secs(4), "scrape");
        q.cancel(k);
        assert_eq!(q.next_time(), Some(SimTime::from_secs(4)));
        assert_eq!(q.pop(), Some((SimTime::from_secs(4), "scrape")));
        assert_eq!(q.next_time(), None);
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
        assert!(q.slots.len() <= 2, "slots {}", q.slots.len());
        assert_eq!(q.pop().map(|(t, _)| t), Some(SimTime::from_secs(1_099_999)));
        assert!(q.pop().is_none());
    }

    #[test]
    fn the_soonest_event_goes_through_without_the_heap() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(10), "flush");
        q.schedule(SimTime::from_secs(20), "export");
        for i in 1..=5 {
            q.schedule(SimTime::from_nanos(i * 1_000_000), "arrival");
            assert_eq!(q.heap.len(), 2, "the arrival entered the heap");
            assert_eq!(
                q.pop(),
                Some((SimTime::from_nanos(i * 1_000_000), "arrival"))
            );
        }
        // A sooner one takes its place; the one it displaces is still next after it.
        q.schedule(SimTime::from_secs(3), "later");
        q.schedule(SimTime::from_secs(2), "sooner");
        assert_eq!(q.pop().map(|x| x.1), Some("sooner"));
        assert_eq!(q.pop().map(|x| x.1), Some("later"));
        assert_eq!(q.pop().map(|x| x.1), Some("flush"));
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

    /// Any sequence of schedules, cancels, moves and pops takes events out in the
    /// order of a sorted map keyed by (time, sequence): the order a run depends on.
    #[test]
    fn pops_follow_time_then_scheduling_order_under_any_moves() {
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        #[derive(Debug, Clone)]
        enum Op {
            Schedule(u8),
            Cancel(u8),
            Move(u8, u8),
            Pop,
            PopUntil(u8),
            NextTime,
        }
        let op = prop_oneof![
            any::<u8>().prop_map(Op::Schedule),
            any::<u8>().prop_map(Op::Cancel),
            (any::<u8>(), any::<u8>()).prop_map(|(h, t)| Op::Move(h, t)),
            Just(Op::Pop),
            any::<u8>().prop_map(Op::PopUntil),
            Just(Op::NextTime),
        ];
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        runner
            .run(&proptest::collection::vec(op, 0..400), |ops| {
                let mut q = EventQueue::new();
                // The reference: live events by (time, sequence), and each handle's entry.
                let mut model: BTreeMap<(SimTime, u64), usize> = BTreeMap::new();
                let (mut seq, mut now) = (0u64, SimTime::ZERO);
                type Handle = (Option<EventKey>, Option<(SimTime, u64)>);
                let mut keys: Vec<Handle> = Vec::new();
                let at = |t: u8| SimTime::from_secs(u64::from(t % 32));
                for op in ops {
                    match op {
                        Op::Schedule(t) => {
                            let id = keys.len();
                            let k = q.schedule(at(t), id);
                            let entry = (at(t).max(now), seq);
                            seq += 1;
                            model.insert(entry, id);
                            keys.push((Some(k), Some(entry)));
                        }
                        Op::Cancel(h) if !keys.is_empty() => {
                            let (k, entry) = keys[h as usize % keys.len()];
                            if let Some(k) = k {
                                q.cancel(k);
                            }
                            if let Some(e) = entry {
                                model.remove(&e);
                            }
                        }
                        Op::Move(h, t) if !keys.is_empty() => {
                            let id = h as usize % keys.len();
                            let (mut k, entry) = keys[id];
                            q.reschedule(&mut k, at(t), id);
                            if let Some(e) = entry {
                                model.remove(&e);
                            }
                            let e = (at(t).max(now), seq);
                            seq += 1;
                            model.insert(e, id);
                            keys[id] = (k, Some(e));
                        }
                        Op::Pop | Op::PopUntil(_) => {
                            let horizon = match op {
                                Op::PopUntil(t) => at(t),
                                _ => SimTime::NEVER,
                            };
                            let expected = model
                                .first_key_value()
                                .filter(|((t, _), _)| *t <= horizon)
                                .map(|(&e, &id)| (e, id));
                            let got = q.pop_until(horizon);
                            prop_assert_eq!(got, expected.map(|((t, _), id)| (t, id)));
                            if let Some((e, _)) = expected {
                                model.remove(&e);
                                now = e.0;
                            }
                        }
                        Op::NextTime => {
                            let expected = model.first_key_value().map(|((t, _), _)| *t);
                            prop_assert_eq!(q.next_time(), expected);
                        }
                        _ => {}
                    }
                    prop_assert_eq!(q.len() - q.stale(), model.len());
                }
                Ok(())
            })
            .unwrap();
    }
}
