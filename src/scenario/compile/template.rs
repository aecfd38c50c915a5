//! Pod templates from workload specs: containers, resources, memory laws, the sidecar.

use std::sync::Arc;

use serde_saphyr::Location;

use super::proxy::{MeshContext, proxy_container};
use crate::engine::SimDuration;
use crate::model::container::{ContainerSpec, HeapSize, JvmSpec, ReadinessProbe};
use crate::model::cpu::CpuSpec;
use crate::model::memory::{
    BaselineSpec, BatchSpec, CacheSpec, ExternalKind, InFlightSpec, LeakSpec, MemorySpec,
    TraceBufferSpec, zipf_bins,
};
use crate::model::pod::PodTemplate;
use crate::model::resources::{ResourceList, Resources};
use crate::model::units::Bytes;
use crate::scenario::error::Problem;
use crate::scenario::istio;
use crate::scenario::yaml;

/// The pod template of workload `w` (with its sidecar when injected).
pub fn pod_template(
    w: &yaml::Workload,
    mesh: Option<&MeshContext<'_>>,
) -> Result<PodTemplate, Problem> {
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
            readiness: readiness(c)?,
            jvm: c
                .jvm
                .as_ref()
                .map(|j| {
                    jvm(
                        j,
                        resources(&c.resources).ok().and_then(|r| r.limits.memory),
                    )
                })
                .transpose()?,
            process: if c.jvm.is_some() {
                "java".to_string()
            } else {
                c.name.value.clone()
            },
            helper: None,
        }));
    }
    // A Redis or CoreDNS workload's first container is the server: its memory is sized
    // by the model's `redis` / `dns` subsystems on top of its own laws.
    let server = match (&w.redis, &w.coredns) {
        (Some(_), _) => Some(ExternalKind::Redis),
        (None, Some(_)) => Some(ExternalKind::CoreDns),
        _ => None,
    };
    if let (Some(kind), Some(first)) = (server, containers.first_mut()) {
        let mut spec = (**first).clone();
        spec.memory.external = Some(kind);
        *first = Arc::new(spec);
    }
    if let Some(ctx) = mesh.filter(|m| istio::injected(Some(m.mesh), w)) {
        containers.push(Arc::new(proxy_container(w, ctx)?));
    }
    let memory_limit = w.resources.as_ref().and_then(|r| r.limits.memory.as_ref());
    if let Some(m) = memory_limit {
        let requested: u64 = containers
            .iter()
            .map(|c| c.resources.memory_request().0)
            .sum();
        if m.value.0.0 < requested {
            return Err(Problem::new(
                m.referenced,
                format!(
                    "pod memory limit {} is below its containers' requests ({})",
                    m.value.0,
                    Bytes(requested)
                ),
                "a pod-level limit at least the sum of the containers' requests",
            ));
        }
    }
    Ok(PodTemplate {
        containers,
        memory_limit: memory_limit.map(|m| m.value.0),
    })
}

/// Applies the fields `spec` sets over `req` and `lim`.
pub(super) fn overlay(req: &mut ResourceList, lim: &mut ResourceList, spec: &yaml::Resources) {
    let set = |list: &mut ResourceList, s: &yaml::ResourceList| {
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
pub fn resources(spec: &yaml::Resources) -> Result<Resources, Problem> {
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
pub fn memory_laws(spec: &yaml::MemoryLaws) -> Result<MemorySpec, Problem> {
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
        cache: spec
            .cache
            .as_ref()
            .map(|c| cache(&c.value).map_err(|p| p.or_at(c.referenced)))
            .transpose()?,
        xds_server: false,
        external: None,
        batch: spec.batch.as_ref().map(|b| BatchSpec {
            size: b.size.0,
            after_start: b.after_start.map(|d| d.0),
            every: b.every.map(|d| d.0).filter(|d| !d.is_zero()),
            ramp: b.ramp.map_or(SimDuration::from_secs(1), |d| d.0),
            hold: b.hold.map_or(SimDuration::from_secs(10), |d| d.0),
        }),
    })
}

/// The most keys a cache may have: 2^53, the largest count the model's floating-point
/// arithmetic holds exactly (and far beyond any real key space).
const MAX_CACHE_KEYS: u64 = 1 << 53;

fn cache(c: &yaml::Cache) -> Result<CacheSpec, Problem> {
    let zipf = c.zipf.unwrap_or(0.0);
    if c.keys == 0 || c.keys > MAX_CACHE_KEYS || !(0.0..=4.0).contains(&zipf) {
        return Err(Problem::new(
            Location::UNKNOWN,
            format!("cache with {} keys and Zipf exponent {zipf}", c.keys),
            "keys from 1 to 2^53 and a Zipf exponent from 0 (uniform) to 4",
        ));
    }
    Ok(CacheSpec {
        bins: zipf_bins(c.keys, zipf).into(),
        entry_size: c.entry_size.0,
        lookups_per_request: c.lookups_per_request.unwrap_or(1.0),
        max_entries: c.max_entries,
        ttl: c.ttl.map(|d| d.0).filter(|d| !d.is_zero()),
        warmup: c.warmup.map(|d| d.0),
        warmup_entries: c.warmup_entries,
    })
}

/// HotSpot's defaults: `MaxRAMPercentage` 25 (REFERENCE.md), `InitialRAMPercentage`
/// 1.5625 (UNCONFIRMED), and a non-heap footprint (metaspace, code cache as touched,
/// thread stacks) of 64Mi (UNCONFIRMED).
const MAX_RAM_PERCENTAGE: f64 = 25.0;
const INITIAL_RAM_PERCENTAGE: f64 = 1.5625;
const JVM_NON_HEAP: Bytes = Bytes::mib(64);

/// A container's JVM settings; a heap given as a share of the limit needs a limit.
pub(super) fn jvm(j: &yaml::Spanned<yaml::Jvm>, limit: Option<Bytes>) -> Result<JvmSpec, Problem> {
    let pct = j.value.max_ram_percentage.unwrap_or(MAX_RAM_PERCENTAGE);
    if !(0.0..=100.0).contains(&pct) {
        return Err(Problem::new(
            j.referenced,
            format!("maxRamPercentage {pct} is not a percentage"),
            "a percentage from 0 to 100 (HotSpot's default is 25)",
        ));
    }
    if j.value.max_heap.is_none() && limit.is_none() {
        return Err(Problem::new(
            j.referenced,
            "a JVM without a container memory limit needs `maxHeap`",
            "jvm: {maxHeap: 450Mi} or a memory limit for MaxRAMPercentage",
        ));
    }
    Ok(JvmSpec {
        max_heap: j
            .value
            .max_heap
            .map_or(HeapSize::OfLimit(pct), |m| HeapSize::Fixed(m.0)),
        initial_heap: j
            .value
            .initial_heap
            .map_or(HeapSize::OfLimit(INITIAL_RAM_PERCENTAGE), |m| {
                HeapSize::Fixed(m.0)
            }),
        non_heap: j.value.non_heap.map_or(JVM_NON_HEAP, |m| m.0),
    })
}

fn trace_buffer(t: &yaml::TraceBuffer) -> Result<TraceBufferSpec, Problem> {
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
    d: Option<&crate::scenario::yaml::Spanned<crate::scenario::duration::Duration>>,
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

/// A container's readiness probe: Kubernetes' defaults for what it leaves out.
fn readiness(c: &yaml::Container) -> Result<ReadinessProbe, Problem> {
    let mut probe =
        ReadinessProbe::kubernetes(c.readiness_delay.map_or(SimDuration::ZERO, |d| d.0));
    if let Some(p) = &c.readiness_probe {
        if let Some(d) = p.initial_delay {
            probe.initial_delay = d.0;
        }
        if let Some(d) = p.period {
            if d.0.is_zero() {
                return Err(Problem::new(
                    c.name.referenced,
                    format!(
                        "container `{}`: a readiness probe period of 0",
                        c.name.value
                    ),
                    "a period such as 10s",
                ));
            }
            probe.period = d.0;
        }
    }
    Ok(probe)
}
