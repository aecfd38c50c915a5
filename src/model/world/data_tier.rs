//! Routing for the data tier's subsystems — the calls requests make, Redis, databases,
//! cluster DNS — kept together because they mostly talk to each other: callers' load
//! goes to Redis, the databases and DNS; what those look like comes back to the callers.

use super::{Cx, Signal};
use crate::engine::RngStreams;
use crate::engine::SimTime;
use crate::model::cluster::ContainerRef;
use crate::model::cluster::pod::PodKey;
use crate::model::config::SimConfig;
use crate::model::database::{self, Databases};
use crate::model::dns::{self, ClusterDns};
use crate::model::outcome::DataOutcome;
use crate::model::redis::{self, Redis};
use crate::model::routing::RequestTally;
use crate::model::routing::calls::{self, Calls};

/// The data tier's subsystems, each with its own state and events.
pub(super) struct DataTier {
    calls: Calls,
    redis: Redis,
    databases: Databases,
    dns: Option<ClusterDns>,
}

impl DataTier {
    pub(super) fn new(cfg: &SimConfig, streams: &RngStreams) -> Self {
        DataTier {
            calls: Calls::new(cfg),
            redis: Redis::new(&cfg.redis),
            databases: Databases::new(cfg.databases.len(), cfg.callers.len()),
            dns: cfg
                .dns
                .as_ref()
                .map(|d| ClusterDns::new(d, cfg.callers.len(), streams)),
        }
    }

    /// Starts the subsystems' loops.
    pub(super) fn start(&mut self, cx: &mut Cx<'_>) {
        self.redis.start(cx);
        self.databases.start(cx);
        if let Some(d) = &mut self.dns {
            d.start(cx);
        }
    }

    pub(super) fn calls(&mut self, e: calls::Event, cx: &mut Cx<'_>) {
        self.calls.handle(e, cx);
    }

    pub(super) fn redis(&mut self, e: redis::Event, cx: &mut Cx<'_>) {
        self.redis.handle(e, cx);
    }

    pub(super) fn database(&mut self, e: database::Event, cx: &mut Cx<'_>) {
        self.databases.handle(e, cx);
    }

    pub(super) fn dns(&mut self, e: dns::Event, cx: &mut Cx<'_>) {
        if let Some(d) = &mut self.dns {
            d.handle(e, cx);
        }
    }

    /// `redis-cli CONFIG SET` on Redis workload `r`.
    pub(super) fn redis_config_set(
        &mut self,
        cx: &mut Cx<'_>,
        r: usize,
        maxmemory: Option<u64>,
        policy: Option<redis::MaxmemoryPolicy>,
    ) {
        self.redis.configure(cx, r, maxmemory, policy);
    }

    /// The upstream resolver answers (or not).
    pub(super) fn dns_upstream(
        &mut self,
        cx: &mut Cx<'_>,
        up: bool,
        latency: Option<crate::engine::SimDuration>,
    ) {
        if let Some(d) = &mut self.dns {
            d.set_upstream(cx, up, latency);
        }
    }

    pub(super) fn pod_created(&mut self, cx: &Cx<'_>, pod: PodKey) {
        self.redis.pod_created(cx, pod);
    }

    pub(super) fn container_started(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        self.redis.container_started(cx, c);
        if let Some(d) = &mut self.dns {
            d.container_started(cx, c);
        }
        self.calls.container_started(cx, c);
    }

    pub(super) fn container_stopped(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        self.redis.container_stopped(cx, c);
        if let Some(d) = &mut self.dns {
            d.container_stopped(cx, c);
        }
    }

    pub(super) fn load_changed(&mut self, cx: &mut Cx<'_>, pod: PodKey, rps: f64) {
        self.calls.load_changed(cx, pod, rps);
    }

    pub(super) fn readiness_changed(&mut self, cx: &mut Cx<'_>, workload: usize) {
        self.redis.readiness_changed(cx, workload);
        if let Some(d) = &mut self.dns {
            d.readiness_changed(cx, workload);
        }
    }

    pub(super) fn pod_removed(&mut self, cx: &mut Cx<'_>, pod: PodKey, workload: usize) {
        self.redis.pod_removed(cx, pod, workload);
        if let Some(d) = &mut self.dns {
            d.readiness_changed(cx, workload);
        }
        self.calls.pod_removed(cx, pod);
    }

    /// Routes a signal among the data tier; gives it back if it is not theirs.
    pub(super) fn route(&mut self, cx: &mut Cx<'_>, signal: Signal) -> Option<Signal> {
        match signal {
            Signal::CacheLoad {
                redis,
                load,
                nominal,
            } => self.redis.set_load(cx, redis, load, nominal),
            Signal::CacheView { redis, view } => self.calls.cache_view(cx, redis, view),
            Signal::DbLoad { db, caller, qps } => self.databases.set_load(cx, db, caller, qps),
            Signal::DbLoadChanged { db, qps } => self.calls.db_load(cx, db, qps),
            Signal::DnsLoad { caller, lookups } => {
                if let Some(d) = &mut self.dns {
                    d.set_load(cx, caller, lookups);
                }
            }
            Signal::DnsView(view) => self.calls.dns_view(cx, view),
            other => return Some(other),
        }
        None
    }

    /// The application failures of calls so far.
    pub(super) fn total(&mut self, cx: &Cx<'_>) -> RequestTally {
        self.calls.total(cx)
    }

    /// What the data tier went through, at the end of the run.
    pub(super) fn outcome(&self, end: SimTime) -> DataOutcome {
        let c = self.redis.totals(end);
        DataOutcome {
            evicted_keys: c.evicted,
            rejected_writes: c.rejected,
            keyspace_hits: c.hits,
            keyspace_misses: c.misses,
            db_peak_utilisation: self.databases.peak,
        }
    }
}
