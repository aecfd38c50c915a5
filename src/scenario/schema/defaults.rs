//! Defaults of scenario keys that the types do not show, with the real system each comes
//! from (`docs/reference.md` sections) or marked as meshmem's own choice. The generated
//! format reference and `meshmem explain` print them; a test checks every path exists.

/// A key's default and where it comes from.
#[derive(Copy, Clone, Debug)]
pub struct Default {
    /// Key path, `.`-separated, list items left implicit
    /// (`workloads.containers.jvm.maxRamPercentage`).
    pub path: &'static str,
    /// The default as a scenario would write it.
    pub value: &'static str,
    /// The unit of a number, when the type does not say it.
    pub unit: &'static str,
    /// Where the value comes from.
    pub source: &'static str,
}

const fn d(
    path: &'static str,
    value: &'static str,
    unit: &'static str,
    source: &'static str,
) -> Default {
    Default {
        path,
        value,
        unit,
        source,
    }
}

const KUBELET: &str = "kubelet (docs/reference.md#kubelet-restart-backoff)";
const EVICTION: &str = "kubelet (docs/reference.md#kubelet-node-pressure-eviction)";
const INJECTION: &str = "Istio Helm values (docs/reference.md#istio-sidecar-injection)";
const ZIPKIN: &str = "Envoy Zipkin tracer (docs/reference.md#envoy-zipkin-tracer)";
const STATS: &str = "Envoy (docs/reference.md#envoy-stats-flush)";
const PUSH: &str = "istiod (docs/reference.md#istiod-push-pipeline)";
const RECONNECT: &str = "Envoy xDS (docs/reference.md#envoy-xds-reconnect)";
const JVM: &str = "HotSpot (docs/reference.md#jvm-in-a-container)";
const OWN: &str = "meshmem's choice (UNCONFIRMED in a real system)";
const K8S: &str = "Kubernetes API defaults";

/// Every default the types do not carry.
pub const DEFAULTS: &[Default] = &[
    d("seed", "0", "", OWN),
    d("replicas", "1", "runs", OWN),
    d(
        "scrapeInterval",
        "15s",
        "",
        "Prometheus' usual scrape interval",
    ),
    d("fidelity", "fluid", "", OWN),
    d(
        "kubelet.crashLoopBackOff.maxContainerRestartPeriod",
        "300s",
        "",
        KUBELET,
    ),
    d(
        "kubelet.featureGates.ReduceDefaultCrashLoopBackOffDecay",
        "false",
        "",
        KUBELET,
    ),
    d(
        "kubelet.evictionHard.memory.available",
        "100Mi",
        "",
        EVICTION,
    ),
    d("nodes.count", "1", "nodes", OWN),
    d("nodes.allocatable", "the capacity", "", OWN),
    d("mesh.traceSampling", "1", "percent", INJECTION),
    d("mesh.tracing.spanSize", "1Ki", "", OWN),
    d(
        "mesh.tracing.collectorCapacity",
        "200",
        "spans/s per proxy",
        OWN,
    ),
    d("mesh.tracing.flushInterval", "5s", "", ZIPKIN),
    d("mesh.tracing.maxSpans", "no cap", "spans", OWN),
    d("mesh.services", "the scenario's workloads", "services", OWN),
    d(
        "mesh.endpointsPerService",
        "the workloads' mean replicas",
        "endpoints",
        OWN,
    ),
    d("mesh.endpointPropagation", "1s", "", OWN),
    d("mesh.mtls", "true", "", "Istio auto-mTLS"),
    d("mesh.proxy.resources.requests.cpu", "100m", "", INJECTION),
    d(
        "mesh.proxy.resources.requests.memory",
        "128Mi",
        "",
        INJECTION,
    ),
    d("mesh.proxy.resources.limits.cpu", "2000m", "", INJECTION),
    d(
        "mesh.proxy.resources.limits.memory",
        "1024Mi",
        "",
        INJECTION,
    ),
    d("mesh.proxy.readinessDelay", "1s", "", OWN),
    d(
        "mesh.proxy.cpu.perRequest",
        "200us",
        "",
        "Istio's published sizing (docs/reference.md#istio-sidecar-injection)",
    ),
    d("mesh.proxy.stats.perCluster", "150", "stats", OWN),
    d("mesh.proxy.stats.base", "500", "stats", OWN),
    d("mesh.proxy.stats.bytesPerStat", "100", "", OWN),
    d("mesh.proxy.stats.snapshotBytesPerStat", "100", "", STATS),
    d("mesh.proxy.stats.cpuPerStat", "1400ns", "", OWN),
    d(
        "mesh.proxy.connections.perRps",
        "1",
        "connections per request/s",
        OWN,
    ),
    d("mesh.proxy.connections.tlsBytes", "48Ki", "", OWN),
    d("mesh.proxy.connections.plainBytes", "16Ki", "", OWN),
    d("workloads.replicas", "1", "pods", K8S),
    d("workloads.age", "0s", "", OWN),
    d("workloads.containers.readinessDelay", "0s", "", K8S),
    d(
        "workloads.containers.jvm.maxRamPercentage",
        "25",
        "percent",
        JVM,
    ),
    d(
        "workloads.containers.jvm.initialHeap",
        "1.5625 % of the limit",
        "",
        JVM,
    ),
    d("workloads.containers.jvm.nonHeap", "64Mi", "", OWN),
    d(
        "workloads.containers.cpu.mainThreadMinShare",
        "0 (istio-proxy 0.05)",
        "share",
        OWN,
    ),
    d("workloads.containers.memory.baseline.ramp", "0s", "", OWN),
    d("workloads.containers.memory.leak.perRequest", "0", "", OWN),
    d("workloads.containers.memory.leak.perSecond", "0", "", OWN),
    d(
        "workloads.containers.memory.cache.zipf",
        "0",
        "exponent",
        OWN,
    ),
    d(
        "workloads.containers.memory.cache.lookupsPerRequest",
        "1",
        "lookups",
        OWN,
    ),
    d("workloads.containers.memory.batch.ramp", "1s", "", OWN),
    d("workloads.containers.memory.batch.hold", "10s", "", OWN),
    d(
        "workloads.containers.memory.traceBuffer.flushInterval",
        "5s",
        "",
        ZIPKIN,
    ),
    d("traffic.imbalance", "0", "sd of log weight", OWN),
    d("traffic.noise.sd", "0", "sd of log-rate", OWN),
    d("traffic.noise.correlation", "5m", "", OWN),
    d("traffic.noise.resample", "10s", "", OWN),
    d("slo.target", "99.9", "percent", "a common availability SLO"),
    d("evaluateAfter", "0s", "", OWN),
    d("controlPlane.cohortSize", "100", "proxies", OWN),
    d("controlPlane.istiod.name", "istiod", "", "Istio"),
    d("controlPlane.istiod.processStart", "1s", "", OWN),
    d("controlPlane.istiod.debounce.after", "100ms", "", PUSH),
    d("controlPlane.istiod.debounce.max", "10s", "", PUSH),
    d("controlPlane.istiod.debounce.eds", "true", "", PUSH),
    d("controlPlane.istiod.pushThrottle", "100", "proxies", PUSH),
    d(
        "controlPlane.istiod.edsPerProxy",
        "1/50 of configPerProxy",
        "",
        OWN,
    ),
    d("controlPlane.reconnect.initial", "500ms", "", RECONNECT),
    d("controlPlane.reconnect.max", "30s", "", RECONNECT),
    d("controlPlane.kubeProxy.jitter", "0s", "", OWN),
    d("timeline.configChurn.fullShare", "0.1", "share", OWN),
    d("alerts.for", "0s", "", "Prometheus"),
    d("output.timeseriesReplicas", "3", "replicas", OWN),
    d("output.podTimeseries", "false", "", OWN),
];

/// The default of the key at `path`, if the table has one.
pub fn default_of(path: &str) -> Option<&'static Default> {
    DEFAULTS.iter().find(|d| d.path == path)
}
