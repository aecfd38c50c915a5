//! Charts and report.html from fixed-seed results: every chart in PNG and SVG, labelled
//! with the numbers the CSV files hold, and one self-contained page holding them all.

use std::path::Path;

use assert_cmd::Command;

/// A leak that reaches its 96Mi limit in about an hour at 100 rps (64Mi at 200 bytes per
/// request per pod at 50 rps each); a variant with twice the limit; a sweep over the limit
/// and the traffic.
const LEAKY: &str = r#"
name: leaky
description: a leak under a small limit
duration: 2h
seed: 5
replicas: 12
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    replicas: 2
    containers:
      - name: app
        resources: {limits: {memory: 96Mi}}
        memory:
          baseline: {size: 32Mi}
          leak: {perRequest: 200}
traffic:
  - service: app
    rps: 100
    noise: {sd: 0.3, correlation: 10m}
variants:
  - name: bigger-limit
    description: twice the limit
    set:
      workloads[app].containers[app].resources.limits.memory: 192Mi
sweeps:
  - name: limit-by-rps
    grid:
      workloads[app].containers[app].resources.limits.memory: [96Mi, 160Mi]
      traffic[app].rps: [20, 100]
"#;

fn meshmem() -> Command {
    Command::cargo_bin("meshmem").unwrap()
}

/// Width and height from a PNG's IHDR.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

fn run_leaky(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("leaky.yaml");
    std::fs::write(&file, LEAKY).unwrap();
    let out = dir.join("out");
    let assert = meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let page = out.join("leaky").join("report.html");
    assert!(
        stdout.contains(&page.display().to_string()),
        "run does not print the report's path:\n{stdout}"
    );
    out.join("leaky")
}

#[test]
fn every_chart_is_written_as_png_and_svg_with_labels_and_the_runs_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_leaky(dir.path());
    let charts = out.join("charts");
    let svg = |stem: &str| std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();

    for (stem, width) in [
        ("memory-app-app", 1100),
        ("errors", 1200),
        ("survival", 1100),
        ("variants", 1100),
        ("sweep-limit-by-rps", 1100),
    ] {
        let png = std::fs::read(charts.join(format!("{stem}.png"))).unwrap();
        let (w, h) = png_size(&png);
        assert_eq!(w, width, "{stem}.png width");
        assert!((300..4000).contains(&h), "{stem}.png height {h}");
        // A drawn chart compresses to tens of kB; a blank one to a few hundred bytes.
        assert!(
            (8_000..3_000_000).contains(&png.len()),
            "{stem}.png is {} bytes",
            png.len()
        );
        let text = svg(stem);
        assert!(
            text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
            "{stem}.svg"
        );
        assert!(
            text.contains(&format!("width=\"{width}\"")),
            "{stem}.svg width"
        );
    }

    // Axis labels with units, series and variant names, as text in the SVG.
    let memory = svg("memory-app-app");
    for label in [
        "app/app: working set vs limit",
        "working set (MiB)",
        "simulated time (minutes)",
        "p5–p95 of replicas",
        "median of replicas",
        "its container limit",
        "its OOM kills at its limit",
        "baseline",
        "bigger-limit",
    ] {
        assert!(memory.contains(label), "memory chart lacks `{label}`");
    }
    let errors = svg("errors");
    for label in [
        "503s (% of requests)",
        "burn (× budget rate)",
        "UF (connection failure)",
        "1h burn",
        "error budget",
    ] {
        assert!(errors.contains(label), "errors chart lacks `{label}`");
    }
    let variants = svg("variants");
    for label in [
        "OOM kills per run",
        "503 responses per run",
        "peak 1-hour burn",
        "bigger-limit",
    ] {
        assert!(variants.contains(label), "variants chart lacks `{label}`");
    }
    let sweep = svg("sweep-limit-by-rps");
    assert!(
        sweep.contains("resources.limits.memory") && sweep.contains("160Mi"),
        "sweep axes"
    );
    assert!(sweep.contains("of 12"), "sweep cells give their runs");

    // The charts say what the CSVs say: OOM kills per variant and runs with an OOM.
    let containers = std::fs::read_to_string(out.join("containers.csv")).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for variant in ["baseline", "bigger-limit"] {
        let kills: u64 = containers
            .lines()
            .filter(|l| l.starts_with(&format!("{variant},")))
            .map(|l| l.split(',').nth(4).unwrap().parse::<u64>().unwrap())
            .sum();
        let caption = format!("{variant} — {kills} OOM kills in 12 replicas");
        assert!(memory.contains(&caption), "memory chart lacks `{caption}`");
        let with_oom = summary
            .lines()
            .filter(|l| l.starts_with(&format!("{variant},")))
            .filter(|l| !l.split(',').nth(4).unwrap().is_empty())
            .count();
        let label = format!("{variant}: {with_oom}/12 runs with OOM");
        assert!(
            svg("survival").contains(&label),
            "survival chart lacks `{label}`"
        );
    }
    // Every sweep cell shows its grid point's share of runs with an OOM kill.
    let sweep_csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut shares = Vec::new();
    for row in sweep_csv.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        let (runs, p): (u32, f64) = (cols[4].parse().unwrap(), cols[5].parse().unwrap());
        let cell = format!("{:.0}% of {runs}", 100.0 * p);
        assert!(sweep.contains(&cell), "sweep chart lacks cell `{cell}`");
        shares.push(p);
    }
    assert!(
        shares.contains(&0.0) && shares.iter().any(|&p| p > 0.5),
        "the grid spans safe and unsafe points: {shares:?}"
    );
}

#[test]
fn the_report_is_one_self_contained_page_with_every_chart_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_leaky(dir.path());
    // A plan beside the run joins the report.
    meshmem()
        .args([
            "plan",
            "--container",
            "app/app",
            "--risk",
            "10%",
            "--within",
            "2h",
        ])
        .args([
            "--step",
            "16Mi",
            "--min-runs",
            "20",
            "--max-runs",
            "80",
            "--out",
        ])
        .arg(out.parent().unwrap())
        .arg(dir.path().join("leaky.yaml"))
        .assert()
        .success()
        .stdout(predicates::str::contains("report.html"));
    assert!(out.join("charts/plan-app-app.svg").is_file());
    let plan = std::fs::read_to_string(out.join("charts/plan-app-app.svg")).unwrap();
    assert!(
        plan.contains("memory limit (MiB)") && plan.contains("risk 10%"),
        "plan chart labels"
    );

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let mut stems: Vec<String> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    stems.sort();
    assert_eq!(stems.len(), 6, "{stems:?}");
    for stem in &stems {
        assert!(
            html.contains(&format!("<figure id=\"chart-{stem}\">")),
            "no figure for {stem}"
        );
    }
    assert_eq!(
        html.matches("<svg").count(),
        stems.len(),
        "each chart inlined once"
    );
    for id in ["summary-table", "comparison-table", "variants-table"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no {id}");
    }
    for class in ["sweep-table", "plan-table"] {
        assert!(html.contains(&format!("class=\"{class}\"")), "no {class}");
    }
    // Provenance from run.json.
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert!(html.contains(meta["sha256"].as_str().unwrap()));
    assert!(html.contains("a leak under a small limit"));
    assert!(html.contains("<td>5</td>"), "the seed");

    // Self-contained: nothing loaded from anywhere, no scripts.
    for banned in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "url(", "@import", "src=",
    ] {
        assert!(!html.contains(banned), "report.html contains `{banned}`");
    }
    for (i, _) in html.match_indices("href=\"") {
        assert_eq!(&html[i + 6..i + 7], "#", "a link out of the page at {i}");
    }
    let outside = html
        .match_indices("http")
        .filter(|(i, _)| !html[*i..].starts_with("http://www.w3.org/"))
        .count();
    assert_eq!(outside, 0, "only the SVG namespace may name a URL");
}

/// Regression (new user): a sweep over one value drew an empty heatmap that failed the
/// report check with "negative rect height"; a grid's axes followed sorted keys, not the
/// order written; points were named `sweep/0` instead of by their values.
#[test]
fn a_one_value_sweep_draws_its_cell_and_axes_keep_the_order_written() {
    let yaml = r#"
name: one-value
duration: 30m
seed: 3
replicas: 3
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 96Mi}}
        memory: {baseline: {size: 32Mi}, leak: {perRequest: 200}}
traffic: [{service: app, rps: 100}]
sweeps:
  - name: one
    grid:
      workloads[app].containers[app].resources.limits.memory: [96Mi]
  - name: ordered
    grid:
      traffic[app].rps: [20, 100]
      workloads[app].containers[app].resources.limits.memory: [96Mi, 160Mi]
"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.yaml");
    std::fs::write(&file, yaml).unwrap();
    let out = dir.path().join("out");
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let charts = out.join("one-value/charts");
    let one = std::fs::read_to_string(charts.join("sweep-one.svg")).unwrap();
    assert!(one.contains("% of 3"), "the one cell is not drawn");
    assert!(one.contains("memory = 96Mi"), "the one value is not named");
    let (w, h) = png_size(&std::fs::read(charts.join("sweep-one.png")).unwrap());
    assert!(w > 0 && h > 0);
    // Points are named by their values, axes in the order written (rps first).
    let sweep = std::fs::read_to_string(out.join("one-value/sweep.csv")).unwrap();
    assert!(sweep.contains("ordered/rps=20 memory=96Mi"), "{sweep}");
    assert!(sweep.contains("one/memory=96Mi"), "{sweep}");
}

#[test]
fn run_and_plan_print_json_and_a_later_run_keeps_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_leaky(dir.path());
    let plan = meshmem()
        .args([
            "plan",
            "--container",
            "app/app",
            "--risk",
            "10%",
            "--within",
            "1h",
        ])
        .args([
            "--min-runs",
            "8",
            "--max-runs",
            "8",
            "--threads",
            "1",
            "--quiet",
        ])
        .args(["--format", "json", "--out"])
        .arg(dir.path().join("out"))
        .arg(dir.path().join("leaky.yaml"))
        .assert()
        .success();
    let plan: serde_json::Value = serde_json::from_slice(&plan.get_output().stdout).unwrap();
    assert_eq!(plan["container"], "app/app");
    assert!(plan["candidates"].as_array().is_some_and(|c| !c.is_empty()));
    let run = meshmem()
        .args(["run", "--quiet", "--format", "json", "--out"])
        .arg(dir.path().join("out"))
        .arg(dir.path().join("leaky.yaml"))
        .assert()
        .success();
    let run: serde_json::Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
    let s = &run["scenarios"][0];
    assert_eq!(s["scenario"], "leaky");
    assert!(
        s["comparison"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["variant"] == "baseline" && r["scope"] == "run" && r["p_oom"].is_number())
    );
    assert!(
        out.join("plan-app-app.csv").is_file(),
        "the run wiped the plan"
    );
    assert!(
        out.join("charts/plan-app-app.svg").is_file(),
        "the plan's chart is gone"
    );
}
