//! meshmem: a discrete-event simulator of memory behaviour in Kubernetes service meshes.
pub mod app;
pub mod engine;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
