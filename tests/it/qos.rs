//! QoS classes and `oom_score_adj` as the kubelet sets them
//! (REFERENCE.md, "kubelet: QoS and oom_score_adj").

use meshmem::model::qos::QosClass;
use meshmem::model::resources::{ResourceList, Resources};
use meshmem::model::{Bytes, MilliCpu};

fn res(req: (Option<u64>, Option<u64>), lim: (Option<u64>, Option<u64>)) -> Resources {
    let list = |(mem, cpu): (Option<u64>, Option<u64>)| ResourceList {
        memory: mem.map(Bytes::mib),
        cpu: cpu.map(MilliCpu),
    };
    Resources::defaulted(list(req), list(lim))
}

const NODE: Bytes = Bytes(16 << 30);

#[test]
fn guaranteed_pods_get_minus_997() {
    let r = res((None, None), (Some(512), Some(500)));
    let qos = QosClass::of_pod([&r]);
    assert_eq!(qos, QosClass::Guaranteed);
    assert_eq!(qos.oom_score_adj(r.memory_request(), NODE), -997);
}

#[test]
fn best_effort_pods_get_1000() {
    let r = Resources::default();
    let qos = QosClass::of_pod([&r, &r]);
    assert_eq!(qos, QosClass::BestEffort);
    assert_eq!(qos.oom_score_adj(Bytes(0), NODE), 1000);
}

#[test]
fn burstable_score_is_1000_minus_request_share_in_integer_arithmetic() {
    // 1000 − 1000 × 256Mi / 16Gi = 1000 − 15.625 → 1000 − 15 = 985 (integer division).
    let r = res((Some(256), None), (Some(512), None));
    let qos = QosClass::of_pod([&r]);
    assert_eq!(qos, QosClass::Burstable);
    assert_eq!(qos.oom_score_adj(r.memory_request(), NODE), 985);
}

#[test]
fn burstable_score_is_clamped_to_3_at_the_bottom() {
    // Requesting (almost) the whole node gives 1000 − 999 = 1 → clamped to 3.
    let qos = QosClass::Burstable;
    assert_eq!(qos.oom_score_adj(Bytes(NODE.0 - NODE.0 / 1000), NODE), 3);
    assert_eq!(qos.oom_score_adj(NODE, NODE), 3);
}

#[test]
fn burstable_score_is_clamped_to_999_at_the_top() {
    // A container with no memory request in a Burstable pod: 1000 → 999.
    let with = res((Some(128), None), (None, None));
    let without = Resources::default();
    let qos = QosClass::of_pod([&with, &without]);
    assert_eq!(qos, QosClass::Burstable);
    assert_eq!(qos.oom_score_adj(without.memory_request(), NODE), 999);
}

#[test]
fn a_missing_cpu_limit_makes_a_pod_burstable() {
    let r = res((Some(512), None), (Some(512), None));
    assert_eq!(QosClass::of_pod([&r]), QosClass::Burstable);
}
