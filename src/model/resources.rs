//! Container resources as the API server stores them after defaulting.

use super::units::{Bytes, MilliCpu};

/// One side of a container's resources (requests or limits).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceList {
    /// Memory, if set.
    pub memory: Option<Bytes>,
    /// CPU, if set.
    pub cpu: Option<MilliCpu>,
}

/// A container's requests and limits.
///
/// Built with [`Resources::defaulted`], which applies the API server's rule: a resource
/// with a limit and no request gets a request equal to the limit.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceList,
    /// What the cgroup enforces (`memory.max`, CFS quota).
    pub limits: ResourceList,
}

impl Resources {
    /// Requests and limits with the API server's defaulting applied.
    pub fn defaulted(requests: ResourceList, limits: ResourceList) -> Resources {
        Resources {
            requests: ResourceList {
                memory: requests.memory.or(limits.memory),
                cpu: requests.cpu.or(limits.cpu),
            },
            limits,
        }
    }

    /// Memory request in bytes, zero when unset.
    pub fn memory_request(&self) -> Bytes {
        self.requests.memory.unwrap_or_default()
    }
}
