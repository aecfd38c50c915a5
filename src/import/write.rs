//! The scenario as YAML text with comments: where each value came from, which values are
//! defaults, what was fitted and how well. Written by hand (not serialised) because the
//! comments are the point; the loader checks the result like any other file.

use std::fmt::Write;

use super::cluster::{Cluster, Container, Workload};
use super::fit::MemoryFit;
use super::format::{bytes, duration, number, string};
use super::traffic::Profile;
use super::{ContainerFit, Inputs, Options};

/// In-flight memory identifies only latency × bytes per request; this latency is assumed
/// to split the product (any other gives the same working set).
const ASSUMED_LATENCY_S: f64 = 0.1;
/// A flush frees the buffer this long after it filled (the sawtooth's vertical edge).
const FLUSH_HOLD_S: f64 = 1.0;
/// A JVM's resident memory outside the heap is at most this, and at most half the
/// fitted baseline: the data do not split the two.
const JVM_NON_HEAP_MAX: f64 = 64.0 * 1048576.0;

/// Everything the text is written from.
pub struct Parts<'a> {
    pub options: &'a Options,
    pub inputs: &'a Inputs,
    pub cluster: &'a Cluster,
    pub fits: &'a [ContainerFit],
    pub traffic: &'a [(String, Profile)],
    /// Seconds of metrics, if any.
    pub span: Option<f64>,
    /// Seconds between samples.
    pub step: Option<f64>,
    /// Unix seconds of the first sample.
    pub start: f64,
    pub notes: &'a [String],
}

/// `key: value  # comment` at `indent`.
fn line(out: &mut String, indent: usize, text: &str, comment: &str) {
    let pad = " ".repeat(indent);
    if comment.is_empty() {
        let _ = writeln!(out, "{pad}{text}");
    } else {
        let body = format!("{pad}{text}");
        let width = body.chars().count().max(42);
        let _ = writeln!(out, "{body:<width$}  # {comment}");
    }
}

/// A comment line at `indent`, wrapped at ~92 columns.
fn comment(out: &mut String, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && indent + 2 + cur.chars().count() + word.chars().count() > 92 {
            let _ = writeln!(out, "{pad}# {cur}");
            cur = "  ".into();
        }
        if !cur.trim().is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.trim().is_empty() {
        let _ = writeln!(out, "{pad}# {cur}");
    }
}

fn names(files: &[(std::path::PathBuf, String)]) -> String {
    files
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole scenario file.
pub fn scenario(p: &Parts<'_>) -> String {
    let mut out = String::new();
    header(&mut out, p);
    let o = p.options;
    line(
        &mut out,
        0,
        &format!("name: {}", string(&o.name)),
        "from the output file's name (also the output folder's name)",
    );
    let workloads: Vec<&str> = p
        .cluster
        .workloads
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    line(
        &mut out,
        0,
        &format!(
            "description: {}",
            string(&format!(
                "Imported from the cluster: {}",
                workloads.join(", ")
            ))
        ),
        "",
    );
    match p.span {
        Some(s) => line(
            &mut out,
            0,
            &format!("duration: {}", duration((s / 60.0).ceil() * 60.0)),
            &format!(
                "the metrics' span ({:.1} h): the fit is checked against it",
                s / 3600.0
            ),
        ),
        None => line(&mut out, 0, "duration: 24h", "default: no metrics; a day"),
    }
    line(&mut out, 0, &format!("seed: {}", o.seed), "default");
    line(
        &mut out,
        0,
        &format!("replicas: {}", o.replicas),
        "default: Monte Carlo runs per variant",
    );
    if let Some(step) = p.step {
        line(
            &mut out,
            0,
            &format!("scrapeInterval: {}", duration(step.round().max(1.0))),
            "the metrics' step",
        );
    }
    out.push('\n');
    line(
        &mut out,
        0,
        "nodes:",
        "default: manifests hold no nodes; put yours here (kubectl get nodes)",
    );
    line(
        &mut out,
        0,
        "  - {name: worker, count: 3, capacity: 16Gi, allocatable: 15Gi}",
        "",
    );
    out.push('\n');
    if p.cluster.mesh {
        line(
            &mut out,
            0,
            "mesh: {}",
            "Istio: injected workloads get an istio-proxy with Istio's defaults",
        );
        out.push('\n');
    }
    line(&mut out, 0, "workloads:", "");
    for w in &p.cluster.workloads {
        workload(&mut out, p, w);
    }
    vpas(&mut out, p.cluster);
    traffic(&mut out, p);
    out
}

fn header(out: &mut String, p: &Parts<'_>) {
    comment(out, 0, "Scenario written by `meshmem import`.");
    comment(
        out,
        0,
        &format!("manifests: {}", names(&p.inputs.manifests)),
    );
    if !p.inputs.metrics.is_empty() {
        comment(
            out,
            0,
            &format!(
                "metrics:   {} (from Unix time {:.0})",
                names(&p.inputs.metrics),
                p.start
            ),
        );
    }
    comment(
        out,
        0,
        "Each value says where it came from; `default` marks one the inputs did not give. \
         Edit freely: `meshmem check` validates, `meshmem explain KEY` documents a key.",
    );
    if !p.notes.is_empty() || !p.cluster.skipped.is_empty() {
        comment(out, 0, "");
        comment(out, 0, "Notes:");
        for n in p.notes {
            comment(out, 0, &format!("- {n}"));
        }
        if !p.cluster.skipped.is_empty() {
            comment(
                out,
                0,
                &format!(
                    "- skipped (not simulated): {}",
                    p.cluster.skipped.join(", ")
                ),
            );
        }
    }
    out.push('\n');
}

fn workload(out: &mut String, p: &Parts<'_>, w: &Workload) {
    comment(out, 2, &format!("from {}", w.origin));
    for c in &w.comments {
        comment(out, 2, c);
    }
    line(out, 2, &format!("- name: {}", string(&w.name)), "");
    line(
        out,
        4,
        &format!("replicas: {}", w.replicas.value),
        &w.replicas.from,
    );
    let mut annotations = w.annotations.clone();
    if p.cluster.mesh && !w.injected.value {
        annotations.insert(0, ("sidecar.istio.io/inject".into(), "false".into()));
    }
    if !annotations.is_empty() {
        line(
            out,
            4,
            "annotations:",
            &format!(
                "from {} pod template; sidecar: {}",
                w.origin, w.injected.from
            ),
        );
        for (k, v) in &annotations {
            line(out, 6, &format!("{k}: {}", string(v)), "");
        }
    } else if p.cluster.mesh {
        comment(out, 4, &format!("sidecar: {}", w.injected.from));
    }
    if let Some(l) = &w.pod_memory_limit {
        line(
            out,
            4,
            &format!("resources: {{limits: {{memory: {l}}}}}"),
            &format!("from {} pod-level resources", w.origin),
        );
    }
    line(out, 4, "containers:", "");
    for c in &w.containers {
        let fit = p
            .fits
            .iter()
            .find(|f| f.workload == w.name && f.container == c.name);
        container(out, w, c, fit.map(|f| &f.fit));
    }
    if let Some(f) = p
        .fits
        .iter()
        .find(|f| f.workload == w.name && f.container == crate::scenario::istio::PROXY_NAME)
    {
        comment(
            out,
            4,
            &format!(
                "istio-proxy, for comparison (meshmem models the sidecar with Envoy's own laws, \
                 so these are not applied): {}",
                summary(&f.fit)
            ),
        );
    }
}

fn resources(c: &Container) -> Option<String> {
    let list = |m: &Option<String>, cpu: &Option<String>| {
        let mut v = Vec::new();
        // Validated quantities are plain YAML scalars (`500m`, `2`, `384Mi`).
        if let Some(x) = cpu {
            v.push(format!("cpu: {x}"));
        }
        if let Some(x) = m {
            v.push(format!("memory: {x}"));
        }
        (!v.is_empty()).then(|| format!("{{{}}}", v.join(", ")))
    };
    let req = list(&c.request_memory, &c.request_cpu);
    let lim = list(&c.limit_memory, &c.limit_cpu);
    let mut parts = Vec::new();
    if let Some(r) = req {
        parts.push(format!("requests: {r}"));
    }
    if let Some(l) = lim {
        parts.push(format!("limits: {l}"));
    }
    (!parts.is_empty()).then(|| format!("{{{}}}", parts.join(", ")))
}

/// What a fit amounts to, in one line.
fn summary(f: &MemoryFit) -> String {
    let mut laws = vec![format!("baseline {}", bytes(f.baseline))];
    if let Some(k) = f.in_flight {
        laws.push(format!("in flight {} per request/s", bytes(k)));
    }
    if let Some(l) = f.leak_per_second {
        laws.push(format!("leak {} bytes/s", number(l, 1)));
    }
    if let Some(l) = f.leak_per_request {
        laws.push(format!("leak {} bytes/request", number(l, 2)));
    }
    if let Some(s) = f.sawtooth {
        laws.push(format!(
            "flush every {} freeing {}",
            duration(s.period),
            bytes(s.amplitude)
        ));
    }
    format!("{}; {}", laws.join(", "), quality(f))
}

fn quality(f: &MemoryFit) -> String {
    format!(
        "R² {:.3}, residual SD {}, {:.1} h over {} pod(s), {} samples",
        f.r2,
        bytes(f.residual_sd),
        f.hours,
        f.pods,
        f.samples
    )
}

fn container(out: &mut String, w: &Workload, c: &Container, fit: Option<&MemoryFit>) {
    line(out, 6, &format!("- name: {}", string(&c.name)), "");
    let from = format!("from {} container {}", w.origin, c.name);
    if c.native_sidecar {
        comment(
            out,
            8,
            "a native sidecar (init container with restartPolicy Always): simulated as a container",
        );
    }
    match resources(c) {
        Some(r) => line(out, 8, &format!("resources: {r}"), &from),
        None => comment(out, 8, &format!("{from} sets no resources (BestEffort)")),
    }
    if let Some(d) = c.readiness_delay_s.filter(|d| *d > 0) {
        line(
            out,
            8,
            &format!("readinessDelay: {}", duration(f64::from(d))),
            "readinessProbe.initialDelaySeconds (ready at the first probe)",
        );
    }
    // The fitted (or default) resident memory at rest, before the JVM split.
    let (total, total_from) = match fit {
        Some(f) => (f.baseline, format!("fitted: {}", quality(f))),
        None => {
            let req = c
                .request_memory
                .as_deref()
                .and_then(|q| crate::scenario::quantity::parse_bytes(q).ok())
                .map_or(128.0 * 1048576.0, |b| b.0 as f64);
            (
                req,
                "default: the memory request (no working-set data; calibrate with --metrics)"
                    .into(),
            )
        }
    };
    let mut baseline = total;
    if let Some(j) = &c.jvm {
        let non_heap = JVM_NON_HEAP_MAX.min(total / 2.0);
        baseline = total - non_heap;
        let mut fields = Vec::new();
        if let Some(x) = &j.max_heap {
            fields.push(format!("maxHeap: {x}"));
        }
        if let Some(x) = j.max_ram_percentage {
            fields.push(format!("maxRamPercentage: {}", number(x, 2)));
        }
        fields.push(format!("nonHeap: {}", bytes(non_heap)));
        line(
            out,
            8,
            &format!("jvm: {{{}}}", fields.join(", ")),
            &format!("from {}", j.from),
        );
        comment(
            out,
            8,
            "nonHeap is assumed (the data do not split heap from metaspace, code cache and \
             stacks): the fitted baseline less nonHeap is the heap's baseline",
        );
        if let Some(x) = &j.initial_heap {
            comment(
                out,
                8,
                &format!(
                    "-Xms{x} left out: meshmem counts the initial heap as resident, the \
                     working set shows only the pages touched"
                ),
            );
        }
    }
    line(out, 8, "memory:", &total_from);
    line(
        out,
        10,
        &format!("baseline: {{size: {}}}", bytes(baseline)),
        if fit.is_some() {
            "fitted: the working set at rest"
        } else {
            "default"
        },
    );
    let Some(f) = fit else { return };
    if let Some(k) = f.in_flight {
        line(
            out,
            10,
            &format!(
                "inFlight: {{latency: {}, perRequest: {}}}",
                duration(ASSUMED_LATENCY_S),
                bytes(k / ASSUMED_LATENCY_S)
            ),
            &format!(
                "fitted: {} per request/s; only latency × perRequest is identified (latency assumed)",
                bytes(k)
            ),
        );
    }
    let mut leak = Vec::new();
    if let Some(l) = f.leak_per_request {
        leak.push(format!("perRequest: {}", bytes(l)));
    }
    if let Some(l) = f.leak_per_second {
        leak.push(format!("perSecond: {}", bytes(l)));
    }
    if !leak.is_empty() {
        line(
            out,
            10,
            &format!("leak: {{{}}}", leak.join(", ")),
            "fitted (a bare number is bytes)",
        );
    }
    if let Some(s) = f.sawtooth {
        line(
            out,
            10,
            &format!(
                "batch: {{size: {}, every: {}, ramp: {}, hold: {}}}",
                bytes(s.amplitude),
                duration(s.period),
                duration((s.period - FLUSH_HOLD_S).max(FLUSH_HOLD_S)),
                duration(FLUSH_HOLD_S)
            ),
            "fitted sawtooth: a buffer filled linearly, freed by a periodic flush",
        );
    }
    for n in &f.notes {
        comment(out, 10, n);
    }
}

fn vpas(out: &mut String, c: &Cluster) {
    if c.vpas.is_empty() {
        return;
    }
    out.push('\n');
    line(out, 0, "vpa:", "");
    for v in &c.vpas {
        let containers = if v.containers.is_empty() {
            String::new()
        } else {
            format!(
                ", containers: [{}]",
                v.containers
                    .iter()
                    .map(|c| string(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        line(
            out,
            2,
            &format!(
                "- {{workload: {}, updateMode: {}{containers}}}",
                string(&v.workload),
                v.mode
            ),
            &v.from,
        );
    }
}

fn traffic(out: &mut String, p: &Parts<'_>) {
    out.push('\n');
    if p.traffic.is_empty() {
        comment(
            out,
            0,
            "No request-rate data: add each service's load, e.g. traffic: [{service: NAME, rps: 100}]",
        );
        line(out, 0, "traffic: []", "default: no load");
        return;
    }
    line(out, 0, "traffic:", "");
    for (w, t) in p.traffic {
        line(
            out,
            2,
            &format!("- service: {}", string(w)),
            &format!("rate(istio_requests_total) for destination_workload {w}"),
        );
        line(
            out,
            4,
            &format!("rps: {}", number(t.rps, 2)),
            &format!(
                "fitted: the level at the start (mean {} over {:.1} h)",
                number(t.mean, 2),
                t.hours
            ),
        );
        if !t.ramps.is_empty() {
            line(out, 4, "ramps:", "fitted: half-hour levels of the data");
            for (from, to, rps) in &t.ramps {
                line(
                    out,
                    6,
                    &format!(
                        "- {{from: {}, to: {}, rps: {}}}",
                        duration(*from),
                        duration(*to),
                        number(*rps, 2)
                    ),
                    "",
                );
            }
        }
        if let Some((a, peak)) = t.diurnal {
            line(
                out,
                4,
                &format!(
                    "diurnal: {{amplitude: {}, peak: {}}}",
                    number(a, 3),
                    duration(peak)
                ),
                "fitted daily shape",
            );
        }
        line(
            out,
            4,
            &format!(
                "noise: {{sd: {}, correlation: {}}}",
                number(t.noise_sd, 3),
                duration(t.noise_correlation.round().max(1.0))
            ),
            "fitted: the log-rate around the profile",
        );
        for n in &t.notes {
            comment(out, 4, n);
        }
    }
}
