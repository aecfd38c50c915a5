//! Bounded work: `check` estimates what a scenario would cost (runs, events, output
//! bytes) and refuses what is beyond sane limits, fast and in little memory, unless
//! `--allow-large` says it is meant; rates and durations that cannot be simulated
//! faithfully are refused at `check`.

use std::time::Duration;

use crate::support::{TINY, meshmem, write};

/// Generous bound on any refusal: what is refused is refused at once, not after minutes.
const BOUND: Duration = Duration::from_secs(120);

/// `meshmem check [extra] s.yaml` under a 1 GiB address-space limit; returns exit code
/// and stderr.
fn check(yaml: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.yaml", yaml);
    let bin = assert_cmd::cargo::cargo_bin("meshmem");
    let script = format!(
        "ulimit -v 1048576; exec \"{}\" check {} \"{}\"",
        bin.display(),
        extra.join(" "),
        file.display()
    );
    let out = assert_cmd::Command::new("sh")
        .args(["-c", &script])
        .env("NO_COLOR", "1")
        .timeout(BOUND)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.code().unwrap_or(-1), stderr)
}

fn refused(yaml: &str, line_col: &str, fragments: &[&str]) {
    let (code, stderr) = check(yaml, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("s.yaml:{line_col}")),
        "no {line_col} in:\n{stderr}"
    );
    for f in fragments {
        assert!(stderr.contains(f), "missing `{f}` in:\n{stderr}");
    }
}

#[test]
fn a_billion_replicas_is_refused_with_the_estimate() {
    refused(
        &TINY.replace("replicas: 4", "replicas: 1000000000"),
        "3:11",
        &["1000000000 runs", "--allow-large"],
    );
}

#[test]
fn a_billion_nodes_is_refused_without_building_them() {
    refused(
        &TINY.replace(
            "{name: n, capacity: 4Gi}",
            "{name: n, count: 1000000000, capacity: 4Gi}",
        ),
        "4:26",
        &["1000000000 nodes", "--allow-large"],
    );
}

#[test]
fn a_million_point_sweep_is_refused_before_its_points_are_built() {
    let values: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
    let values = values.join(", ");
    let yaml = format!(
        "{TINY}sweeps:\n  - name: big\n    grid:\n      traffic[app].rps: [{values}]\n      workloads[app].replicas: [{values}]\n      seed: [{values}]\n"
    );
    refused(&yaml, "20:11", &["1000000 points", "--allow-large"]);
}

#[test]
fn durations_take_go_units_only() {
    refused(
        &TINY.replace("duration: 1h", "duration: 100y"),
        "2:11",
        &["`100y`", "ns, us, ms, s, m, h"],
    );
    refused(
        &TINY.replace("duration: 1h", "duration: 2d"),
        "2:11",
        &["`2d`"],
    );
}

#[test]
fn a_duration_past_the_clock_is_refused_not_saturated() {
    refused(
        &TINY.replace("duration: 1h", "duration: 6000000h"),
        "2:11",
        &["`6000000h` is too long"],
    );
}

#[test]
fn a_century_of_simulated_time_is_refused_with_the_estimate() {
    refused(
        &TINY.replace("duration: 1h", "duration: 876000h"),
        "2:11",
        &["events", "--allow-large"],
    );
}

#[test]
fn a_nanosecond_scrape_interval_is_refused_for_its_output() {
    let yaml = TINY.replace("duration: 1h", "duration: 1h\nscrapeInterval: 1ns");
    refused(&yaml, "3:17", &["of output", "--allow-large"]);
}

#[test]
fn allow_large_raises_the_limits() {
    let yaml = TINY.replace("replicas: 4", "replicas: 200000");
    let (code, stderr) = check(&yaml, &[]);
    assert_eq!(code, 2, "{stderr}");
    let (code, stderr) = check(&yaml, &["--allow-large"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn thousands_of_threads_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.yaml", TINY);
    meshmem()
        .args(["run", "--quiet", "--threads", "10000", "--out"])
        .arg(dir.path().join("out"))
        .arg(&file)
        .timeout(BOUND)
        .assert()
        .code(2);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_absurd_spike_is_refused_at_its_factor() {
    let yaml = TINY.replace(
        "    rps: 50\n",
        "    rps: 50\n    spikes: [{at: 10m, duration: 10m, factor: 1e300}]\n",
    );
    refused(&yaml, "18:47", &["requests per second"]);
}

#[test]
fn an_absurd_rate_is_refused_at_its_value() {
    refused(
        &TINY.replace("rps: 50", "rps: 1e12"),
        "17:10",
        &["requests per second"],
    );
}

#[test]
fn requests_in_flight_past_what_memory_can_be_are_refused() {
    let yaml = TINY
        .replace(
            "leak: {perRequest: 1Ki}",
            "inFlight: {latency: 1h, perRequest: 1Gi}",
        )
        .replace("rps: 50", "rps: 10000000");
    refused(&yaml, "6:11", &["in flight"]);
}

#[test]
fn non_finite_numbers_are_refused_wherever_they_are() {
    let yaml = format!("{TINY}alerts:\n  - name: near\n    memoryNearLimit: {{ratio: .nan}}\n");
    refused(&yaml, "21:30", &["finite"]);
    let yaml = TINY.replace("sd: 0.3", "sd: .inf");
    refused(&yaml, "18:17", &["finite"]);
}

#[test]
fn the_report_refuses_non_finite_numbers_instead_of_drawing_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = write(d, "tiny.yaml", TINY);
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(d.join("out"))
        .arg(&file)
        .assert()
        .success();
    let folder = d.join("out/tiny");
    let slo = std::fs::read_to_string(folder.join("slo.csv")).unwrap();
    let mut lines: Vec<String> = slo.lines().map(String::from).collect();
    let mut cols: Vec<String> = lines[5].split(',').map(String::from).collect();
    cols[3] = "inf".into();
    cols[4] = "NaN".into();
    lines[5] = cols.join(",");
    std::fs::write(folder.join("slo.csv"), lines.join("\n") + "\n").unwrap();
    let Err(err) = meshmem::report::charts::ReportData::load(&folder) else {
        panic!("non-finite numbers were read");
    };
    assert!(err.to_string().contains("slo.csv"), "{err}");
}

/// The estimate against the events the model processes, one run of every variant of every
/// shipped scenario: 0.47 to 1.74 times since fluid steps' busiest moments cost no
/// events and a quarter of the stats flushes are counted (0.57 to 1.54 when written); a
/// change to the model or to the estimate that takes it past 3 in either direction
/// fails here.
#[test]
fn the_estimate_of_events_is_within_a_small_factor_of_the_model() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let options = meshmem::scenario::LoadOptions {
        replicas: Some(1),
        ..Default::default()
    };
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let s = meshmem::scenario::load_with(&path, &options).unwrap();
        let actual: u64 = (0..s.variants.len())
            .map(|v| meshmem::runner::run_one(&s, v, 0, meshmem::model::Discard).0)
            .map(|o| o.events_processed)
            .sum();
        let ratio = s.estimate.events / actual as f64;
        eprintln!("{}: estimate/actual = {ratio:.2}", s.name);
        assert!(
            (0.33..=3.0).contains(&ratio),
            "{}: estimated {:.0} events, the model processed {actual}",
            s.name,
            s.estimate.events
        );
    }
}
