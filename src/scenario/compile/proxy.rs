//! The injected `istio-proxy` container: resources, CPU, and Envoy's memory laws.
//!
//! Lowest precedence first: Istio's Helm defaults, `mesh.proxy`, the pod's annotations,
//! the workload's `proxy:` block.

use serde_saphyr::Location;

use super::template::{check_request_fits, memory_laws, non_negative, overlay};
use crate::engine::SimDuration;
use crate::model::container::{ContainerSpec, HelperProcess, ReadinessProbe};
use crate::model::cpu::CpuSpec;
use crate::model::memory::{
    BYTES_PER_CLUSTER, BYTES_PER_HOST, BaselineSpec, ConnectionsSpec, InFlightSpec, StatsSpec,
    TraceBufferSpec, XdsConfigSpec,
};
use crate::model::resources::{ResourceList, Resources};
use crate::model::units::Bytes;
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

/// Stats per cluster (upstream_rq_*, circuit breakers, Istio's standard metrics per
/// peer). UNCONFIRMED.
const STATS_PER_CLUSTER: u32 = 150;
/// Stats not tied to clusters (server, listeners, runtime). UNCONFIRMED.
const STATS_BASE: u32 = 500;
/// Memory per stat and per stat of a flush snapshot. UNCONFIRMED.
const BYTES_PER_STAT: Bytes = Bytes(100);
const SNAPSHOT_BYTES_PER_STAT: Bytes = Bytes(100);
/// Main-thread CPU per stat per flush. UNCONFIRMED: fitted to seed 000, where a flush
/// of a 400-service proxy took 280 ms at 1000 rps under a 500m limit.
const CPU_PER_STAT: SimDuration = SimDuration::from_nanos(1_400);

/// Fraction of the CFS quota Envoy's main thread keeps when worker threads saturate
/// it. UNCONFIRMED: small, so a saturated proxy's flush slows down a lot but not to a
/// halt.
const MAIN_THREAD_MIN_SHARE: f64 = 0.05;

/// Connections per rps and memory per connection, with and without mTLS. Together they
/// put a sidecar at 1000 rps ~50 MB above idle, inside Istio's published 40–60 MB per
/// 1000 rps (REFERENCE.md); the split itself is UNCONFIRMED.
const CONNECTIONS_PER_RPS: f64 = 1.0;
const TLS_BYTES_PER_CONNECTION: Bytes = Bytes(48 << 10);
const PLAIN_BYTES_PER_CONNECTION: Bytes = Bytes(16 << 10);

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
    let mut memory = memory_laws(&global.memory)?;
    let overrides = memory_laws(&own.memory)?;
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
    memory.stats = Some(stats(own, global, &xds, w)?);
    memory.xds_config = Some(xds);
    memory.connections = Some(connections(own, global, mesh));
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

fn stats(
    own: &yaml::Proxy,
    global: &yaml::Proxy,
    xds: &XdsConfigSpec,
    w: &yaml::Workload,
) -> Result<StatsSpec, Problem> {
    let (o, g) = (&own.stats, &global.stats);
    let per_cluster = o.per_cluster.or(g.per_cluster).unwrap_or(STATS_PER_CLUSTER);
    let base = o.base.or(g.base).unwrap_or(STATS_BASE);
    Ok(StatsSpec {
        count: u64::from(base) + u64::from(per_cluster) * u64::from(xds.clusters),
        bytes_per_stat: o
            .bytes_per_stat
            .or(g.bytes_per_stat)
            .map_or(BYTES_PER_STAT, |m| m.0),
        snapshot_bytes_per_stat: o
            .snapshot_bytes_per_stat
            .or(g.snapshot_bytes_per_stat)
            .map_or(SNAPSHOT_BYTES_PER_STAT, |m| m.0),
        cpu_per_stat: o
            .cpu_per_stat
            .or(g.cpu_per_stat)
            .map_or(CPU_PER_STAT, |d| d.0),
        flush_interval: istio::stats_flush_interval(&w.annotations)?,
    })
}

fn connections(own: &yaml::Proxy, global: &yaml::Proxy, mesh: &yaml::Mesh) -> ConnectionsSpec {
    let (o, g) = (&own.connections, &global.connections);
    ConnectionsSpec {
        per_rps: o.per_rps.or(g.per_rps).unwrap_or(CONNECTIONS_PER_RPS),
        tls_bytes: o
            .tls_bytes
            .or(g.tls_bytes)
            .map_or(TLS_BYTES_PER_CONNECTION, |m| m.0),
        plain_bytes: o
            .plain_bytes
            .or(g.plain_bytes)
            .map_or(PLAIN_BYTES_PER_CONNECTION, |m| m.0),
        mtls: mesh.mtls.unwrap_or(true),
    }
}

/// The proxy's tracer buffer from `mesh.tracing` and the effective sampling.
fn trace_buffer(w: &yaml::Workload, mesh: &yaml::Mesh) -> Result<TraceBufferSpec, Problem> {
    let t = &mesh.tracing;
    if let Some(s) = &mesh.trace_sampling {
        super::template::percent(s.value, s.referenced)?;
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
        flush_interval: super::template::positive_or(
            t.flush_interval.as_ref(),
            istio::ZIPKIN_FLUSH_INTERVAL,
            "flushInterval",
        )?,
        max_spans: t.max_spans,
    })
}
