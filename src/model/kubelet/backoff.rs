//! The kubelet's container restart back-off (CrashLoopBackOff).
//!
//! Follows kubernetes `pkg/kubelet/kuberuntime/kuberuntime_manager.go` (`doBackOff`) and
//! `client-go/util/flowcontrol/backoff.go` (docs/reference.md, "kubelet restart back-off"):
//!
//! - A container that exited at `finishedAt` is in back-off while an entry exists, has not
//!   expired, and `now − finishedAt < delay` (strict `<`).
//! - When the kubelet restarts it, `Next` runs: no entry, or an expired one, starts again
//!   at the initial delay (10 s); otherwise the delay doubles, capped at the maximum
//!   (300 s). The entry's `lastUpdate` becomes the restart time. No jitter.
//! - An entry has expired when `finishedAt − lastUpdate > 2 × max` (600 s): the container
//!   ran that long since its previous restart. Waiting time does not count.
//!
//! So a container killed again and again waits 0, 10, 20, 40, 80, 160, 300, 300, … s.
//! The kubelet notices expiry on its next pod sync; we restart at the exact instant,
//! which docs/reference.md's figures (e.g. ~73 s run + 300 s wait ≈ 373 s cycles) assume.

use crate::engine::{SimDuration, SimTime};

/// The back-off knobs: initial delay and cap.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// First non-zero wait (10 s by default; 1 s with `ReduceDefaultCrashLoopBackOffDecay`).
    pub initial: SimDuration,
    /// Cap of the wait (300 s by default; 60 s with `ReduceDefaultCrashLoopBackOffDecay`,
    /// or the node's `crashLoopBackOff.maxContainerRestartPeriod`).
    pub max: SimDuration,
}

impl Default for BackoffPolicy {
    /// The kubelet's defaults: 10 s doubling to 300 s (`kubelet.go`).
    fn default() -> Self {
        BackoffPolicy {
            initial: SimDuration::from_secs(10),
            max: SimDuration::from_secs(300),
        }
    }
}

impl BackoffPolicy {
    /// The policy with feature gate `ReduceDefaultCrashLoopBackOffDecay`: 1 s → 60 s.
    pub fn reduced_decay() -> Self {
        BackoffPolicy {
            initial: SimDuration::from_secs(1),
            max: SimDuration::from_secs(60),
        }
    }
}

#[derive(Copy, Clone, Debug)]
struct Entry {
    delay: SimDuration,
    last_update: SimTime,
}

/// One container's back-off entry, as the kubelet keeps it per (pod, container).
#[derive(Clone, Debug)]
pub struct RestartBackoff {
    policy: BackoffPolicy,
    entry: Option<Entry>,
}

impl RestartBackoff {
    /// A container that has never been restarted.
    pub fn new(policy: BackoffPolicy) -> Self {
        RestartBackoff {
            policy,
            entry: None,
        }
    }

    fn live_entry(&self, finished_at: SimTime) -> Option<Entry> {
        let expiry = self.policy.max.saturating_mul(2);
        self.entry
            .filter(|e| finished_at.since(e.last_update) <= expiry)
    }

    /// How long after `finished_at` the kubelet may start the container again.
    pub fn wait_after(&self, finished_at: SimTime) -> SimDuration {
        self.live_entry(finished_at)
            .map_or(SimDuration::ZERO, |e| e.delay)
    }

    /// Records a restart at `now` of a container that exited at `finished_at` (`Next`).
    pub fn record_restart(&mut self, finished_at: SimTime, now: SimTime) {
        let delay = match self.live_entry(finished_at) {
            None => self.policy.initial,
            Some(e) => (e.delay.saturating_mul(2)).min(self.policy.max),
        };
        self.entry = Some(Entry {
            delay,
            last_update: now,
        });
    }
}
