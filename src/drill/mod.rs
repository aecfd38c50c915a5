//! Training drills: an incident replayed from the simulation.
//!
//! The trainee is paged, queries the simulated cluster with `kubectl`/`istioctl`-like
//! commands at the decision point (the evidence comes from the model's state and
//! records, never from an author's text), chooses an option, and gets a debrief in
//! which every option has been run from the decision point on the same random streams
//! and ranked by the simulation.
//!
//! - `record`: what a drill keeps of a run, and the decision trigger;
//! - `score`: options × replicas from the decision point, terms, ranking, ties;
//! - `session`: the trainee's commands at the current simulated time, and `repl` the
//!   terminal around it; `render`: kubectl's and istioctl's outputs; `table`: columns;
//! - `debrief`: the verdict as text and JSON; `report`: the debrief's `report.html`.
//!
//! The drill reads results through the model's public API (`World` stepping,
//! `ClusterSnapshot`, `Recorder`); it never reaches into the model's internals.

pub mod debrief;
pub mod record;
pub mod render;
pub mod repl;
pub mod report;
pub mod score;
pub mod session;
pub mod table;

pub use crate::scenario::compile::drill::DrillConfig;
