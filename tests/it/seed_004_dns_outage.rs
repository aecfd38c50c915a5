//! Seed 004, third part: CoreDNS OOM-killed by pending queries, lookups failing
//! cluster-wide, the rollout restart, and the two mitigations that avoid the outage.

use meshmem::model::EventKind;
use meshmem::model::routing::AppError;

use crate::support::{run, shipped, variant};

#[test]
fn coredns_is_oom_killed_and_web_app_lookups_fail() {
    let s = shipped("dns-outage.yaml");
    let (o, rec) = run(&s, 0, 0);
    let coredns = o.container("coredns", "coredns").unwrap();
    assert!(coredns.oom_kills >= 4, "{coredns:?}");
    let first = coredns.first_oom.unwrap().as_secs_f64();
    assert!(
        (1200.0..1260.0).contains(&first),
        "within a minute of the outage: {first}"
    );
    let dns = o.requests.app_errors(AppError::Dns);
    assert!(
        dns > 0.1 * o.requests.requests,
        "{dns} of {}",
        o.requests.requests
    );
    assert!(
        rec.events
            .iter()
            .any(|e| e.kind == EventKind::NotReady && e.pod.starts_with("coredns"))
    );
}

#[test]
fn max_concurrent_or_node_local_dns_avoid_the_outage() {
    let s = shipped("dns-outage.yaml");
    for v in ["max-concurrent", "node-local-cache"] {
        let (o, _) = run(&s, variant(&s, v), 0);
        assert_eq!(o.oom_kills(), 0, "{v}");
        assert_eq!(o.requests.app_errors(AppError::Dns), 0.0, "{v}");
    }
}

#[test]
fn the_rollout_restart_restores_resolution_before_the_back_off_would() {
    let s = shipped("dns-outage.yaml");
    let alone = variant(&s, "left-alone");
    let mut better = 0;
    for replica in 0..5 {
        let (restart, _) = run(&s, 0, replica);
        let (waited, _) = run(&s, alone, replica);
        let after = |o: &meshmem::model::RunOutcome| o.after.requests.app_errors(AppError::Dns);
        assert!(after(&restart) <= after(&waited), "replica {replica}");
        better += usize::from(after(&restart) < after(&waited));
    }
    assert!(better >= 3, "the restart helped in {better} of 5 runs");
}
