//! Pod QoS class and the `oom_score_adj` the kubelet gives each container.
//!
//! Follows kubernetes `pkg/kubelet/qos/policy.go` and `pkg/apis/core/v1/helper/qos`
//! (REFERENCE.md, "kubelet: QoS and oom_score_adj"):
//!
//! - Guaranteed: every container has CPU and memory limits and requests equal to them;
//!   `oom_score_adj` −997.
//! - BestEffort: no container has any request or limit; `oom_score_adj` 1000.
//! - Burstable: everything else; `1000 − (1000 × memoryRequest) / nodeMemoryCapacity` in
//!   integer arithmetic, then clamped: below 3 → 3 (stay above any Guaranteed container),
//!   exactly 1000 → 999 (stay below BestEffort).
//!
//! Left out: critical system pods (−997 by priority) and the native-sidecar cap.

use super::resources::Resources;
use super::units::Bytes;

/// The pod's quality-of-service class.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QosClass {
    /// Requests equal limits for CPU and memory in every container.
    Guaranteed,
    /// Some requests or limits, but not Guaranteed.
    Burstable,
    /// No requests or limits anywhere.
    BestEffort,
}

/// `oom_score_adj` of Guaranteed containers.
pub const GUARANTEED_OOM_SCORE_ADJ: i32 = -997;
/// `oom_score_adj` of BestEffort containers.
pub const BEST_EFFORT_OOM_SCORE_ADJ: i32 = 1000;

impl QosClass {
    /// The class of a pod whose containers have `containers` resources.
    pub fn of_pod<'a>(containers: impl IntoIterator<Item = &'a Resources>) -> QosClass {
        let mut any_set = false;
        let mut guaranteed = true;
        for r in containers {
            let set = [r.requests.memory.is_some(), r.requests.cpu.is_some()]
                .into_iter()
                .chain([r.limits.memory.is_some(), r.limits.cpu.is_some()])
                .any(|s| s);
            any_set |= set;
            let full = matches!((r.limits.memory, r.limits.cpu), (Some(_), Some(_)))
                && r.requests.memory == r.limits.memory
                && r.requests.cpu == r.limits.cpu;
            guaranteed &= full;
        }
        match (any_set, guaranteed) {
            (false, _) => QosClass::BestEffort,
            (true, true) => QosClass::Guaranteed,
            (true, false) => QosClass::Burstable,
        }
    }

    /// Kubernetes' name for the class.
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }

    /// The `oom_score_adj` the kubelet sets on a container of this class with memory
    /// request `request` on a node of memory capacity `node_capacity`.
    pub fn oom_score_adj(self, request: Bytes, node_capacity: Bytes) -> i32 {
        match self {
            QosClass::Guaranteed => GUARANTEED_OOM_SCORE_ADJ,
            QosClass::BestEffort => BEST_EFFORT_OOM_SCORE_ADJ,
            QosClass::Burstable => {
                let capacity = i128::from(node_capacity.0.max(1));
                let adj = 1000 - (1000 * i128::from(request.0)) / capacity;
                if adj < i128::from(1000 + GUARANTEED_OOM_SCORE_ADJ) {
                    1000 + GUARANTEED_OOM_SCORE_ADJ
                } else if adj == i128::from(BEST_EFFORT_OOM_SCORE_ADJ) {
                    BEST_EFFORT_OOM_SCORE_ADJ - 1
                } else {
                    adj as i32
                }
            }
        }
    }
}
