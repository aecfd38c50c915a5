//! The data tier, cluster DNS and HPAs of a scenario, validated: every name a call or an
//! autoscaler refers to exists and is of the right kind, every share is a share.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_saphyr::Location;

use super::workload_index;
use crate::engine::SimDuration;
use crate::model::autoscaling::hpa::{HpaMetric, HpaSpec};
use crate::model::database::DatabaseSpec;
use crate::model::dns::resolver::{self, Plan};
use crate::model::dns::{DnsSpec, NameSpec, OtherClients};
use crate::model::memory::zipf_bins;
use crate::model::redis::keyspace::KeyClass;
use crate::model::redis::sizing::key_bytes;
use crate::model::redis::{MaxmemoryPolicy, RedisSpec};
use crate::model::routing::calls::{CallSpec, CallerSpec, MissSpec, Target};
use crate::scenario::check::non_negative;
use crate::scenario::error::Problem;
use crate::scenario::yaml;

/// What the data tier adds to a run's configuration.
pub struct DataTier {
    /// Redis workloads.
    pub redis: Vec<RedisSpec>,
    /// Databases.
    pub databases: Vec<DatabaseSpec>,
    /// Cluster DNS.
    pub dns: Option<DnsSpec>,
    /// Callers.
    pub callers: Vec<CallerSpec>,
    /// HPAs.
    pub hpa: Vec<HpaSpec>,
}

/// `used_memory` of an empty Redis 7 server (`used_memory_startup`, ≈ 0.9 MB:
/// UNCONFIRMED, read from servers rather than source).
const REDIS_STARTUP_BYTES: u64 = 900_000;
/// Default key length of a caller's keys, bytes.
const DEFAULT_KEY_SIZE: u64 = 16;

/// The names callers resolve, in the order first met.
#[derive(Default)]
struct Names {
    index: BTreeMap<String, usize>,
    list: Vec<NameSpec>,
}

impl Names {
    fn add(&mut self, host: &str, cluster: bool, ndots: u32, node_search: u32) -> usize {
        if let Some(&i) = self.index.get(host) {
            return i;
        }
        let plan: Plan = resolver::plan(host, cluster, ndots, node_search);
        self.list.push(NameSpec {
            host: host.to_string(),
            plan,
        });
        self.index.insert(host.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// `true` for a name answered by the cluster's `kubernetes` plugin.
fn is_cluster_name(host: &str) -> bool {
    !host.trim_end_matches('.').contains('.')
        || host.trim_end_matches('.').ends_with(".cluster.local")
}

fn share(v: &yaml::Spanned<f64>, what: &str) -> Result<f64, Problem> {
    if (0.0..=1.0).contains(&v.value) {
        Ok(v.value)
    } else {
        Err(Problem::new(
            v.referenced,
            format!("`{what}` is {}", v.value),
            "a share from 0 to 1",
        ))
    }
}

/// The data tier of `spec`.
pub fn data_tier(spec: &yaml::ScenarioFile) -> Result<DataTier, Problem> {
    let databases = databases(spec)?;
    let coredns: Vec<usize> = (0..spec.workloads.len())
        .filter(|&w| spec.workloads[w].coredns.is_some())
        .collect();
    if coredns.len() > 1 {
        let w = &spec.workloads[coredns[1]];
        return Err(Problem::new(
            w.name.referenced,
            format!("`{}` is a second CoreDNS workload", w.name.value),
            "one workload with `coredns:` serves the cluster's DNS",
        ));
    }
    if spec.dns.is_some() && coredns.is_empty() {
        return Err(Problem::new(
            Location::UNKNOWN,
            "`dns:` is set but no workload runs CoreDNS",
            "a workload with `coredns: {}` (e.g. coredns, 2 replicas, limit 170Mi)",
        ));
    }
    let dns_cfg = spec.dns.clone().unwrap_or_default();
    let ndots = dns_cfg.ndots.unwrap_or(5);
    let node_search = dns_cfg.node_search_domains.unwrap_or(1);
    let mut names = Names::default();
    let with_dns = !coredns.is_empty();
    let redis_of: Vec<Option<usize>> = {
        let mut k = 0;
        spec.workloads
            .iter()
            .map(|w| {
                w.redis.as_ref().map(|_| {
                    k += 1;
                    k - 1
                })
            })
            .collect()
    };
    let mut keys: Vec<Option<(&yaml::Keys, Location)>> =
        vec![None; redis_of.iter().flatten().count()];
    let mut callers = Vec::new();
    for (w, wl) in spec.workloads.iter().enumerate() {
        if wl.calls.is_empty() {
            continue;
        }
        let mut calls = Vec::new();
        for c in &wl.calls {
            calls.push(call(
                spec,
                c,
                &redis_of,
                &databases,
                &mut keys,
                &mut |host, cluster| with_dns.then(|| names.add(host, cluster, ndots, node_search)),
            )?);
        }
        callers.push(CallerSpec {
            workload: w,
            calls,
            dns_cache: wl.dns_cache.map(|d| d.0).filter(|d| !d.is_zero()),
        });
    }
    let mut redis = Vec::new();
    for (w, r) in redis_of.iter().enumerate() {
        if let Some(r) = r {
            redis.push(redis_spec(spec, w, keys[*r])?);
        }
    }
    let dns = match coredns.first() {
        Some(&w) => Some(dns_spec(spec, w, &dns_cfg, ndots, node_search, names.list)?),
        None => None,
    };
    Ok(DataTier {
        redis,
        databases: databases.iter().map(|d| d.0.clone()).collect(),
        dns,
        callers,
        hpa: hpas(spec)?,
    })
}

/// Databases with the name clients resolve.
fn databases(spec: &yaml::ScenarioFile) -> Result<Vec<(DatabaseSpec, String)>, Problem> {
    let mut out: Vec<(DatabaseSpec, String)> = Vec::new();
    for d in &spec.databases {
        if out.iter().any(|o| o.0.name == d.name.value) {
            return Err(Problem::new(
                d.name.referenced,
                format!("database name `{}` is used twice", d.name.value),
                "a unique database name",
            ));
        }
        if d.servers.value == 0 {
            return Err(Problem::new(
                d.servers.referenced,
                "`servers` is 0",
                "the number of queries the database serves at once, ≥ 1",
            ));
        }
        let st = super::positive(
            &d.service_time.value.0,
            d.service_time.referenced,
            "serviceTime",
        )?;
        out.push((
            DatabaseSpec {
                name: d.name.value.clone(),
                servers: d.servers.value,
                service_time: st,
            },
            d.host.clone().unwrap_or_else(|| d.name.value.clone()),
        ));
    }
    Ok(out)
}

type Resolve<'a> = dyn FnMut(&str, bool) -> Option<usize> + 'a;

fn database_ref(
    dbs: &[(DatabaseSpec, String)],
    name: &yaml::Spanned<String>,
) -> Result<usize, Problem> {
    dbs.iter()
        .position(|d| d.0.name == name.value)
        .ok_or_else(|| {
            let all: Vec<&str> = dbs.iter().map(|d| d.0.name.as_str()).collect();
            Problem::new(
                name.referenced,
                format!("no database named `{}`", name.value),
                if all.is_empty() {
                    "a `databases:` entry of that name".to_string()
                } else {
                    format!("one of: {}", all.join(", "))
                },
            )
        })
}

fn call<'k>(
    spec: &yaml::ScenarioFile,
    c: &'k yaml::Call,
    redis_of: &[Option<usize>],
    dbs: &[(DatabaseSpec, String)],
    keys: &mut [Option<(&'k yaml::Keys, Location)>],
    resolve: &mut Resolve<'_>,
) -> Result<CallSpec, Problem> {
    let per_request = match &c.per_request {
        Some(p) => non_negative(p.value, p.referenced, "perRequest")?,
        None => 1.0,
    };
    let timeout = c.timeout.map_or(SimDuration::from_secs(1), |d| d.0);
    let latency = c.latency.map_or(SimDuration::from_millis(1), |d| d.0);
    let write_share = c
        .write_share
        .as_ref()
        .map(|w| share(w, "writeShare"))
        .transpose()?;
    match (&c.redis, &c.database) {
        (Some(r), None) => {
            let w = workload_index(spec, r)?;
            let Some(idx) = redis_of[w] else {
                return Err(Problem::new(
                    r.referenced,
                    format!("workload `{}` does not run Redis", r.value),
                    "a workload with `redis:`",
                ));
            };
            match (&c.keys, keys[idx]) {
                (Some(k), None) => keys[idx] = Some((k, r.referenced)),
                (Some(_), Some(_)) => {
                    return Err(Problem::new(
                        r.referenced,
                        format!("the keys of `{}` are described twice", r.value),
                        "`keys:` on one call to each Redis",
                    ));
                }
                (None, _) => {}
            }
            let on_miss = match &c.on_miss {
                Some(m) => {
                    let d = database_ref(dbs, &m.database)?;
                    let host = &dbs[d].1;
                    Some(MissSpec {
                        database: d,
                        timeout: m.timeout.0,
                        host: resolve(host, is_cluster_name(host)),
                    })
                }
                None => None,
            };
            Ok(CallSpec {
                target: Target::Redis(idx),
                per_request,
                timeout,
                latency,
                host: resolve(&r.value, true),
                write_share: write_share.unwrap_or(0.0),
                write_errors_fail: c.write_errors == yaml::WriteErrors::Fail,
                on_miss,
            })
        }
        (None, Some(d)) => {
            if c.keys.is_some() || c.on_miss.is_some() || c.write_share.is_some() {
                return Err(Problem::new(
                    d.referenced,
                    "`keys`, `onMiss` and `writeShare` describe calls to Redis",
                    "a database call: database, perRequest, timeout",
                ));
            }
            let i = database_ref(dbs, d)?;
            let host = &dbs[i].1;
            Ok(CallSpec {
                target: Target::Database(i),
                per_request,
                timeout,
                latency,
                host: resolve(host, is_cluster_name(host)),
                write_share: 0.0,
                write_errors_fail: true,
                on_miss: None,
            })
        }
        _ => Err(Problem::new(
            c.redis
                .as_ref()
                .or(c.database.as_ref())
                .map_or(Location::UNKNOWN, |n| n.referenced),
            "a call needs exactly one of `redis` and `database`",
            "{redis: cache, perRequest: 2, onMiss: {database: db, timeout: 1s}} or {database: db}",
        )),
    }
}

/// The Redis workload `w`, its keyspace from the caller that described it.
fn redis_spec(
    spec: &yaml::ScenarioFile,
    w: usize,
    keys: Option<(&yaml::Keys, Location)>,
) -> Result<RedisSpec, Problem> {
    let wl = &spec.workloads[w];
    let Some(r) = wl.redis.as_ref() else {
        return Err(Problem::new(
            Location::UNKNOWN,
            format!("workload `{}` does not run Redis", wl.name.value),
            "a workload with `redis:`",
        ));
    };
    let shards = wl.replicas.max(1);
    let fragmentation = match &r.fragmentation_ratio {
        Some(f) if f.value >= 1.0 && f.value.is_finite() => f.value,
        Some(f) => {
            return Err(Problem::new(
                f.referenced,
                format!("fragmentationRatio {} is below 1", f.value),
                "a ratio ≥ 1 (resident memory ÷ used_memory)",
            ));
        }
        None => 1.0,
    };
    let (classes, ttl) = match keys {
        Some((k, _)) => classes(k, shards)?,
        None => (Arc::from(Vec::new()), None),
    };
    Ok(RedisSpec {
        workload: w,
        shards,
        maxmemory: r.maxmemory.map_or(0, |m| m.0),
        policy: r
            .maxmemory_policy
            .map_or(MaxmemoryPolicy::NoEviction, |p| p.0),
        fragmentation,
        startup: r.startup_memory.map_or(REDIS_STARTUP_BYTES, |m| m.0) as f64,
        classes,
        ttl,
    })
}

/// One shard's key classes: popularity bins of `1/shards` of the universe, split into
/// keys written with and without a TTL.
fn classes(k: &yaml::Keys, shards: u32) -> Result<(Arc<[KeyClass]>, Option<SimDuration>), Problem> {
    if k.universe.value == 0 {
        return Err(Problem::new(
            k.universe.referenced,
            "`universe` is 0",
            "the number of distinct keys, ≥ 1",
        ));
    }
    let ttl = k.ttl.map(|d| d.0).filter(|d| !d.is_zero());
    let ttl_share = match (&k.ttl_share, ttl) {
        (Some(s), _) => share(s, "ttlShare")?,
        (None, Some(_)) => 1.0,
        (None, None) => 0.0,
    };
    let key_size = k.key_size.unwrap_or(DEFAULT_KEY_SIZE);
    let n = f64::from(shards);
    let mut out = Vec::new();
    for b in zipf_bins(k.universe.value, k.zipf.unwrap_or(0.0)) {
        for (volatile, part) in [(true, ttl_share), (false, 1.0 - ttl_share)] {
            if part > 0.0 && (ttl.is_some() || !volatile) {
                out.push(KeyClass {
                    keys: b.keys * part / n,
                    per_key: b.per_key * n,
                    volatile,
                    bytes: key_bytes(key_size, k.value_size, volatile && ttl.is_some()),
                });
            }
        }
    }
    Ok((Arc::from(out), ttl))
}

fn dns_spec(
    spec: &yaml::ScenarioFile,
    w: usize,
    d: &yaml::Dns,
    ndots: u32,
    node_search: u32,
    names: Vec<NameSpec>,
) -> Result<DnsSpec, Problem> {
    let c = spec.workloads[w].coredns.clone().unwrap_or_default();
    let o = &d.other_clients;
    let other = OtherClients {
        cluster: o.cluster_lookups.unwrap_or(0.0).max(0.0),
        external: o.external_lookups.unwrap_or(0.0).max(0.0),
        external_names: o.external_names.unwrap_or(0),
        noise: super::traffic::noise_spec(&o.noise)?,
    };
    Ok(DnsSpec {
        coredns: w,
        ndots,
        node_search,
        timeout: d.timeout.map_or(SimDuration::from_secs(5), |t| t.0),
        attempts: d.attempts.unwrap_or(2).max(1),
        cache_ttl: c.cache_ttl.map_or(SimDuration::from_secs(30), |t| t.0),
        cache_size: c.cache_size.unwrap_or(9984),
        max_concurrent: c.max_concurrent.unwrap_or(0),
        forward_deadline: SimDuration::from_secs(5),
        pending_bytes: c.pending_query_bytes.map_or(2048.0, |m| m.0.as_f64()),
        cache_entry_bytes: c.cache_entry_bytes.map_or(3000.0, |m| m.0.as_f64()),
        upstream_latency: d
            .upstream
            .latency
            .map_or(SimDuration::from_millis(2), |t| t.0),
        local_latency: d.local_latency.map_or(SimDuration::from_millis(1), |t| t.0),
        node_local: d.node_local,
        names,
        other,
    })
}

fn hpas(spec: &yaml::ScenarioFile) -> Result<Vec<HpaSpec>, Problem> {
    let mut out: Vec<HpaSpec> = Vec::new();
    for h in &spec.hpa {
        let w = workload_index(spec, &h.workload)?;
        if out.iter().any(|o| o.workload == w) {
            return Err(Problem::new(
                h.workload.referenced,
                format!("`{}` has two HPAs", h.workload.value),
                "one HPA per workload",
            ));
        }
        let min = h.min_replicas.unwrap_or(1);
        if h.max_replicas.value < min.max(1) {
            return Err(Problem::new(
                h.max_replicas.referenced,
                format!(
                    "maxReplicas {} is below minReplicas {min}",
                    h.max_replicas.value
                ),
                "maxReplicas ≥ minReplicas ≥ 1",
            ));
        }
        if h.average_utilization.value == 0 {
            return Err(Problem::new(
                h.average_utilization.referenced,
                "averageUtilization is 0",
                "a percentage of requests such as 80",
            ));
        }
        let metric = match h.resource {
            yaml::HpaResource::Cpu => HpaMetric::Cpu,
            yaml::HpaResource::Memory => HpaMetric::Memory,
        };
        out.push(HpaSpec::new(
            w,
            min,
            h.max_replicas.value,
            metric,
            h.average_utilization.value,
        ));
    }
    Ok(out)
}
