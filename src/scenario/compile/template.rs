//! Pod templates from workload specs: containers, resources, memory laws, the sidecar.

use std::sync::Arc;

use serde_saphyr::Location;

use super::proxy::{MeshContext, proxy_container};
use crate::engine::SimDuration;
use crate::model::container::{ContainerSpec, HeapSize, JvmSpec, ReadinessProbe};
use crate::model::cpu::CpuSpec;
use crate::model::memory::ExternalKind;
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
            memory: c.memory.build()?,
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
