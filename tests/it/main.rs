//! Integration tests: one binary, one module per behaviour.

mod support;

mod alerts;
mod bad_input;
mod cache;
mod cluster_dns;
mod data_tier_input;
mod deploy;
mod determinism;
mod fidelity;
mod hpa;
mod oom_kill;
mod oom_killer;
mod qos;
mod redis_eviction;
mod report;
mod restart_backoff;
mod scale;
mod seed_000_sidecar_spiral;
mod seed_001_trace_sampling;
mod seed_002_cache_crashloop;
mod seed_003_pilot_oom;
mod seed_004_dns_outage;
mod seed_004_redis_maxmemory;
mod seed_004_web_app;
mod sidecar;
mod snapshot;
