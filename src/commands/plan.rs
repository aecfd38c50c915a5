//! `meshmem plan`: the smallest safe memory limit for one container.

use std::io::Write;

use super::AppError;
use crate::cli::PlanArgs;
use crate::report::{self, OutputDir};
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
    // The plan joins the scenario's output folder (beside a run's outputs, and its
    // report), which is replaced whole, as a run replaces it.
    let name = format!("plan-{workload}-{container}.csv");
    let dir = OutputDir::update(&args.out, &s.name).map_err(AppError::io(format!(
        "{}: cannot create output",
        args.out.display()
    )))?;
    dir.write(&name, &report::plan_csv(&question, &p))
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
    Ok(out)
}
