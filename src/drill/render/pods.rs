//! `kubectl get pods`, `kubectl top pod`, `kubectl get deploy,hpa,vpa`.

use super::format::age;
use super::{Scope, View};
use crate::drill::table;
use crate::engine::{SimDuration, SimTime};
use crate::model::EventKind;
use crate::model::snapshot::{ContainerSnapshot, ContainerStatus, PodSnapshot};

/// How long a container killed moments ago shows its termination reason (`OOMKilled`)
/// before the kubelet's next pod sync reports the back-off (`CrashLoopBackOff`).
/// UNCONFIRMED: the kubelet re-syncs a pod on its PLEG event and on back-off expiry;
/// 10 s stands for "right after a kill".
pub const TERMINATED_SHOWN: SimDuration = SimDuration::from_secs(10);

/// The STATUS column, as kubectl's pod printer derives it: the phase, overridden by the
/// first container (in spec order) that is waiting or terminated, and `Terminating`
/// for a pod being deleted.
pub fn status(p: &PodSnapshot, now: SimTime) -> String {
    if p.terminating {
        return "Terminating".into();
    }
    if p.node.is_none() {
        return "Pending".into();
    }
    let mut reason = "Running";
    for c in p.containers.iter().rev() {
        if let Some(r) = container_reason(c, now) {
            reason = r;
        }
    }
    reason.into()
}

/// A container's waiting or just-terminated reason.
fn container_reason(c: &ContainerSnapshot, now: SimTime) -> Option<&'static str> {
    match &c.state {
        ContainerStatus::Running { .. } => None,
        ContainerStatus::Waiting { reason, .. } => match &c.last_state {
            Some(t)
                if now.since(t.finished) < TERMINATED_SHOWN && *reason == "CrashLoopBackOff" =>
            {
                Some(t.reason)
            }
            _ => Some(reason),
        },
    }
}

/// The `state` line of `kubectl describe` for a container: `Running`, `Waiting` or
/// (just killed) `Terminated`.
pub fn shown_state(c: &ContainerSnapshot, now: SimTime) -> &'static str {
    match &c.state {
        ContainerStatus::Running { .. } => "Running",
        ContainerStatus::Waiting { .. } => match &c.last_state {
            Some(t) if now.since(t.finished) < TERMINATED_SHOWN => "Terminated",
            _ => "Waiting",
        },
    }
}

/// Ready containers.
pub fn ready_containers(p: &PodSnapshot) -> usize {
    p.containers
        .iter()
        .filter(|c| matches!(c.state, ContainerStatus::Running { ready: true, .. }))
        .count()
}

/// The RESTARTS column: the sum, and since kubectl 1.26 the age of the last one.
pub fn restarts(p: &PodSnapshot, now: SimTime) -> String {
    let n: u32 = p.containers.iter().map(|c| c.restart_count).sum();
    let last = p
        .containers
        .iter()
        .filter_map(|c| c.last_state.as_ref().map(|t| t.finished))
        .max();
    match last {
        Some(t) => format!("{n} ({} ago)", age(now.since(t))),
        None => n.to_string(),
    }
}

/// A stable made-up pod IP.
pub fn pod_ip(name: &str) -> String {
    let h = name.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    format!("10.244.{}.{}", (h >> 8) % 16, h % 250 + 2)
}

/// `kubectl get pods [NAME] [-o wide]`.
pub fn get_pods(
    v: &View<'_>,
    scope: &Scope,
    name: Option<&str>,
    wide: bool,
) -> Result<String, String> {
    let pods = match name {
        Some(n) => vec![v.pod(scope, n)?],
        None => v.pods(scope),
    };
    if pods.is_empty() {
        return Ok(no_resources(scope));
    }
    let now = v.now();
    let mut headers = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if wide {
        headers.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    if matches!(scope, Scope::All) {
        headers.insert(0, "NAMESPACE");
    }
    let rows = pods
        .iter()
        .map(|p| {
            let mut r = vec![
                p.name.clone(),
                format!("{}/{}", ready_containers(p), p.containers.len()),
                status(p, now),
                restarts(p, now),
                age(p.age),
            ];
            if wide {
                let ip = if p.node.is_some() {
                    pod_ip(&p.name)
                } else {
                    "<none>".into()
                };
                r.extend([
                    ip,
                    p.node.clone().unwrap_or_else(|| "<none>".into()),
                    "<none>".into(),
                    "<none>".into(),
                ]);
            }
            if matches!(scope, Scope::All) {
                r.insert(0, v.namespace_of(&p.workload).to_string());
            }
            r
        })
        .collect::<Vec<_>>();
    Ok(table::render(&headers, &rows))
}

/// kubectl's answer when nothing matches.
pub fn no_resources(scope: &Scope) -> String {
    match scope {
        Scope::All => "No resources found\n".into(),
        Scope::Namespace(ns) => format!("No resources found in {ns} namespace.\n"),
    }
}

fn cpu(cores: f64) -> String {
    format!("{}m", (cores * 1000.0).round() as u64)
}

fn mem(bytes: u64) -> String {
    format!("{}Mi", bytes >> 20)
}

/// `kubectl top pod [NAME] [--containers]`: the metrics server's view (running
/// containers only).
pub fn top_pods(
    v: &View<'_>,
    scope: &Scope,
    name: Option<&str>,
    containers: bool,
) -> Result<String, String> {
    let pods = match name {
        Some(n) => vec![v.pod(scope, n)?],
        None => v.pods(scope),
    };
    let running = |c: &&ContainerSnapshot| matches!(c.state, ContainerStatus::Running { .. });
    let mut rows = Vec::new();
    for p in pods.iter().filter(|p| p.node.is_some()) {
        let live: Vec<&ContainerSnapshot> = p.containers.iter().filter(running).collect();
        if live.is_empty() {
            continue;
        }
        if containers {
            for c in live {
                rows.push(vec![
                    p.name.clone(),
                    c.name.clone(),
                    cpu(c.cpu_cores),
                    mem(c.working_set),
                ]);
            }
        } else {
            let cores = live.iter().map(|c| c.cpu_cores).sum();
            let bytes = live.iter().map(|c| c.working_set).sum();
            rows.push(vec![p.name.clone(), cpu(cores), mem(bytes)]);
        }
    }
    if rows.is_empty() {
        return Err(match name {
            Some(n) => format!(
                "error: Metrics not available for pod {}/{n}",
                scope_ns(scope)
            ),
            None => format!(
                "error: Metrics not available in {} namespace",
                scope_ns(scope)
            ),
        });
    }
    let headers: &[&str] = if containers {
        &["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    } else {
        &["NAME", "CPU(cores)", "MEMORY(bytes)"]
    };
    Ok(table::render(headers, &rows))
}

fn scope_ns(scope: &Scope) -> &str {
    match scope {
        Scope::All => "all",
        Scope::Namespace(ns) => ns,
    }
}

/// `kubectl get deploy`.
pub fn get_deploy(v: &View<'_>, scope: &Scope) -> String {
    let rows: Vec<Vec<String>> = v
        .snap
        .workloads
        .iter()
        .filter(|w| match scope {
            Scope::All => true,
            Scope::Namespace(ns) => v.namespace_of(&w.name) == ns,
        })
        .map(|w| {
            vec![
                w.name.clone(),
                format!("{}/{}", w.ready, w.desired),
                w.up_to_date.to_string(),
                w.ready.to_string(),
                age(w.age),
            ]
        })
        .collect();
    if rows.is_empty() {
        return no_resources(scope);
    }
    table::render(&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], &rows)
}

/// `kubectl get vpa`: the scenario's VPAs with the last recommendation the model made.
pub fn get_vpa(v: &View<'_>, scope: &Scope, vpas: &[(String, String)]) -> String {
    let rows: Vec<Vec<String>> = vpas
        .iter()
        .filter(|(w, _)| match scope {
            Scope::All => true,
            Scope::Namespace(ns) => v.namespace_of(w) == ns,
        })
        .map(|(w, mode)| {
            let rec = v
                .events
                .iter()
                .rev()
                .find(|e| {
                    e.kind == EventKind::Recommendation && e.message.starts_with(&format!("{w}/"))
                })
                .and_then(|e| e.message.split("target ").nth(1))
                .and_then(|s| s.split_whitespace().next())
                .unwrap_or("");
            let provided = if rec.is_empty() { "False" } else { "True" };
            let age = v
                .snap
                .workloads
                .iter()
                .find(|x| &x.name == w)
                .map_or_else(String::new, |x| age(x.age));
            vec![
                w.clone(),
                mode.clone(),
                String::new(),
                rec.to_string(),
                provided.into(),
                age,
            ]
        })
        .collect();
    if rows.is_empty() {
        return no_resources(scope);
    }
    table::render(&["NAME", "MODE", "CPU", "MEM", "PROVIDED", "AGE"], &rows)
}
