//! The `drill:` section, validated: the decision point, the options as model actions,
//! the scoring weights. Every problem names its place in the file.
//!
//! An option's actions are compiled by the timeline compiler itself, as timeline entries
//! placed at the decision instant, so that a rollback returns to the revision before the
//! decision and a `setResources` changes the template the timeline left there.

use std::collections::HashSet;

use serde_saphyr::Location;

use super::compile;
use crate::engine::{SimDuration, SimTime};
use crate::model::TimedAction;
use crate::scenario::duration::Duration;
use crate::scenario::error::Problem;
use crate::scenario::istio::PROXY_NAME;
use crate::scenario::variant;
use crate::scenario::yaml::{self, Spanned};

/// A validated drill.
#[derive(Clone, Debug)]
pub struct DrillConfig {
    /// Title.
    pub title: String,
    /// Namespace the workloads are shown in.
    pub namespace: String,
    /// Index of the scenario variant the incident happens in (0: baseline).
    pub variant: usize,
    /// The page: alert name, severity, text.
    pub page: PageSpec,
    /// When options apply.
    pub decision: DecisionPoint,
    /// The question.
    pub question: String,
    /// The options, in file order.
    pub options: Vec<OptionSpec>,
    /// What the trainee should learn.
    pub learning_goal: String,
    /// What the trainee must answer.
    pub requirements: Vec<String>,
    /// Hints, in order.
    pub hints: Vec<String>,
    /// How options are judged.
    pub scoring: ScoringSpec,
    /// The scenario as the drill's variant has it, to compile options at an instant.
    spec: yaml::ScenarioFile,
}

/// The page.
#[derive(Clone, Debug, PartialEq)]
pub struct PageSpec {
    /// Alert rule or symptom.
    pub alert: String,
    /// Severity label.
    pub severity: String,
    /// Text.
    pub summary: String,
}

/// When the trainee decides.
#[derive(Clone, Debug, PartialEq)]
pub enum DecisionPoint {
    /// At a fixed instant.
    At(SimTime),
    /// At the first event that satisfies a trigger, in each replica.
    Trigger {
        /// What to wait for.
        trigger: Trigger,
        /// Only kills or restarts of this container count.
        container: Option<String>,
        /// Earlier events do not count.
        not_before: SimTime,
    },
}

/// A decision trigger.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// The Nth OOM kill.
    OomKills(u32),
    /// The Nth restart.
    Restarts(u32),
    /// An alert starts firing.
    AlertFiring(String),
    /// The burn rate over the 5 m (or 1 h) window exceeds `above`.
    BurnRate {
        /// The 1 h window rather than 5 m.
        hour: bool,
        /// Threshold, × budget.
        above: f64,
    },
}

/// An option.
#[derive(Clone, Debug)]
pub struct OptionSpec {
    /// What the trainee types (`A`).
    pub name: String,
    /// What it does.
    pub text: String,
    /// How it is applied.
    pub plan: OptionPlan,
}

/// How an option changes the run.
#[derive(Clone, Debug)]
pub enum OptionPlan {
    /// Timeline entries applied at the decision point, each after its delay.
    Actions(Vec<Staged>),
    /// A scenario variant run from the start on the same random streams (it sets
    /// values, which cannot change mid-run): a counterfactual.
    Counterfactual {
        /// Index into the scenario's variants.
        variant: usize,
    },
}

/// A timeline entry waiting for its decision instant.
#[derive(Clone, Debug)]
pub struct Staged {
    /// Delay after the decision.
    pub after: SimDuration,
    /// The entry (its `at` is set when placed).
    entry: yaml::TimelineEntry,
}

/// How options are judged.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoringSpec {
    /// Judged window after its start (`None`: to the end of the run).
    pub horizon: Option<SimDuration>,
    /// Judge from the start of the run rather than from the decision.
    pub from_start: bool,
    /// Time without burn ≥ 1× and without kills that counts as recovered.
    pub recovery_window: SimDuration,
    /// Weights: error budget, OOM kills, recovery minutes, policy violations.
    pub weights: [f64; 4],
    /// Replicas per option (`None`: the scenario's).
    pub replicas: Option<u32>,
}

impl DrillConfig {
    /// Option `i`'s actions placed at decision instant `t`, in time order.
    pub fn actions_at(&self, i: usize, t: SimTime) -> Result<Vec<TimedAction>, Problem> {
        let OptionPlan::Actions(staged) = &self.options[i].plan else {
            return Ok(Vec::new());
        };
        place(&self.spec, staged, t)
    }
}

/// Compiles `staged` as timeline entries at `t` + their delays within `spec`; returns
/// them as model actions (found by their names, which are unique in the timeline).
fn place(
    spec: &yaml::ScenarioFile,
    staged: &[Staged],
    t: SimTime,
) -> Result<Vec<TimedAction>, Problem> {
    if staged.is_empty() {
        return Ok(Vec::new());
    }
    let mut patched = spec.clone();
    let base = t.since(SimTime::ZERO);
    for s in staged {
        let mut e = s.entry.clone();
        let at = Duration(SimDuration::from_nanos(
            base.as_nanos() + s.after.as_nanos(),
        ));
        e.at = Spanned::new(at, e.at.referenced, e.at.defined);
        patched.timeline.push(e);
    }
    let config = compile(&patched)?;
    let names: HashSet<&str> = staged
        .iter()
        .filter_map(|s| s.entry.name.as_deref())
        .collect();
    Ok(config
        .actions
        .into_iter()
        .filter(|a| names.contains(a.name.as_str()))
        .collect())
}

/// Validates `spec.drill` (if any) against the scenario whose variant names, in index
/// order after the baseline, are `variants`.
pub fn drill(spec: &yaml::ScenarioFile) -> Result<Option<DrillConfig>, Problem> {
    let Some(d) = &spec.drill else {
        return Ok(None);
    };
    let (variant, base) = match &d.variant {
        Some(name) => {
            let (i, v) = find_variant(spec, name)?;
            (i + 1, variant::apply(spec, v)?)
        }
        None => {
            let mut s = spec.clone();
            s.variants.clear();
            s.sweeps.clear();
            (0, s)
        }
    };
    let mut base = base;
    base.drill = None;
    let duration = SimTime::ZERO + spec.duration.value.0;
    let decision = decision(spec, &d.decision, duration)?;
    let scoring = scoring(&d.scoring)?;
    let options = options(spec, d, variant, &base, &decision, duration)?;
    let namespace = d
        .namespace
        .as_ref()
        .map_or("default".to_string(), |n| n.value.clone());
    if let Some(n) = &d.namespace
        && (n.value.is_empty()
            || !n
                .value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    {
        return Err(Problem::new(
            n.referenced,
            format!("`{}` is not a namespace name", n.value),
            "lowercase letters, digits and '-' (e.g. payments)",
        ));
    }
    Ok(Some(DrillConfig {
        title: d.title.value.clone(),
        namespace,
        variant,
        page: PageSpec {
            alert: d.page.alert.clone(),
            severity: d.page.severity.clone().unwrap_or_else(|| "critical".into()),
            summary: d.page.summary.trim().to_string(),
        },
        decision,
        question: d.question.trim().to_string(),
        options,
        learning_goal: d.learning_goal.trim().to_string(),
        requirements: d.candidate_requirements.clone(),
        hints: d.hints.clone(),
        scoring,
        spec: base,
    }))
}

fn find_variant<'a>(
    spec: &'a yaml::ScenarioFile,
    name: &Spanned<String>,
) -> Result<(usize, &'a yaml::Variant), Problem> {
    spec.variants
        .iter()
        .enumerate()
        .find(|(_, v)| v.name.value == name.value)
        .ok_or_else(|| {
            let names: Vec<&str> = spec
                .variants
                .iter()
                .map(|v| v.name.value.as_str())
                .collect();
            Problem::new(
                name.referenced,
                format!("no variant named `{}`", name.value),
                if names.is_empty() {
                    "a variant declared under `variants:` (this scenario has none)".to_string()
                } else {
                    format!("one of: {}", names.join(", "))
                },
            )
        })
}

const DECISION_FORM: &str =
    "exactly one of at, oomKills, restarts, alertFiring, burnRate (e.g. `decision: {oomKills: 1}`)";

fn decision(
    spec: &yaml::ScenarioFile,
    d: &yaml::Decision,
    end: SimTime,
) -> Result<DecisionPoint, Problem> {
    let before_end = |t: &Spanned<Duration>, what: &str| -> Result<SimTime, Problem> {
        let at = SimTime::ZERO + t.value.0;
        if at >= end {
            return Err(Problem::new(
                t.referenced,
                format!("`{what}` is at or after the end of the run"),
                "an instant before the scenario's `duration`",
            ));
        }
        Ok(at)
    };
    let given = [
        d.at.as_ref().map(|x| x.referenced),
        d.oom_kills.as_ref().map(|x| x.referenced),
        d.restarts.as_ref().map(|x| x.referenced),
        d.alert_firing.as_ref().map(|x| x.referenced),
        d.burn_rate.as_ref().map(|x| x.referenced),
    ];
    let mut places = given.iter().flatten();
    let first = places.next().copied();
    if first.is_none() || places.next().is_some() {
        let at = given
            .iter()
            .flatten()
            .nth(1)
            .copied()
            .unwrap_or(Location::UNKNOWN);
        return Err(Problem::new(
            at,
            "a drill decision needs exactly one trigger",
            DECISION_FORM,
        ));
    }
    if let Some(c) = &d.container {
        if d.oom_kills.is_none() && d.restarts.is_none() {
            return Err(Problem::new(
                c.referenced,
                "`container` only narrows oomKills or restarts",
                "container: with oomKills or restarts",
            ));
        }
        check_container(spec, c)?;
    }
    if let Some(at) = &d.at {
        if d.not_before.is_some() || d.container.is_some() {
            return Err(Problem::new(
                at.referenced,
                "a fixed decision instant takes no `notBefore` or `container`",
                "decision: {at: 16m}",
            ));
        }
        return Ok(DecisionPoint::At(before_end(at, "decision.at")?));
    }
    let not_before = match &d.not_before {
        Some(t) => before_end(t, "decision.notBefore")?,
        None => SimTime::ZERO,
    };
    let nth = |n: &Spanned<u32>| {
        if n.value == 0 {
            Err(Problem::new(
                n.referenced,
                "the count is 0",
                "1 for the first, 2 for the second, …",
            ))
        } else {
            Ok(n.value)
        }
    };
    let trigger = if let Some(n) = &d.oom_kills {
        Trigger::OomKills(nth(n)?)
    } else if let Some(n) = &d.restarts {
        Trigger::Restarts(nth(n)?)
    } else if let Some(a) = &d.alert_firing {
        if !spec.alerts.iter().any(|r| r.name.value == a.value) {
            let names: Vec<&str> = spec.alerts.iter().map(|r| r.name.value.as_str()).collect();
            return Err(Problem::new(
                a.referenced,
                format!("no alert rule named `{}`", a.value),
                if names.is_empty() {
                    "an alert declared under `alerts:` (this scenario has none)".to_string()
                } else {
                    format!("one of: {}", names.join(", "))
                },
            ));
        }
        Trigger::AlertFiring(a.value.clone())
    } else if let Some(b) = &d.burn_rate {
        let hour = match b.value.window.0.as_secs() {
            300 => false,
            3600 => true,
            _ => {
                return Err(Problem::new(
                    b.referenced,
                    "burnRate window must be 5m or 1h",
                    "window: 5m or window: 1h",
                ));
            }
        };
        if !(b.value.above.is_finite() && b.value.above > 0.0) {
            return Err(Problem::new(
                b.referenced,
                "burnRate `above` must be a positive number",
                "above: 6",
            ));
        }
        Trigger::BurnRate {
            hour,
            above: b.value.above,
        }
    } else {
        // Checked above: exactly one trigger is given.
        return Err(Problem::new(
            Location::UNKNOWN,
            "a drill decision needs exactly one trigger",
            DECISION_FORM,
        ));
    };
    Ok(DecisionPoint::Trigger {
        trigger,
        container: d.container.as_ref().map(|c| c.value.clone()),
        not_before,
    })
}

/// The container must exist in some workload (or be the injected sidecar).
fn check_container(spec: &yaml::ScenarioFile, c: &Spanned<String>) -> Result<(), Problem> {
    let mut names: Vec<&str> = spec
        .workloads
        .iter()
        .flat_map(|w| w.containers.iter().map(|k| k.name.value.as_str()))
        .collect();
    if spec.mesh.is_some() {
        names.push(PROXY_NAME);
    }
    if spec.control_plane.is_some() {
        names.push("discovery");
    }
    if names.contains(&c.value.as_str()) {
        Ok(())
    } else {
        Err(Problem::new(
            c.referenced,
            format!("no container named `{}`", c.value),
            format!("one of: {}", names.join(", ")),
        ))
    }
}

fn options(
    spec: &yaml::ScenarioFile,
    d: &yaml::Drill,
    drill_variant: usize,
    base: &yaml::ScenarioFile,
    decision: &DecisionPoint,
    end: SimTime,
) -> Result<Vec<OptionSpec>, Problem> {
    if d.options.value.len() < 2 {
        return Err(Problem::new(
            d.options.referenced,
            "a drill needs at least two options",
            "options: [{name: A, text: …, actions: […]}, {name: B, …}]",
        ));
    }
    let taken: HashSet<String> = base
        .timeline
        .iter()
        .map(|e| {
            e.name
                .clone()
                .unwrap_or_else(|| default_name(e).to_string())
        })
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for o in &d.options.value {
        let name = &o.name;
        let ok = !name.value.is_empty()
            && name.value.len() <= 40
            && name
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(Problem::new(
                name.referenced,
                format!("`{}` cannot be an option name", name.value),
                "letters, digits, '-' and '_' (the trainee types it: `choose B`)",
            ));
        }
        if !seen.insert(name.value.to_ascii_lowercase()) {
            return Err(Problem::new(
                name.referenced,
                format!("option name `{}` is used twice", name.value),
                "a unique option name (A, B, C, …)",
            ));
        }
        let plan = match (&o.actions, &o.variant) {
            (Some(actions), None) => {
                let staged = actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| stage(a, &name.value, i, actions.len()))
                    .collect::<Result<Vec<_>, _>>()?;
                OptionPlan::Actions(staged)
            }
            (None, Some(v)) => {
                let (i, var) = find_variant(spec, v)?;
                if var.set.is_empty() {
                    OptionPlan::Actions(moved(var, &name.value))
                } else {
                    if drill_variant != 0 {
                        return Err(Problem::new(
                            v.referenced,
                            format!(
                                "variant `{}` sets values: it can only run from the start, as a counterfactual of the baseline, but this drill is set in a variant",
                                v.value
                            ),
                            "an option of timeline actions, or a drill set in the baseline",
                        ));
                    }
                    OptionPlan::Counterfactual { variant: i + 1 }
                }
            }
            _ => {
                return Err(Problem::new(
                    name.referenced,
                    format!(
                        "option `{}` needs exactly one of `actions` and `variant`",
                        name.value
                    ),
                    "actions: [{setResources: …}] or variant: NAME",
                ));
            }
        };
        if let OptionPlan::Actions(staged) = &plan {
            for s in staged {
                let n = s.entry.name.as_deref().unwrap_or_default();
                if taken.contains(n) {
                    return Err(Problem::new(
                        name.referenced,
                        format!(
                            "option `{}`: action name `{n}` is also a timeline entry's name",
                            name.value
                        ),
                        "a `name:` for the action that no timeline entry uses",
                    ));
                }
            }
            // Placed once now, so that a bad action is reported when the file is read.
            let at = match decision {
                DecisionPoint::At(t) => *t,
                DecisionPoint::Trigger { .. } => end,
            };
            place(base, staged, at).map_err(|p| p.or_at(name.referenced))?;
        }
        out.push(OptionSpec {
            name: name.value.clone(),
            text: o.text.trim().to_string(),
            plan,
        });
    }
    Ok(out)
}

/// The timeline key of an entry, the name the compiler gives it by default.
fn default_name(e: &yaml::TimelineEntry) -> &'static str {
    if e.helm_upgrade.is_some() {
        "helm-upgrade"
    } else if e.set_resources.is_some() {
        "set-resources"
    } else if e.rollback.is_some() {
        "rollback"
    } else if e.scale.is_some() {
        "scale"
    } else if e.peer_authentication.is_some() {
        "peer-authentication"
    } else {
        "config-churn"
    }
}

fn stage(a: &yaml::DrillAction, option: &str, i: usize, n: usize) -> Result<Staged, Problem> {
    let at = a.after.as_ref().map_or(Location::UNKNOWN, |x| x.referenced);
    let name = a.name.clone().unwrap_or_else(|| {
        if n == 1 {
            option.to_string()
        } else {
            format!("{option}-{}", i + 1)
        }
    });
    let entry = yaml::TimelineEntry {
        at: Spanned::new(Duration(SimDuration::ZERO), at, at),
        on: None,
        name: Some(name),
        helm_upgrade: a.helm_upgrade.clone(),
        set_resources: a.set_resources.clone(),
        rollback: a.rollback.clone(),
        scale: a.scale.clone(),
        peer_authentication: a.peer_authentication.clone(),
        config_churn: a.config_churn.clone(),
        rollout_restart: a.rollout_restart.clone(),
        redis_config_set: a.redis_config_set.clone(),
        dns_upstream: a.dns_upstream.clone(),
    };
    Ok(Staged {
        after: a.after.as_ref().map_or(SimDuration::ZERO, |d| d.value.0),
        entry,
    })
}

/// A variant's timeline entries, moved so that the earliest is at the decision point.
fn moved(v: &yaml::Variant, option: &str) -> Vec<Staged> {
    let first = v
        .timeline
        .iter()
        .map(|e| e.at.value.0)
        .min()
        .unwrap_or_default();
    let n = v.timeline.len();
    v.timeline
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut entry = e.clone();
            // The drill's decision point takes the place of the variant's own trigger.
            entry.on = None;
            if entry.name.is_none() {
                entry.name = Some(if n == 1 {
                    option.to_string()
                } else {
                    format!("{option}-{}", i + 1)
                });
            }
            Staged {
                after: SimDuration::from_nanos(e.at.value.0.as_nanos() - first.as_nanos()),
                entry,
            }
        })
        .collect()
}

fn scoring(s: &yaml::Scoring) -> Result<ScoringSpec, Problem> {
    let positive = |d: &Option<Spanned<Duration>>, what: &str, default: Option<SimDuration>| match d
    {
        Some(d) if d.value.0.is_zero() => Err(Problem::new(
            d.referenced,
            format!("`{what}` is zero"),
            "a positive duration such as 5m or 1h",
        )),
        Some(d) => Ok(Some(d.value.0)),
        None => Ok(default),
    };
    let from_start = match &s.from {
        None => false,
        Some(f) if f.value == "decision" => false,
        Some(f) if f.value == "start" => true,
        Some(f) => {
            return Err(Problem::new(
                f.referenced,
                format!("scoring.from `{}` is not known", f.value),
                "decision (the default) or start",
            ));
        }
    };
    let w = &s.weights;
    let mut weights = [1.0, 1.0, 1.0, 100.0];
    for (slot, given) in weights.iter_mut().zip([
        &w.error_budget,
        &w.oom_kills,
        &w.recovery,
        &w.policy_violations,
    ]) {
        if let Some(g) = given {
            if !(g.value.is_finite() && g.value >= 0.0) {
                return Err(Problem::new(
                    g.referenced,
                    "a weight must be a number ≥ 0",
                    "a weight such as 1 or 0.5",
                ));
            }
            *slot = g.value;
        }
    }
    if let Some(r) = &s.replicas
        && r.value == 0
    {
        return Err(Problem::new(
            r.referenced,
            "`replicas` is 0",
            "a number of runs ≥ 1",
        ));
    }
    Ok(ScoringSpec {
        horizon: positive(&s.horizon, "horizon", None)?,
        from_start,
        recovery_window: positive(
            &s.recovery_window,
            "recoveryWindow",
            Some(SimDuration::from_secs(300)),
        )?
        .unwrap_or(SimDuration::from_secs(300)),
        weights,
        replicas: s.replicas.as_ref().map(|r| r.value),
    })
}
