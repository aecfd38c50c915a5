//! Redis as a workload: each pod of a Redis Deployment is one server (a shard of the key
//! space when there are several), whose keyspace, memory and counters follow the rules
//! of docs/reference.md#redis-memory-and-eviction (see [`keyspace`], [`policy`],
//! [`sizing`]).
//!
//! - Keys are hashed over the shards evenly (Redis Cluster's 16 384 slots): each server
//!   holds `1/N` of the key universe and gets `1/N` of the commands.
//! - `used_memory` = an empty server's bytes + keys × bytes per key; the container's
//!   resident memory, what its cgroup sees, is `used_memory` × `mem_fragmentation_ratio`.
//!   A `maxmemory` that the container's limit cannot hold is therefore an OOM kill
//!   (exit 137), not an eviction.
//! - A server of the scenario's initial state (a workload with an `age`) starts with the
//!   keyspace that age of the callers' first load leaves; one that restarts during the
//!   run comes back empty (no persistence is modelled) and with the
//!   `maxmemory` and policy of its configuration file: a `CONFIG SET` is lost with the
//!   process, as in Redis without `CONFIG REWRITE`.
//! - Callers see a [`CacheView`]: the share of shards that are up (ready), the hit ratio
//!   and the share of writes accepted, averaged over the shards that are up.
//!
//! Left out: replicas and failover, persistence (RDB/AOF), Redis' own latency under
//! load and eviction's CPU cost (a Redis call takes the caller's configured latency).

mod eviction;
pub mod keyspace;
pub mod policy;
pub mod sizing;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::engine::{EventKey, SimDuration};
use crate::model::cluster::ContainerRef;
use crate::model::cluster::pod::PodKey;
use crate::model::record::{EventKind, RedisSample};
use crate::model::world::{Cx, Note, Signal};
use keyspace::{KeyClass, Keyspace, Load, Regime};
pub use policy::MaxmemoryPolicy;

/// A Redis workload's configuration and key space.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisSpec {
    /// The workload whose pods run the servers (one shard each).
    pub workload: usize,
    /// Shards: the workload's replicas at the start.
    pub shards: u32,
    /// `maxmemory` in bytes (0: no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub policy: MaxmemoryPolicy,
    /// `mem_fragmentation_ratio`: resident memory ÷ `used_memory`.
    pub fragmentation: f64,
    /// `used_memory` of an empty server, bytes.
    pub startup: f64,
    /// One server's keys by popularity and kind (already `1/shards` of the universe).
    pub classes: Arc<[KeyClass]>,
    /// TTL of the keys written with one.
    pub ttl: Option<SimDuration>,
}

/// What the callers of a Redis workload see.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct CacheView {
    /// Share of the shards that are up (a call to a shard that is down fails).
    pub available: f64,
    /// Share of GETs that hit, over the shards that are up.
    pub hit: f64,
    /// Share of writes accepted, over the shards that are up.
    pub accept: f64,
}

/// Redis' timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// A shard's chord ends (its keyspace changes course).
    Step {
        /// Redis workload (index into the configuration's Redis list).
        redis: u16,
        /// Shard.
        shard: u16,
    },
    /// Scrape every server (`INFO memory`, `INFO stats`) for `redis.csv`.
    Scrape,
    /// Tell callers what Redis workload `r` looks like after their load changed.
    Publish(u16),
    /// Apply the callers' latest load to Redis workload `r` (several callers may change
    /// it at one instant).
    Load(u16),
    /// Servers of Redis workload `r` that ran before the run began take on their
    /// history, once every caller pod has announced its first load (same instant).
    WarmUp(u16),
}

/// How soon callers see a Redis whose load they changed: what they send depends on
/// what Redis refuses, so the view follows the load a little later rather than at the
/// same instant (no instantaneous feedback loop).
const VIEW_DELAY: SimDuration = SimDuration::from_secs(1);

struct Shard {
    pod: Option<PodKey>,
    running: bool,
    /// Seconds the server had been running when the run began, until its first load.
    history: f64,
    /// When its process started.
    started: crate::engine::SimTime,
    ks: Keyspace,
    step: Option<EventKey>,
    regime: Regime,
}

struct Server {
    shards: Vec<Shard>,
    load: Load,
    view: Option<CacheView>,
    publish: Option<EventKey>,
    warming: bool,
    nominal: Load,
    load_pending: bool,
}

/// Every Redis workload of the run.
pub(crate) struct Redis {
    servers: Vec<Server>,
    /// Counters of servers that have stopped (restarts zero a server's own).
    gone: keyspace::Counters,
}

impl Redis {
    /// The servers of `specs`, not yet running.
    pub(crate) fn new(specs: &[RedisSpec]) -> Self {
        let servers = specs
            .iter()
            .map(|s| Server {
                shards: (0..s.shards)
                    .map(|_| Shard {
                        pod: None,
                        running: false,
                        history: 0.0,
                        started: crate::engine::SimTime::ZERO,
                        ks: Keyspace::new(
                            s.classes.clone(),
                            s.ttl,
                            s.startup,
                            s.maxmemory as f64,
                            s.policy,
                        ),
                        step: None,
                        regime: Regime::Free,
                    })
                    .collect(),
                load: Load::default(),
                view: None,
                publish: None,
                warming: false,
                nominal: Load::default(),
                load_pending: false,
            })
            .collect();
        Redis {
            servers,
            gone: keyspace::Counters::default(),
        }
    }

    /// Counters of every server over the run so far, at `now`.
    pub(crate) fn totals(&self, now: crate::engine::SimTime) -> keyspace::Counters {
        let mut t = self.gone;
        for shard in self.servers.iter().flat_map(|s| &s.shards) {
            if shard.running {
                let (_, c) = shard.ks.at(now);
                t.hits += c.hits;
                t.misses += c.misses;
                t.evicted += c.evicted;
                t.expired += c.expired;
                t.rejected += c.rejected;
            }
        }
        t
    }

    /// Starts the scrape loop and shows callers the servers (those of the initial state
    /// once their history is applied, at their callers' first load).
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        if !self.servers.is_empty() && cx.wants_samples() {
            cx.schedule(cx.now, Event::Scrape);
        }
        for r in 0..self.servers.len() {
            self.publish(cx, r);
        }
    }

    /// Handles a timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Step { redis, shard } => {
                let (r, s) = (usize::from(redis), usize::from(shard));
                self.servers[r].shards[s].step = None;
                self.servers[r].shards[s].ks.step(cx.now);
                self.after_change(cx, r, s);
                self.publish(cx, r);
            }
            Event::Scrape => self.scrape(cx),
            Event::Publish(r) => {
                self.servers[usize::from(r)].publish = None;
                self.publish(cx, usize::from(r));
            }
            Event::WarmUp(r) => self.warm_up(cx, usize::from(r)),
            Event::Load(r) => self.apply_load(cx, usize::from(r)),
        }
    }

    fn which(&self, cx: &Cx<'_>, workload: usize) -> Option<usize> {
        cx.cfg.redis.iter().position(|s| s.workload == workload)
    }

    fn shard_of(&self, r: usize, pod: PodKey) -> Option<usize> {
        self.servers[r]
            .shards
            .iter()
            .position(|s| s.pod == Some(pod))
    }

    /// A pod was created: a Redis pod takes the first shard without one.
    pub(crate) fn pod_created(&mut self, cx: &Cx<'_>, pod: PodKey) {
        let Some(w) = cx.cluster.pod(pod).map(|p| p.workload) else {
            return;
        };
        let Some(r) = self.which(cx, w) else { return };
        if let Some(s) = self.servers[r].shards.iter_mut().find(|s| s.pod.is_none()) {
            s.pod = Some(pod);
        }
    }

    /// A pod is gone: its shard waits for the next pod.
    pub(crate) fn pod_removed(&mut self, cx: &mut Cx<'_>, pod: PodKey, workload: usize) {
        let Some(r) = self.which(cx, workload) else {
            return;
        };
        if let Some(s) = self.shard_of(r, pod) {
            self.stop_shard(cx, r, s);
            self.servers[r].shards[s].pod = None;
        }
        self.publish(cx, r);
    }

    /// A container started: a Redis server starts empty, with its configured limits.
    pub(crate) fn container_started(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        let Some((r, s)) = self.redis_container(cx, c) else {
            return;
        };
        let spec = &cx.cfg.redis[r];
        let (maxmemory, policy) = (spec.maxmemory as f64, spec.policy);
        let load = self.servers[r].load;
        let shard = &mut self.servers[r].shards[s];
        shard.running = true;
        shard.regime = Regime::Free;
        shard.history = cx.warm.map_or(0.0, |age| age.as_secs_f64());
        shard.started = cx.now;
        shard.ks.restart(cx.now, maxmemory, policy);
        shard.ks.set_load(cx.now, load);
        self.after_change(cx, r, s);
        self.publish(cx, r);
    }

    /// A container stopped: a Redis server's keys are gone.
    pub(crate) fn container_stopped(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        if let Some((r, s)) = self.redis_container(cx, c) {
            self.stop_shard(cx, r, s);
            self.publish(cx, r);
        }
    }

    /// A pod's readiness changed: callers' view of the shards changes.
    pub(crate) fn readiness_changed(&mut self, cx: &mut Cx<'_>, workload: usize) {
        if let Some(r) = self.which(cx, workload) {
            self.publish(cx, r);
        }
    }

    /// The (Redis workload, shard) of container `c`, if it runs a Redis server.
    fn redis_container(&self, cx: &Cx<'_>, c: ContainerRef) -> Option<(usize, usize)> {
        let pod = cx.cluster.pod(c.pod)?;
        let is_server = pod.containers[usize::from(c.idx)]
            .spec
            .memory
            .external
            .is_some_and(|k| k == crate::model::memory::ExternalKind::Redis);
        let r = self.which(cx, pod.workload).filter(|_| is_server)?;
        Some((r, self.shard_of(r, c.pod)?))
    }

    fn stop_shard(&mut self, cx: &mut Cx<'_>, r: usize, s: usize) {
        let shard = &mut self.servers[r].shards[s];
        if shard.running {
            let (_, c) = shard.ks.at(cx.now);
            self.gone.hits += c.hits;
            self.gone.misses += c.misses;
            self.gone.evicted += c.evicted;
            self.gone.expired += c.expired;
            self.gone.rejected += c.rejected;
        }
        shard.running = false;
        if let Some(k) = shard.step.take() {
            cx.cancel(k);
        }
    }

    /// The callers' load on each shard of Redis workload `r` changed (`nominal`: what
    /// it would be if every call succeeded).
    pub(crate) fn set_load(&mut self, cx: &mut Cx<'_>, r: usize, load: Load, nominal: Load) {
        self.servers[r].nominal = nominal;
        if self.servers[r].load == load {
            return;
        }
        self.servers[r].load = load;
        if !self.servers[r].load_pending {
            self.servers[r].load_pending = true;
            cx.schedule(cx.now, Event::Load(r as u16));
        }
    }

    /// The servers of `r` take the latest load (no time has passed since it changed).
    fn apply_load(&mut self, cx: &mut Cx<'_>, r: usize) {
        self.servers[r].load_pending = false;
        let load = self.servers[r].load;
        let mut warm = false;
        for s in 0..self.servers[r].shards.len() {
            let shard = &mut self.servers[r].shards[s];
            if shard.running {
                warm |= shard.history > 0.0;
                shard.ks.set_load(cx.now, load);
                self.after_change(cx, r, s);
            }
        }
        if warm && !self.servers[r].warming {
            self.servers[r].warming = true;
            cx.schedule(cx.now, Event::WarmUp(r as u16));
        }
        if self.servers[r].publish.is_none() {
            let k = cx.schedule(cx.now + VIEW_DELAY, Event::Publish(r as u16));
            self.servers[r].publish = Some(k);
        }
    }

    /// Servers of `r` of the initial state: their keyspace as their age under the
    /// callers' load left it — every call succeeding and every miss filled, as in a
    /// system that worked until now — and callers see the result at once.
    fn warm_up(&mut self, cx: &mut Cx<'_>, r: usize) {
        let load = self.servers[r].nominal;
        for s in 0..self.servers[r].shards.len() {
            let shard = &mut self.servers[r].shards[s];
            if shard.running && shard.history > 0.0 {
                shard.ks.warm_up(cx.now, shard.history, load);
                shard.history = 0.0;
                self.after_change(cx, r, s);
            }
        }
        self.publish(cx, r);
    }

    /// `CONFIG SET maxmemory` and/or `maxmemory-policy` on every running server of `r`.
    pub(crate) fn configure(
        &mut self,
        cx: &mut Cx<'_>,
        r: usize,
        maxmemory: Option<u64>,
        policy: Option<MaxmemoryPolicy>,
    ) {
        for s in 0..self.servers[r].shards.len() {
            let shard = &mut self.servers[r].shards[s];
            if !shard.running {
                continue;
            }
            let max = maxmemory.map_or(shard.ks.maxmemory(), |m| m as f64);
            let pol = policy.unwrap_or(shard.ks.policy());
            shard.ks.configure(cx.now, max, pol);
            self.after_change(cx, r, s);
        }
        self.publish(cx, r);
    }

    /// After shard `s` of `r` changed course: its memory, its next step, and an event
    /// when it reaches its limit.
    fn after_change(&mut self, cx: &mut Cx<'_>, r: usize, s: usize) {
        let frag = cx.cfg.redis[r].fragmentation;
        let shard = &mut self.servers[r].shards[s];
        let Some(pod) = shard.pod.filter(|_| shard.running) else {
            return;
        };
        let (bytes, slope) = (shard.ks.used() * frag, shard.ks.used_slope() * frag);
        let at = shard.ks.step_end().max(cx.now);
        let mut key = shard.step.take();
        cx.reschedule(
            &mut key,
            at,
            Event::Step {
                redis: r as u16,
                shard: s as u16,
            },
        );
        let shard = &mut self.servers[r].shards[s];
        shard.step = key;
        let (was, now) = (shard.regime, shard.ks.regime());
        shard.regime = now;
        if was == Regime::Free && now != Regime::Free {
            let what = match now {
                Regime::Evicting => format!("evicting ({})", shard.ks.policy()),
                _ => format!(
                    "refusing writes: -OOM command not allowed when used memory > 'maxmemory' ({})",
                    shard.ks.policy()
                ),
            };
            let msg = format!(
                "used_memory {:.0} reached maxmemory {:.0}: {what}",
                shard.ks.used(),
                shard.ks.maxmemory()
            );
            cx.emit(
                Some(pod),
                None,
                Note::new(EventKind::MaxmemoryReached, "MaxmemoryReached", &msg),
            );
        }
        let since = self.servers[r].shards[s].started;
        cx.signal(Signal::ExternalMemory {
            pod,
            since,
            bytes,
            slope,
        });
    }

    /// Announces Redis workload `r`'s view to its callers when it changed.
    fn publish(&mut self, cx: &mut Cx<'_>, r: usize) {
        let server = &self.servers[r];
        if server.shards.iter().any(|s| s.running && s.history > 0.0) {
            return; // its history is not applied yet (see `start`)
        }
        let up: Vec<&Shard> = server
            .shards
            .iter()
            .filter(|s| {
                s.running
                    && s.pod
                        .and_then(|k| cx.cluster.pod(k))
                        .is_some_and(|p| p.ready)
            })
            .collect();
        let n = server.shards.len().max(1) as f64;
        let k = up.len().max(1) as f64;
        let view = CacheView {
            available: up.len() as f64 / n,
            hit: up.iter().map(|s| s.ks.hit_ratio()).sum::<f64>() / k,
            accept: if up.is_empty() {
                1.0
            } else {
                up.iter().map(|s| s.ks.accept()).sum::<f64>() / k
            },
        };
        // A hit ratio that moved less than 10⁻⁴ is not news (every chord moves it a little).
        let news = self.servers[r].view.is_none_or(|v| {
            v.available != view.available
                || (v.hit - view.hit).abs() > 1e-4
                || (v.accept - view.accept).abs() > 1e-4
        });
        if news {
            self.servers[r].view = Some(view);
            cx.signal(Signal::CacheView { redis: r, view });
        }
    }

    fn scrape(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        cx.schedule(now + cx.cfg.scrape_interval, Event::Scrape);
        for r in 0..self.servers.len() {
            for s in 0..self.servers[r].shards.len() {
                let shard = &self.servers[r].shards[s];
                let Some(pod) = shard.pod.filter(|_| shard.running && shard.history <= 0.0) else {
                    continue;
                };
                // Observing never changes the run: the chord is read, not advanced.
                let (used, c) = shard.ks.at(now);
                let max = shard.ks.maxmemory();
                let (cfg, cluster, rec) = cx.observe();
                let Some(p) = cluster.pod(pod) else { continue };
                rec.redis(&RedisSample {
                    time: now,
                    workload: &cfg.workloads[cfg.redis[r].workload].name,
                    pod: p.name(),
                    used_memory: used as u64,
                    maxmemory: max as u64,
                    evicted_keys: c.evicted as u64,
                    expired_keys: c.expired as u64,
                    keyspace_hits: c.hits as u64,
                    keyspace_misses: c.misses as u64,
                    rejected_writes: c.rejected as u64,
                });
            }
        }
    }
}
