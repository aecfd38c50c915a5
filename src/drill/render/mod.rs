//! The simulated cluster as `kubectl` and `istioctl` print it, from a
//! [`ClusterSnapshot`] and the run's records at one instant.
//!
//! Every renderer is a pure function of a [`View`]: names, ages and counts are those of
//! the simulated cluster at that instant, in kubectl's own columns and formats.

pub mod describe;
pub mod events;
pub mod format;
pub mod istioctl;
pub mod logs;
pub mod metrics;
pub mod pods;

use super::record::{Ev, Scrape};
use crate::engine::SimTime;
use crate::model::SloSample;
use crate::model::snapshot::{ClusterSnapshot, PodSnapshot};

/// The namespace istiod runs in.
pub const ISTIO_SYSTEM: &str = "istio-system";

/// What the renderers look at.
pub struct View<'a> {
    /// The cluster now.
    pub snap: &'a ClusterSnapshot,
    /// Every event so far.
    pub events: &'a [Ev],
    /// Scrapes so far.
    pub scrapes: &'a [Scrape],
    /// Traffic buckets so far.
    pub slo: &'a [SloSample],
    /// The SLO target (0.999).
    pub slo_target: f64,
    /// Namespace of the drill's workloads.
    pub namespace: &'a str,
    /// The istiod workload, shown in `istio-system`.
    pub istiod: Option<&'a str>,
    /// Container log lines derived so far.
    pub logs: &'a logs::LogBook,
}

/// Which namespaces a command looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One namespace.
    Namespace(String),
    /// `-A`.
    All,
}

impl View<'_> {
    /// The instant.
    pub fn now(&self) -> SimTime {
        self.snap.time
    }

    /// The namespace of a workload.
    pub fn namespace_of(&self, workload: &str) -> &str {
        if self.istiod == Some(workload) {
            ISTIO_SYSTEM
        } else {
            self.namespace
        }
    }

    /// Pods in `scope`, in creation order.
    pub fn pods(&self, scope: &Scope) -> Vec<&PodSnapshot> {
        self.snap
            .pods
            .iter()
            .filter(|p| match scope {
                Scope::All => true,
                Scope::Namespace(ns) => self.namespace_of(&p.workload) == ns,
            })
            .collect()
    }

    /// The pod `name` in `scope`, or kubectl's error.
    pub fn pod(&self, scope: &Scope, name: &str) -> Result<&PodSnapshot, String> {
        let name = name.strip_prefix("pod/").unwrap_or(name);
        self.pods(scope)
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("Error from server (NotFound): pods \"{name}\" not found"))
    }
}
