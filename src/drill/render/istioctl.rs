//! `istioctl proxy-config bootstrap|cluster`, `istioctl proxy-status` and Envoy's stats,
//! from the proxy's snapshot (`ProxySnapshot`).

use std::fmt::Write as _;

use serde_json::json;

use super::pods::pod_ip;
use super::{Scope, View};
use crate::drill::table;
use crate::engine::SimDuration;
use crate::model::snapshot::{ContainerSnapshot, PodSnapshot, ProxySnapshot};

fn proxy<'a>(
    v: &'a View<'_>,
    scope: &Scope,
    name: &str,
) -> Result<(&'a PodSnapshot, &'a ContainerSnapshot, &'a ProxySnapshot), String> {
    let name = name.split('.').next().unwrap_or(name);
    let p = v.pod(scope, name)?;
    p.containers
        .iter()
        .find_map(|c| c.proxy.as_ref().map(|x| (p, c, x)))
        .ok_or_else(|| format!("Error: failed to execute command on sidecar: pod {name} has no istio-proxy container"))
}

/// `1s`, `10s`, `500ms` as protobuf durations print.
fn go(d: SimDuration) -> String {
    let ms = d.as_nanos() / 1_000_000;
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", ms as f64 / 1000.0)
    }
}

/// `istioctl proxy-config bootstrap POD`: the parts of the bootstrap the model sets.
pub fn bootstrap(v: &View<'_>, scope: &Scope, name: &str) -> Result<String, String> {
    let (p, _, x) = proxy(v, scope, name)?;
    let ns = v.namespace_of(&p.workload);
    let mut config = serde_json::Map::new();
    if let Some(c) = x.concurrency {
        config.insert("concurrency".into(), json!(c));
    }
    if let Some(s) = x.trace_sampling {
        config.insert("tracing".into(), json!({"sampling": s}));
    }
    let mut boot = serde_json::Map::new();
    boot.insert(
        "node".into(),
        json!({
            "id": format!("sidecar~{}~{}.{ns}~{ns}.svc.cluster.local", pod_ip(&p.name), p.name),
            "cluster": format!("{}.{ns}", p.workload),
            "metadata": {"PROXY_CONFIG": config},
        }),
    );
    if let Some(i) = x.stats_flush_interval {
        boot.insert("stats_flush_interval".into(), json!(go(i)));
    }
    let doc = json!({"bootstrap": boot});
    Ok(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")
}

/// `istioctl proxy-config cluster POD`: the simulated services' clusters, then how many
/// more the proxy holds.
pub fn clusters(v: &View<'_>, scope: &Scope, name: &str) -> Result<String, String> {
    let (p, _, x) = proxy(v, scope, name)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for w in &v.snap.workloads {
        let ns = v.namespace_of(&w.name);
        rows.push(vec![
            format!("{}.{ns}.svc.cluster.local", w.name),
            "8080".into(),
            "-".into(),
            "outbound".into(),
            "EDS".into(),
            String::new(),
        ]);
    }
    rows.push(vec![
        String::new(),
        "8080".into(),
        "-".into(),
        "inbound".into(),
        "ORIGINAL_DST".into(),
        String::new(),
    ]);
    let mut out = table::render(
        &[
            "SERVICE FQDN",
            "PORT",
            "SUBSET",
            "DIRECTION",
            "TYPE",
            "DESTINATION RULE",
        ],
        &rows,
    );
    if let Some(total) = x.clusters {
        let shown = rows.len() as u32;
        if total > shown {
            let _ = writeln!(
                out,
                "… and {} more outbound clusters of the mesh's other services ({} clusters, {} endpoints in {}'s config)",
                total - shown,
                total,
                x.hosts.unwrap_or(0),
                p.name
            );
        }
    }
    Ok(out)
}

/// `istioctl proxy-status`: the simulated sidecars (the model pushes their config
/// without simulating their xDS streams: all SYNCED).
pub fn proxy_status(v: &View<'_>) -> String {
    let istiod = v
        .snap
        .pods
        .iter()
        .find(|p| Some(p.workload.as_str()) == v.istiod)
        .map_or_else(|| "istiod (not simulated)".to_string(), |p| p.name.clone());
    let rows: Vec<Vec<String>> = v
        .snap
        .pods
        .iter()
        .filter(|p| p.containers.iter().any(|c| c.proxy.is_some()) && !p.terminating)
        .map(|p| {
            let s = "SYNCED".to_string();
            vec![
                format!("{}.{}", p.name, v.namespace_of(&p.workload)),
                "Kubernetes".into(),
                s.clone(),
                s.clone(),
                s.clone(),
                s,
                "NOT SENT".into(),
                istiod.clone(),
                "1.20.3".into(),
            ]
        })
        .collect();
    let mut out = table::render(
        &[
            "NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION",
        ],
        &rows,
    );
    if v.istiod.is_some() {
        out += "(the mesh's gateways and sidecars are simulated in cohorts: their connections, partial configs (503 NR) and pushes are in istiod's log: kubectl logs -n istio-system ISTIOD-POD)\n";
    }
    out
}

/// Envoy's admin `/stats` for the counters the model knows.
pub fn envoy_stats(
    v: &View<'_>,
    scope: &Scope,
    name: &str,
    filter: Option<&str>,
) -> Result<String, String> {
    let (_, c, x) = proxy(v, scope, name)?;
    let mut lines = vec![
        format!(
            "cluster_manager.active_clusters: {}",
            x.clusters.unwrap_or(0)
        ),
        format!("server.concurrency: {}", x.concurrency.unwrap_or(2)),
        format!("server.dropped_stat_flushes: {}", x.dropped_stat_flushes),
        format!("server.memory_allocated: {}", c.working_set),
    ];
    if let Some(f) = filter {
        lines.retain(|l| l.contains(f));
    }
    Ok(lines.join("\n") + "\n")
}
