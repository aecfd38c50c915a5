//! Request outcomes: successes and 503s by Envoy response flag.
//!
//! Flags as Envoy writes them in access logs (REFERENCE.md, "Envoy / Istio sidecar"):
//! UH no healthy upstream, UF upstream connection failure, UC upstream connection
//! terminated, NR no route. Counts are expected values in the fluid fidelity (rate ×
//! time) and whole requests in the per-request fidelity.

/// An Envoy response flag on a failed request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResponseFlag {
    /// No healthy upstream: the cluster has no ready endpoint.
    Uh,
    /// Upstream connection failure: sent to an endpoint that had just died.
    Uf,
    /// Upstream connection terminated mid-request.
    Uc,
    /// No route / no cluster: the proxy's config lacks the destination.
    Nr,
}

impl ResponseFlag {
    /// Every flag, in column order.
    pub const ALL: [ResponseFlag; 4] = [
        ResponseFlag::Uh,
        ResponseFlag::Uf,
        ResponseFlag::Uc,
        ResponseFlag::Nr,
    ];

    /// The flag as Envoy prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseFlag::Uh => "UH",
            ResponseFlag::Uf => "UF",
            ResponseFlag::Uc => "UC",
            ResponseFlag::Nr => "NR",
        }
    }
}

/// Requests and failures of one service or of a whole run.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct RequestTally {
    /// Requests sent.
    pub requests: f64,
    /// 503s by flag, indexed as [`ResponseFlag::ALL`].
    pub errors_503: [f64; 4],
}

impl RequestTally {
    /// Adds `n` requests that failed with `flag`.
    pub fn fail(&mut self, flag: ResponseFlag, n: f64) {
        self.errors_503[flag as usize] += n;
    }

    /// All 503s.
    pub fn total_503(&self) -> f64 {
        self.errors_503.iter().sum()
    }

    /// 503s with `flag`.
    pub fn errors(&self, flag: ResponseFlag) -> f64 {
        self.errors_503[flag as usize]
    }

    /// This tally less an earlier snapshot of it.
    pub fn since(&self, earlier: &RequestTally) -> RequestTally {
        let mut out = *self;
        out.requests -= earlier.requests;
        for (a, b) in out.errors_503.iter_mut().zip(earlier.errors_503) {
            *a -= b;
        }
        out
    }

    /// Adds another tally into this one.
    pub fn add(&mut self, other: &RequestTally) {
        self.requests += other.requests;
        for (a, b) in self.errors_503.iter_mut().zip(other.errors_503) {
            *a += b;
        }
    }
}
