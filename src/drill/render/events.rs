//! Kubernetes events from the model's records, as the API server keeps them: the
//! kubelet's and the scheduler's events on pods and nodes, identical ones aggregated
//! (count, first and last seen), and nothing older than the API server's `--event-ttl`
//! (1 h by default).

use super::format::age;
use super::{Scope, View};
use crate::drill::table;
use crate::engine::{SimDuration, SimTime};
use crate::model::EventKind;

/// kube-apiserver's default `--event-ttl`.
pub const EVENT_TTL: SimDuration = SimDuration::from_secs(3600);

/// A Kubernetes event, aggregated.
#[derive(Clone, Debug, PartialEq)]
pub struct KubeEvent {
    /// `pod/NAME` or `node/NAME`.
    pub object: String,
    /// Namespace of the object (empty for nodes).
    pub namespace: String,
    /// `Normal` or `Warning`.
    pub kind: &'static str,
    /// Reason.
    pub reason: String,
    /// Reporting component.
    pub from: &'static str,
    /// Message.
    pub message: String,
    /// Occurrences.
    pub count: u32,
    /// First seen.
    pub first: SimTime,
    /// Last seen.
    pub last: SimTime,
}

/// The process a container runs, for the kernel's OOM report.
fn process(container: &str) -> &str {
    match container {
        "istio-proxy" => "envoy",
        "discovery" => "pilot-discovery",
        c => c,
    }
}

/// The events the API server holds now, oldest last-seen first.
pub fn kube_events(v: &View<'_>) -> Vec<KubeEvent> {
    let mut out: Vec<KubeEvent> = Vec::new();
    for e in v.events {
        let ns = v.namespace_of(&e.workload).to_string();
        let pod = format!("pod/{}", e.pod);
        let mut push = |object: String,
                        namespace: String,
                        kind,
                        reason: &str,
                        from,
                        message: String| {
            match out.iter_mut().find(|k| {
                k.object == object && k.kind == kind && k.reason == reason && k.message == message
            }) {
                Some(k) => {
                    k.count += 1;
                    k.last = e.time;
                }
                None => out.push(KubeEvent {
                    object,
                    namespace,
                    kind,
                    reason: reason.to_string(),
                    from,
                    message,
                    count: 1,
                    first: e.time,
                    last: e.time,
                }),
            }
        };
        match e.kind {
            EventKind::Scheduled => push(
                pod,
                ns.clone(),
                "Normal",
                "Scheduled",
                "default-scheduler",
                format!("Successfully assigned {ns}/{} to {}", e.pod, e.node),
            ),
            EventKind::FailedScheduling => push(
                pod,
                ns,
                "Warning",
                "FailedScheduling",
                "default-scheduler",
                e.message.clone(),
            ),
            EventKind::Started | EventKind::Restarted => {
                push(
                    pod.clone(),
                    ns.clone(),
                    "Normal",
                    "Created",
                    "kubelet",
                    format!("Created container {}", e.container),
                );
                push(
                    pod,
                    ns,
                    "Normal",
                    "Started",
                    "kubelet",
                    format!("Started container {}", e.container),
                );
            }
            EventKind::BackOff => push(
                pod,
                ns.clone(),
                "Warning",
                "BackOff",
                "kubelet",
                format!(
                    "Back-off restarting failed container {} in pod {}_{ns}",
                    e.container, e.pod
                ),
            ),
            EventKind::OomKilled if !e.node.is_empty() => push(
                format!("node/{}", e.node),
                String::new(),
                "Warning",
                "SystemOOM",
                "kubelet",
                format!(
                    "System OOM encountered, victim process: {}",
                    process(&e.container)
                ),
            ),
            EventKind::Killing => push(pod, ns, "Normal", "Killing", "kubelet", e.message.clone()),
            EventKind::Evicted => push(pod, ns, "Warning", "Evicted", "kubelet", e.message.clone()),
            EventKind::NodePressure if !e.node.is_empty() => push(
                format!("node/{}", e.node),
                String::new(),
                "Normal",
                "NodeHasInsufficientMemory",
                "kubelet",
                e.message.clone(),
            ),
            _ => {}
        }
    }
    let now = v.now();
    out.retain(|k| now.since(k.last) <= EVENT_TTL);
    out.sort_by_key(|k| k.last);
    out
}

/// The Age column of `kubectl describe`'s events: `5m`, or `2m (x5 over 20m)`.
pub fn describe_age(k: &KubeEvent, now: SimTime) -> String {
    if k.count > 1 {
        format!(
            "{} (x{} over {})",
            age(now.since(k.last)),
            k.count,
            age(now.since(k.first))
        )
    } else {
        age(now.since(k.last))
    }
}

/// `kubectl get events`: sorted by last seen (`--sort-by=.lastTimestamp`, which is also
/// what the default order shows in practice) or by first seen
/// (`.metadata.creationTimestamp`, `.firstTimestamp`).
pub fn get_events(v: &View<'_>, scope: &Scope, sort_by: Option<&str>) -> Result<String, String> {
    let mut events: Vec<KubeEvent> = kube_events(v)
        .into_iter()
        .filter(|k| match scope {
            Scope::All => true,
            Scope::Namespace(ns) => k.namespace == *ns || k.namespace.is_empty(),
        })
        .collect();
    match sort_by {
        None | Some(".lastTimestamp") | Some("lastTimestamp") => {}
        Some(".metadata.creationTimestamp") | Some(".firstTimestamp") | Some("firstTimestamp") => {
            events.sort_by_key(|k| k.first);
        }
        Some(".count") => events.sort_by_key(|k| k.count),
        Some(other) => {
            return Err(format!(
                "error: couldn't find any field with path \"{other}\" in the list of objects (try .lastTimestamp, .metadata.creationTimestamp or .count)"
            ));
        }
    }
    if events.is_empty() {
        return Ok(super::pods::no_resources(scope));
    }
    let now = v.now();
    let all = matches!(scope, Scope::All);
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|k| {
            let mut r = vec![
                age(now.since(k.last)),
                k.kind.to_string(),
                k.reason.clone(),
                k.object.clone(),
                k.message.clone(),
            ];
            if all {
                r.insert(
                    0,
                    if k.namespace.is_empty() {
                        "default".into()
                    } else {
                        k.namespace.clone()
                    },
                );
            }
            r
        })
        .collect();
    let mut headers = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    if all {
        headers.insert(0, "NAMESPACE");
    }
    Ok(table::render(&headers, &rows))
}
