//! Seed 000: the sidecar OOM spiral and the drill's four options compared on the same
//! random streams. Only B (sidecar memory + a longer flush interval) stops the kills.

use meshmem::model::Discard;
use meshmem::runner;

use crate::support::{shipped, variant};

const RUNS: u32 = 12;

struct Judged {
    kills_after: f64,
    burn_5m_after: f64,
    burn_1h_after: f64,
    peak_burn_5m_first_minutes: f64,
    violations: u32,
}

fn judge(name: &str) -> Judged {
    let s = shipped("sidecar-oom-spiral.yaml");
    let v = variant(&s, name);
    let outcomes: Vec<_> = (0..RUNS)
        .map(|r| runner::run_one(&s, v, r, Discard).0)
        .collect();
    let mean = |f: &dyn Fn(&meshmem::model::RunOutcome) -> f64| {
        outcomes.iter().map(f).sum::<f64>() / f64::from(RUNS)
    };
    Judged {
        kills_after: mean(&|o| f64::from(o.after.oom_kills)),
        burn_5m_after: mean(&|o| o.after.peak_burn.burn_5m),
        burn_1h_after: mean(&|o| o.after.peak_burn.burn_1h),
        peak_burn_5m_first_minutes: mean(&|o| o.peak_burn.burn_5m),
        violations: outcomes
            .iter()
            .map(|o| o.policy_violations)
            .max()
            .unwrap_or(0),
    }
}

#[test]
fn only_b_stops_the_kills_and_the_503s() {
    let b = judge("B-sidecar-memory-and-flush");
    assert_eq!(b.kills_after, 0.0, "B still OOM-kills");
    assert!(
        b.burn_5m_after < 1.0 && b.burn_1h_after < 1.0,
        "B burns {} / {}",
        b.burn_5m_after,
        b.burn_1h_after
    );
    assert_eq!(b.violations, 0);
    for name in ["baseline", "A-app-memory", "C-disable-mtls", "D-rollback"] {
        let j = judge(name);
        assert!(j.kills_after > 5.0, "{name}: {} kills after", j.kills_after);
        assert!(j.burn_1h_after > 6.0, "{name}: burn {}", j.burn_1h_after);
        assert!(j.peak_burn_5m_first_minutes > 6.0);
        assert_eq!(j.violations, u32::from(name == "C-disable-mtls"), "{name}");
    }
}
