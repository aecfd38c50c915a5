//! A database behind the caches, simply: `servers` workers that each take an
//! exponential `service_time` per query — an M/M/c queue. Cache misses are its load;
//! as the load nears its capacity (`servers ÷ service_time` queries per second) queries
//! wait, and callers whose timeout passes first give up (a timeout upstream).
//!
//! Response time `R = W + S`: with probability `C` (Erlang's C formula) a query waits
//! `W ~ Exp(cμ − λ)`, then is served in `S ~ Exp(μ)`. So
//!
//! ```text
//! P(R > t) = (1 − C) e^(−μt) + C (μ e^(−θt) − θ e^(−μt)) / (μ − θ),   θ = cμ − λ
//! ```
//!
//! and the share of queries that outlast a caller's timeout `T` is `P(R > T)`.
//!
//! At or over capacity the queue has no steady state; the model then shows what a
//! queue just under capacity (99.9 %) does to response times, and at least the excess
//! `1 − capacity/λ` of queries time out. Left out: connection pools, retries, locks,
//! the database's own memory.

use crate::engine::SimDuration;
use crate::model::record::DbSample;
use crate::model::world::{Cx, Signal};

/// A database.
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseSpec {
    /// Name (in `db.csv`).
    pub name: String,
    /// Queries served at once.
    pub servers: u32,
    /// Mean time to serve one query.
    pub service_time: SimDuration,
}

impl DatabaseSpec {
    /// Its queue.
    pub fn queue(&self) -> Mmc {
        Mmc {
            servers: self.servers.max(1),
            mu: 1.0 / self.service_time.as_secs_f64().max(1e-9),
        }
    }
}

/// Highest utilisation treated as a steady state.
const STEADY: f64 = 0.999;

/// An M/M/c queue.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Mmc {
    /// Servers `c`.
    pub servers: u32,
    /// Service rate of one server `μ`, per second.
    pub mu: f64,
}

impl Mmc {
    /// Queries per second it can serve.
    pub fn capacity(&self) -> f64 {
        f64::from(self.servers) * self.mu
    }

    /// Offered load over capacity.
    pub fn utilisation(&self, lambda: f64) -> f64 {
        lambda / self.capacity()
    }

    /// Erlang's C: the probability that a query waits, at arrival rate `lambda` (below
    /// capacity). Computed through Erlang's B recursion, which is stable for many servers.
    pub fn erlang_c(&self, lambda: f64) -> f64 {
        let a = lambda / self.mu;
        let rho = self.utilisation(lambda);
        let mut b = 1.0;
        for k in 1..=self.servers {
            b = a * b / (f64::from(k) + a * b);
        }
        b / (1.0 - rho * (1.0 - b))
    }

    /// The steady arrival rate standing for `lambda` (capped just under capacity).
    fn steady(&self, lambda: f64) -> f64 {
        lambda.min(STEADY * self.capacity()).max(0.0)
    }

    /// `P(R > t)`: the share of queries whose response takes longer than `t` seconds.
    pub fn tail(&self, lambda: f64, t: f64) -> f64 {
        let l = self.steady(lambda);
        let (c, mu) = (self.erlang_c(l), self.mu);
        let theta = self.capacity() - l;
        let served = (-mu * t).exp();
        let waited = if (mu - theta).abs() < 1e-9 * mu {
            (-mu * t).exp() * (1.0 + mu * t)
        } else {
            (mu * (-theta * t).exp() - theta * (-mu * t).exp()) / (mu - theta)
        };
        let p = (1.0 - c) * served + c * waited;
        p.max(self.excess(lambda)).clamp(0.0, 1.0)
    }

    /// The share of queries beyond capacity, which cannot be served in time at all.
    fn excess(&self, lambda: f64) -> f64 {
        if lambda > self.capacity() {
            1.0 - self.capacity() / lambda
        } else {
            0.0
        }
    }

    /// `E[min(R, t)]`: the mean time a caller with timeout `t` waits, seconds.
    pub fn mean_capped(&self, lambda: f64, t: f64) -> f64 {
        let l = self.steady(lambda);
        let (c, mu) = (self.erlang_c(l), self.mu);
        let theta = self.capacity() - l;
        let served = (1.0 - (-mu * t).exp()) / mu;
        let waited = if (mu - theta).abs() < 1e-9 * mu {
            (2.0 * (1.0 - (-mu * t).exp()) - mu * t * (-mu * t).exp()) / mu
        } else {
            (mu * (1.0 - (-theta * t).exp()) / theta - theta * (1.0 - (-mu * t).exp()) / mu)
                / (mu - theta)
        };
        let mean = (1.0 - c) * served + c * waited;
        mean.max(self.excess(lambda) * t).min(t)
    }

    /// Mean response time `1/μ + C/(cμ − λ)`, seconds (of the capped steady queue).
    pub fn mean(&self, lambda: f64) -> f64 {
        let l = self.steady(lambda);
        1.0 / self.mu + self.erlang_c(l) / (self.capacity() - l)
    }
}

/// The databases' timers.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Event {
    /// Scrape every database for `db.csv`.
    Scrape,
}

/// Every database's load, by caller.
pub(crate) struct Databases {
    loads: Vec<Vec<f64>>,
    qps: Vec<f64>,
    /// Highest utilisation any database reached.
    pub(crate) peak: f64,
}

impl Databases {
    /// The databases of a run with `dbs` databases and `callers` callers.
    pub(crate) fn new(dbs: usize, callers: usize) -> Self {
        Databases {
            loads: vec![vec![0.0; callers]; dbs],
            qps: vec![0.0; dbs],
            peak: 0.0,
        }
    }

    /// Starts the scrape loop.
    pub(crate) fn start(&mut self, cx: &mut Cx<'_>) {
        if !self.qps.is_empty() && cx.wants_samples() {
            cx.schedule(cx.now, Event::Scrape);
        }
    }

    /// Handles a timer.
    pub(crate) fn handle(&mut self, event: Event, cx: &mut Cx<'_>) {
        match event {
            Event::Scrape => {
                cx.schedule(cx.now + cx.cfg.scrape_interval, Event::Scrape);
                let now = cx.now;
                for (d, &qps) in self.qps.iter().enumerate() {
                    let spec = &cx.cfg.databases[d];
                    let q = spec.queue();
                    let sample = DbSample {
                        time: now,
                        database: &spec.name,
                        qps,
                        utilisation: q.utilisation(qps),
                        latency_ms: 1000.0 * q.mean(qps),
                    };
                    cx.recorder().db(&sample);
                }
            }
        }
    }

    /// Caller `caller` now sends database `db` `qps` queries per second.
    pub(crate) fn set_load(&mut self, cx: &mut Cx<'_>, db: usize, caller: usize, qps: f64) {
        self.loads[db][caller] = qps;
        let total: f64 = self.loads[db].iter().sum();
        if total != self.qps[db] {
            self.qps[db] = total;
            self.peak = self
                .peak
                .max(cx.cfg.databases[db].queue().utilisation(total));
            cx.signal(Signal::DbLoadChanged { db, qps: total });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Mmc {
        // 20 servers, 20 ms each: 1000 queries per second.
        DatabaseSpec {
            name: "db".into(),
            servers: 20,
            service_time: SimDuration::from_millis(20),
        }
        .queue()
    }

    #[test]
    fn one_server_is_the_textbook_m_m_1() {
        let q = Mmc {
            servers: 1,
            mu: 10.0,
        };
        // M/M/1: R ~ Exp(μ − λ).
        assert!((q.mean(5.0) - 0.2).abs() < 1e-12);
        assert!((q.tail(5.0, 0.3) - (-1.5f64).exp()).abs() < 1e-12);
        assert!((q.erlang_c(5.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn latency_and_timeouts_rise_steeply_near_capacity() {
        let q = db();
        assert!(
            (q.mean(100.0) - 0.02).abs() < 1e-6,
            "light load: service time"
        );
        let timeouts = |l: f64| q.tail(l, 0.5);
        assert!(timeouts(500.0) < 1e-9);
        assert!(timeouts(950.0) < 0.01);
        // 995 of 1000: the wait is Exp(5 / s) for most queries, P(W > 0.5 s) ≈ e^(−2.5).
        assert!(timeouts(995.0) > 0.05, "{}", timeouts(995.0));
        // Over capacity at least the excess times out.
        assert!(timeouts(1250.0) >= 0.2);
        assert!(q.mean_capped(950.0, 0.5) <= 0.5 && q.mean_capped(1250.0, 0.5) >= 0.1);
    }

    #[test]
    fn the_capped_mean_is_the_integral_of_the_tail() {
        let q = db();
        for l in [100.0, 800.0, 980.0] {
            let t = 0.4;
            let n = 20_000;
            let h = t / n as f64;
            let integral: f64 = (0..n).map(|i| q.tail(l, (i as f64 + 0.5) * h) * h).sum();
            assert!((integral - q.mean_capped(l, t)).abs() < 1e-6, "λ {l}");
        }
    }
}
