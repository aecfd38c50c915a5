//! The injected `istio-proxy` container: resources, CPU, and Envoy's memory laws.
//!
//! Lowest precedence first: Istio's Helm defaults, `mesh.proxy`, the pod's annotations,
//! the workload's `proxy:` block.

use serde_saphyr::Location;

use super::template::{check_request_fits, overlay};
use crate::engine::SimDuration;
use crate::model::container::{ContainerSpec, HelperProcess, ReadinessProbe};
use crate::model::cpu::CpuSpec;
use crate::model::memory::{
    BYTES_PER_CLUSTER, BYTES_PER_HOST, BaselineSpec, ConnectionsYaml, InFlightSpec, StatsYaml,
    TraceBufferSpec, XdsConfigSpec,
};
use crate::model::resources::{ResourceList, Resources};
use crate::model::units::Bytes;
use crate::scenario::check::{non_negative, percent, positive_or};
use crate::scenario::error::Problem;
use crate::scenario::istio::{self, PROXY_NAME};
use crate::scenario::quantity::{parse_bytes, parse_millicpu};
use crate::scenario::yaml;

/// Idle resident memory of an `istio-proxy` with a small config. REFERENCE.md gives
/// per-cluster and per-host figures but no idle total (UNCONFIRMED).
const PROXY_BASELINE: Bytes = Bytes::mib(40);
/// Start-up ramp of the proxy's baseline (UNCONFIRMED).
const PROXY_BASELINE_RAMP: SimDuration = SimDuration::from_secs(5);
/// Request latency through the proxy (UNCONFIRMED).
const PROXY_LATENCY: SimDuration = SimDuration::from_millis(20);
/// Buffers per proxied request (UNCONFIRMED).
const PROXY_BYTES_PER_REQUEST: Bytes = Bytes(32 << 10);

/// Fraction of the CFS quota Envoy's main thread keeps when worker threads saturate
/// it. UNCONFIRMED: small, so a saturated proxy's flush slows down a lot but not to a
/// halt.
const MAIN_THREAD_MIN_SHARE: f64 = 0.05;

/// Resident memory of `pilot-agent`, the second process of `istio-proxy`. UNCONFIRMED.
const PILOT_AGENT_RSS: Bytes = Bytes::mib(30);

/// What every proxy of the mesh shares.
pub struct MeshContext<'a> {
    /// The mesh settings.
    pub mesh: &'a yaml::Mesh,
    /// Services in the mesh.
    pub services: u32,
    /// Endpoints per service.
    pub endpoints_per_service: u32,
}

/// The injected `istio-proxy` of workload `w`.
pub fn proxy_container(
    w: &yaml::Workload,
    ctx: &MeshContext<'_>,
) -> Result<ContainerSpec, Problem> {
    let mesh = ctx.mesh;
    let (own, global) = (&w.proxy, &mesh.proxy);
    let mut memory = global.memory.build()?;
    let overrides = own.memory.build()?;
    for spec in [&global.memory, &own.memory] {
        if let Some(tb) = &spec.trace_buffer {
            return Err(Problem::new(
                tb.referenced,
                "the istio-proxy's trace buffer is configured by `mesh.tracing` and the \
                 sampling in `proxy.istio.io/config`",
                "mesh.tracing: {spanSize, collectorCapacity, flushInterval, maxSpans}",
            ));
        }
    }
    memory.baseline = overrides
        .baseline
        .or(memory.baseline)
        .or(Some(BaselineSpec {
            size: PROXY_BASELINE,
            ramp: PROXY_BASELINE_RAMP,
        }));
    memory.in_flight = overrides
        .in_flight
        .or(memory.in_flight)
        .or(Some(InFlightSpec {
            latency: PROXY_LATENCY,
            per_request: PROXY_BYTES_PER_REQUEST,
        }));
    memory.leak = overrides.leak.or(memory.leak);
    let tracer = trace_buffer(w, mesh)?;
    if let Some(kept) = &mesh.tracing.retained_per_span {
        // Growth per sampled span, as a leak per request at the sampled share.
        let per_request = Bytes((kept.value.0.as_f64() * tracer.sampling).round() as u64);
        let leak = memory.leak.get_or_insert_with(Default::default);
        leak.per_request = Bytes(leak.per_request.0 + per_request.0);
    }
    memory.trace_buffer = Some(tracer);
    let xds = xds_config(own, ctx);
    memory.stats = Some(StatsYaml::build(
        &own.stats,
        &global.stats,
        xds.clusters,
        istio::stats_flush_interval(&w.annotations)?,
    ));
    memory.xds_config = Some(xds);
    memory.connections = Some(ConnectionsYaml::build(
        &own.connections,
        &global.connections,
        mesh.mtls.unwrap_or(true),
    ));
    let cpu = own.cpu.as_ref().or(global.cpu.as_ref());
    let cpu_per_request = cpu.map_or(istio::PROXY_CPU_PER_REQUEST, |c| c.per_request.0);
    let main_thread_min_share = cpu
        .and_then(|c| c.main_thread_min_share)
        .unwrap_or(MAIN_THREAD_MIN_SHARE);
    Ok(ContainerSpec {
        name: PROXY_NAME.to_string(),
        resources: resources(w, mesh)?,
        memory,
        cpu: CpuSpec {
            per_request: cpu_per_request,
            threads: istio::worker_threads(&w.annotations)?,
            main_thread_min_share,
        },
        readiness: {
            let (initial_delay, period) = istio::proxy_readiness(&w.annotations)?;
            ReadinessProbe {
                startup: own
                    .readiness_delay
                    .or(global.readiness_delay)
                    .map_or(istio::PROXY_STARTUP, |d| d.0),
                initial_delay,
                period,
            }
        },
        jvm: None,
        process: "envoy".to_string(),
        helper: Some(HelperProcess {
            name: "pilot-agent".to_string(),
            rss: PILOT_AGENT_RSS,
        }),
    })
}

fn resources(w: &yaml::Workload, mesh: &yaml::Mesh) -> Result<Resources, Problem> {
    let a = &w.annotations;
    let mut req = ResourceList {
        memory: Some(istio::PROXY_REQUEST_MEMORY),
        cpu: Some(istio::PROXY_REQUEST_CPU),
    };
    let mut lim = ResourceList {
        memory: Some(istio::PROXY_LIMIT_MEMORY),
        cpu: Some(istio::PROXY_LIMIT_CPU),
    };
    overlay(&mut req, &mut lim, &mesh.proxy.resources);
    let mut at = Location::UNKNOWN;
    let memory = |key| istio::quantity_annotation(a, key, parse_bytes);
    let cpu = |key| istio::quantity_annotation(a, key, parse_millicpu);
    if let Some((b, l)) = memory("sidecar.istio.io/proxyMemory")? {
        (req.memory, at) = (Some(b), l);
    }
    if let Some((b, l)) = memory("sidecar.istio.io/proxyMemoryLimit")? {
        (lim.memory, at) = (Some(b), l);
    }
    if let Some((c, _)) = cpu("sidecar.istio.io/proxyCPU")? {
        req.cpu = Some(c);
    }
    if let Some((c, _)) = cpu("sidecar.istio.io/proxyCPULimit")? {
        lim.cpu = Some(c);
    }
    overlay(&mut req, &mut lim, &w.proxy.resources);
    if let Some(m) = &w.proxy.resources.limits.memory {
        at = m.referenced;
    }
    let resources = Resources::defaulted(req, lim);
    check_request_fits(&resources, at)?;
    Ok(resources)
}

/// The clusters and hosts the proxy holds: the whole mesh, or its Sidecar scope.
fn xds_config(own: &yaml::Proxy, ctx: &MeshContext<'_>) -> XdsConfigSpec {
    let clusters = own
        .scope
        .as_ref()
        .map_or(ctx.services, |s| s.services.value);
    XdsConfigSpec {
        clusters,
        hosts: clusters.saturating_mul(ctx.endpoints_per_service),
        per_cluster: BYTES_PER_CLUSTER,
        per_host: BYTES_PER_HOST,
    }
}

/// The proxy's tracer buffer from `mesh.tracing` and the effective sampling.
fn trace_buffer(w: &yaml::Workload, mesh: &yaml::Mesh) -> Result<TraceBufferSpec, Problem> {
    let t = &mesh.tracing;
    if let Some(s) = &mesh.trace_sampling {
        percent(s.value, s.referenced)?;
    }
    let sampling = istio::trace_sampling_percent(mesh, &w.annotations)?;
    let export_rate = match &t.collector_capacity {
        Some(c) => non_negative(c.value, c.referenced, "collectorCapacity")?,
        None => istio::DEFAULT_COLLECTOR_CAPACITY,
    };
    Ok(TraceBufferSpec {
        sampling: sampling / 100.0,
        span_size: t
            .span_size
            .as_ref()
            .map_or(istio::DEFAULT_SPAN_SIZE, |s| s.value.0),
        export_rate,
        flush_interval: positive_or(
            t.flush_interval.as_ref(),
            istio::ZIPKIN_FLUSH_INTERVAL,
            "flushInterval",
        )?,
        max_spans: t.max_spans,
    })
}
