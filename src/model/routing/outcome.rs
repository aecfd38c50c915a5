//! Request outcomes: successes, 503s by Envoy response flag, and the failures of the
//! application itself when a service it calls fails (see `routing::calls`).
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

/// How a request failed in the application rather than in the mesh.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AppError {
    /// The application answered 500: a call it made was refused (Redis `-OOM` on a
    /// write, a cache shard that is down).
    Status5xx,
    /// A call it made outlasted its timeout (the database was too slow).
    Timeout,
    /// A name it had to resolve did not resolve (cluster DNS down, upstream DNS gone).
    Dns,
}

impl AppError {
    /// Every kind, in column order.
    pub const ALL: [AppError; 3] = [AppError::Status5xx, AppError::Timeout, AppError::Dns];

    /// The column name in `summary.csv` and `slo.csv`.
    pub fn column(self) -> &'static str {
        match self {
            AppError::Status5xx => "errors_5xx",
            AppError::Timeout => "timeouts",
            AppError::Dns => "dns_failures",
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
    /// Application failures by kind, indexed as [`AppError::ALL`].
    pub app: [f64; 3],
}

impl RequestTally {
    /// Adds `n` requests that failed with `flag`.
    pub fn fail(&mut self, flag: ResponseFlag, n: f64) {
        self.errors_503[flag as usize] += n;
    }

    /// Adds `n` requests that the application failed with `kind`.
    pub fn fail_app(&mut self, kind: AppError, n: f64) {
        self.app[kind as usize] += n;
    }

    /// Application failures of `kind`.
    pub fn app_errors(&self, kind: AppError) -> f64 {
        self.app[kind as usize]
    }

    /// Every failed request: 503s and application failures (what the SLO counts).
    pub fn total_errors(&self) -> f64 {
        self.total_503() + self.app.iter().sum::<f64>()
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
        for (a, b) in out.app.iter_mut().zip(earlier.app) {
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
        for (a, b) in self.app.iter_mut().zip(other.app) {
            *a += b;
        }
    }
}
