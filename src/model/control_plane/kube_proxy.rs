//! kube-proxy's view of istiod's endpoints: the addresses in its rules, which follow
//! the endpoints only after a lag (longer when kube-proxy is CPU-throttled: seed 003's
//! 5–6 s).

use rand::RngExt;

use super::{ControlPlane, Event};
use crate::engine::{SimDuration, SimTime};
use crate::model::cluster::pod::PodKey;
use crate::model::record::EventKind;
use crate::model::world::{Cx, Note};

/// istiod addresses in kube-proxy's rules, and the updates on their way.
#[derive(Default)]
pub(super) struct KubeProxy {
    /// The addresses clients connect to now.
    pub(super) view: Vec<PodKey>,
    updates: Vec<(SimTime, Vec<PodKey>)>,
}

impl ControlPlane {
    /// istiod's pods changed readiness: kube-proxy applies it after its lag.
    pub(crate) fn endpoints_changed(&mut self, cx: &mut Cx<'_>, ready: Vec<PodKey>) {
        if cx.warm.is_some() {
            // The initial pods were in iptables before the run began.
            return;
        }
        let extra = self.spec.kube_proxy_jitter.as_secs_f64() * self.rng.random::<f64>();
        let at = cx.now + self.spec.kube_proxy_lag + SimDuration::from_secs_f64_ceil(extra);
        self.kube_proxy.updates.push((at, ready));
        cx.schedule(at, Event::KubeProxySync);
    }

    pub(super) fn on_kube_proxy_sync(&mut self, cx: &mut Cx<'_>) {
        let kp = &mut self.kube_proxy;
        let due: Vec<usize> = (0..kp.updates.len())
            .filter(|&i| kp.updates[i].0 <= cx.now)
            .collect();
        let Some(&last) = due.last() else { return };
        let view = kp.updates[last].1.clone();
        // Updates are in the order the endpoints changed; once a newer one is applied, the
        // older ones still in flight are stale (kube-proxy applies the latest
        // EndpointSlice, not a replay of every intermediate state).
        kp.updates.drain(..=last);
        if view == kp.view {
            return;
        }
        kp.view = view;
        let names: Vec<&str> = kp
            .view
            .iter()
            .filter_map(|&k| cx.cluster.pod(k))
            .map(|p| p.name())
            .collect();
        let msg = format!("istiod addresses in iptables: {}", names.join(", "));
        cx.emit(
            None,
            None,
            Note::new(EventKind::KubeProxySynced, "KubeProxy", &msg),
        );
    }
}
