//! `meshmem plan`: the smallest safe memory limit for one container.

use std::io::Write;

use super::AppError;
use crate::cli::PlanArgs;
use crate::report;
use crate::scenario;

/// Plans and prints the answer.
pub fn execute(args: &PlanArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let text = plan(args)?;
    let _ = write!(out, "{text}");
    Ok(())
}

/// Plans a memory limit and writes the judged candidates as CSV; returns the report text.
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
        seed: s.seed,
        workload: workload.to_string(),
        container: container.to_string(),
        risk: args.risk,
        within: args.within,
        step: args.step,
        min_runs: args.min_runs,
        max_runs: args.max_runs,
    };
    let p = plan(&req).map_err(|e| AppError::Usage(e.to_string()))?;
    let question = report::PlanQuestion {
        scenario: &s.name,
        variant: &s.variants[v].name,
        container: &args.container,
        risk: args.risk,
        within_s: args.within.as_secs(),
    };
    let dir = args.out.join(&s.name);
    let file = dir.join(format!("plan-{workload}-{container}.csv"));
    let tmp = dir.join(format!(".plan-{}.tmp", std::process::id()));
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&tmp, report::plan_csv(&question, &p)))
        .and_then(|_| std::fs::rename(&tmp, &file))
        .map_err(AppError::io(format!("{}: writing", file.display())))?;
    let within = crate::model::backoff::go_duration(args.within);
    let mut out = report::plan_text(&question, &within, &p);
    out += &format!("  candidates            {}\n", file.display());
    // Beside a run's outputs, the plan joins its report.
    if dir.join("run.json").is_file() {
        let page = report::write_report(&dir).map_err(AppError::io(format!(
            "{}: drawing the report",
            dir.display()
        )))?;
        out += &format!("  report                {}\n", page.display());
    }
    Ok(out)
}
