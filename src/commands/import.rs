//! `meshmem import`: a scenario file from the user's manifests and metrics.
//!
//! Nothing is written unless the whole import succeeds and the scenario it wrote loads
//! with the project's own loader: the file, then the fit charts beside it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::AppError;
use crate::cli::ImportArgs;
use crate::import::{self, Imported, Inputs, Options};
use crate::report::charts::{self, FitChart};
use crate::scenario;

/// Imports, checks, writes, and prints what was fitted and what to run next.
pub fn execute(args: &ImportArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let inputs = Inputs {
        manifests: read_all(&args.manifests)?,
        metrics: read_all(&args.metrics)?,
    };
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .out
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "imported".into()),
    };
    let options = Options {
        name,
        replicas: args.replicas,
        seed: args.seed,
    };
    let imported = import::import(&inputs, &options)?;
    // The loader is the judge of what was written: a scenario it rejects is not written.
    scenario::parse(&args.out, &imported.yaml)?;
    write_atomically(&args.out, imported.yaml.as_bytes())?;
    let charts = fit_charts(&args.out, &imported)?;
    let _ = write!(out, "{}", report(args, &imported, &charts));
    Ok(())
}

fn read_all(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, AppError> {
    paths
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| (p.clone(), t))
                .map_err(|e| AppError::Usage(format!("{}: cannot read: {e}", p.display())))
        })
        .collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map_or("scenario".into(), |f| f.to_string_lossy()),
        std::process::id()
    ));
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, bytes))
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(AppError::io(format!("{}: writing", path.display())))
}

/// Draws each fit against its data into `<scenario stem>-fit/`.
fn fit_charts(scenario: &Path, imported: &Imported) -> Result<Vec<PathBuf>, AppError> {
    if imported.fits.is_empty() {
        return Ok(Vec::new());
    }
    let stem = scenario
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().to_string());
    let parent = scenario
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = format!("{stem}-fit");
    // Staged and swapped in whole, like every output folder.
    let dir = crate::report::OutputDir::create(parent, &name)
        .map_err(AppError::io(format!("{}: cannot create", parent.display())))?;
    let mut stems = Vec::new();
    for f in &imported.fits {
        let chart = FitChart {
            container: format!("{}/{}", f.workload, f.container),
            summary: quality(&f.fit),
            pods: f.fit.curves.clone(),
        };
        let r = charts::render(&chart, &dir).map_err(AppError::io(format!("{name}: drawing")))?;
        stems.push(r.stem);
    }
    let folder = dir
        .commit()
        .map_err(AppError::io(format!("{name}: moving into place")))?;
    Ok(stems
        .iter()
        .map(|s| folder.join("charts").join(format!("{s}.png")))
        .collect())
}

fn quality(f: &import::fit::MemoryFit) -> String {
    format!(
        "R² {:.3}, residual SD {:.1} MiB over {:.1} h, {} pod(s), {} samples; at the data's \
         end {:.1} MiB measured, {:.1} MiB fitted.",
        f.r2,
        f.residual_sd / 1048576.0,
        f.hours,
        f.pods,
        f.samples,
        f.data_end / 1048576.0,
        f.fitted_end / 1048576.0
    )
}

/// What the user reads after an import.
fn report(args: &ImportArgs, imported: &Imported, charts: &[PathBuf]) -> String {
    let mut s = format!("wrote {}\n", args.out.display());
    for f in &imported.fits {
        s += &format!(
            "  fit {}/{}: {}\n",
            f.workload,
            f.container,
            quality(&f.fit)
        );
    }
    for (w, t) in &imported.traffic {
        s += &format!(
            "  traffic {w}: mean {:.1} rps over {:.1} h, noise sd {:.3}\n",
            t.mean, t.hours, t.noise_sd
        );
    }
    if !imported.notes.is_empty() {
        s += &format!(
            "  {} note(s) at the top of the file (assumptions, what was skipped)\n",
            imported.notes.len()
        );
    }
    for c in charts {
        s += &format!("  chart {}\n", c.display());
    }
    let file = args.out.display();
    s += &format!("next:\n  meshmem check {file}\n  meshmem run {file}\n");
    if let Some(f) = imported.fits.first() {
        s += &format!(
            "  meshmem plan {file} --container {}/{} --risk 1% --within 24h\n",
            f.workload, f.container
        );
    }
    s
}
