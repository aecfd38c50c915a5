//! The Deployment controller and timeline actions.
//!
//! Rolling updates use maxSurge 1 and maxUnavailable 0: one new pod at a time, and an
//! old pod is deleted only while enough pods stay ready. Old pods that are not ready
//! (crash-looping) are deleted first, as the controller cleans up unhealthy replicas
//! first. A new pod that never becomes ready stalls the rollout, as in a real cluster.

use std::sync::Arc;

use super::{ContainerRef, Note, World, container_in};
use crate::engine::SimTime;
use crate::model::config::{Action, WorkloadSpec};
use crate::model::memory::Knob;
use crate::model::pod::{Pod, PodKey, PodTemplate};
use crate::model::record::{EventKind, Recorder};

/// A workload's live state.
pub(super) struct Workload {
    pub(super) template: Arc<PodTemplate>,
    pub(super) revision: u32,
    pub(super) desired: u32,
    /// Live pods, oldest first.
    pub(super) pods: Vec<PodKey>,
    pub(super) next_ordinal: u32,
}

impl Workload {
    pub(super) fn new(spec: &WorkloadSpec) -> Self {
        Workload {
            template: spec.template.clone(),
            revision: 1,
            desired: spec.replicas,
            pods: Vec::new(),
            next_ordinal: 0,
        }
    }
}

/// What the controller does next.
enum Step {
    Create,
    Delete(PodKey),
    Done,
}

impl<R: Recorder> World<'_, R> {
    pub(super) fn on_action(&mut self, now: SimTime, i: usize) {
        let action = self.action(i).clone();
        let action = &action;
        let message = match &action.action {
            Action::Rollout {
                workload, revision, ..
            } => format!(
                "roll {} to revision {revision}",
                self.cfg.workloads[*workload].name
            ),
            Action::Scale { workload, replicas } => format!(
                "scale {} to {replicas} replicas",
                self.cfg.workloads[*workload].name
            ),
            Action::SetMtls { enabled } => {
                format!("mesh-wide mTLS {}", if *enabled { "on" } else { "off" })
            }
            Action::Churn(c) => format!(
                "{} config events over {} ({:.0} % full)",
                c.events,
                crate::model::backoff::go_duration(c.over),
                100.0 * c.full_share
            ),
        };
        let name = action.name.clone();
        self.emit(
            now,
            None,
            None,
            Note::new(EventKind::Action, &name, &message),
        );
        match &action.action {
            Action::Rollout {
                workload,
                template,
                revision,
            } => {
                let w = &mut self.workloads[*workload];
                w.template = template.clone();
                w.revision = *revision;
                self.reconcile(now, *workload);
            }
            Action::Scale { workload, replicas } => {
                self.workloads[*workload].desired = *replicas;
                self.reconcile(now, *workload);
            }
            Action::SetMtls { enabled } => self.set_mtls(now, *enabled),
            Action::Churn(c) => self.start_churn(now, *c),
        }
    }

    /// Brings workload `w` towards its desired state, as far as it can go now.
    pub(super) fn reconcile(&mut self, now: SimTime, w: usize) {
        loop {
            match self.next_step(w) {
                Step::Create => {
                    let (template, revision) = {
                        let wl = &self.workloads[w];
                        (wl.template.clone(), wl.revision)
                    };
                    self.create_pod(now, w, template, revision);
                }
                Step::Delete(key) => self.delete_pod(now, key),
                Step::Done => return,
            }
        }
    }

    fn next_step(&self, w: usize) -> Step {
        let wl = &self.workloads[w];
        let desired = wl.desired as usize;
        let pods: Vec<_> = wl.pods.iter().filter_map(|&k| self.pod(k)).collect();
        let (old, new): (Vec<&Pod>, Vec<&Pod>) =
            pods.iter().partition(|p| p.revision != wl.revision);
        let ready = pods.iter().filter(|p| p.ready).count();
        if let Some(p) = old.iter().find(|p| !p.ready) {
            return Step::Delete(p.key);
        }
        if let Some(p) = old.first().filter(|_| ready > desired) {
            return Step::Delete(p.key);
        }
        let surge = usize::from(!old.is_empty());
        if new.len() < desired && pods.len() < desired + surge {
            return Step::Create;
        }
        if old.is_empty() && pods.len() > desired {
            // Scale down: not-ready pods first, then the newest.
            let victim = new
                .iter()
                .rev()
                .find(|p| !p.ready)
                .or(new.last())
                .map(|p| p.key);
            return victim.map_or(Step::Done, Step::Delete);
        }
        Step::Done
    }

    /// PeerAuthentication mesh-wide: every proxy switches now, new ones start that way.
    fn set_mtls(&mut self, now: SimTime, enabled: bool) {
        let knob = Knob::Mtls(enabled);
        self.mesh_knob = Some(knob);
        let keys: Vec<PodKey> = self.pods.iter().flatten().map(|p| p.key).collect();
        for key in keys {
            let count = self.pod(key).map_or(0, |p| p.containers.len());
            for idx in 0..count as u16 {
                let c = ContainerRef { pod: key, idx };
                if let Some(container) = container_in(&mut self.pods, c) {
                    container.advance(now);
                    container.reconfigure(knob);
                }
                self.rewake(now, c);
            }
        }
        if !enabled {
            self.policy_violations += 1;
            let note = Note::new(
                EventKind::PolicyViolation,
                "MtlsDisabled",
                "mutual TLS turned off mesh-wide: service-to-service traffic is \
                          plaintext and unauthenticated",
            );
            self.emit(now, None, None, note);
        }
    }
}
