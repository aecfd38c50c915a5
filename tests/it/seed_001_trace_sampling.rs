//! Seed 001: trace sampling 1 % → 100 % makes istio-proxy (128Mi) climb from ~64Mi to its
//! limit in about two hours. The climb is the scenario's explicit assumption (memory
//! retained per sampled span: Envoy's own tracer holds only a bounded queue); its
//! timing, repetition and attribution are the model's.

use meshmem::model::EventKind;

use crate::support::{run, run_sampled, secs, shipped, variant};

const UPGRADE_AT: f64 = 1800.0;

#[test]
fn proxy_is_oom_killed_about_two_hours_after_sampling_goes_to_100_percent() {
    let s = shipped("trace-sampling-leak.yaml");
    let mut after_upgrade = Vec::new();
    for r in 0..s.replicas {
        let (outcome, rec) = run(&s, 0, r);
        let proxy = outcome.container("payment-service", "istio-proxy").unwrap();
        let first = secs(proxy.first_oom.expect("every replica OOMs"));
        after_upgrade.push(first - UPGRADE_AT);
        assert_eq!(
            outcome
                .container("payment-service", "payment-service")
                .unwrap()
                .oom_kills,
            0
        );
        // It keeps happening: every pod is killed again roughly every two hours.
        assert!(
            proxy.oom_kills >= 3 * 9,
            "only {} kills in 24 h",
            proxy.oom_kills
        );
        let kill = rec
            .events
            .iter()
            .find(|e| e.kind == EventKind::OomKilled)
            .unwrap();
        assert_eq!(
            (kill.container.as_str(), kill.exit_code),
            ("istio-proxy", Some(137))
        );
        assert!(
            kill.message.contains("largest component leak"),
            "{}",
            kill.message
        );
    }
    after_upgrade.sort_by(f64::total_cmp);
    let median = after_upgrade[after_upgrade.len() / 2];
    assert!(
        (0.85 * 7200.0..=1.15 * 7200.0).contains(&median),
        "median time to first OOM after the upgrade: {median} s"
    );
}

#[test]
fn proxy_idles_near_64mi_and_climbs_linearly_after_the_upgrade() {
    let s = shipped("trace-sampling-leak.yaml");
    let (_, rec) = run_sampled(&s, 0, 0);
    let proxy_at = |t: f64| -> Vec<f64> {
        rec.samples
            .iter()
            .filter(|(time, _, c, _, _)| c == "istio-proxy" && secs(*time) == t)
            .map(|(_, _, _, ws, _)| *ws as f64 / (1 << 20) as f64)
            .collect()
    };
    for mib in proxy_at(1200.0) {
        assert!((60.0..=68.0).contains(&mib), "idle proxy at {mib} Mi");
    }
    // One hour after the upgrade the new proxies are about half way to 128Mi.
    for mib in proxy_at(UPGRADE_AT + 3600.0) {
        assert!(
            (85.0..=105.0).contains(&mib),
            "proxy at {mib} Mi an hour after the upgrade"
        );
    }
}

#[test]
fn sampling_1_percent_stays_flat_for_24_hours() {
    let s = shipped("trace-sampling-leak.yaml");
    let v = variant(&s, "sampling-1");
    for r in 0..4 {
        let (outcome, rec) = run_sampled(&s, v, r);
        assert_eq!(outcome.oom_kills(), 0);
        let proxy: Vec<u64> = rec
            .samples
            .iter()
            .filter(|(t, _, c, _, _)| c == "istio-proxy" && secs(*t) > 3600.0)
            .map(|s| s.3)
            .collect();
        // At 1 % the retained growth is a hundred times slower: ~8Mi a day.
        let (lo, hi) = (proxy.iter().min().unwrap(), proxy.iter().max().unwrap());
        assert!(hi - lo < 12 << 20, "proxy moved {} Mi", (hi - lo) >> 20);
    }
}
