//! `kubectl describe pod` and `kubectl describe node`.

use std::fmt::Write as _;

use super::events::{describe_age, kube_events};
use super::format::{rfc1123, rfc1123_ago};
use super::pods::{TERMINATED_SHOWN, pod_ip, shown_state, status};
use super::{Scope, View};
use crate::drill::table;
use crate::model::resources::ResourceList;
use crate::model::snapshot::{ContainerSnapshot, ContainerStatus, PodSnapshot};

/// `kubectl describe pod [NAME]`: every pod in scope when no name is given.
pub fn describe_pods(v: &View<'_>, scope: &Scope, name: Option<&str>) -> Result<String, String> {
    let pods = match name {
        Some(n) => vec![v.pod(scope, n)?],
        None => v.pods(scope),
    };
    if pods.is_empty() {
        return Ok(super::pods::no_resources(scope));
    }
    Ok(pods
        .iter()
        .map(|p| describe_pod(v, p))
        .collect::<Vec<_>>()
        .join("\n\n\n"))
}

fn field(out: &mut String, indent: usize, width: usize, key: &str, value: &str) {
    let key = format!("{key}:");
    let _ = writeln!(out, "{:indent$}{key:<width$}{value}", "", width = width);
}

/// The ReplicaSet's pod-template hash, the middle part of a Deployment pod's name.
fn template_hash(p: &PodSnapshot) -> Option<&str> {
    let rest = p.name.strip_prefix(&p.workload)?.strip_prefix('-')?;
    rest.rsplit_once('-').map(|(h, _)| h)
}

fn describe_pod(v: &View<'_>, p: &PodSnapshot) -> String {
    let now = v.now();
    let ns = v.namespace_of(&p.workload);
    let mut out = String::new();
    let top = |out: &mut String, k: &str, val: &str| field(out, 0, 18, k, val);
    top(&mut out, "Name", &p.name);
    top(&mut out, "Namespace", ns);
    top(&mut out, "Priority", "0");
    top(&mut out, "Service Account", "default");
    let node = p
        .node
        .as_ref()
        .map_or_else(|| "<none>".to_string(), |n| n.clone());
    top(&mut out, "Node", &node);
    top(&mut out, "Start Time", &rfc1123_ago(now, p.age));
    let hash = template_hash(p);
    top(&mut out, "Labels", &format!("app={}", p.workload));
    if let Some(h) = hash {
        let _ = writeln!(out, "{:18}pod-template-hash={h}", "");
    }
    top(&mut out, "Status", &pod_phase(p, now));
    if p.node.is_some() {
        top(&mut out, "IP", &pod_ip(&p.name));
    }
    if let Some(h) = hash {
        top(
            &mut out,
            "Controlled By",
            &format!("ReplicaSet/{}-{h}", p.workload),
        );
    }
    let _ = writeln!(out, "Containers:");
    for c in &p.containers {
        container(&mut out, c, now);
    }
    let all_ready = p.ready;
    let _ = writeln!(out, "Conditions:");
    let rows = vec![
        vec!["Initialized".to_string(), tf(p.node.is_some())],
        vec!["Ready".to_string(), tf(all_ready)],
        vec!["ContainersReady".to_string(), tf(all_ready)],
        vec!["PodScheduled".to_string(), tf(p.node.is_some())],
    ];
    for line in table::render(&["Type", "Status"], &rows).lines() {
        let _ = writeln!(out, "  {line}");
    }
    let wide = |out: &mut String, k: &str, val: &str| field(out, 0, 29, k, val);
    wide(&mut out, "QoS Class", p.qos.as_str());
    wide(&mut out, "Node-Selectors", "<none>");
    wide(
        &mut out,
        "Tolerations",
        "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
    );
    let _ = writeln!(
        out,
        "{:29}node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
        ""
    );
    let object = format!("pod/{}", p.name);
    let events: Vec<_> = kube_events(v)
        .into_iter()
        .filter(|k| k.object == object)
        .collect();
    if events.is_empty() {
        let _ = writeln!(out, "Events:                      <none>");
    } else {
        let _ = writeln!(out, "Events:");
        let mut rows = vec![vec![
            "----".into(),
            "------".into(),
            "----".into(),
            "----".into(),
            "-------".into(),
        ]];
        rows.extend(events.iter().map(|k| {
            vec![
                k.kind.to_string(),
                k.reason.clone(),
                describe_age(k, now),
                k.from.to_string(),
                k.message.clone(),
            ]
        }));
        for line in
            table::render_padded(&["Type", "Reason", "Age", "From", "Message"], &rows, 2).lines()
        {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.trim_end().to_string() + "\n"
}

fn tf(b: bool) -> String {
    if b { "True".into() } else { "False".into() }
}

/// `Status:` of describe: the pod phase (`Running`, `Pending`), or `Terminating`.
fn pod_phase(p: &PodSnapshot, now: crate::engine::SimTime) -> String {
    match status(p, now).as_str() {
        "Terminating" => "Terminating".into(),
        "Pending" => "Pending".into(),
        _ => "Running".into(),
    }
}

fn container(out: &mut String, c: &ContainerSnapshot, now: crate::engine::SimTime) {
    let _ = writeln!(out, "  {}:", c.name);
    let f = |out: &mut String, k: &str, v: &str| field(out, 4, 16, k, v);
    let sub = |out: &mut String, k: &str, v: &str| field(out, 6, 14, k, v);
    let state = shown_state(c, now);
    f(out, "State", state);
    match (&c.state, state) {
        (ContainerStatus::Running { started, .. }, _) => sub(out, "Started", &rfc1123(*started)),
        (_, "Terminated") => {
            let t = c
                .last_state
                .as_ref()
                .expect("a terminated container has a last state");
            terminated(out, t);
        }
        (ContainerStatus::Waiting { reason, .. }, _) => sub(out, "Reason", reason),
    }
    // Just after a kill, the termination is the current state; the one before it is
    // not kept by the model.
    let last = c
        .last_state
        .as_ref()
        .filter(|t| !(state == "Terminated" && now.since(t.finished) < TERMINATED_SHOWN));
    if let Some(t) = last {
        f(out, "Last State", "Terminated");
        terminated(out, t);
    }
    let ready = matches!(c.state, ContainerStatus::Running { ready: true, .. });
    f(out, "Ready", &tf(ready));
    f(out, "Restart Count", &c.restart_count.to_string());
    resources(out, "Limits", &c.resources.limits);
    resources(out, "Requests", &c.resources.requests);
}

fn terminated(out: &mut String, t: &crate::model::snapshot::Terminated) {
    let sub = |out: &mut String, k: &str, v: &str| field(out, 6, 14, k, v);
    sub(out, "Reason", t.reason);
    sub(out, "Exit Code", &t.exit_code.to_string());
    sub(out, "Started", &rfc1123(t.started));
    sub(out, "Finished", &rfc1123(t.finished));
}

fn resources(out: &mut String, title: &str, r: &ResourceList) {
    if r.cpu.is_none() && r.memory.is_none() {
        return;
    }
    let _ = writeln!(out, "    {title}:");
    if let Some(cpu) = r.cpu {
        field(out, 6, 9, "cpu", &cpu.to_string());
    }
    if let Some(m) = r.memory {
        field(out, 6, 9, "memory", &m.to_string());
    }
}

/// `kubectl describe node NAME`: conditions and allocated resources.
pub fn describe_node(v: &View<'_>, name: Option<&str>) -> Result<String, String> {
    let nodes: Vec<_> =
        match name {
            Some(n) => {
                let n = n.strip_prefix("node/").unwrap_or(n);
                vec![v.snap.nodes.iter().find(|x| x.name == n).ok_or_else(|| {
                    format!("Error from server (NotFound): nodes \"{n}\" not found")
                })?]
            }
            None => v.snap.nodes.iter().collect(),
        };
    let mut parts = Vec::new();
    for n in nodes {
        let mut out = String::new();
        field(&mut out, 0, 20, "Name", &n.name);
        let _ = writeln!(out, "Conditions:");
        let pressure = if n.memory_pressure { "True" } else { "False" };
        let rows = vec![vec![
            "MemoryPressure".into(),
            pressure.into(),
            if n.memory_pressure {
                "KubeletHasInsufficientMemory"
            } else {
                "KubeletHasSufficientMemory"
            }
            .into(),
        ]];
        for line in table::render(&["Type", "Status", "Reason"], &rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "Capacity:\n  memory:  {}", n.capacity);
        let _ = writeln!(out, "Allocatable:\n  memory:  {}", n.allocatable);
        let pct = |b: u64| (100.0 * b as f64 / n.allocatable.as_f64().max(1.0)).round();
        let _ = writeln!(
            out,
            "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)"
        );
        let rows = vec![
            vec!["--------".into(), "--------".into()],
            vec![
                "memory".into(),
                format!(
                    "{} ({}%)",
                    crate::model::Bytes(n.requested.0),
                    pct(n.requested.0)
                ),
            ],
        ];
        for line in table::render(&["Resource", "Requests"], &rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(
            out,
            "Memory in use:       {} (working sets, neighbours included)",
            crate::model::Bytes(n.working_set)
        );
        parts.push(out);
    }
    Ok(parts.join("\n\n"))
}
