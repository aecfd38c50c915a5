//! Integration tests: one binary, one module per behaviour.

mod support;

mod bad_input;
mod determinism;
mod fidelity;
mod oom_kill;
mod qos;
mod restart_backoff;
mod seed_000_sidecar_spiral;
mod seed_001_trace_sampling;
mod sidecar;
