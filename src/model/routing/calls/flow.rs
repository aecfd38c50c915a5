//! One caller's requests through the services they call, as expected values: what
//! share fails and how, how long a request waits on its calls, and the load it puts on
//! each Redis, database and on cluster DNS.
//!
//! A request makes its calls in order; a call spec with fan-out `n` is made up to `n`
//! times, each after the previous succeeded, and the request fails at its first failed
//! call (so a request fails with kind `k` in proportion to one call's `P(k)`). One call:
//!
//! 1. resolve the name unless the client has it cached (fails: a DNS failure);
//! 2. Redis: a shard that is down refuses the connection (5xx); a write is refused with
//!    `-OOM` when Redis refuses writes (5xx, unless the caller ignores write errors); a
//!    GET that misses goes to the database (resolving its name), and what comes back in
//!    time is SET back into Redis (cache-aside); a database slower than the timeout is a
//!    timeout;
//! 3. a database call: a query, a timeout when it takes longer than the caller waits.
//!
//! Latency composes: a request waits the sum of its calls' expected times (lookups,
//! round trips, the database's response capped at the timeout), which the caller's
//! in-flight memory holds by Little's law.

use super::{CallSpec, Target};
use crate::model::database::Mmc;
use crate::model::dns::NameView;
use crate::model::redis::CacheView;
use crate::model::redis::keyspace::Load;
use crate::model::routing::AppError;

/// What the caller's dependencies look like now.
pub struct Inputs<'a> {
    /// Requests per second the caller serves.
    pub rate: f64,
    /// Its pods (for the share of lookups a client cache saves).
    pub pods: f64,
    /// Each Redis workload's view and its shard count.
    pub caches: &'a [(CacheView, u32)],
    /// Each database's queue and current load (queries per second).
    pub dbs: &'a [(Mmc, f64)],
    /// What a lookup of each name costs (empty: DNS not modelled).
    pub dns: &'a [NameView],
    /// Share of calls to name `i` answered from the client's cache, given calls per
    /// second per pod to it.
    pub cached: &'a dyn Fn(usize, f64) -> f64,
}

/// Rates a caller produces.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flow {
    /// Requests per second failing, by kind (as [`AppError::ALL`]).
    pub fail: [f64; 3],
    /// Mean seconds a request waits on its calls.
    pub wait: f64,
    /// Per Redis workload: load on each shard (GETs, writes; `fill` as a sum to divide).
    pub cache: Vec<Load>,
    /// Per Redis workload: missed GETs per second (to turn `fill` into a probability).
    pub misses: Vec<f64>,
    /// Per Redis workload: load on each shard if every call succeeded (what a server
    /// that ran before the run began has been serving).
    pub nominal: Vec<Load>,
    /// Per database: queries per second.
    pub db: Vec<f64>,
    /// Per name: lookups per second.
    pub lookups: Vec<f64>,
}

impl Flow {
    fn new(caches: usize, dbs: usize, names: usize) -> Self {
        Flow {
            cache: vec![Load::default(); caches],
            misses: vec![0.0; caches],
            nominal: vec![Load::default(); caches],
            db: vec![0.0; dbs],
            lookups: vec![0.0; names],
            ..Flow::default()
        }
    }

    fn add_scaled(&mut self, o: &Flow, x: f64) {
        for (a, b) in self.cache.iter_mut().zip(&o.cache) {
            a.gets += b.gets * x;
            a.writes += b.writes * x;
            a.fill += b.fill * x;
        }
        for (a, b) in self.misses.iter_mut().zip(&o.misses) {
            *a += b * x;
        }
        for (a, b) in self.db.iter_mut().zip(&o.db) {
            *a += b * x;
        }
        for (a, b) in self.lookups.iter_mut().zip(&o.lookups) {
            *a += b * x;
        }
    }
}

/// One call's outcome probabilities and expected time.
#[derive(Copy, Clone, Debug, Default)]
struct Outcome {
    fail: [f64; 3],
    time: f64,
}

impl Outcome {
    fn ok(&self) -> f64 {
        (1.0 - self.fail.iter().sum::<f64>()).clamp(0.0, 1.0)
    }
}

const DNS: usize = AppError::Dns as usize;
const TIMEOUT: usize = AppError::Timeout as usize;
const STATUS_5XX: usize = AppError::Status5xx as usize;

/// The flow of a caller making `calls`, given `inputs`.
pub fn flow(calls: &[CallSpec], inputs: &Inputs<'_>) -> Flow {
    let (nc, nd, nn) = (inputs.caches.len(), inputs.dbs.len(), inputs.dns.len());
    let mut out = Flow::new(nc, nd, nn);
    let mut reach = 1.0;
    for c in calls {
        if let Target::Redis(r) = c.target {
            let n = f64::from(inputs.caches[r].1.max(1));
            let calls = inputs.rate * c.per_request / n;
            out.nominal[r].gets += calls * (1.0 - c.write_share);
            out.nominal[r].writes += calls * c.write_share;
            out.nominal[r].fill = 1.0;
        }
        let nominal = inputs.rate * reach * c.per_request / inputs.pods.max(1.0);
        let mut unit = Flow::new(nc, nd, nn);
        let o = call(c, inputs, nominal, &mut unit);
        let q = o.ok();
        let n = c.per_request;
        let made = if q >= 1.0 - 1e-12 {
            n
        } else {
            (1.0 - q.powf(n)) / (1.0 - q)
        };
        out.add_scaled(&unit, inputs.rate * reach * made);
        out.wait += reach * made * o.time;
        let failed = 1.0 - q.powf(n);
        let total: f64 = o.fail.iter().sum();
        if total > 0.0 {
            for k in 0..3 {
                out.fail[k] += inputs.rate * reach * failed * o.fail[k] / total;
            }
        }
        reach *= q.powf(n);
    }
    out
}

/// A lookup of name `host`, needed `weight` times per call, by calls made `per_pod`
/// times a second per pod: (share failing, mean seconds) of one, and the lookups it
/// sends.
fn lookup(
    host: Option<usize>,
    inputs: &Inputs<'_>,
    per_pod: f64,
    weight: f64,
    unit: &mut Flow,
) -> (f64, f64) {
    let Some(h) = host.filter(|&h| h < inputs.dns.len()) else {
        return (0.0, 0.0);
    };
    let v = inputs.dns[h];
    let asked = 1.0 - (inputs.cached)(h, per_pod * weight);
    unit.lookups[h] += asked * weight;
    let fail = asked * v.p_fail;
    let time = asked * ((1.0 - v.p_fail) * v.ok_secs + v.p_fail * v.fail_secs);
    (fail, time)
}

/// A database query with timeout `t` at database `d`: (share timing out, mean seconds).
fn query(d: usize, t: f64, inputs: &Inputs<'_>) -> (f64, f64) {
    let (q, qps) = inputs.dbs[d];
    (q.tail(qps, t), q.mean_capped(qps, t))
}

fn call(c: &CallSpec, inputs: &Inputs<'_>, per_pod: f64, unit: &mut Flow) -> Outcome {
    let mut o = Outcome::default();
    let (d_fail, d_time) = lookup(c.host, inputs, per_pod, 1.0, unit);
    o.fail[DNS] += d_fail;
    o.time += d_time;
    let reach = 1.0 - d_fail;
    match c.target {
        Target::Database(d) => {
            unit.db[d] += reach;
            let (p_to, mean) = query(d, c.timeout.as_secs_f64(), inputs);
            o.fail[TIMEOUT] += reach * p_to;
            o.time += reach * mean;
        }
        Target::Redis(r) => {
            let (v, shards) = inputs.caches[r];
            let n = f64::from(shards.max(1));
            let rtt = c.latency.as_secs_f64();
            let ws = c.write_share;
            unit.cache[r].gets += reach * (1.0 - ws) / n;
            unit.cache[r].writes += reach * ws / n;
            o.time += reach * rtt;
            o.fail[STATUS_5XX] += reach * (1.0 - v.available);
            let up = reach * v.available;
            let refused = if c.write_errors_fail {
                1.0 - v.accept
            } else {
                0.0
            };
            o.fail[STATUS_5XX] += up * ws * refused;
            let miss = up * (1.0 - ws) * (1.0 - v.hit);
            let Some(m) = c.on_miss else {
                return o;
            };
            unit.misses[r] += miss;
            let (df, dt) = lookup(m.host, inputs, per_pod, miss, unit);
            o.fail[DNS] += miss * df;
            o.time += miss * dt;
            let asked = miss * (1.0 - df);
            unit.db[m.database] += asked;
            let (p_to, mean) = query(m.database, m.timeout.as_secs_f64(), inputs);
            o.fail[TIMEOUT] += asked * p_to;
            o.time += asked * mean;
            let filled = asked * (1.0 - p_to);
            unit.cache[r].fill += filled;
            o.time += filled * rtt;
            o.fail[STATUS_5XX] += filled * refused;
        }
    }
    o
}
