//! `controlPlane:` to the istiod workload and the control-plane model.

use std::sync::Arc;

use serde_saphyr::Location;

use super::template::resources;
use crate::engine::SimDuration;
use crate::model::WorkloadSpec;
use crate::model::container::{ContainerSpec, ReadinessProbe};
use crate::model::control_plane::{ControlPlaneSpec, DebounceSpec, IstiodSpec};
use crate::model::memory::{BaselineSpec, MemorySpec};
use crate::model::pod::PodTemplate;
use crate::model::units::Bytes;
use crate::scenario::error::Problem;
use crate::scenario::yaml;

/// `PILOT_PUSH_THROTTLE` before Istio 1.21 (REFERENCE.md); since then
/// min(15 + 5 × GOMAXPROCS, 100), which is 100 from 17 cores.
const PUSH_THROTTLE: u32 = 100;
/// Envoy's gRPC reconnect back-off: 500 ms base, 30 s cap (UNCONFIRMED: not in
/// REFERENCE.md).
const RECONNECT_INITIAL: SimDuration = SimDuration::from_millis(500);
const RECONNECT_MAX: SimDuration = SimDuration::from_secs(30);

/// The istiod workload and the control-plane model; `index` is the workload's index.
pub fn control_plane(
    cp: &yaml::ControlPlane,
    index: usize,
) -> Result<(WorkloadSpec, ControlPlaneSpec), Problem> {
    let i = &cp.istiod;
    let name = i
        .name
        .as_ref()
        .map_or("istiod".to_string(), |n| n.value.clone());
    let res = resources(&i.resources)?;
    if res.limits.memory.is_none() && res.requests.memory.is_none() {
        return Err(Problem::new(
            Location::UNKNOWN,
            "istiod needs memory resources",
            "controlPlane.istiod.resources: {requests: {memory: 2Gi}, limits: {memory: 2Gi}}",
        ));
    }
    let discovery = ContainerSpec {
        name: "discovery".to_string(),
        resources: res,
        memory: MemorySpec {
            baseline: Some(BaselineSpec {
                size: i.baseline.0,
                ramp: SimDuration::ZERO,
            }),
            xds_server: true,
            ..MemorySpec::default()
        },
        cpu: Default::default(),
        // istiod's chart: readinessProbe /ready, initialDelaySeconds 1, periodSeconds 3.
        readiness: ReadinessProbe {
            startup: i.readiness_delay.map_or(SimDuration::ZERO, |d| d.0),
            initial_delay: SimDuration::from_secs(1),
            period: SimDuration::from_secs(3),
        },
        jvm: None,
        process: "pilot-discovery".to_string(),
        helper: None,
    };
    let workload = WorkloadSpec {
        name,
        replicas: i.replicas,
        template: Arc::new(PodTemplate {
            containers: vec![Arc::new(discovery)],
            memory_limit: None,
        }),
        age: SimDuration::ZERO,
        rolling_update: Default::default(),
    };
    let d = i.debounce.clone().unwrap_or_default();
    let defaults = DebounceSpec::default();
    let istiod = IstiodSpec {
        workload: index,
        debounce: DebounceSpec {
            after: d.after.map_or(defaults.after, |x| x.0),
            max: d.max.map_or(defaults.max, |x| x.0),
            eds: d.eds.unwrap_or(defaults.eds),
        },
        push_throttle: i.push_throttle.unwrap_or(PUSH_THROTTLE).max(1),
        per_connection: i.per_connection.0,
        push_context: i.push_context.0,
        config_per_proxy: i.config_per_proxy.0,
        eds_per_proxy: i
            .eds_per_proxy
            .map_or(Bytes(i.config_per_proxy.0.0 / 50), |m| m.0),
        send_rate: i.send_rate.0,
        context_build: i.context_build.0,
        process_start: i.process_start.map_or(SimDuration::from_secs(1), |d| d.0),
        informer_sync: i.informer_sync.0,
        sync_gate: i.sync_gate.as_ref().map(|g| g.max_wait.0),
    };
    let spec = ControlPlaneSpec {
        istiod,
        proxies: cp.proxies.value,
        cohort_size: cp.cohort_size.unwrap_or(100).max(1),
        gateway_rps: cp.gateway_rps.unwrap_or(0.0).max(0.0),
        reconnect_initial: cp
            .reconnect
            .as_ref()
            .map_or(RECONNECT_INITIAL, |r| r.initial.0),
        reconnect_max: cp.reconnect.as_ref().map_or(RECONNECT_MAX, |r| r.max.0),
        kube_proxy_lag: cp
            .kube_proxy
            .as_ref()
            .map_or(SimDuration::ZERO, |k| k.lag.0),
        kube_proxy_jitter: cp
            .kube_proxy
            .as_ref()
            .and_then(|k| k.jitter)
            .map_or(SimDuration::ZERO, |j| j.0),
    };
    Ok((workload, spec))
}
