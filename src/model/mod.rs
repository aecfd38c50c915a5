//! The world meshmem simulates: a cluster of nodes and pods whose containers run under
//! cgroup memory limits, and the subsystems that act on it.
//!
//! - [`cluster`]: the shared state (nodes, Deployments, pods, containers);
//! - [`memory`]: the growth laws summed into a container's working set, and [`cpu`]: how
//!   a CPU quota stretches work;
//! - the subsystems, each owning its state and events: [`kernel`] (cgroup memory and the
//!   OOM killer), [`kubelet`] (container lifecycle and back-off), [`eviction`] (node
//!   pressure), [`workloads`] (Deployments and the scheduler), [`routing`] (services,
//!   endpoints, request outcomes, and the calls requests make: `routing::calls`),
//!   [`control_plane`] (istiod and the proxies' xDS), [`redis`] (servers, keyspace,
//!   eviction), [`database`] (an M/M/c queue), [`dns`] (CoreDNS and pods' lookups),
//!   [`autoscaling`] (VPA, HPA), [`monitoring`] (scrapes, SLO, alerts), [`timeline`];
//! - [`World`]: one replica's event loop, routing events and signals between them.
//!
//! The model uses the engine and nothing above it: it reads a [`SimConfig`], reports
//! through a [`Recorder`] and returns a [`RunOutcome`]. It knows nothing of files or
//! charts; the one thing it knows of the scenario format is each memory law's block, a
//! plain serde type next to the law's dynamics (see [`memory`]).

pub mod autoscaling;
pub mod cluster;
pub mod config;
pub mod control_plane;
pub mod cpu;
pub mod database;
pub mod dns;
pub mod eviction;
pub mod kernel;
pub mod kubelet;
pub mod memory;
pub mod monitoring;
pub mod outcome;
pub mod qos;
pub mod record;
pub mod redis;
pub mod resources;
pub mod routing;
pub mod snapshot;
pub mod timeline;
pub mod units;
pub mod workloads;
pub mod world;

pub use cluster::{container, node, pod};
pub use config::{
    Action, EvictionConfig, Fidelity, SimConfig, TimedAction, VpaConfig, VpaMode, WorkloadSpec,
};
pub use outcome::{AfterStart, ContainerTally, DataOutcome, RunOutcome};
pub use record::{
    DbSample, Discard, EventKind, EventRecord, Recorder, RedisSample, Sample, SloSample,
};
pub use units::{Bytes, MilliCpu};
pub use world::World;
