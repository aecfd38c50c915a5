//! Pod templates from workload specs: containers, resources, memory laws, the sidecar.

use std::sync::Arc;

use serde_saphyr::Location;

use crate::engine::SimDuration;
use crate::model::container::ContainerSpec;
use crate::model::memory::{BaselineSpec, InFlightSpec, LeakSpec, MemorySpec, TraceBufferSpec};
use crate::model::pod::PodTemplate;
use crate::model::resources::{ResourceList, Resources};
use crate::model::units::Bytes;
use crate::scenario::error::Problem;
use crate::scenario::istio::{self, PROXY_NAME};
use crate::scenario::quantity::{parse_bytes, parse_millicpu};
use crate::scenario::spec::{
    MemoryLawsSpec, MeshSpec, ResourceListSpec, ResourcesSpec, TraceBufferY, WorkloadY,
};

/// Idle resident memory of an `istio-proxy` with a small config. REFERENCE.md gives
/// per-cluster and per-host figures but no idle total (UNCONFIRMED).
const PROXY_BASELINE: Bytes = Bytes::mib(40);
/// Start-up ramp of the proxy's baseline (UNCONFIRMED).
const PROXY_BASELINE_RAMP: SimDuration = SimDuration::from_secs(5);
/// Request latency through the proxy (UNCONFIRMED).
const PROXY_LATENCY: SimDuration = SimDuration::from_millis(20);
/// Buffers per proxied request (UNCONFIRMED).
const PROXY_BYTES_PER_REQUEST: Bytes = Bytes(32 << 10);

/// The pod template of workload `w` (with its sidecar when injected).
pub fn pod_template(w: &WorkloadY, mesh: Option<&MeshSpec>) -> Result<PodTemplate, Problem> {
    istio::check_annotations(&w.annotations)?;
    let mut containers = Vec::with_capacity(w.containers.len() + 1);
    for c in &w.containers {
        containers.push(Arc::new(ContainerSpec {
            name: c.name.value.clone(),
            resources: resources(&c.resources)?,
            memory: memory_laws(&c.memory)?,
            readiness_delay: c.readiness_delay.map_or(SimDuration::ZERO, |d| d.0),
        }));
    }
    if let Some(mesh) = mesh.filter(|m| istio::injected(Some(m), w)) {
        containers.push(Arc::new(proxy_container(w, mesh)?));
    }
    Ok(PodTemplate { containers })
}

/// The injected `istio-proxy` of workload `w`.
fn proxy_container(w: &WorkloadY, mesh: &MeshSpec) -> Result<ContainerSpec, Problem> {
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
    let resources = Resources::defaulted(req, lim);
    check_request_fits(&resources, at)?;

    let mut laws = memory_laws(&mesh.proxy.memory)?;
    let own = memory_laws(&w.proxy.memory)?;
    for spec in [&mesh.proxy.memory, &w.proxy.memory] {
        if let Some(tb) = &spec.trace_buffer {
            return Err(Problem::new(
                tb.referenced,
                "the istio-proxy's trace buffer is configured by `mesh.tracing` and the \
                 sampling in `proxy.istio.io/config`",
                "mesh.tracing: {spanSize, collectorCapacity, flushInterval, maxSpans}",
            ));
        }
    }
    laws.baseline = own.baseline.or(laws.baseline).or(Some(BaselineSpec {
        size: PROXY_BASELINE,
        ramp: PROXY_BASELINE_RAMP,
    }));
    laws.in_flight = own.in_flight.or(laws.in_flight).or(Some(InFlightSpec {
        latency: PROXY_LATENCY,
        per_request: PROXY_BYTES_PER_REQUEST,
    }));
    laws.leak = own.leak.or(laws.leak);
    laws.trace_buffer = Some(proxy_trace_buffer(w, mesh)?);
    let readiness_delay = w
        .proxy
        .readiness_delay
        .or(mesh.proxy.readiness_delay)
        .map_or(istio::PROXY_READINESS_DELAY, |d| d.0);
    Ok(ContainerSpec {
        name: PROXY_NAME.to_string(),
        resources,
        memory: laws,
        readiness_delay,
    })
}

/// The proxy's tracer buffer from `mesh.tracing` and the effective sampling.
fn proxy_trace_buffer(w: &WorkloadY, mesh: &MeshSpec) -> Result<TraceBufferSpec, Problem> {
    let t = &mesh.tracing;
    let sampling = istio::trace_sampling_percent(mesh, &w.annotations)?;
    if let Some(s) = &mesh.trace_sampling {
        percent(s.value, s.referenced)?;
    }
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

/// Applies the fields `spec` sets over `req` and `lim`.
fn overlay(req: &mut ResourceList, lim: &mut ResourceList, spec: &ResourcesSpec) {
    let set = |list: &mut ResourceList, s: &ResourceListSpec| {
        if let Some(m) = &s.memory {
            list.memory = Some(m.value.0);
        }
        if let Some(c) = &s.cpu {
            list.cpu = Some(c.value.0);
        }
    };
    set(req, &spec.requests);
    set(lim, &spec.limits);
}

/// A container's resources, defaulted and checked.
pub fn resources(spec: &ResourcesSpec) -> Result<Resources, Problem> {
    let mut req = ResourceList::default();
    let mut lim = ResourceList::default();
    overlay(&mut req, &mut lim, spec);
    let r = Resources::defaulted(req, lim);
    let at = spec
        .limits
        .memory
        .as_ref()
        .map_or(Location::UNKNOWN, |m| m.referenced);
    check_request_fits(&r, at)?;
    if let (Some(req), Some(lim)) = (r.requests.cpu, r.limits.cpu)
        && req > lim
    {
        let at = spec
            .limits
            .cpu
            .as_ref()
            .map_or(Location::UNKNOWN, |c| c.referenced);
        return Err(Problem::new(
            at,
            format!("cpu limit {lim} is below its request {req}"),
            "a limit at least as large as the request",
        ));
    }
    Ok(r)
}

fn check_request_fits(r: &Resources, at: Location) -> Result<(), Problem> {
    match (r.requests.memory, r.limits.memory) {
        (_, Some(Bytes(0))) => Err(Problem::new(
            at,
            "memory limit is zero",
            "a positive memory limit such as 256Mi, or none",
        )),
        (Some(req), Some(lim)) if req > lim => Err(Problem::new(
            at,
            format!("memory limit {lim} is below its request {req}"),
            "a limit at least as large as the request (an unset request defaults to the limit)",
        )),
        _ => Ok(()),
    }
}

/// Memory laws from their spec.
pub fn memory_laws(spec: &MemoryLawsSpec) -> Result<MemorySpec, Problem> {
    Ok(MemorySpec {
        baseline: spec.baseline.as_ref().map(|b| BaselineSpec {
            size: b.size.0,
            ramp: b.ramp.map_or(SimDuration::ZERO, |d| d.0),
        }),
        in_flight: spec.in_flight.as_ref().map(|f| InFlightSpec {
            latency: f.latency.0,
            per_request: f.per_request.0,
        }),
        trace_buffer: spec
            .trace_buffer
            .as_ref()
            .map(|t| trace_buffer(&t.value))
            .transpose()?,
        leak: spec.leak.as_ref().map(|l| LeakSpec {
            per_request: l.per_request.map_or(Bytes(0), |m| m.0),
            per_second: l.per_second.map_or(Bytes(0), |m| m.0),
        }),
    })
}

fn trace_buffer(t: &TraceBufferY) -> Result<TraceBufferSpec, Problem> {
    Ok(TraceBufferSpec {
        sampling: percent(t.sampling.value, t.sampling.referenced)? / 100.0,
        span_size: t.span_size.0,
        export_rate: non_negative(t.export_rate.value, t.export_rate.referenced, "exportRate")?,
        flush_interval: positive_or(
            t.flush_interval.as_ref(),
            istio::ZIPKIN_FLUSH_INTERVAL,
            "flushInterval",
        )?,
        max_spans: t.max_spans,
    })
}

fn percent(v: f64, at: Location) -> Result<f64, Problem> {
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(Problem::new(
            at,
            format!("sampling {v} is not a percentage"),
            "a percentage from 0 to 100 (1 = 1 %)",
        ))
    }
}

/// `v` if finite and ≥ 0.
pub fn non_negative(v: f64, at: Location, what: &str) -> Result<f64, Problem> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Problem::new(
            at,
            format!("`{what}` is {v}"),
            "a finite number ≥ 0",
        ))
    }
}

fn positive_or(
    d: Option<&crate::scenario::spec::S<crate::scenario::duration::Duration>>,
    default: SimDuration,
    what: &str,
) -> Result<SimDuration, Problem> {
    match d {
        None => Ok(default),
        Some(d) if d.value.0.is_zero() => Err(Problem::new(
            d.referenced,
            format!("`{what}` is zero"),
            "a positive duration such as 5s",
        )),
        Some(d) => Ok(d.value.0),
    }
}
