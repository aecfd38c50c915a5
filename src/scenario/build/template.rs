//! Pod templates from workload specs: containers, resources, memory laws, the sidecar.

use std::sync::Arc;

use serde_saphyr::Location;

use super::proxy::{MeshContext, proxy_container};
use crate::engine::SimDuration;
use crate::model::container::ContainerSpec;
use crate::model::cpu::CpuSpec;
use crate::model::memory::{BaselineSpec, InFlightSpec, LeakSpec, MemorySpec, TraceBufferSpec};
use crate::model::pod::PodTemplate;
use crate::model::resources::{ResourceList, Resources};
use crate::model::units::Bytes;
use crate::scenario::error::Problem;
use crate::scenario::istio;
use crate::scenario::spec::{
    MemoryLawsSpec, ResourceListSpec, ResourcesSpec, TraceBufferY, WorkloadY,
};

/// The pod template of workload `w` (with its sidecar when injected).
pub fn pod_template(w: &WorkloadY, mesh: Option<&MeshContext<'_>>) -> Result<PodTemplate, Problem> {
    istio::check_annotations(&w.annotations)?;
    let mut containers = Vec::with_capacity(w.containers.len() + 1);
    for c in &w.containers {
        containers.push(Arc::new(ContainerSpec {
            name: c.name.value.clone(),
            resources: resources(&c.resources)?,
            memory: memory_laws(&c.memory)?,
            cpu: c.cpu.as_ref().map_or_else(CpuSpec::default, |c| CpuSpec {
                per_request: c.per_request.0,
                threads: c.threads,
                main_thread_min_share: c.main_thread_min_share.unwrap_or(0.0),
            }),
            readiness_delay: c.readiness_delay.map_or(SimDuration::ZERO, |d| d.0),
        }));
    }
    if let Some(ctx) = mesh.filter(|m| istio::injected(Some(m.mesh), w)) {
        containers.push(Arc::new(proxy_container(w, ctx)?));
    }
    Ok(PodTemplate { containers })
}

/// Applies the fields `spec` sets over `req` and `lim`.
pub(super) fn overlay(req: &mut ResourceList, lim: &mut ResourceList, spec: &ResourcesSpec) {
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

pub(super) fn check_request_fits(r: &Resources, at: Location) -> Result<(), Problem> {
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
        connections: None,
        xds_config: None,
        stats: None,
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

pub(super) fn percent(v: f64, at: Location) -> Result<f64, Problem> {
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

pub(super) fn positive_or(
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
