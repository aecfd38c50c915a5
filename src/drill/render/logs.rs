//! Container logs: the lines the model's state implies, per container run.
//!
//! - Envoy (`istio-proxy`): `starting main dispatch loop` at each start; a memory
//!   warning while its working set is at 90 % of its limit or more, and a stats warning
//!   while a stats flush takes a quarter of `stats_flush_interval` or more (both at most
//!   once a minute; the seed's lines — real Envoy prints them only with an overload
//!   manager and debug logging). Nothing when it is OOM-killed: SIGKILL leaves no line.
//! - A JVM: `java.lang.OutOfMemoryError: Java heap space` when its heap runs out.
//! - istiod (`discovery`): its xDS port, connections, pushes and partial configs.
//!
//! An app the model knows nothing more of logs nothing: `kubectl logs` shows no OOM
//! kill; `kubectl describe` does.

use std::collections::BTreeMap;

use super::format::rfc3339_micros;
use crate::drill::record::Ev;
use crate::engine::{SimDuration, SimTime};
use crate::model::EventKind;
use crate::model::snapshot::{ClusterSnapshot, ContainerStatus};

/// Warnings of one kind repeat at most this often.
const WARN_EVERY: SimDuration = SimDuration::from_secs(60);

#[derive(Clone, Debug)]
struct Line {
    run: u32,
    text: String,
}

/// Log lines per (pod, container), built as the session's time advances.
#[derive(Clone, Debug, Default)]
pub struct LogBook {
    lines: BTreeMap<(String, String), Vec<Line>>,
    runs: BTreeMap<(String, String), u32>,
    last_warn: BTreeMap<(String, String, &'static str), SimTime>,
    seen: usize,
}

impl LogBook {
    /// Takes in the events after those already seen and the cluster now.
    pub fn observe(&mut self, snap: &ClusterSnapshot, events: &[Ev]) {
        for e in &events[self.seen.min(events.len())..] {
            self.event(snap, e);
        }
        self.seen = events.len();
        let now = snap.time;
        for p in &snap.pods {
            for c in &p.containers {
                let (Some(proxy), ContainerStatus::Running { .. }) = (&c.proxy, &c.state) else {
                    continue;
                };
                let key = (p.name.clone(), c.name.clone());
                let run = c.restart_count;
                if let Some(limit) = c.resources.limits.memory
                    && c.working_set as f64 >= 0.9 * limit.as_f64()
                {
                    let text = format!(
                        "{}\twarning\tenvoy memory\tMemory pressure high. Allocated {}Mi, limit {}",
                        rfc3339_micros(now),
                        c.working_set >> 20,
                        limit
                    );
                    self.warn(&key, "memory", now, run, text);
                }
                if let (Some(took), Some(every)) =
                    (proxy.stats_flush_duration, proxy.stats_flush_interval)
                    && took.as_nanos() * 4 >= every.as_nanos()
                {
                    let text = format!(
                        "{}\twarning\tenvoy stats\tflushing stats took {}ms",
                        rfc3339_micros(now),
                        took.as_nanos() / 1_000_000
                    );
                    self.warn(&key, "stats", now, run, text);
                }
            }
        }
    }

    fn warn(
        &mut self,
        key: &(String, String),
        what: &'static str,
        now: SimTime,
        run: u32,
        text: String,
    ) {
        let k = (key.0.clone(), key.1.clone(), what);
        if self
            .last_warn
            .get(&k)
            .is_some_and(|t| now.since(*t) < WARN_EVERY)
        {
            return;
        }
        self.last_warn.insert(k, now);
        self.push(key.clone(), now, run, text);
    }

    fn push(&mut self, key: (String, String), time: SimTime, run: u32, text: String) {
        let _ = time;
        self.lines.entry(key).or_default().push(Line { run, text });
    }

    fn event(&mut self, snap: &ClusterSnapshot, e: &Ev) {
        let ts = rfc3339_micros(e.time);
        let container = if e.container.is_empty() {
            // Pod-level records of istiod are its process's own.
            match snap.pods.iter().find(|p| p.name == e.pod) {
                Some(p) if p.containers.len() == 1 => p.containers[0].name.clone(),
                _ => return,
            }
        } else {
            e.container.clone()
        };
        let key = (e.pod.clone(), container.clone());
        if e.kind == EventKind::Restarted {
            *self.runs.entry(key.clone()).or_default() += 1;
        }
        let run = self.runs.get(&key).copied().unwrap_or(0);
        let text = match e.kind {
            EventKind::Started | EventKind::Restarted if container == "istio-proxy" => {
                format!("{ts}\tinfo\tenvoy main\tstarting main dispatch loop")
            }
            EventKind::Crashed => format!("Exception in thread \"main\" {}", e.message),
            EventKind::XdsListening
            | EventKind::XdsConnected
            | EventKind::PushStarted
            | EventKind::PushCompleted
            | EventKind::PartialConfig
            | EventKind::ConfigRestored => format!("{ts}\tinfo\tads\t{}", e.message),
            _ => return,
        };
        self.push(key, e.time, run, text);
    }

    /// The log of a container's current run (the one that just ended, while it waits
    /// to restart) or, with `previous`, the run before; `None` if there is no such run.
    pub fn render(&self, pod: &str, container: &str, run: u32, tail: Option<usize>) -> String {
        let key = (pod.to_string(), container.to_string());
        let lines: Vec<&Line> = self
            .lines
            .get(&key)
            .map(|l| l.iter().filter(|l| l.run == run).collect())
            .unwrap_or_default();
        let skip = tail.map_or(0, |n| lines.len().saturating_sub(n));
        let mut out = String::new();
        for l in &lines[skip..] {
            out.push_str(&l.text);
            out.push('\n');
        }
        out
    }
}
