//! The world meshmem simulates: nodes, pods, containers under cgroup limits, their memory
//! components, traffic, and the kubelet's rules.
//!
//! The model uses the engine and nothing above it: it reads a [`SimConfig`], reports
//! through a [`Recorder`] and returns a [`RunOutcome`]. It knows nothing of files, YAML or
//! charts.

pub mod alerts;
pub mod backoff;
pub mod config;
pub mod container;
pub mod control_plane;
pub mod cpu;
pub mod memory;
pub mod node;
pub mod outcome;
pub mod pod;
pub mod qos;
pub mod record;
pub mod resources;
pub mod slo;
pub mod snapshot;
pub mod traffic;
pub mod units;
pub mod vpa;
mod world;

pub use config::{
    Action, EvictionConfig, Fidelity, SimConfig, TimedAction, VpaConfig, VpaMode, WorkloadSpec,
};
pub use outcome::{AfterStart, ContainerTally, RunOutcome};
pub use record::{Discard, EventKind, EventRecord, Recorder, Sample, SloSample};
pub use units::{Bytes, MilliCpu};
pub use world::World;
