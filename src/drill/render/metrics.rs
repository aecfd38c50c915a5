//! A small PromQL subset over the simulated series: instant vectors of the scraped
//! metrics with label matchers, optionally over a range, and named queries for the
//! usual questions (`working_set`, `restarts`, `503`, `burn`).
//!
//! Forms: `METRIC`, `METRIC{label="v",label=~"prefix.*"}`, `METRIC{…}[30m]`, where
//! METRIC is `container_memory_working_set_bytes`, `kube_pod_container_resource_limits`
//! or `kube_pod_container_status_restarts_total`; and `503`, `burn`.

use std::fmt::Write as _;

use super::View;
use super::format::age;
use crate::engine::SimDuration;
use crate::model::routing::ResponseFlag;

/// The queries `query` knows, for help and completion.
pub const NAMED: [&str; 7] = [
    "working_set",
    "restarts",
    "503",
    "burn",
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_limits",
    "kube_pod_container_status_restarts_total",
];

struct Matcher {
    label: String,
    value: String,
    regex: bool,
}

impl Matcher {
    fn matches(&self, v: &str) -> bool {
        if !self.regex {
            return v == self.value;
        }
        // `=~` with `.*` wildcards: Prometheus anchors the whole value.
        let parts: Vec<&str> = self.value.split(".*").collect();
        if parts.len() == 1 {
            return v == self.value;
        }
        let mut rest = v;
        for (i, p) in parts.iter().enumerate() {
            if i == 0 {
                let Some(r) = rest.strip_prefix(p) else {
                    return false;
                };
                rest = r;
            } else if i == parts.len() - 1 {
                return rest.ends_with(p);
            } else {
                let Some(at) = rest.find(p) else { return false };
                rest = &rest[at + p.len()..];
            }
        }
        true
    }
}

fn parse(q: &str) -> Result<(String, Vec<Matcher>, Option<SimDuration>), String> {
    let bad = || {
        format!(
            "bad_data: parse error: cannot parse `{q}` (try `query working_set` or `container_memory_working_set_bytes{{container=\"istio-proxy\"}}[30m]`)"
        )
    };
    let (head, range) = match q.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
        Some((h, r)) => (
            h,
            Some(crate::scenario::duration::parse_duration(r).map_err(|_| bad())?),
        ),
        None => (q, None),
    };
    let (name, labels) = match head.split_once('{') {
        Some((n, l)) => (n, l.strip_suffix('}').ok_or_else(bad)?),
        None => (head, ""),
    };
    let mut matchers = Vec::new();
    for m in labels.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (label, value, regex) = if let Some((l, v)) = m.split_once("=~") {
            (l, v, true)
        } else if let Some((l, v)) = m.split_once('=') {
            (l, v, false)
        } else {
            return Err(bad());
        };
        let value = value.trim().trim_matches('"').to_string();
        matchers.push(Matcher {
            label: label.trim().to_string(),
            value,
            regex,
        });
    }
    Ok((name.trim().to_string(), matchers, range))
}

/// Runs a query at the view's instant.
pub fn query(v: &View<'_>, q: &str) -> Result<String, String> {
    let q = q.trim();
    match q {
        "working_set" => return query(v, "container_memory_working_set_bytes"),
        "restarts" => return query(v, "kube_pod_container_status_restarts_total"),
        "503" | "errors" => return Ok(errors(v)),
        "burn" => return Ok(burn(v)),
        _ => {}
    }
    let (name, matchers, range) = parse(q)?;
    let series = |pod: &str, container: &str, namespace: &str| {
        matchers.iter().all(|m| match m.label.as_str() {
            "pod" => m.matches(pod),
            "container" => m.matches(container),
            "namespace" => m.matches(namespace),
            "resource" => m.matches("memory"),
            _ => false,
        })
    };
    let mut out = String::new();
    match (name.as_str(), range) {
        ("container_memory_working_set_bytes", None)
        | ("kube_pod_container_resource_limits", None)
        | ("kube_pod_container_status_restarts_total", None) => {
            for p in &v.snap.pods {
                let ns = v.namespace_of(&p.workload);
                for c in p.containers.iter().filter(|c| series(&p.name, &c.name, ns)) {
                    let value = match name.as_str() {
                        "container_memory_working_set_bytes" => c.working_set.to_string(),
                        "kube_pod_container_resource_limits" => match c.resources.limits.memory {
                            Some(b) => b.0.to_string(),
                            None => continue,
                        },
                        _ => c.restart_count.to_string(),
                    };
                    let extra = if name == "kube_pod_container_resource_limits" {
                        ",resource=\"memory\""
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        out,
                        "{name}{{namespace=\"{ns}\",pod=\"{}\",container=\"{}\"{extra}}} {value}",
                        p.name, c.name
                    );
                }
            }
        }
        ("container_memory_working_set_bytes", Some(r)) => {
            let from = v
                .now()
                .since(crate::engine::SimTime::ZERO)
                .as_nanos()
                .saturating_sub(r.as_nanos());
            let mut keys: Vec<(String, String)> = Vec::new();
            for s in v.scrapes.iter().filter(|s| s.time.as_nanos() >= from) {
                let ns = v.namespace_of(&s.workload);
                if series(&s.pod, &s.container, ns)
                    && !keys.contains(&(s.pod.clone(), s.container.clone()))
                {
                    keys.push((s.pod.clone(), s.container.clone()));
                }
            }
            for (pod, container) in keys {
                let points: Vec<_> = v
                    .scrapes
                    .iter()
                    .filter(|s| {
                        s.time.as_nanos() >= from && s.pod == pod && s.container == container
                    })
                    .collect();
                let step = points.len().div_ceil(12).max(1);
                let _ = writeln!(out, "{name}{{pod=\"{pod}\",container=\"{container}\"}}");
                for s in points.iter().step_by(step) {
                    let limit = s
                        .limit
                        .map_or(String::new(), |l| format!(" of {}Mi", l >> 20));
                    let _ = writeln!(
                        out,
                        "  {:>8} ago  {:>6}Mi{limit}",
                        age(v.now().since(s.time)),
                        s.working_set >> 20
                    );
                }
            }
        }
        _ => {
            return Err(format!(
                "unknown metric `{name}`; known: {}",
                NAMED.join(", ")
            ));
        }
    }
    if out.is_empty() {
        out = "(empty result)\n".into();
    }
    Ok(out)
}

/// 503s per second over the last 5 minutes, by Envoy response flag.
fn errors(v: &View<'_>) -> String {
    let now = v.now();
    let recent: Vec<_> = v
        .slo
        .iter()
        .filter(|b| now.since(b.time) < SimDuration::from_secs(300))
        .collect();
    let requests: f64 = recent.iter().map(|b| b.requests).sum();
    let mut out = String::from(
        "sum by (response_flags) (rate(istio_requests_total{response_code=\"503\"}[5m]))\n",
    );
    for (i, f) in ResponseFlag::ALL.iter().enumerate() {
        let n: f64 = recent.iter().map(|b| b.errors_503[i]).sum();
        let _ = writeln!(
            out,
            "  {{response_flags=\"{}\"}} {:.2}/s",
            f.as_str(),
            n / 300.0
        );
    }
    let total: f64 = recent
        .iter()
        .map(|b| b.errors_503.iter().sum::<f64>())
        .sum();
    let share = if requests > 0.0 {
        100.0 * total / requests
    } else {
        0.0
    };
    let _ = writeln!(out, "  503 share of requests over 5m: {share:.3} %");
    out
}

/// Error-budget burn now, over 5 m and 1 h.
fn burn(v: &View<'_>) -> String {
    match v.slo.last() {
        Some(b) => format!(
            "error-budget burn (SLO {}%): 5m {:.1}×, 1h {:.1}× (14.4× over 1h is the fast-burn page)\n",
            v.slo_target * 100.0,
            b.burn_5m,
            b.burn_1h
        ),
        None => "no traffic yet\n".into(),
    }
}
