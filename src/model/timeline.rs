//! The scenario's timeline: changes applied at set instants (a Helm upgrade, `kubectl
//! set resources`, a rollback, a scale, `kubectl rollout restart`, a PeerAuthentication,
//! a config churn burst, `redis-cli CONFIG SET`, the upstream DNS going away).
//!
//! The timeline records each action and the policy it breaks, if any; the world hands
//! the change itself to the subsystem that owns it.

use crate::model::config::{Action, TimedAction};
use crate::model::record::EventKind;
use crate::model::units::go_duration;
use crate::model::world::{Cx, Note};

/// What the timeline has applied so far.
#[derive(Default)]
pub(crate) struct Timeline {
    /// Security regressions applied (e.g. mTLS turned off).
    pub(crate) policy_violations: u32,
}

impl Timeline {
    /// Records that `action` is applied now.
    pub(crate) fn announce(&mut self, cx: &mut Cx<'_>, action: &TimedAction) {
        let message = match &action.action {
            Action::Rollout {
                workload, revision, ..
            } => format!(
                "roll {} to revision {revision}",
                cx.cfg.workloads[*workload].name
            ),
            Action::Scale { workload, replicas } => format!(
                "scale {} to {replicas} replicas",
                cx.cfg.workloads[*workload].name
            ),
            Action::SetMtls { enabled } => {
                format!("mesh-wide mTLS {}", if *enabled { "on" } else { "off" })
            }
            Action::Churn(c) => format!(
                "{} config events over {} ({:.0} % full)",
                c.events,
                go_duration(c.over),
                100.0 * c.full_share
            ),
            Action::RedisConfigSet {
                redis,
                maxmemory,
                policy,
            } => {
                let name = &cx.cfg.workloads[cx.cfg.redis[*redis].workload].name;
                let mut parts = Vec::new();
                if let Some(m) = maxmemory {
                    parts.push(format!("CONFIG SET maxmemory {m}"));
                }
                if let Some(p) = policy {
                    parts.push(format!("CONFIG SET maxmemory-policy {p}"));
                }
                format!("redis-cli -h {name} {}", parts.join("; "))
            }
            Action::DnsUpstream { available, latency } => {
                let state = if *available {
                    "answers again"
                } else {
                    "stops answering"
                };
                match latency {
                    Some(l) => format!("upstream DNS {state} (round trip {})", go_duration(*l)),
                    None => format!("upstream DNS {state}"),
                }
            }
        };
        cx.emit(
            None,
            None,
            Note::new(EventKind::Action, &action.name, &message),
        );
    }

    /// Records the policy `action` broke, once it is in effect.
    pub(crate) fn check_policy(&mut self, cx: &mut Cx<'_>, action: &TimedAction) {
        if let Action::SetMtls { enabled: false } = action.action {
            self.policy_violations += 1;
            let note = Note::new(
                EventKind::PolicyViolation,
                "MtlsDisabled",
                "mutual TLS turned off mesh-wide: service-to-service traffic is \
                          plaintext and unauthenticated",
            );
            cx.emit(None, None, note);
        }
    }
}
