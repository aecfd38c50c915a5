//! The debrief: the ranking with intervals, why each option did what it did in the
//! model's terms, the trainee's verdict and transcript, as text and as JSON.
//!
//! Pure functions of the verdict: the same scenario, seed and answer give the same bytes.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::score::{OptionResult, TERMS, Verdict};
use super::session::TranscriptEntry;
use crate::model::Bytes;
use crate::scenario::Scenario;
use crate::scenario::compile::drill::{DecisionPoint, DrillConfig, Trigger};
use crate::stats::MeanCi;

/// The trainee's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Index of the chosen option.
    pub option: usize,
    /// Their reason, if given.
    pub reason: String,
}

/// `12.35 [10.20, 14.50]`.
pub fn ci(c: &MeanCi) -> String {
    format!("{:.2} [{:.2}, {:.2}]", c.mean, c.lo, c.hi)
}

/// The decision point in words.
pub fn decision_text(d: &DecisionPoint) -> String {
    let nth = |n: u32| match n {
        1 => "first".to_string(),
        2 => "second".to_string(),
        3 => "third".to_string(),
        n => format!("{n}th"),
    };
    match d {
        DecisionPoint::At(t) => format!("at {}", crate::report::human_time(*t)),
        DecisionPoint::Trigger {
            trigger,
            container,
            not_before,
        } => {
            let of = container
                .as_ref()
                .map_or(String::new(), |c| format!(" of {c}"));
            let mut s = match trigger {
                Trigger::OomKills(n) => format!("at the {} OOM kill{of}", nth(*n)),
                Trigger::Restarts(n) => format!("at the {} restart{of}", nth(*n)),
                Trigger::AlertFiring(a) => format!("when alert {a} fires"),
                Trigger::BurnRate { hour, above } => format!(
                    "when the {} burn rate exceeds {above}×",
                    if *hour { "1h" } else { "5m" }
                ),
            };
            if *not_before > crate::engine::SimTime::ZERO {
                let _ = write!(
                    s,
                    " (not before {})",
                    crate::report::human_time(*not_before)
                );
            }
            s
        }
    }
}

/// Why an option scored as it did, from its runs: kills per container, peaks against
/// limits, burn and recovery.
pub fn why(o: &OptionResult) -> String {
    let n = o.replicas.len().max(1) as f64;
    let mut parts = Vec::new();
    let mut containers: Vec<(String, String)> = Vec::new();
    for r in &o.replicas {
        for p in &r.peaks {
            let key = (p.workload.clone(), p.container.clone());
            if !containers.contains(&key) {
                containers.push(key);
            }
        }
    }
    for (w, c) in &containers {
        let kills: u32 = o
            .replicas
            .iter()
            .flat_map(|r| &r.kills)
            .filter(|k| &k.0 == w && &k.1 == c)
            .map(|k| k.2)
            .sum();
        let peaks: Vec<(u64, Option<u64>)> = o
            .replicas
            .iter()
            .filter_map(|r| {
                r.peaks
                    .iter()
                    .find(|p| &p.workload == w && &p.container == c)
            })
            .map(|p| (p.bytes, p.limit))
            .collect();
        let peak = peaks.iter().map(|p| p.0).max().unwrap_or(0);
        let limit = peaks.iter().filter_map(|p| p.1).max();
        let name = if containers.iter().filter(|x| &x.1 == c).count() > 1 {
            format!("{w}/{c}")
        } else {
            c.clone()
        };
        let of = limit.map_or(String::new(), |l| format!(" of {}", mib(l)));
        let text = if kills > 0 {
            format!(
                "{name} is killed {:.1}× a run (peaks at {}{of})",
                f64::from(kills) / n,
                mib(peak)
            )
        } else if limit.is_some_and(|l| peak as f64 >= 0.9 * l as f64) {
            format!("{name} peaks at {}{of}, close to its limit", mib(peak))
        } else if limit.is_some() {
            format!("{name} peaks at {}{of}: its limit never binds", mib(peak))
        } else {
            format!("{name} peaks at {} (no limit)", mib(peak))
        };
        parts.push(text);
    }
    let recovered = o.replicas.iter().filter(|r| r.recovered).count();
    parts.push(format!(
        "burn {:.1}× the budget over the window",
        o.terms[0].mean
    ));
    parts.push(format!(
        "recovered in {recovered}/{} runs",
        o.replicas.len()
    ));
    if o.terms[3].mean > 0.0 {
        parts.push(format!(
            "{:.0} policy violation{} a run",
            o.terms[3].mean,
            if o.terms[3].mean == 1.0 { "" } else { "s" }
        ));
    }
    parts.join("; ")
}

/// A size as kubectl readers expect it (`336Mi`).
fn mib(b: u64) -> String {
    let m = Bytes(b).as_mib_f64();
    if m >= 1024.0 && (m / 1024.0).fract() < 0.05 {
        format!("{:.0}Gi", m / 1024.0)
    } else {
        format!("{m:.0}Mi")
    }
}

/// The ranking table and the verdict, as printed after `choose` and by `--reveal`.
pub fn ranking_text(drill: &DrillConfig, v: &Verdict) -> String {
    let mut out = String::new();
    let w = drill.scoring.weights;
    let judged = if drill.scoring.from_start {
        "judged from the start of the run"
    } else {
        "applied and judged from the decision point"
    };
    let _ = writeln!(
        out,
        "options {judged} ({}), {} replicas each, on the same random streams; decision reached in {}/{} replicas",
        decision_text(&drill.decision),
        v.replicas,
        v.decided,
        v.replicas
    );
    let _ = writeln!(
        out,
        "score = {}×burn + {}×OOM kills + {}×minutes to recover + {}×policy violations (lower is better)",
        w[0], w[1], w[2], w[3]
    );
    let headers = [
        "option",
        "score [95% CI]",
        "burn ×",
        "OOM kills",
        "recovery min",
        "violations",
        "Δ vs best [CI]",
        "",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for &i in &v.ranking() {
        rows.push(row(&v.options[i], i == v.best));
    }
    rows.push(row(&v.nothing, false));
    out += &super::table::render(&headers, &rows);
    let best = &v.options[v.best];
    let ties: Vec<&str> = v
        .options
        .iter()
        .enumerate()
        .filter(|(i, o)| *i != v.best && o.tied_with_best)
        .map(|(_, o)| o.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "best: {} — {}{}",
        best.name,
        best.text,
        if ties.is_empty() {
            String::new()
        } else {
            format!(" (tied within the interval with {})", ties.join(", "))
        }
    );
    for &i in &v.ranking() {
        let o = &v.options[i];
        let cf = if o.counterfactual {
            " [counterfactual: had it been in place from the start]"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}: {}{cf}", o.name, why(o));
    }
    let _ = writeln!(out, "  doing nothing: {}", why(&v.nothing));
    out
}

fn row(o: &OptionResult, best: bool) -> Vec<String> {
    let name = if o.name == "-" {
        "(do nothing)".to_string()
    } else {
        format!("{} {}", o.name, o.text)
    };
    let tag = if best {
        "best"
    } else if o.name != "-" && o.tied_with_best {
        "tie"
    } else {
        ""
    };
    vec![
        name,
        ci(&o.score),
        format!("{:.2}", o.terms[0].mean),
        format!("{:.2}", o.terms[1].mean),
        format!("{:.1}", o.terms[2].mean),
        format!("{:.1}", o.terms[3].mean),
        if best {
            "-".into()
        } else {
            ci(&o.diff_to_best)
        },
        tag.to_string(),
    ]
}

/// The verdict on the trainee's answer.
pub fn verdict_text(v: &Verdict, answer: &Answer) -> String {
    let chosen = &v.options[answer.option];
    let best = &v.options[v.best];
    if answer.option == v.best {
        format!(
            "You chose {}: the best option in the simulation.",
            chosen.name
        )
    } else if chosen.tied_with_best {
        format!(
            "You chose {}: tied with the best ({}) within the 95 % interval of their paired difference {}.",
            chosen.name,
            best.name,
            ci(&chosen.diff_to_best)
        )
    } else {
        format!(
            "You chose {}; the simulation ranks {} best. {} scores {} more (paired 95 % interval): {}.",
            chosen.name,
            best.name,
            chosen.name,
            ci(&chosen.diff_to_best),
            why(chosen)
        )
    }
}

fn r4(x: f64) -> Value {
    let r = (x * 10_000.0).round() / 10_000.0;
    json!(if r == 0.0 { 0.0 } else { r })
}

fn ci_json(c: &MeanCi) -> Value {
    json!({"mean": r4(c.mean), "lo": r4(c.lo), "hi": r4(c.hi)})
}

fn option_json(o: &OptionResult) -> Value {
    let mut terms = serde_json::Map::new();
    for (name, c) in TERMS.iter().zip(&o.terms) {
        terms.insert((*name).to_string(), ci_json(c));
    }
    json!({
        "name": o.name,
        "text": o.text,
        "counterfactual": o.counterfactual,
        "score": ci_json(&o.score),
        "diff_to_best": ci_json(&o.diff_to_best),
        "tied_with_best": o.tied_with_best,
        "recovered_runs": o.replicas.iter().filter(|r| r.recovered).count(),
        "terms": terms,
        "why": why(o),
    })
}

/// The machine-readable debrief.
pub fn json(
    scenario: &Scenario,
    drill: &DrillConfig,
    v: &Verdict,
    answer: Option<&Answer>,
    transcript: &[TranscriptEntry],
) -> Value {
    let best = &v.options[v.best];
    let tied: Vec<&str> = v
        .options
        .iter()
        .filter(|o| o.tied_with_best)
        .map(|o| o.name.as_str())
        .collect();
    let w = drill.scoring.weights;
    let mut out = json!({
        "drill": drill.title,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "replicas": v.replicas,
        "decision": {
            "point": decision_text(&drill.decision),
            "reached_in": v.decided,
        },
        "question": drill.question,
        "weights": {
            "error_budget": w[0], "oom_kills": w[1], "recovery_minutes": w[2], "policy_violations": w[3],
        },
        "best": best.name,
        "tied_with_best": tied,
        "ranking": v.ranking().iter().map(|&i| v.options[i].name.clone()).collect::<Vec<_>>(),
        "options": v.options.iter().map(option_json).collect::<Vec<_>>(),
        "do_nothing": option_json(&v.nothing),
    });
    if let Some(a) = answer {
        let o = &v.options[a.option];
        out["chosen"] = json!(o.name);
        out["reason"] = json!(a.reason);
        out["correct"] = json!(o.tied_with_best);
    }
    if !transcript.is_empty() {
        out["transcript"] = json!(
            transcript
                .iter()
                .map(|t| json!({"sim_time_s": t.sim.as_secs_f64(), "wall_ms": t.wall_ms, "command": t.command}))
                .collect::<Vec<_>>()
        );
    }
    out
}
