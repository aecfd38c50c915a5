//! Istio's sidecar injection, as far as memory is concerned.
//!
//! When a scenario has a `mesh:`, every workload gets an `istio-proxy` container unless
//! its pod template says `sidecar.istio.io/inject: "false"` (the namespace is taken to be
//! labelled `istio-injection=enabled`). The proxy's settings come, lowest precedence
//! first, from Istio's Helm defaults, `mesh.proxy`, the pod annotations
//! (`sidecar.istio.io/proxyCPU`, `proxyMemory`, `proxyCPULimit`, `proxyMemoryLimit`,
//! `proxy.istio.io/config`), and the workload's `proxy:` block (what `kubectl set
//! resources -c istio-proxy` changes).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Location;

use super::error::Problem;
use super::quantity::QuantityError;
use super::yaml;
use crate::engine::SimDuration;
use crate::model::units::{Bytes, MilliCpu};

/// The sidecar's container name.
pub const PROXY_NAME: &str = "istio-proxy";

/// Helm `global.proxy.resources` defaults (REFERENCE.md: requests 100m / 128Mi, limits
/// 2000m / 1024Mi).
pub const PROXY_REQUEST_CPU: MilliCpu = MilliCpu(100);
/// See [`PROXY_REQUEST_CPU`].
pub const PROXY_REQUEST_MEMORY: Bytes = Bytes::mib(128);
/// See [`PROXY_REQUEST_CPU`].
pub const PROXY_LIMIT_CPU: MilliCpu = MilliCpu(2000);
/// See [`PROXY_REQUEST_CPU`].
pub const PROXY_LIMIT_MEMORY: Bytes = Bytes::mib(1024);

/// `PILOT_TRACE_SAMPLING` default, percent (REFERENCE.md).
pub const DEFAULT_TRACE_SAMPLING_PERCENT: f64 = 1.0;

/// Zipkin tracer `flush_interval_ms` default (REFERENCE.md).
pub const ZIPKIN_FLUSH_INTERVAL: SimDuration = SimDuration::from_secs(5);

/// Time from the proxy's start until pilot-agent reports it ready (Envoy has its first
/// listeners and clusters). UNCONFIRMED: about a second with a warm istiod.
pub const PROXY_STARTUP: SimDuration = SimDuration::from_secs(1);

/// The annotations that set the injected readiness probe (Istio's injection template).
pub const READINESS_INITIAL_DELAY: &str = "readiness.status.sidecar.istio.io/initialDelaySeconds";
/// See [`READINESS_INITIAL_DELAY`].
pub const READINESS_PERIOD: &str = "readiness.status.sidecar.istio.io/periodSeconds";

/// The injected readiness probe's defaults since Istio 1.20: `initialDelaySeconds` 0,
/// `periodSeconds` 15 (`values.global.proxy.readinessInitialDelaySeconds` /
/// `readinessPeriodSeconds`; 1 and 2 before 1.20). docs/reference.md "Istio sidecar
/// injection".
pub const PROXY_READINESS_INITIAL_DELAY: SimDuration = SimDuration::ZERO;
/// See [`PROXY_READINESS_INITIAL_DELAY`].
pub const PROXY_READINESS_PERIOD: SimDuration = SimDuration::from_secs(15);

/// The proxy's readiness probe: `(initialDelay, period)` from the annotations or Istio's
/// defaults.
pub fn proxy_readiness(
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
) -> Result<(SimDuration, SimDuration), Problem> {
    let seconds = |key: &str, default: SimDuration, min: u64| -> Result<SimDuration, Problem> {
        let Some(v) = annotations.get(key) else {
            return Ok(default);
        };
        match v.value.trim().parse::<u64>() {
            Ok(n) if n >= min && n <= 86_400 => Ok(SimDuration::from_secs(n)),
            _ => Err(Problem::new(
                v.referenced,
                format!("`{key}` is `{}`", v.value),
                format!("whole seconds from {min} to 86400"),
            )),
        }
    };
    Ok((
        seconds(READINESS_INITIAL_DELAY, PROXY_READINESS_INITIAL_DELAY, 0)?,
        seconds(READINESS_PERIOD, PROXY_READINESS_PERIOD, 1)?,
    ))
}

/// Memory per buffered span. REFERENCE.md gives none (UNCONFIRMED): a Zipkin span with
/// Envoy's usual tags is on the order of a kilobyte.
pub const DEFAULT_SPAN_SIZE: Bytes = Bytes(1024);

/// Spans per second the collector accepts from one proxy. REFERENCE.md gives none
/// (UNCONFIRMED): chosen so that 1 % sampling never backs up at realistic rates.
pub const DEFAULT_COLLECTOR_CAPACITY: f64 = 200.0;

/// Envoy's `stats_flush_interval` default (REFERENCE.md).
pub const ENVOY_STATS_FLUSH_INTERVAL: SimDuration = SimDuration::from_secs(5);

/// Sidecar CPU per request: 0.20 vCPU per 1000 rps (REFERENCE.md, Istio's published
/// sizing, 1.24 page).
pub const PROXY_CPU_PER_REQUEST: SimDuration = SimDuration::from_nanos(200_000);

/// Worker threads of a sidecar when `concurrency` is not set: Istio's injection default
/// (UNCONFIRMED: not in REFERENCE.md).
pub const PROXY_CONCURRENCY: u32 = 2;

const INJECT: &str = "sidecar.istio.io/inject";
const PROXY_CONFIG: &str = "proxy.istio.io/config";
/// The stats flush interval annotation (Istio 1.28+, REFERENCE.md).
pub const STATS_FLUSH_INTERVAL: &str = "sidecar.istio.io/statsFlushInterval";

/// Annotations Istio reads that meshmem understands, with their expected form.
const KNOWN: [(&str, &str); 9] = [
    (INJECT, "\"true\" or \"false\""),
    ("sidecar.istio.io/proxyCPU", "a CPU quantity such as 100m"),
    (
        "sidecar.istio.io/proxyMemory",
        "a memory quantity such as 128Mi",
    ),
    ("sidecar.istio.io/proxyCPULimit", "a CPU quantity such as 2"),
    (
        "sidecar.istio.io/proxyMemoryLimit",
        "a memory quantity such as 1Gi",
    ),
    (
        PROXY_CONFIG,
        "ProxyConfig as JSON, e.g. {\"tracing\":{\"sampling\":1}}",
    ),
    (STATS_FLUSH_INTERVAL, "a duration such as 5s or 10s"),
    (READINESS_INITIAL_DELAY, "whole seconds, such as 1"),
    (READINESS_PERIOD, "whole seconds, such as 15"),
];

/// `true` when the workload gets a sidecar.
pub fn injected(mesh: Option<&yaml::Mesh>, w: &yaml::Workload) -> bool {
    mesh.is_some() && w.annotations.get(INJECT).is_none_or(|v| v.value != "false")
}

/// Checks the Istio annotations a workload carries; unknown `*.istio.io` keys are
/// reported, since a typo there silently changes nothing in a real cluster either.
pub fn check_annotations(
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
) -> Result<(), Problem> {
    for (key, value) in annotations {
        if key.contains("istio.io/") && !KNOWN.iter().any(|(k, _)| k == key) {
            let known: Vec<_> = KNOWN.iter().map(|(k, _)| *k).collect();
            return Err(Problem::new(
                value.referenced,
                format!("annotation `{key}` is not one meshmem understands"),
                format!("one of {}", known.join(", ")),
            ));
        }
    }
    if let Some(v) = annotations.get(INJECT)
        && v.value != "true"
        && v.value != "false"
    {
        return Err(Problem::new(
            v.referenced,
            format!("`{INJECT}` is `{}`", v.value),
            KNOWN[0].1,
        ));
    }
    Ok(())
}

/// An annotation's value parsed by `parse` (a quantity parser), with its location.
pub fn quantity_annotation<T>(
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
    key: &str,
    parse: fn(&str) -> Result<T, QuantityError>,
) -> Result<Option<(T, Location)>, Problem> {
    annotations
        .get(key)
        .map(|v| {
            parse(&v.value)
                .map(|q| (q, v.referenced))
                .map_err(|e| Problem::new(v.referenced, format!("`{key}`: {e}"), ""))
        })
        .transpose()
}

/// The parts of `ProxyConfig` meshmem reads; other fields are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProxyConfig {
    #[serde(default)]
    tracing: Option<TracingConfig>,
    #[serde(default)]
    concurrency: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct TracingConfig {
    #[serde(default)]
    sampling: Option<f64>,
}

fn proxy_config(
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
) -> Result<ProxyConfig, Problem> {
    let Some(raw) = annotations.get(PROXY_CONFIG) else {
        return Ok(ProxyConfig::default());
    };
    serde_json::from_str(&raw.value).map_err(|e| {
        Problem::new(
            raw.referenced,
            format!("`{PROXY_CONFIG}` is not valid ProxyConfig JSON: {e}"),
            KNOWN[5].1,
        )
    })
}

/// The sampling percentage a proxy uses: `proxy.istio.io/config` `tracing.sampling`
/// when non-zero (values over 100 fall back to 1, as Istio does), else the mesh's.
pub fn trace_sampling_percent(
    mesh: &yaml::Mesh,
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
) -> Result<f64, Problem> {
    let mesh_default = mesh
        .trace_sampling
        .as_ref()
        .map_or(DEFAULT_TRACE_SAMPLING_PERCENT, |s| s.value);
    let config = proxy_config(annotations)?;
    Ok(match config.tracing.and_then(|t| t.sampling) {
        Some(s) if s > 100.0 => 1.0,
        Some(s) if s > 0.0 => s,
        _ => mesh_default,
    })
}

/// Worker threads: `concurrency` in `proxy.istio.io/config` (0 means one per core of the
/// limit: no thread cap), else Istio's default of 2.
pub fn worker_threads(
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
) -> Result<Option<u32>, Problem> {
    Ok(match proxy_config(annotations)?.concurrency {
        Some(0) => None,
        Some(n) => Some(n),
        None => Some(PROXY_CONCURRENCY),
    })
}

/// Envoy's stats flush interval: the `sidecar.istio.io/statsFlushInterval` annotation,
/// else Envoy's 5 s.
pub fn stats_flush_interval(
    annotations: &BTreeMap<String, yaml::Spanned<String>>,
) -> Result<SimDuration, Problem> {
    let Some(raw) = annotations.get(STATS_FLUSH_INTERVAL) else {
        return Ok(ENVOY_STATS_FLUSH_INTERVAL);
    };
    match super::duration::parse_duration(&raw.value) {
        Ok(d) if d >= SimDuration::from_millis(1) && d <= SimDuration::from_secs(300) => Ok(d),
        Ok(_) => Err(Problem::new(
            raw.referenced,
            format!(
                "`{STATS_FLUSH_INTERVAL}` {} is outside Envoy's range",
                raw.value
            ),
            "a duration from 1ms to 300s (Envoy's stats_flush_interval range)",
        )),
        Err(e) => Err(Problem::new(
            raw.referenced,
            format!("`{STATS_FLUSH_INTERVAL}`: {e}"),
            "",
        )),
    }
}
