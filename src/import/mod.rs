//! `meshmem import`: a scenario from the user's own cluster and metrics.
//!
//! Manifests in ([`manifest`], [`cluster`]): Deployments, StatefulSets and DaemonSets
//! with their containers, resources, replicas, probes, JVM flags and Istio settings;
//! Services, HPAs, VPAs and Namespaces to interpret them; every other kind is listed as
//! skipped. Metrics in ([`metrics`]): working sets per pod and container, request rates
//! per workload. Calibration ([`fit`], [`traffic`]): each container's memory as
//! meshmem's laws, each workload's traffic as a profile with noise. Out ([`write`]): a
//! scenario as YAML text a person can read and edit, every value with a comment saying
//! where it came from, defaults marked as defaults.
//!
//! This module knows scenario values (quantities, durations, law parameters), not the
//! model: what it writes is checked by the scenario loader like any hand-written file.

pub mod cluster;
mod error;
pub mod fit;
mod format;
mod lsq;
pub mod manifest;
pub mod metrics;
pub mod traffic;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use error::ImportError;

/// What to import.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Manifest files: (path, text).
    pub manifests: Vec<(PathBuf, String)>,
    /// Metric files: (path, text).
    pub metrics: Vec<(PathBuf, String)>,
}

/// Settings of the written scenario.
#[derive(Clone, Debug)]
pub struct Options {
    /// Scenario name (also its output folder).
    pub name: String,
    /// Monte Carlo runs per variant.
    pub replicas: u32,
    /// Seed.
    pub seed: u64,
}

/// One container's calibration.
#[derive(Clone, Debug)]
pub struct ContainerFit {
    /// Workload (scenario name).
    pub workload: String,
    /// Container.
    pub container: String,
    /// The fit.
    pub fit: fit::MemoryFit,
}

/// The imported scenario.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scenario file's text.
    pub yaml: String,
    /// Memory fits, per container.
    pub fits: Vec<ContainerFit>,
    /// Traffic profiles, per workload.
    pub traffic: Vec<(String, traffic::Profile)>,
    /// What was decided, assumed, recorded but not simulated, or skipped.
    pub notes: Vec<String>,
}

/// Metrics arranged for the fits, times in seconds from the data's first sample.
struct Data {
    /// Unix seconds of the first sample.
    start: f64,
    /// Seconds from the first to the last sample.
    span: f64,
    /// Median seconds between samples.
    step: Option<f64>,
    /// Per (workload, container): pods' series.
    working_set: BTreeMap<(String, String), Vec<fit::PodSeries>>,
    /// Per workload (cluster name): request rate.
    rates: BTreeMap<String, Vec<(f64, f64)>>,
}

/// Reads the inputs and writes a scenario.
pub fn import(inputs: &Inputs, options: &Options) -> Result<Imported, ImportError> {
    let reads = cluster::read_files(&inputs.manifests)?;
    let cluster = cluster::cluster(&reads)?;
    let mut notes = cluster.notes.clone();
    let mut series = Vec::new();
    for (file, text) in &inputs.metrics {
        series.push((file.display().to_string(), metrics::read(file, text)?));
    }
    let m = metrics::sort(series);
    notes.extend(m.notes.iter().cloned());
    let data = arrange(&cluster, m, &mut notes);
    let mut fits = Vec::new();
    for ((w, c), pods) in &data.working_set {
        let cluster_name = cluster
            .workloads
            .iter()
            .find(|x| &x.name == w)
            .map_or(w.as_str(), |x| x.cluster_name.as_str());
        let rate = data.rates.get(cluster_name);
        let f = rate.map(|r| move |t: f64| interpolate(r, t));
        let rate_fn = f.as_ref().map(|f| f as &dyn Fn(f64) -> f64);
        if let Some(fit) = fit::fit(pods, rate_fn) {
            fits.push(ContainerFit {
                workload: w.clone(),
                container: c.clone(),
                fit,
            });
        }
    }
    let mut profiles = Vec::new();
    for w in &cluster.workloads {
        if let Some(p) = data
            .rates
            .get(&w.cluster_name)
            .and_then(|r| traffic::fit(r))
        {
            profiles.push((w.name.clone(), p));
        }
    }
    let yaml = write::scenario(&write::Parts {
        options,
        inputs,
        cluster: &cluster,
        fits: &fits,
        traffic: &profiles,
        span: (data.span > 0.0).then_some(data.span),
        step: data.step,
        start: data.start,
        notes: &notes,
    });
    Ok(Imported {
        yaml,
        fits,
        traffic: profiles,
        notes,
    })
}

/// The rate at `t` by linear interpolation (the ends held).
fn interpolate(points: &[(f64, f64)], t: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= t);
    match (i.checked_sub(1).map(|j| points[j]), points.get(i)) {
        (Some(a), Some(b)) if b.0 > a.0 => a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0),
        (Some(a), _) => a.1,
        (None, Some(b)) => b.1,
        (None, None) => 0.0,
    }
}

/// The workload a pod belongs to: the longest workload name that prefixes the pod's
/// name followed by `-` (Deployments add `-<hash>-<id>`, StatefulSets `-<ordinal>`).
fn owner<'a>(
    c: &'a cluster::Cluster,
    pod: &str,
    namespace: Option<&str>,
) -> Option<&'a cluster::Workload> {
    c.workloads
        .iter()
        .filter(|w| namespace.is_none_or(|n| n == w.namespace))
        .filter(|w| {
            pod.strip_prefix(w.cluster_name.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|w| w.cluster_name.len())
}

fn arrange(c: &cluster::Cluster, m: metrics::Metrics, notes: &mut Vec<String>) -> Data {
    let all_times = m
        .working_set
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(m.request_rate.values().flat_map(|r| r.iter().map(|p| p.0)));
    let (start, end) = all_times.fold((f64::MAX, f64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let start = if start == f64::MAX { 0.0 } else { start };
    let mut steps: Vec<f64> = m
        .working_set
        .iter()
        .flat_map(|s| s.points.windows(2).map(|w| w[1].0 - w[0].0))
        .filter(|d| *d > 0.0)
        .collect();
    steps.sort_by(f64::total_cmp);
    let mut working_set: BTreeMap<(String, String), Vec<fit::PodSeries>> = BTreeMap::new();
    let mut unmatched = std::collections::BTreeSet::new();
    for s in m.working_set {
        let pod = s.labels["pod"].clone();
        let container = s.labels["container"].clone();
        let Some(w) = owner(c, &pod, s.labels.get("namespace").map(String::as_str)) else {
            unmatched.insert(pod);
            continue;
        };
        let known = container == crate::scenario::istio::PROXY_NAME
            || w.containers.iter().any(|x| x.name == container);
        if !known {
            notes.push(format!(
                "working set of {pod}/{container}: {} has no container `{container}`; left out",
                w.origin
            ));
            continue;
        }
        working_set
            .entry((w.name.clone(), container))
            .or_default()
            .push(fit::PodSeries {
                pod,
                points: s.points.iter().map(|&(t, v)| (t - start, v)).collect(),
            });
    }
    if !unmatched.is_empty() {
        notes.push(format!(
            "working sets of pods no workload owns, left out: {}",
            unmatched.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let rates = m
        .request_rate
        .into_iter()
        .map(|(w, pts)| (w, pts.into_iter().map(|(t, v)| (t - start, v)).collect()))
        .collect();
    Data {
        start,
        span: if end > start { end - start } else { 0.0 },
        step: steps.get(steps.len() / 2).copied(),
        working_set,
        rates,
    }
}
