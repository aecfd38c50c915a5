//! The evaluation window a comparison is judged over when the scenario names none:
//! from where the variants first act. A mitigation applied at 20 minutes cannot change
//! the first 20 minutes; judging it over the whole run dilutes its effect with time it
//! could not touch (and rewards a variant for what the baseline did before it acted).

use crate::engine::SimTime;
use crate::model::config::{SimConfig, TimedAction, Trigger};

/// When the window starts, derived from the actions the variants add to the baseline's
/// timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    /// At a fixed time: the earliest action a variant adds at a fixed time.
    At(SimTime),
    /// Where this first happens: every added action waits on it.
    On(Trigger),
}

/// The window the variants imply, or None when they add no action (a variant that only
/// changes settings acts from the start: the whole run is its window) or their added
/// actions wait on different triggers.
pub fn implied(baseline: &SimConfig, others: &[&SimConfig]) -> Option<Window> {
    let added: Vec<&TimedAction> = others
        .iter()
        .flat_map(|c| c.actions.iter())
        .filter(|a| !baseline.actions.contains(a))
        .collect();
    if let Some(at) = added
        .iter()
        .filter(|a| a.trigger.is_none())
        .map(|a| a.at)
        .min()
    {
        return Some(Window::At(at));
    }
    let first = added.first()?.trigger.clone()?;
    added
        .iter()
        .all(|a| a.trigger.as_ref() == Some(&first))
        .then_some(Window::On(first))
}

/// Sets `config`'s window to `window` (the caller checked the scenario names none).
pub fn apply(config: &mut SimConfig, window: &Window) {
    match window {
        Window::At(t) => config.evaluate_after = *t,
        Window::On(trigger) => config.evaluate_on = Some(trigger.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    const BASE: &str = "name: w\nseed: 1\nreplicas: 1\nduration: 2h\nnodes: [{name: n, count: 1, capacity: 8Gi}]\n\
workloads:\n  - name: app\n    replicas: 1\n    containers:\n      - name: app\n        \
resources: {limits: {memory: 256Mi}}\n        memory: {baseline: {size: 64Mi}}\n\
traffic:\n  - {service: app, rps: 10}\n";

    fn windows(extra: &str) -> Vec<(SimTime, Option<Trigger>)> {
        let s = parse(Path::new("w.yaml"), &format!("{BASE}{extra}")).unwrap();
        s.variants
            .iter()
            .map(|v| (v.config.evaluate_after, v.config.evaluate_on.clone()))
            .collect()
    }

    #[test]
    fn a_variant_acting_at_20m_is_judged_from_20m_with_its_baseline() {
        let w = windows(
            "variants:\n  - name: late\n    timeline:\n      \
             - {name: r40, at: 40m, scale: {workload: app, replicas: 2}}\n      \
             - {name: r20, at: 20m, scale: {workload: app, replicas: 2}}\n",
        );
        let twenty = SimTime::ZERO + crate::engine::SimDuration::from_secs(1200);
        assert_eq!(w, vec![(twenty, None), (twenty, None)]);
    }

    #[test]
    fn a_variant_that_only_changes_settings_is_judged_over_the_whole_run() {
        let w = windows(
            "variants:\n  - name: big\n    set: {\"workloads[app].containers[app].resources.limits.memory\": 512Mi}\n",
        );
        assert!(w.iter().all(|(t, on)| *t == SimTime::ZERO && on.is_none()));
    }

    #[test]
    fn reactive_variants_are_judged_from_their_trigger() {
        let w = windows(
            "variants:\n  - name: react\n    timeline:\n      \
             - {name: r, on: firstOomKill, at: 5m, scale: {workload: app, replicas: 2}}\n",
        );
        assert!(w.iter().all(|(_, on)| *on == Some(Trigger::FirstOomKill)));
    }

    #[test]
    fn a_window_the_scenario_names_is_kept() {
        let w = windows(
            "evaluateAfter: 1h\nvariants:\n  - name: late\n    timeline:\n      \
             - {name: r20, at: 20m, scale: {workload: app, replicas: 2}}\n",
        );
        let hour = SimTime::ZERO + crate::engine::SimDuration::from_secs(3600);
        assert!(w.iter().all(|(t, _)| *t == hour));
    }
}
