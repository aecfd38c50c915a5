//! Cluster DNS: the CoreDNS pods every lookup goes through, their memory, and what a
//! lookup costs the pod that makes it (docs/reference.md#coredns-and-pod-dns; coredns
//! `plugin/cache/README.md` (256 × 39 = 9984 entries, TTL cap), `plugin/forward/README.md`
//! (`max_concurrent` → REFUSED, ~2 kB per pending query) @ v1.14.7; kubernetes
//! `cmd/kubeadm/app/phases/addons/dns/manifests.go` for 70Mi/170Mi and the Corefile).
//!
//! - A lookup walks the search list under `ndots:5` (see [`resolver`]); names of the
//!   cluster are answered by CoreDNS' `kubernetes` plugin, other names go through its
//!   cache (`cache 30`) and, on a miss, `forward` to the upstream resolver.
//! - A CoreDNS pod's memory (its `coredns` law) is its answer cache (≈ 3 kB an entry:
//!   coredns/deployment's sizing guide gives 30 MB for a full 10 000-entry cache) plus
//!   every forwarded query still pending (≈ 2 kB each, the `forward` plugin's README),
//!   on top of the container's own baseline (the guide's 54 MB + (pods + services) ÷ 1000
//!   MB, less the cache, belongs in the scenario's `baseline`).
//! - When the upstream stops answering, cached answers run out within the cache TTL and
//!   every lookup of an external name is forwarded and held until `forward`'s 5 s
//!   deadline — while the client's resolver times out (5 s) and asks again (2
//!   attempts). Pending queries then grow with the lookup rate; with `max_concurrent`
//!   the excess is answered REFUSED at once, without it memory grows until the kernel
//!   kills the pod.
//! - With no CoreDNS pod ready the Service has no endpoints and kube-proxy rejects its
//!   traffic (ICMP port unreachable): lookups fail at once. Names a client has cached
//!   keep working until their TTL runs out (see `routing::calls`).
//! - NodeLocal DNSCache (kubernetes `cluster/addons/dns/nodelocaldns/nodelocaldns.yaml`):
//!   pods ask a cache on their node, which keeps cluster answers 30 s (denials 5 s) and
//!   asks CoreDNS over TCP on a miss, and sends every other name straight to the upstream
//!   (`.:53 { cache 30; forward . <upstream> }`), never through CoreDNS. Its own pod has
//!   no memory limit (requests 25m / 5Mi), so it is not modelled as a pod.
//!
//! Left out: CoreDNS' CPU (dropped packets under CPU saturation), `serve_stale`,
//! `prefetch`, the per-query ~1 ms of a local answer beyond `localLatency`, and the
//! kube-proxy lag before a dead pod's address leaves the Service (about a second of
//! lookups that time out instead of failing at once).

pub mod resolver;

use crate::engine::{EventKey, RngStreams, SimDuration, SimTime};
use crate::model::cluster::ContainerRef;
use crate::model::cluster::pod::PodKey;
use crate::model::memory::ExternalKind;
use crate::model::routing::{Noise, NoiseSpec};
use crate::model::world::{Cx, Signal};
use resolver::Plan;

/// A name the callers resolve.
#[derive(Clone, Debug, PartialEq)]
pub struct NameSpec {
    /// The name as the application writes it.
    pub host: String,
    /// How its lookup walks the search list.
    pub plan: Plan,
}

/// Lookups by the rest of the cluster (not simulated as workloads), per second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OtherClients {
    /// Lookups of cluster names.
    pub cluster: f64,
    /// Lookups of external names.
    pub external: f64,
    /// Distinct external names among them (what fills the cache).
    pub external_names: u32,
    /// Fluctuation of their rate (the cluster's traffic wanders as web traffic does).
    pub noise: NoiseSpec,
}

/// Cluster DNS settings, with the real systems' defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsSpec {
    /// The workload whose pods run CoreDNS.
    pub coredns: usize,
    /// `options ndots` (5).
    pub ndots: u32,
    /// The node's own search domains after the cluster's three.
    pub node_search: u32,
    /// Resolver timeout per attempt (glibc 5 s).
    pub timeout: SimDuration,
    /// Resolver attempts (glibc 2).
    pub attempts: u32,
    /// `cache` TTL cap (30 s).
    pub cache_ttl: SimDuration,
    /// Cache capacity per kind, success and denial (9984).
    pub cache_size: u32,
    /// `forward` `max_concurrent` (0: unlimited).
    pub max_concurrent: u32,
    /// `forward`'s deadline for one query (5 s).
    pub forward_deadline: SimDuration,
    /// Memory of one pending forwarded query.
    pub pending_bytes: f64,
    /// Memory of one cached answer.
    pub cache_entry_bytes: f64,
    /// Round trip to the upstream resolver while it answers.
    pub upstream_latency: SimDuration,
    /// Time of an answer CoreDNS gives itself.
    pub local_latency: SimDuration,
    /// NodeLocal DNSCache on every node.
    pub node_local: bool,
    /// The names callers resolve.
    pub names: Vec<NameSpec>,
    /// Lookups by the rest of the cluster.
    pub other: OtherClients,
}

/// What one lookup of a name costs now.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct NameView {
    /// Probability the lookup fails.
    pub p_fail: f64,
    /// Seconds a failing lookup takes.
    pub fail_secs: f64,
    /// Seconds a successful lookup takes.
    pub ok_secs: f64,
}

/// Cluster DNS' timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// Re-evaluate while something moves (caches running out, queries piling up).
    Tick,
    /// A grid point of the rest of the cluster's lookup noise.
    Noise,
}

/// Resolution grid while caches run out or queries pile up.
const TICK: SimDuration = SimDuration::from_secs(1);
/// How soon CoreDNS' state follows a change of the callers' lookups.
const LOAD_DELAY: SimDuration = SimDuration::from_millis(100);

struct PodState {
    pod: PodKey,
    started: SimTime,
    pending: f64,
    slope: f64,
    updated: SimTime,
}

/// Cluster DNS' live state.
pub(crate) struct ClusterDns {
    upstream_up: bool,
    upstream_changed: SimTime,
    upstream_latency: f64,
    none_ready_since: Option<SimTime>,
    pods: Vec<PodState>,
    loads: Vec<Vec<f64>>,
    view: Vec<NameView>,
    tick: Option<EventKey>,
    tick_at: SimTime,
    noise: Noise,
}

impl ClusterDns {
    /// Cluster DNS of `spec` for `callers` callers.
    pub(crate) fn new(spec: &DnsSpec, callers: usize, streams: &RngStreams) -> Self {
        ClusterDns {
            upstream_up: true,
            upstream_changed: SimTime::ZERO,
            upstream_latency: spec.upstream_latency.as_secs_f64(),
            none_ready_since: None,
            pods: Vec::new(),
            loads: vec![vec![0.0; spec.names.len()]; callers],
            view: Vec::new(),
            tick: None,
            tick_at: SimTime::NEVER,
            noise: Noise::new(spec.other.noise, streams.stream("dns/other-clients/noise")),
        }
    }

    /// Starts the noise grid of the rest of the cluster's lookups.
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        if Self::spec(cx).is_some_and(|s| s.other.noise.sd > 0.0) {
            cx.schedule(cx.now, Event::Noise);
        }
    }

    /// Handles a timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Tick => {
                self.tick = None;
                self.tick_at = SimTime::NEVER;
                self.update(cx);
            }
            Event::Noise => {
                if cx.now > SimTime::ZERO {
                    self.noise.step();
                }
                if let Some(spec) = Self::spec(cx) {
                    let next = cx.now + spec.other.noise.resample;
                    cx.schedule(next, Event::Noise);
                }
                self.update(cx);
            }
        }
    }

    /// The cluster DNS configuration (the world builds this subsystem only with one).
    fn spec<'a>(cx: &Cx<'a>) -> Option<&'a DnsSpec> {
        cx.cfg.dns.as_ref()
    }

    /// A container started: a CoreDNS server starts with nothing pending.
    pub(crate) fn container_started(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        if !Self::is_server(cx, c) {
            return;
        }
        self.pods.retain(|p| p.pod != c.pod);
        self.pods.push(PodState {
            pod: c.pod,
            started: cx.now,
            pending: 0.0,
            slope: 0.0,
            updated: cx.now,
        });
        self.update(cx);
    }

    /// A container stopped: a CoreDNS server's pending queries are gone.
    pub(crate) fn container_stopped(&mut self, cx: &mut Cx<'_>, c: ContainerRef) {
        if Self::is_server(cx, c) {
            self.pods.retain(|p| p.pod != c.pod);
            self.update(cx);
        }
    }

    fn is_server(cx: &Cx<'_>, c: ContainerRef) -> bool {
        cx.cluster
            .container(c)
            .is_some_and(|k| k.spec.memory.external == Some(ExternalKind::CoreDns))
    }

    /// A pod of `workload` changed readiness (or left).
    pub(crate) fn readiness_changed(&mut self, cx: &mut Cx<'_>, workload: usize) {
        if Self::spec(cx).is_some_and(|s| s.coredns == workload) {
            self.pods.retain(|p| cx.cluster.pod(p.pod).is_some());
            self.update(cx);
        }
    }

    /// Caller `caller` now looks names up at `lookups` per second (by name). CoreDNS'
    /// state follows within [`LOAD_DELAY`]: what lookups cost changes what callers ask,
    /// so the two never chase each other at one instant.
    pub(crate) fn set_load(&mut self, cx: &mut Cx<'_>, caller: usize, lookups: Vec<f64>) {
        if self.loads[caller] == lookups {
            return;
        }
        self.loads[caller] = lookups;
        let at = cx.now + LOAD_DELAY;
        if self.tick_at > at {
            let mut key = self.tick.take();
            cx.reschedule(&mut key, at, Event::Tick);
            self.tick = key;
            self.tick_at = at;
        }
    }

    /// The upstream resolver answers again (or stops answering).
    pub(crate) fn set_upstream(&mut self, cx: &mut Cx<'_>, up: bool, latency: Option<SimDuration>) {
        if let Some(l) = latency {
            self.upstream_latency = l.as_secs_f64();
        }
        if up != self.upstream_up {
            self.upstream_up = up;
            self.upstream_changed = cx.now;
        }
        self.update(cx);
    }

    /// Share of a cache's external answers still valid at `now` for a server started at
    /// `started`: all while the upstream answers; after it stopped, what was cached
    /// before runs out over the TTL.
    fn cached_share(&self, spec: &DnsSpec, now: SimTime, started: SimTime) -> f64 {
        if self.upstream_up {
            return 1.0;
        }
        if started > self.upstream_changed {
            return 0.0;
        }
        let ttl = spec.cache_ttl.as_secs_f64();
        (1.0 - (now - self.upstream_changed).as_secs_f64() / ttl).clamp(0.0, 1.0)
    }

    /// External lookups per second reaching CoreDNS.
    fn external_lookups(&self, spec: &DnsSpec) -> f64 {
        if spec.node_local {
            return 0.0;
        }
        let mine: f64 = self
            .loads
            .iter()
            .flat_map(|l| l.iter().zip(&spec.names))
            .filter(|(_, n)| !n.plan.cluster)
            .map(|(l, _)| l)
            .sum();
        mine + spec.other.external * self.noise.factor()
    }

    /// Recomputes pending queries, memory and what lookups cost, now.
    fn update(&mut self, cx: &mut Cx<'_>) {
        let Some(spec) = Self::spec(cx) else {
            return;
        };
        let now = cx.now;
        let ready: Vec<usize> = (0..self.pods.len())
            .filter(|&i| cx.cluster.pod(self.pods[i].pod).is_some_and(|p| p.ready))
            .collect();
        match (ready.is_empty(), self.none_ready_since) {
            (true, None) => self.none_ready_since = Some(now),
            (false, Some(_)) => self.none_ready_since = None,
            _ => {}
        }
        let hold = if self.upstream_up {
            self.upstream_latency
        } else {
            spec.forward_deadline.as_secs_f64()
        };
        let per_pod = self.external_lookups(spec) / ready.len().max(1) as f64;
        let mut moving = false;
        let mut next = TICK.as_secs_f64();
        let (mut shares, mut refused) = (0.0, 0.0);
        for i in 0..self.pods.len() {
            let g = self.cached_share(spec, now, self.pods[i].started);
            let p = &mut self.pods[i];
            p.pending = (p.pending + p.slope * (now - p.updated).as_secs_f64()).max(0.0);
            p.updated = now;
            let serving = ready.contains(&i);
            let attempts = if self.upstream_up {
                1.0
            } else {
                f64::from(spec.attempts)
            };
            let arrivals = if serving {
                per_pod * (1.0 - g) * 2.0 * attempts
            } else {
                0.0
            };
            let offered = arrivals * hold;
            let cap = f64::from(spec.max_concurrent);
            let target = if cap > 0.0 { offered.min(cap) } else { offered };
            if serving {
                shares += g;
                refused += if offered > target {
                    1.0 - target / offered
                } else {
                    0.0
                };
            }
            // Little's law in motion: pending rises at the arrival rate until it holds
            // `hold` seconds of arrivals; it drains within a hold when arrivals drop.
            let gap = target - p.pending;
            p.slope = if gap > 1e-6 {
                arrivals.max(gap / hold)
            } else if gap < -1e-6 {
                gap / hold
            } else {
                0.0
            };
            if p.slope != 0.0 {
                moving = true;
                next = next.min((gap / p.slope).max(1e-3));
            }
            // While the upstream is gone, cached answers run out: keep re-evaluating.
            moving |= serving && !self.upstream_up && g > 0.0;
            let (bytes, slope) = self.memory(spec, i);
            cx.signal(Signal::ExternalMemory {
                pod: self.pods[i].pod,
                since: self.pods[i].started,
                bytes,
                slope,
            });
        }
        let n = ready.len().max(1) as f64;
        self.publish(cx, ready.len(), shares / n, refused / n);
        moving |= self.node_local_decaying(spec, now);
        let mut key = self.tick.take();
        if moving {
            let at = now + SimDuration::from_secs_f64_ceil(next);
            cx.reschedule(&mut key, at, Event::Tick);
            self.tick_at = at;
        } else if let Some(k) = key.take() {
            cx.cancel(k);
            self.tick_at = SimTime::NEVER;
        }
        self.tick = key;
    }

    /// Pod `i`'s `coredns` memory now and its slope.
    fn memory(&self, spec: &DnsSpec, i: usize) -> (f64, f64) {
        let p = &self.pods[i];
        let names = spec.names.iter().filter(|n| !n.plan.cluster).count() as f64
            + f64::from(spec.other.external_names);
        let forwarded = f64::from(spec.node_search + 1);
        let size = f64::from(spec.cache_size);
        let entries = if spec.node_local {
            0.0
        } else {
            (2.0 * names).min(size) + (2.0 * names * (forwarded - 1.0)).min(size)
        };
        let bytes = entries * spec.cache_entry_bytes + p.pending * spec.pending_bytes;
        let slope = if p.pending <= 0.0 && p.slope < 0.0 {
            0.0
        } else {
            p.slope * spec.pending_bytes
        };
        (bytes, slope)
    }

    fn node_local_decaying(&self, spec: &DnsSpec, now: SimTime) -> bool {
        let ttl = spec.cache_ttl;
        spec.node_local
            && (self.none_ready_since.is_some_and(|t| now < t + ttl)
                || (!self.upstream_up && now < self.upstream_changed + ttl))
    }

    /// What a lookup of each name costs now; announced when it changed.
    fn publish(&mut self, cx: &mut Cx<'_>, ready: usize, cached: f64, refused: f64) {
        let Some(spec) = Self::spec(cx) else {
            return;
        };
        let now = cx.now;
        let ttl = spec.cache_ttl.as_secs_f64();
        let local = spec.local_latency.as_secs_f64();
        let timeout = spec.timeout.as_secs_f64() * f64::from(spec.attempts);
        let up = self.upstream_up;
        let upstream = self.upstream_latency;
        let since = |t: SimTime| (1.0 - (now - t).as_secs_f64() / ttl).clamp(0.0, 1.0);
        let view: Vec<NameView> = spec
            .names
            .iter()
            .map(|n| {
                let p = n.plan;
                let ok_secs = local * f64::from(p.local) + upstream * f64::from(p.forwarded.min(1));
                if spec.node_local {
                    let kept = if p.cluster {
                        self.none_ready_since.map_or(1.0, since)
                    } else if up {
                        1.0
                    } else {
                        since(self.upstream_changed)
                    };
                    let fail_secs = if p.cluster { local } else { timeout };
                    return NameView {
                        p_fail: 1.0 - kept,
                        fail_secs,
                        ok_secs,
                    };
                }
                if ready == 0 {
                    return NameView {
                        p_fail: 1.0,
                        fail_secs: local,
                        ok_secs,
                    };
                }
                if p.cluster {
                    return NameView {
                        p_fail: 0.0,
                        fail_secs: local,
                        ok_secs,
                    };
                }
                if up {
                    NameView {
                        p_fail: refused,
                        fail_secs: local,
                        ok_secs,
                    }
                } else {
                    NameView {
                        p_fail: 1.0 - cached,
                        fail_secs: refused * local + (1.0 - refused) * timeout,
                        ok_secs,
                    }
                }
            })
            .collect();
        if view != self.view {
            self.view = view.clone();
            cx.signal(Signal::DnsView(view));
        }
    }
}
