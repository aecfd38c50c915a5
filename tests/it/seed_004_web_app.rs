//! Seed 004, first part: web-app's crash loop as `kubectl get pods` shows it, and the
//! seed's next step — an HPA — on the same crash loop.

use meshmem::engine::SimTime;
use meshmem::model::EventKind;
use meshmem::model::snapshot::ContainerStatus;
use meshmem::runner;

use crate::support::{Collect, run, shipped, variant};

#[test]
fn at_twelve_minutes_of_age_the_pod_shows_five_restarts_in_crash_loop_back_off() {
    let s = shipped("web-app-crashloop.yaml");
    for replica in 0..3 {
        let mut w = runner::world(&s, variant(&s, "left-alone"), replica, Collect::default());
        // The 1.8 pod is created by the rollout at 1m: 12 minutes of age is 13m.
        w.run_until(SimTime::from_secs(13 * 60));
        let snap = w.snapshot();
        let pod = snap
            .pods
            .iter()
            .find(|p| p.workload == "web-app" && !p.terminating)
            .unwrap();
        assert_eq!(pod.age.as_secs_f64().round(), 720.0);
        let c = &pod.containers[0];
        assert_eq!(c.restart_count, 5, "replica {replica}");
        assert!(!pod.ready, "0/1 ready");
        assert!(
            matches!(
                c.state,
                ContainerStatus::Waiting {
                    reason: "CrashLoopBackOff",
                    ..
                }
            ),
            "{:?}",
            c.state
        );
        assert_eq!(c.last_state.as_ref().unwrap().reason, "OOMKilled");
    }
}

#[test]
fn the_containment_ends_the_crash_loop() {
    let s = shipped("web-app-crashloop.yaml");
    let (o, rec) = run(&s, 0, 0);
    assert_eq!(o.after.oom_kills, 0);
    let last_kill = rec
        .events
        .iter()
        .filter(|e| e.kind == EventKind::OomKilled)
        .map(|e| e.time)
        .max()
        .unwrap();
    assert!(last_kill < SimTime::from_secs(14 * 60));
}

#[test]
fn a_memory_hpa_scales_the_crash_loop_out_and_multiplies_the_kills() {
    let s = shipped("web-app-crashloop.yaml");
    let (alone, _) = run(&s, variant(&s, "left-alone"), 0);
    let (hpa, rec) = run(&s, variant(&s, "hpa-memory"), 0);
    assert!(
        rec.events
            .iter()
            .any(|e| e.kind == EventKind::Rescaled && e.message.contains("New size: 5")),
        "scaled out to maxReplicas"
    );
    assert!(
        hpa.oom_kills() > 3 * alone.oom_kills(),
        "{} vs {}",
        hpa.oom_kills(),
        alone.oom_kills()
    );
}
