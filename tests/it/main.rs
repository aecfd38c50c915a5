//! Integration tests: one binary, one module per behaviour.

// A test fails by panicking: its helpers unwrap too (clippy.toml allows it in `#[test]`
// functions only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod alerts;
mod bad_input;
mod cache;
mod cluster_dns;
mod corpus;
mod counts;
mod data_tier_input;
mod deploy;
mod determinism;
mod drill;
mod fidelity;
mod fidelity_laws;
mod fidelity_scale;
mod fuzz;
mod hpa;
mod import;
mod interrupt;
mod limits;
mod merge_props;
mod merge_verify;
mod names;
mod oom_kill;
mod oom_killer;
mod per_pod_spread;
mod plan_lifted;
mod properties;
mod qos;
mod redis_eviction;
mod report;
mod restart_backoff;
mod scale;
mod schema;
mod seed_000_sidecar_spiral;
mod seed_001_trace_sampling;
mod seed_002_cache_crashloop;
mod seed_003_pilot_oom;
mod seed_004_dns_outage;
mod seed_004_redis_maxmemory;
mod seed_004_web_app;
mod sensitivity;
mod sidecar;
mod snapshot;
mod snapshots;
mod twosample;
