//! meshmem: a discrete-event simulator of memory behaviour in Kubernetes service meshes.
//!
//! Pods run an app container and an Envoy `istio-proxy` sidecar under cgroup memory
//! limits. Memory grows by mechanisms — requests in flight, trace spans waiting for an
//! exporter, leaks — until the kernel OOM-kills a container, the kubelet backs off, the
//! pod leaves the endpoints and requests fail. meshmem computes the exact instant of
//! each kill instead of ticking, so a day of a 100-pod mesh runs in well under a second.
//!
//! Layers, each using only those before it:
//!
//! - [`engine`]: simulated time, the event queue, seeded random streams;
//! - [`model`]: nodes, pods, containers, memory laws, traffic, the kubelet's rules;
//! - [`scenario`]: the YAML format, quantities, validation, variants;
//! - [`runner`]: replicas and variants in parallel, deterministically;
//! - [`report`]: CSV files, metadata and the printed table;
//! - [`import`]: scenarios written from Kubernetes manifests and Prometheus metrics;
//! - [`cli`] and [`commands`]: the command line and what each command does.
//!
//! A whole run in a few lines — a container that leaks 1Ki per request at 100 rps under a
//! 64Mi limit, on top of a 32Mi baseline, is killed when the leak reaches 32Mi: after
//! 32 768 requests, 327.68 s on average. Requests arrive as a Poisson process, so the
//! 32 768th comes √32 768 / 100 ≈ 1.8 s either side of that.
//!
//! ```
//! use std::path::Path;
//! use meshmem::{model::Discard, runner, scenario};
//!
//! let yaml = r#"
//! name: leak
//! duration: 1h
//! nodes: [{name: node-a, capacity: 8Gi}]
//! workloads:
//!   - name: api
//!     containers:
//!       - name: api
//!         resources: {requests: {memory: 48Mi}, limits: {memory: 64Mi}}
//!         memory:
//!           baseline: {size: 32Mi}
//!           leak: {perRequest: 1Ki}
//! traffic:
//!   - service: api
//!     rps: 100
//! "#;
//! let s = scenario::parse(Path::new("leak.yaml"), yaml).unwrap();
//! let (outcome, _) = runner::run_one(&s, 0, 0, Discard);
//! let api = outcome.container("api", "api").unwrap();
//! let first = api.first_oom.unwrap().as_secs_f64();
//! assert!((320.0..336.0).contains(&first), "{first}");
//! // Killed at once the first time, then the kubelet's back-off: 0 s, 10 s, 20 s, …
//! assert!(api.oom_kills > 5 && api.restarts == api.oom_kills);
//! ```
pub mod cli;
pub mod commands;
pub mod drill;
pub mod engine;
pub mod import;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod stats;
