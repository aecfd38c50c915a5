//! Seed 003: istiod OOM during a cluster-wide update, partial CDS and 503 NR; the sync
//! gate removes the NR.

use meshmem::model::EventKind;
use meshmem::model::routing::ResponseFlag;

use crate::support::{Ev, run, secs, shipped, variant};

fn first(events: &[Ev], kind: EventKind) -> f64 {
    secs(
        events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?}"))
            .time,
    )
}

#[test]
fn the_incident_timeline_comes_out_of_the_model() {
    let s = shipped("pilot-oom-503nr.yaml");
    for r in 0..5 {
        let (outcome, rec) = run(&s, 0, r);
        let ev = &rec.events;
        let oom = first(ev, EventKind::OomKilled);
        let kills: Vec<_> = ev
            .iter()
            .filter(|e| e.kind == EventKind::OomKilled)
            .collect();
        assert!(
            kills
                .iter()
                .all(|k| k.container == "discovery" && k.exit_code == Some(137))
        );
        // The kubelet restarts at once; the process listens a second later.
        assert_eq!(first(ev, EventKind::XdsListening) - oom, 1.0);
        // Proxies reconnect within a few seconds, as the seed's 07:16:49 (3 s).
        let reconnect = first(ev, EventKind::XdsConnected) - oom;
        assert!(
            (1.0..4.0).contains(&reconnect),
            "reconnect after {reconnect} s"
        );
        // kube-proxy (CPU-throttled) drops the address 5–6 s after the OOM.
        let removed = ev
            .iter()
            .find(|e| e.kind == EventKind::KubeProxySynced && secs(e.time) > oom)
            .map(|e| secs(e.time) - oom)
            .unwrap();
        assert!(
            (5.0..=6.0).contains(&removed),
            "kube-proxy after {removed} s"
        );
        // Ready at the first readiness probe (every 3 s, istiod's chart) once synced,
        // about 97 s after the OOM.
        let ready = ev
            .iter()
            .find(|e| e.kind == EventKind::Ready && secs(e.time) > oom)
            .map(|e| secs(e.time) - oom)
            .unwrap();
        assert!((97.0..100.0).contains(&ready), "ready after {ready} s");
        // Proxies answer 503 NR for 20–30 s on average; about 1 % of traffic is lost.
        let mean = outcome.nr.mean_seconds().unwrap();
        assert!((20.0..=30.0).contains(&mean), "NR for {mean} s");
        let share = outcome.requests.errors(ResponseFlag::Nr) / outcome.requests.requests;
        assert!((0.005..=0.015).contains(&share), "NR share {share}");
        assert_eq!(
            outcome.requests.total_503(),
            outcome.requests.errors(ResponseFlag::Nr)
        );
        // Once every istiod is Ready again, kube-proxy ends with all three addresses: an
        // older endpoints update that arrives late never overrides a newer one.
        let last_view = ev
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::KubeProxySynced)
            .unwrap();
        assert_eq!(
            last_view.message.matches("istiod-").count(),
            3,
            "{}",
            last_view.message
        );
        for kind in [
            EventKind::PushStarted,
            EventKind::PushCompleted,
            EventKind::PartialConfig,
            EventKind::ConfigRestored,
        ] {
            assert!(ev.iter().any(|e| e.kind == kind), "no {kind:?}");
        }
    }
}

#[test]
fn serving_xds_only_once_synced_removes_the_503_nr() {
    let s = shipped("pilot-oom-503nr.yaml");
    let v = variant(&s, "sync-gate");
    for r in 0..5 {
        let (outcome, rec) = run(&s, v, r);
        assert!(outcome.oom_kills() > 0, "the OOM itself still happens");
        assert_eq!(outcome.requests.errors(ResponseFlag::Nr), 0.0);
        assert!(
            !rec.events
                .iter()
                .any(|e| e.kind == EventKind::PartialConfig)
        );
    }
}

#[test]
fn more_memory_rides_out_the_same_burst() {
    let s = shipped("pilot-oom-503nr.yaml");
    let v = variant(&s, "more-memory");
    for r in 0..5 {
        assert_eq!(run(&s, v, r).0.oom_kills(), 0);
    }
}
