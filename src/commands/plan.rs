//! `meshmem plan`: the smallest safe memory limit for one container.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::AppError;
use crate::cli::{OutputFormat, PlanArgs};
use crate::report::{self, OutputDir};
use crate::runner::plan::{Plan, PlanPoint, Verdict};
use crate::scenario;

/// Plans and prints the answer.
pub fn execute(args: &PlanArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let text = plan(args)?;
    let _ = write!(out, "{text}");
    Ok(())
}

/// A spinner with the elapsed time while the planner works: it reports no progress of
/// its own, so this says only that it is working (hidden off a terminal or with
/// `--quiet`).
fn spinner(args: &PlanArgs) -> indicatif::ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(format!("planning {}", args.container));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Plans a memory limit and writes the judged candidates as CSV; returns what to print.
pub fn plan(args: &PlanArgs) -> Result<String, AppError> {
    use crate::runner::plan::{PlanRequest, plan};
    let options = scenario::LoadOptions {
        limits: scenario::Limits::new(args.allow_large),
        ..Default::default()
    };
    let s = scenario::load_with(&args.path, &options)?;
    let v = match &args.variant {
        None => 0,
        Some(name) => s
            .variants
            .iter()
            .position(|x| &x.name == name)
            .ok_or_else(|| AppError::Usage(format!("no variant `{name}` in {}", s.name)))?,
    };
    let (workload, container) = args.container.split_once('/').ok_or_else(|| {
        AppError::Usage(format!("`{}` is not WORKLOAD/CONTAINER", args.container))
    })?;
    let req = PlanRequest {
        config: s.variants[v].config.clone(),
        seed: args.seed.unwrap_or(s.seed),
        workload: workload.to_string(),
        container: container.to_string(),
        risk: args.risk,
        within: args.within,
        step: args.step,
        min_runs: args.min_runs,
        max_runs: args.max_runs.max(args.min_runs),
        search_only: args.search_only,
    };
    let bar = spinner(args);
    // The planner runs on rayon's pool: a pool of its own honours --threads.
    let p = match args.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build()
            .map_err(|e| AppError::Usage(format!("--threads {n}: {e}")))?
            .install(|| plan(&req)),
        None => plan(&req),
    };
    bar.finish_and_clear();
    let p = p.map_err(|e| AppError::Usage(e.to_string()))?;
    let question = report::PlanQuestion {
        scenario: &s.name,
        variant: &s.variants[v].name,
        container: &args.container,
        risk: args.risk,
        within_s: args.within.as_secs(),
    };
    // The plan joins the scenario's output folder (beside a run's outputs, and its
    // report), which is replaced whole, as a run replaces it.
    let name = format!("plan-{workload}-{container}.csv");
    let dir = OutputDir::update(&args.out, &s.name).map_err(AppError::io(format!(
        "{}: cannot create output",
        args.out.display()
    )))?;
    report::plan_csv(&question, &p)
        .and_then(|csv| dir.write(&name, &csv))
        .map_err(AppError::io(format!("{}: writing {name}", s.name)))?;
    let with_run = dir.path().join("run.json").is_file();
    if with_run {
        report::write_report(&dir)
            .map_err(AppError::io(format!("{}: drawing the report", s.name)))?;
    }
    let folder = dir.commit().map_err(AppError::io(format!(
        "{}: moving outputs into place",
        s.name
    )))?;
    let within = crate::model::units::go_duration(args.within);
    let mut out = report::plan_text(&question, &within, &p);
    out += &format!("  candidates            {}\n", folder.join(&name).display());
    if with_run {
        out += &format!(
            "  report                {}\n",
            folder.join("report.html").display()
        );
    }
    Ok(match args.format {
        OutputFormat::Text => out,
        OutputFormat::Json => {
            let page = with_run.then(|| folder.join("report.html"));
            plan_json(
                args,
                &s.name,
                &s.variants[v].name,
                &p,
                &folder.join(&name),
                page,
            )
        }
    })
}

fn point_json(p: &PlanPoint) -> serde_json::Value {
    serde_json::json!({
        "limit_bytes": p.limit.0,
        "runs": p.runs,
        "oom_runs": p.oom_runs,
        "p_oom": p.p.p,
        "p_oom_lo": p.p.lo,
        "p_oom_hi": p.p.hi,
        "verdict": match p.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Uncertain => "uncertain",
        },
    })
}

/// The plan as one JSON document, for programs.
fn plan_json(
    args: &PlanArgs,
    scenario: &str,
    variant: &str,
    p: &Plan,
    csv: &std::path::Path,
    report: Option<std::path::PathBuf>,
) -> String {
    let v = serde_json::json!({
        "scenario": scenario,
        "variant": variant,
        "container": args.container,
        "risk": args.risk,
        "within_s": args.within.as_secs_f64(),
        "limit": p.limit.as_ref().map(point_json),
        "one_step_below": p.below.as_ref().map(point_json),
        "replicas": p.replicas,
        "node_memory_bytes": p.limit.map(|l| l.limit.0 * u64::from(p.replicas)),
        "current_limit_bytes": p.current.map(|b| b.0),
        "vpa_recommendation": point_json(&p.recommendation),
        "candidates": p.points.iter().map(point_json).collect::<Vec<_>>(),
        "csv": csv.display().to_string(),
        "report": report.map(|r| r.display().to_string()),
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}
