//! From a scenario spec to a validated model configuration, with every semantic check
//! that the YAML types cannot express (names, references, limits ≥ requests, …).

mod control_plane;
mod data_tier;
pub mod drill;
mod proxy;
mod template;
mod timeline;
mod traffic;

pub use proxy::MeshContext;
pub use template::pod_template;

use std::collections::HashSet;
use std::sync::Arc;

use serde_saphyr::Location;

use super::error::Problem;
use super::yaml;
use crate::engine::{SimDuration, SimTime};
use crate::model::kubelet::backoff::BackoffPolicy;
use crate::model::node::NodeSpec;
use crate::model::units::Bytes;
use crate::model::{Fidelity, SimConfig, WorkloadSpec};

/// Builds the model configuration of `spec`.
pub fn compile(spec: &yaml::ScenarioFile) -> Result<SimConfig, Problem> {
    check_scenario_name(&spec.name)?;
    let duration = positive(&spec.duration.value.0, spec.duration.referenced, "duration")?;
    let scrape_interval = positive(
        &spec.scrape_interval.value.0,
        spec.scrape_interval.referenced,
        "scrapeInterval",
    )?;
    if spec.replicas.value == 0 {
        return Err(Problem::new(
            spec.replicas.referenced,
            "`replicas` is 0",
            "a number of runs ≥ 1",
        ));
    }
    let mesh = mesh_context(spec)?;
    let mut workloads = workloads(spec, mesh.as_ref())?;
    let control_plane = match &spec.control_plane {
        Some(cp) => {
            let (istiod, model) = control_plane::control_plane(cp, workloads.len())?;
            if workloads.iter().any(|w| w.name == istiod.name) {
                let at = cp
                    .istiod
                    .name
                    .as_ref()
                    .map_or(Location::UNKNOWN, |n| n.referenced);
                return Err(Problem::new(
                    at,
                    format!("workload name `{}` is taken", istiod.name),
                    "another name for istiod",
                ));
            }
            workloads.push(istiod);
            Some(model)
        }
        None => None,
    };
    let traffic = traffic::services(spec)?;
    let tier = data_tier::data_tier(spec)?;
    let actions = timeline::actions(spec, mesh.as_ref())?;
    let endpoint_propagation = match spec
        .mesh
        .as_ref()
        .and_then(|m| m.endpoint_propagation.as_ref())
    {
        Some(d) => d.value.0,
        None => DEFAULT_ENDPOINT_PROPAGATION,
    };
    let slo_target = match &spec.slo.target {
        Some(t) if t.value > 0.0 && t.value < 100.0 => t.value / 100.0,
        Some(t) => {
            return Err(Problem::new(
                t.referenced,
                format!("SLO target {} is not a percentage below 100", t.value),
                "a percentage such as 99.9",
            ));
        }
        None => DEFAULT_SLO_TARGET,
    };
    Ok(SimConfig {
        duration,
        scrape_interval,
        fidelity: match spec.fidelity {
            yaml::Fidelity::Fluid => Fidelity::Fluid,
            yaml::Fidelity::PerRequest => Fidelity::PerRequest,
        },
        fluid_step: match &spec.fluid_step {
            Some(d) if d.value.0.is_zero() => {
                return Err(Problem::new(
                    d.referenced,
                    "the fluid step must be longer than zero",
                    "a duration such as 5s",
                ));
            }
            Some(d) => d.value.0,
            None => DEFAULT_FLUID_STEP,
        },
        backoff: backoff(&spec.kubelet)?,
        nodes: nodes(&spec.nodes)?,
        workloads,
        traffic,
        actions,
        endpoint_propagation,
        slo_target,
        eviction: eviction(&spec.kubelet),
        vpa: vpas(spec)?,
        alerts: alerts(spec)?,
        control_plane,
        redis: tier.redis,
        databases: tier.databases,
        dns: tier.dns,
        callers: tier.callers,
        hpa: tier.hpa,
        evaluate_on: spec.evaluate_on.as_ref().map(timeline::trigger),
        evaluate_after: SimTime::ZERO
            + spec
                .evaluate_after
                .as_ref()
                .map_or(SimDuration::ZERO, |d| d.value.0),
    })
}

/// Time for an endpoint change to reach the clients' proxies: the kubelet notices, the
/// EndpointSlice changes, istiod debounces (`PILOT_DEBOUNCE_AFTER` 100 ms, REFERENCE.md)
/// and pushes EDS. The total is UNCONFIRMED.
const DEFAULT_ENDPOINT_PROPAGATION: SimDuration = SimDuration::from_secs(1);

/// Fluid fidelity's arrival step. Counts are exact at every step's end whatever its
/// length; inside a step the path is a chord, off the real one by about
/// √(rps × step / 4) requests — at 50 rps and 30 s, under a second of the time to a
/// limit. Longer steps add fewer events.
const DEFAULT_FLUID_STEP: SimDuration = SimDuration::from_secs(30);

/// A workload's rolling-update strategy, Kubernetes' defaults for what it leaves out.
fn rolling_update(
    spec: Option<&yaml::RollingUpdate>,
) -> Result<crate::model::config::RollingUpdate, Problem> {
    use crate::model::config::{IntOrPercent, RollingUpdate};
    let mut out = RollingUpdate::default();
    let Some(spec) = spec else { return Ok(out) };
    let parse = |v: &yaml::Spanned<String>| -> Result<IntOrPercent, Problem> {
        let text = v.value.trim();
        let bad = || {
            Problem::new(
                v.referenced,
                format!("`{}` is not a pod count or a percentage", v.value),
                "a whole number such as 1, or a percentage such as \"25%\"",
            )
        };
        match text.strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(IntOrPercent::Percent(p)),
                _ => Err(bad()),
            },
            None => text
                .parse::<u32>()
                .map(IntOrPercent::Int)
                .map_err(|_| bad()),
        }
    };
    if let Some(v) = &spec.max_surge {
        out.max_surge = parse(v)?;
    }
    if let Some(v) = &spec.max_unavailable {
        out.max_unavailable = parse(v)?;
    }
    Ok(out)
}

/// A common availability SLO (99.9 %).
const DEFAULT_SLO_TARGET: f64 = 0.999;

/// What every proxy shares: the mesh's size.
fn mesh_context(spec: &yaml::ScenarioFile) -> Result<Option<MeshContext<'_>>, Problem> {
    let Some(mesh) = spec.mesh.as_ref() else {
        return Ok(None);
    };
    let workloads = spec.workloads.len() as u32;
    let services = mesh.services.as_ref().map_or(workloads, |s| s.value);
    if services < workloads {
        let at = mesh
            .services
            .as_ref()
            .map_or(Location::UNKNOWN, |s| s.referenced);
        return Err(Problem::new(
            at,
            format!("the mesh has {services} services but the scenario simulates {workloads}"),
            "at least as many services as workloads",
        ));
    }
    let replicas: u32 = spec.workloads.iter().map(|w| w.replicas).sum();
    let mean = (replicas as f64 / workloads.max(1) as f64).round().max(1.0) as u32;
    Ok(Some(MeshContext {
        mesh,
        services,
        endpoints_per_service: mesh
            .endpoints_per_service
            .as_ref()
            .map_or(mean, |e| e.value),
    }))
}

fn workloads(
    spec: &yaml::ScenarioFile,
    mesh: Option<&MeshContext<'_>>,
) -> Result<Vec<WorkloadSpec>, Problem> {
    let mut seen = HashSet::new();
    spec.workloads
        .iter()
        .map(|w| {
            check_dns_label(&w.name, "workload")?;
            if !seen.insert(w.name.value.as_str()) {
                return Err(duplicate(&w.name, "workload"));
            }
            check_containers(w)?;
            Ok(WorkloadSpec {
                name: w.name.value.clone(),
                replicas: w.replicas,
                template: Arc::new(pod_template(w, mesh)?),
                age: w.age.map_or(SimDuration::ZERO, |d| d.0),
                rolling_update: rolling_update(w.rolling_update.as_ref())?,
            })
        })
        .collect()
}

fn check_containers(w: &yaml::Workload) -> Result<(), Problem> {
    if w.containers.is_empty() {
        return Err(Problem::new(
            w.name.referenced,
            format!("workload `{}` has no containers", w.name.value),
            "containers: [{name: app, resources: …, memory: …}]",
        ));
    }
    let mut seen = HashSet::new();
    for c in &w.containers {
        check_dns_label(&c.name, "container")?;
        if !seen.insert(c.name.value.as_str()) || c.name.value == super::istio::PROXY_NAME {
            return Err(duplicate(&c.name, "container"));
        }
    }
    Ok(())
}

fn vpas(spec: &yaml::ScenarioFile) -> Result<Vec<crate::model::VpaConfig>, Problem> {
    let mut out: Vec<crate::model::VpaConfig> = Vec::new();
    for v in &spec.vpa {
        let workload = workload_index(spec, &v.workload)?;
        if out.iter().any(|o| o.workload == workload) {
            return Err(duplicate(&v.workload, "VPA target"));
        }
        out.push(crate::model::VpaConfig {
            workload,
            containers: v.containers.clone(),
            mode: match v.update_mode {
                yaml::VpaMode::Off => crate::model::VpaMode::Off,
                yaml::VpaMode::Initial => crate::model::VpaMode::Initial,
                yaml::VpaMode::Auto => crate::model::VpaMode::Auto,
            },
            controlled_values: match v.controlled_values {
                Some(yaml::ControlledValues::RequestsOnly) => {
                    crate::model::config::ControlledValues::RequestsOnly
                }
                _ => crate::model::config::ControlledValues::RequestsAndLimits,
            },
            min_allowed: v
                .min_allowed
                .as_ref()
                .and_then(|r| r.memory.as_ref())
                .map(|m| m.value.0),
            max_allowed: v
                .max_allowed
                .as_ref()
                .and_then(|r| r.memory.as_ref())
                .map(|m| m.value.0),
        });
        let bounds = (
            out.last().and_then(|c| c.min_allowed),
            out.last().and_then(|c| c.max_allowed),
        );
        if let (Some(lo), Some(hi)) = bounds
            && lo > hi
        {
            let at = v
                .min_allowed
                .as_ref()
                .and_then(|r| r.memory.as_ref())
                .map_or(v.workload.referenced, |m| m.referenced);
            return Err(Problem::new(
                at,
                format!("minAllowed {lo} is above maxAllowed {hi}"),
                "minAllowed.memory at most maxAllowed.memory",
            ));
        }
    }
    Ok(out)
}

fn alerts(
    spec: &yaml::ScenarioFile,
) -> Result<Vec<crate::model::monitoring::alerts::AlertRule>, Problem> {
    use crate::model::monitoring::alerts::{AlertExpr, AlertRule};
    spec.alerts
        .iter()
        .map(|a| {
            let mut exprs = Vec::new();
            if let Some(n) = &a.memory_near_limit {
                exprs.push(AlertExpr::MemoryNearLimit { ratio: n.ratio });
            }
            if let Some(r) = &a.restart_rate {
                exprs.push(AlertExpr::RestartRate {
                    window: r.window.0,
                    above: r.above,
                });
            }
            match a.last_terminated_reason.as_deref() {
                Some("OOMKilled") => exprs.push(AlertExpr::LastTerminatedOomKilled),
                Some(other) => {
                    return Err(Problem::new(
                        a.name.referenced,
                        format!("lastTerminatedReason `{other}` is not supported"),
                        "lastTerminatedReason: OOMKilled",
                    ));
                }
                None => {}
            }
            if exprs.len() != 1 {
                return Err(Problem::new(
                    a.name.referenced,
                    format!("alert `{}` needs exactly one condition", a.name.value),
                    "one of memoryNearLimit, restartRate, lastTerminatedReason",
                ));
            }
            Ok(AlertRule {
                name: a.name.value.clone(),
                expr: exprs[0],
                hold_for: a.hold_for.map_or(SimDuration::ZERO, |d| d.0),
            })
        })
        .collect()
}

fn eviction(k: &yaml::Kubelet) -> crate::model::EvictionConfig {
    let mut e = crate::model::EvictionConfig::default();
    if let Some(m) = &k.eviction_hard.memory_available {
        e.threshold = m.value.0;
    }
    e
}

fn backoff(k: &yaml::Kubelet) -> Result<BackoffPolicy, Problem> {
    let mut policy = if k.feature_gates.reduce_default_crash_loop_back_off_decay {
        BackoffPolicy::reduced_decay()
    } else {
        BackoffPolicy::default()
    };
    if let Some(max) = &k.crash_loop_back_off.max_container_restart_period {
        policy.max = positive(&max.value.0, max.referenced, "maxContainerRestartPeriod")?;
        policy.initial = policy.initial.min(policy.max);
    }
    Ok(policy)
}

fn nodes(groups: &[yaml::NodeGroup]) -> Result<Vec<NodeSpec>, Problem> {
    if groups.is_empty() {
        return Err(Problem::new(
            Location::UNKNOWN,
            "the scenario has no nodes",
            "nodes: [{name: worker, count: 3, capacity: 16Gi}]",
        ));
    }
    let mut out = Vec::new();
    for g in groups {
        check_dns_label(&g.name, "node")?;
        let capacity = g.capacity.value.0;
        if let Some(b) = g
            .background
            .as_ref()
            .filter(|b| b.usage.value.0 >= capacity)
        {
            return Err(Problem::new(
                b.usage.referenced,
                format!(
                    "background usage {} fills the node's capacity {capacity}",
                    b.usage.value.0
                ),
                "background usage below the node's capacity",
            ));
        }
        let allocatable = g.allocatable.as_ref().map_or(capacity, |a| a.value.0);
        if allocatable > capacity {
            let at = g
                .allocatable
                .as_ref()
                .map_or(g.name.referenced, |a| a.referenced);
            return Err(Problem::new(
                at,
                format!("allocatable {allocatable} exceeds capacity {capacity}"),
                "allocatable ≤ capacity (capacity minus system and kube reservations)",
            ));
        }
        for i in 0..g.count.value {
            let name = if g.count.value == 1 {
                g.name.value.clone()
            } else {
                format!("{}-{i}", g.name.value)
            };
            let bg = g.background.as_ref();
            out.push(NodeSpec {
                name,
                capacity,
                allocatable,
                background_requested: bg.map_or(Bytes(0), |b| b.requested.value.0),
                background_usage: bg.map_or(Bytes(0), |b| b.usage.value.0),
            });
        }
    }
    Ok(out)
}

/// `d` if it is not zero.
pub(super) fn positive(d: &SimDuration, at: Location, what: &str) -> Result<SimDuration, Problem> {
    if d.is_zero() {
        Err(Problem::new(
            at,
            format!("`{what}` is zero"),
            "a positive duration such as 30s or 24h",
        ))
    } else {
        Ok(*d)
    }
}

fn duplicate(name: &yaml::Spanned<String>, what: &str) -> Problem {
    Problem::new(
        name.referenced,
        format!("{what} name `{}` is used twice", name.value),
        format!("a unique {what} name"),
    )
}

/// Kubernetes names: lowercase letters, digits and `-`, starting and ending
/// alphanumeric, at most 63 characters (RFC 1123 label).
fn check_dns_label(name: &yaml::Spanned<String>, what: &str) -> Result<(), Problem> {
    let n = &name.value;
    let ok = !n.is_empty()
        && n.len() <= 63
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !n.starts_with('-')
        && !n.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            name.referenced,
            format!("`{n}` is not a valid {what} name"),
            "lowercase letters, digits and '-', at most 63 characters (e.g. payment-service)",
        ))
    }
}

/// The scenario name becomes a folder name.
fn check_scenario_name(name: &yaml::Spanned<String>) -> Result<(), Problem> {
    crate::scenario::names::check_scenario(&name.value)
        .map_err(|m| Problem::new(name.referenced, m, crate::scenario::names::FILE_NAME_FORM))
}

/// The index of workload `name`, or a problem listing the workloads.
pub(super) fn workload_index(
    spec: &yaml::ScenarioFile,
    name: &yaml::Spanned<String>,
) -> Result<usize, Problem> {
    spec.workloads
        .iter()
        .position(|w| w.name.value == name.value)
        .ok_or_else(|| {
            let names: Vec<_> = spec
                .workloads
                .iter()
                .map(|w| w.name.value.as_str())
                .collect();
            Problem::new(
                name.referenced,
                format!("no workload named `{}`", name.value),
                format!("one of: {}", names.join(", ")),
            )
        })
}
