//! What the manifests say about the cluster, as scenario values: workloads with their
//! containers, resources, replicas and Istio settings; the VPAs; and notes on what was
//! recorded but not simulated (HPAs, rollout strategies) or skipped (PDBs, ConfigMaps…).
//!
//! Every value keeps where it came from (`Deployment shop/checkout`), so the written
//! scenario can say so in a comment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::error::ImportError;
use super::manifest::{self, Object, Scalar, Spanned};
use crate::scenario::quantity::{parse_bytes, parse_millicpu};

/// The kinds that become workloads.
const WORKLOAD_KINDS: [&str; 3] = ["Deployment", "StatefulSet", "DaemonSet"];

/// Istio pod annotations meshmem understands (others are noted and left out: the
/// scenario loader rejects unknown `*.istio.io` keys).
const ISTIO_ANNOTATIONS: [&str; 7] = [
    "sidecar.istio.io/inject",
    "sidecar.istio.io/proxyCPU",
    "sidecar.istio.io/proxyMemory",
    "sidecar.istio.io/proxyCPULimit",
    "sidecar.istio.io/proxyMemoryLimit",
    "proxy.istio.io/config",
    "sidecar.istio.io/statsFlushInterval",
];

/// Environment variables the JVM reads its options from.
const JVM_ENV: [&str; 4] = [
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "JAVA_OPTS",
    "_JAVA_OPTIONS",
];

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from, for a comment (`Deployment shop/checkout`).
    pub from: String,
}

/// The cluster as the manifests describe it.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Deployments, StatefulSets and DaemonSets, in the order read.
    pub workloads: Vec<Workload>,
    /// VerticalPodAutoscalers that target a workload.
    pub vpas: Vec<Vpa>,
    /// `true` when some workload gets an Istio sidecar.
    pub mesh: bool,
    /// Objects read but not simulated, as `Kind namespace/name`.
    pub skipped: Vec<String>,
    /// What the reader decided and why.
    pub notes: Vec<String>,
}

/// A workload: a Deployment, StatefulSet or DaemonSet.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Its name in the scenario (a DNS label).
    pub name: String,
    /// Its name in the cluster.
    pub cluster_name: String,
    /// Namespace.
    pub namespace: String,
    /// `Deployment shop/checkout`.
    pub origin: String,
    /// Replicas, and where the number came from.
    pub replicas: Sourced<u32>,
    /// Istio annotations, normalised (`proxy.istio.io/config` as JSON).
    pub annotations: Vec<(String, String)>,
    /// Whether it gets a sidecar, and why.
    pub injected: Sourced<bool>,
    /// Application containers.
    pub containers: Vec<Container>,
    /// Pod-level memory limit.
    pub pod_memory_limit: Option<String>,
    /// Comments to write above the workload (Services, HPA, strategy).
    pub comments: Vec<String>,
    /// Pod template labels (to match Services).
    labels: BTreeMap<String, String>,
}

/// A container's settings.
#[derive(Clone, Debug, Default)]
pub struct Container {
    /// Name.
    pub name: String,
    /// Memory request as written (validated).
    pub request_memory: Option<String>,
    /// CPU request as written (validated).
    pub request_cpu: Option<String>,
    /// Memory limit as written (validated).
    pub limit_memory: Option<String>,
    /// CPU limit as written (validated).
    pub limit_cpu: Option<String>,
    /// `readinessProbe.initialDelaySeconds`.
    pub readiness_delay_s: Option<u32>,
    /// JVM flags found.
    pub jvm: Option<Jvm>,
    /// A native sidecar (init container with `restartPolicy: Always`).
    pub native_sidecar: bool,
}

/// HotSpot memory flags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Jvm {
    /// `-Xmx`, as a Kubernetes quantity.
    pub max_heap: Option<String>,
    /// `-Xms`, as a Kubernetes quantity.
    pub initial_heap: Option<String>,
    /// `-XX:MaxRAMPercentage`.
    pub max_ram_percentage: Option<f64>,
    /// Where the flags were (`JAVA_TOOL_OPTIONS`).
    pub from: String,
}

/// A VerticalPodAutoscaler.
#[derive(Clone, Debug)]
pub struct Vpa {
    /// Target workload (scenario name).
    pub workload: String,
    /// `Off`, `Initial` or `Auto` (meshmem's modes).
    pub mode: String,
    /// Containers it controls (empty: all).
    pub containers: Vec<String>,
    /// `VerticalPodAutoscaler shop/checkout`, and any mode translation.
    pub from: String,
}

/// Objects read from a file.
pub struct Read {
    /// The file.
    pub file: PathBuf,
    /// Its text (for error locations).
    pub objects: Vec<Object>,
}

/// Reads manifest files into objects.
pub fn read_files(files: &[(PathBuf, String)]) -> Result<Vec<Read>, ImportError> {
    files
        .iter()
        .map(|(file, text)| {
            Ok(Read {
                file: file.clone(),
                objects: manifest::read(file, text)?,
            })
        })
        .collect()
}

fn ns(o: &Object) -> String {
    o.metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into())
}

fn origin(o: &Object) -> String {
    format!("{} {}/{}", o.kind, ns(o), o.metadata.name)
}

/// Interprets the objects of every file.
pub fn cluster(reads: &[Read]) -> Result<Cluster, ImportError> {
    let mut c = Cluster::default();
    let all: Vec<(&Path, &Object)> = reads
        .iter()
        .flat_map(|r| r.objects.iter().map(move |o| (r.file.as_path(), o)))
        .collect();
    let injected_namespaces = namespaces(&all, &mut c.notes);
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (_, o) in &all {
        if WORKLOAD_KINDS.contains(&o.kind.as_str()) {
            *names.entry(o.metadata.name.clone()).or_default() += 1;
        }
    }
    for (file, o) in &all {
        match o.kind.as_str() {
            k if WORKLOAD_KINDS.contains(&k) => {
                let clash = names[&o.metadata.name] > 1;
                let w = workload(file, o, clash, &injected_namespaces, &mut c.notes)?;
                c.mesh |= w.injected.value;
                c.workloads.push(w);
            }
            "Namespace" | "Service" | "HorizontalPodAutoscaler" | "VerticalPodAutoscaler" => {}
            _ => c.skipped.push(origin(o)),
        }
    }
    for (_, o) in &all {
        match o.kind.as_str() {
            "Service" => service(o, &mut c),
            "HorizontalPodAutoscaler" => hpa(o, &mut c),
            "VerticalPodAutoscaler" => vpa(o, &mut c),
            _ => {}
        }
    }
    if c.workloads.is_empty() {
        let file = reads.first().map_or(Path::new("-"), |r| r.file.as_path());
        return Err(ImportError::file(
            file,
            "no Deployment, StatefulSet or DaemonSet in the manifests",
            "the output of `helm template` or `kubectl get deploy,sts,ds -o yaml`",
        ));
    }
    Ok(c)
}

/// Namespaces labelled for injection (`istio-injection=enabled` or `istio.io/rev`).
fn namespaces(all: &[(&Path, &Object)], notes: &mut Vec<String>) -> Option<BTreeSet<String>> {
    let nss: Vec<&&Object> = all
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o.kind == "Namespace")
        .collect();
    if nss.is_empty() {
        notes.push(
            "no Namespace in the manifests: a workload is taken to be meshed when its pod \
             template carries Istio annotations or `sidecar.istio.io/inject: \"true\"`"
                .into(),
        );
        return None;
    }
    Some(
        nss.iter()
            .filter(|o| {
                let l = &o.metadata.labels;
                l.get("istio-injection").is_some_and(|v| v.0 == "enabled")
                    || l.contains_key("istio.io/rev")
            })
            .map(|o| o.metadata.name.clone())
            .collect(),
    )
}

/// A DNS label from a Kubernetes name (which may hold dots).
fn label(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.trim_matches('-').chars().take(63).collect()
}

fn workload(
    file: &Path,
    o: &Object,
    clash: bool,
    injected_namespaces: &Option<BTreeSet<String>>,
    notes: &mut Vec<String>,
) -> Result<Workload, ImportError> {
    let from = origin(o);
    let namespace = ns(o);
    let spec = o.spec.clone().unwrap_or_default();
    let template = spec.template.clone().unwrap_or_default();
    let name = if clash {
        label(&format!("{namespace}-{}", o.metadata.name))
    } else {
        label(&o.metadata.name)
    };
    if name != o.metadata.name {
        notes.push(format!("{from} is called `{name}` in the scenario"));
    }
    let replicas = match (o.kind.as_str(), spec.replicas) {
        ("DaemonSet", _) => Sourced {
            value: 3,
            from: format!("from {from}: one pod per node of the default node group"),
        },
        (_, Some(n)) => Sourced {
            value: n,
            from: format!("from {from} spec.replicas"),
        },
        (_, None) => Sourced {
            value: 1,
            from: "default: spec.replicas is unset (Kubernetes' default 1; an HPA may set it)"
                .into(),
        },
    };
    let mut comments = Vec::new();
    if o.kind != "Deployment" {
        comments.push(format!(
            "{from}: simulated as a Deployment (rollouts one pod at a time)"
        ));
    }
    if let Some(s) = strategy(&spec) {
        comments.push(format!(
            "{from} strategy {s}; meshmem rolls out with maxSurge 1, maxUnavailable 0"
        ));
    }
    let pod_labels: BTreeMap<String, String> = template
        .metadata
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    let mut annotations = Vec::new();
    for (k, v) in &template.metadata.annotations {
        if !k.contains("istio.io/") {
            continue;
        }
        if !ISTIO_ANNOTATIONS.contains(&k.as_str()) {
            notes.push(format!(
                "{from}: annotation `{k}` is not one meshmem models; left out"
            ));
            continue;
        }
        let value = if k == "proxy.istio.io/config" {
            proxy_config_json(file, &from, &v.0)?
        } else {
            v.0.clone()
        };
        annotations.push((k.clone(), value));
    }
    let inject_label = template
        .metadata
        .labels
        .get("sidecar.istio.io/inject")
        .map(|v| v.0.clone());
    let inject_annotation = annotations
        .iter()
        .find(|(k, _)| k == "sidecar.istio.io/inject")
        .map(|(_, v)| v.clone());
    let injected = injection(
        &from,
        &namespace,
        inject_label.or(inject_annotation),
        !annotations.is_empty(),
        injected_namespaces,
    );
    annotations.retain(|(k, _)| k != "sidecar.istio.io/inject");
    let mut containers = Vec::new();
    for c in &template.spec.init_containers {
        if c.restart_policy.as_deref() == Some("Always") && c.name != "istio-proxy" {
            let mut x = container(file, &from, c)?;
            x.native_sidecar = true;
            containers.push(x);
        }
    }
    for c in &template.spec.containers {
        if c.name == "istio-proxy" {
            notes.push(format!(
                "{from}: its istio-proxy container is already injected; meshmem injects its own"
            ));
            continue;
        }
        containers.push(container(file, &from, c)?);
    }
    let pod_memory_limit = template
        .spec
        .resources
        .as_ref()
        .and_then(|r| r.limits.get("memory"))
        .map(|q| memory(file, q))
        .transpose()?;
    Ok(Workload {
        name,
        cluster_name: o.metadata.name.clone(),
        namespace,
        origin: from,
        replicas,
        annotations,
        injected,
        containers,
        pod_memory_limit,
        comments,
        labels: pod_labels,
    })
}

fn injection(
    from: &str,
    namespace: &str,
    explicit: Option<String>,
    istio_annotated: bool,
    injected_namespaces: &Option<BTreeSet<String>>,
) -> Sourced<bool> {
    match explicit.as_deref() {
        Some("false") => Sourced {
            value: false,
            from: format!("{from}: sidecar.istio.io/inject \"false\""),
        },
        Some("true") => Sourced {
            value: true,
            from: format!("{from}: sidecar.istio.io/inject \"true\""),
        },
        _ => match injected_namespaces {
            Some(set) => Sourced {
                value: set.contains(namespace),
                from: format!(
                    "Namespace {namespace} {} labelled for injection",
                    if set.contains(namespace) {
                        "is"
                    } else {
                        "is not"
                    }
                ),
            },
            None => Sourced {
                value: istio_annotated,
                from: if istio_annotated {
                    format!("{from} carries Istio annotations")
                } else {
                    format!("{from} carries no Istio annotation")
                },
            },
        },
    }
}

fn strategy(spec: &manifest::Spec) -> Option<String> {
    let s = spec.strategy.as_ref().or(spec.update_strategy.as_ref())?;
    let kind = s.kind.clone().unwrap_or_else(|| "RollingUpdate".into());
    Some(match &s.rolling_update {
        Some(r) => format!(
            "{kind} (maxSurge {}, maxUnavailable {})",
            r.max_surge.as_ref().map_or("25%", |v| v.0.as_str()),
            r.max_unavailable.as_ref().map_or("25%", |v| v.0.as_str()),
        ),
        None => kind,
    })
}

/// `proxy.istio.io/config` may be YAML or JSON in a manifest; meshmem reads JSON.
fn proxy_config_json(file: &Path, from: &str, text: &str) -> Result<String, ImportError> {
    let v: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| {
        ImportError::file(
            file,
            format!("{from}: `proxy.istio.io/config` is not YAML or JSON: {e}"),
            "ProxyConfig as YAML or JSON, e.g. {\"tracing\":{\"sampling\":1}}",
        )
    })?;
    Ok(v.to_string())
}

fn quantity_error(file: &Path, q: &Spanned<Scalar>, e: String, form: &str) -> ImportError {
    ImportError::at(
        file,
        q.referenced.line(),
        q.referenced.column(),
        e,
        form.to_string(),
    )
}

fn memory(file: &Path, q: &Spanned<Scalar>) -> Result<String, ImportError> {
    parse_bytes(&q.value.0)
        .map(|_| q.value.0.clone())
        .map_err(|e| quantity_error(file, q, e.to_string(), "a memory quantity such as 512Mi"))
}

fn cpu(file: &Path, q: &Spanned<Scalar>) -> Result<String, ImportError> {
    parse_millicpu(&q.value.0)
        .map(|_| q.value.0.clone())
        .map_err(|e| quantity_error(file, q, e.to_string(), "a CPU quantity such as 500m"))
}

fn container(file: &Path, from: &str, c: &manifest::Container) -> Result<Container, ImportError> {
    let r = &c.resources;
    let get = |m: &BTreeMap<String, Spanned<Scalar>>, k: &str| m.get(k).cloned();
    Ok(Container {
        name: c.name.clone(),
        request_memory: get(&r.requests, "memory")
            .map(|q| memory(file, &q))
            .transpose()?,
        request_cpu: get(&r.requests, "cpu").map(|q| cpu(file, &q)).transpose()?,
        limit_memory: get(&r.limits, "memory")
            .map(|q| memory(file, &q))
            .transpose()?,
        limit_cpu: get(&r.limits, "cpu").map(|q| cpu(file, &q)).transpose()?,
        readiness_delay_s: c
            .readiness_probe
            .as_ref()
            .map(|p| p.initial_delay_seconds.unwrap_or(0)),
        jvm: jvm(c).map(|mut j| {
            j.from = format!("{from} container {}: {}", c.name, j.from);
            j
        }),
        native_sidecar: false,
    })
}

/// HotSpot memory flags in the JVM's option variables or the command line.
pub fn jvm(c: &manifest::Container) -> Option<Jvm> {
    let mut sources: Vec<(String, String)> = c
        .env
        .iter()
        .filter(|e| JVM_ENV.contains(&e.name.as_str()))
        .filter_map(|e| e.value.as_ref().map(|v| (e.name.clone(), v.0.clone())))
        .collect();
    let argv: Vec<String> = c
        .command
        .iter()
        .chain(&c.args)
        .map(|s| s.0.clone())
        .collect();
    sources.push(("the command line".into(), argv.join(" ")));
    let mut j = Jvm::default();
    let mut found = Vec::new();
    for (name, text) in sources {
        let mut flags = Vec::new();
        for flag in text.split_whitespace() {
            let before = j.clone();
            if let Some(v) = flag.strip_prefix("-Xmx") {
                j.max_heap = java_size(v).or(j.max_heap);
            } else if let Some(v) = flag.strip_prefix("-Xms") {
                j.initial_heap = java_size(v).or(j.initial_heap);
            } else if let Some(v) = flag.strip_prefix("-XX:MaxRAMPercentage=") {
                j.max_ram_percentage = v.parse().ok().or(j.max_ram_percentage);
            }
            if j != before {
                flags.push(flag.to_string());
            }
        }
        if !flags.is_empty() {
            found.push(format!("{} in {name}", flags.join(" ")));
        }
    }
    if found.is_empty() {
        return None;
    }
    j.from = found.join(", ");
    Some(j)
}

/// A HotSpot size (`512m`, `2g`, `1048576`) as a Kubernetes quantity.
fn java_size(v: &str) -> Option<String> {
    let (num, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = num.parse().ok()?;
    let suffix = match unit {
        "" => "",
        "k" | "K" => "Ki",
        "m" | "M" => "Mi",
        "g" | "G" => "Gi",
        "t" | "T" => "Ti",
        _ => return None,
    };
    Some(format!("{n}{suffix}"))
}

/// The label selector of a Service (a plain map of strings).
fn service(o: &Object, c: &mut Cluster) {
    let Some(sel) = o.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        c.skipped.push(format!("{} (no selector)", origin(o)));
        return;
    };
    let sel: BTreeMap<&str, &str> = sel
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.as_str(), s)))
        .collect();
    let ports: Vec<String> = o
        .spec
        .iter()
        .flat_map(|s| &s.ports)
        .filter_map(|p| p.port.as_ref().map(|x| x.0.clone()))
        .collect();
    let namespace = ns(o);
    let mut matched = false;
    for w in &mut c.workloads {
        let hit = w.namespace == namespace
            && !sel.is_empty()
            && sel
                .iter()
                .all(|(k, v)| w.labels.get(*k).is_some_and(|x| x == v));
        if hit {
            matched = true;
            w.comments.push(format!(
                "{} (port {}) selects its pods; meshmem gives each workload its own Service",
                origin(o),
                if ports.is_empty() {
                    "-".into()
                } else {
                    ports.join(", ")
                }
            ));
        }
    }
    if !matched {
        c.skipped
            .push(format!("{} (selects no workload)", origin(o)));
    }
}

fn target<'a>(c: &'a mut Cluster, o: &Object, name: &str) -> Option<&'a mut Workload> {
    let namespace = ns(o);
    c.workloads
        .iter_mut()
        .find(|w| w.cluster_name == name && w.namespace == namespace)
}

fn hpa(o: &Object, c: &mut Cluster) {
    let spec = o.spec.clone().unwrap_or_default();
    let name = spec.scale_target_ref.map(|r| r.name).unwrap_or_default();
    let from = origin(o);
    let cpu = spec.target_cpu_utilization_percentage.or_else(|| {
        spec.metrics.iter().find_map(|m| {
            m.resource
                .as_ref()
                .filter(|r| r.name == "cpu")
                .and_then(|r| r.target.as_ref()?.average_utilization)
        })
    });
    let min = spec.min_replicas.unwrap_or(1);
    let max = spec.max_replicas.unwrap_or(min);
    let what = format!(
        "{from}: {min}–{max} replicas{}",
        cpu.map_or(String::new(), |p| format!(" at {p} % CPU"))
    );
    let note = format!(
        "{what} — recorded, not simulated: meshmem has no HPA yet, so the replica count stays fixed"
    );
    match target(c, o, &name) {
        Some(w) => {
            if w.replicas.from.starts_with("default") {
                w.replicas = Sourced {
                    value: min,
                    from: format!("from {from} minReplicas (the Deployment leaves replicas to it)"),
                };
            }
            w.comments.push(note.clone());
            c.notes.push(note);
        }
        None => c.skipped.push(format!("{from} (targets no workload read)")),
    }
}

fn vpa(o: &Object, c: &mut Cluster) {
    let spec = o.spec.clone().unwrap_or_default();
    let name = spec.target_ref.map(|r| r.name).unwrap_or_default();
    let from = origin(o);
    let raw = spec
        .update_policy
        .and_then(|p| p.update_mode)
        .unwrap_or_else(|| "Auto".into());
    let (mode, how) = match raw.as_str() {
        "Off" | "Initial" | "Auto" => (raw.clone(), from.clone()),
        "Recreate" | "InPlaceOrRecreate" => (
            "Auto".to_string(),
            format!("{from} updateMode {raw}: meshmem's Auto evicts to apply"),
        ),
        other => {
            c.notes.push(format!(
                "{from}: updateMode `{other}` is unknown; taken as Off"
            ));
            ("Off".to_string(), from.clone())
        }
    };
    let containers: Vec<String> = spec
        .resource_policy
        .iter()
        .flat_map(|p| &p.container_policies)
        .filter(|p| p.container_name != "*" && p.mode.as_deref() != Some("Off"))
        .map(|p| p.container_name.clone())
        .collect();
    match target(c, o, &name) {
        Some(w) => {
            let workload = w.name.clone();
            c.vpas.push(Vpa {
                workload,
                mode,
                containers,
                from: how,
            });
        }
        None => c.skipped.push(format!("{from} (targets no workload read)")),
    }
}
