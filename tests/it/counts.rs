//! Counts in the outputs add up: the 503s by flag sum to the 503s in every row, and no
//! interval of a count goes below zero.

use std::path::Path;

use crate::support::{TINY, meshmem, write};

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

fn column(path: &Path, name: &str) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.headers().unwrap().iter().position(|h| h == name).unwrap()
}

fn int(rec: &csv::StringRecord, i: usize) -> u64 {
    rec[i].parse().unwrap_or_else(|_| panic!("{rec:?}[{i}]"))
}

#[test]
fn flags_add_up_to_the_503s_in_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/web-app-crashloop.yaml");
    meshmem()
        .args(["run", "--quiet", "--replicas", "3", "--out"])
        .arg(dir.path())
        .arg(scenario)
        .assert()
        .success();
    let folder = dir.path().join("web-app-crashloop");
    let mut checked = 0;
    for file in ["slo.csv", "summary.csv"] {
        let path = folder.join(file);
        let total = column(&path, "errors_503");
        let flags = ["uh", "uf", "uc", "nr"].map(|f| column(&path, &format!("errors_503_{f}")));
        for rec in rows(&path) {
            let sum: u64 = flags.iter().map(|&i| int(&rec, i)).sum();
            assert_eq!(sum, int(&rec, total), "{file}: {rec:?}");
            checked += usize::from(sum > 0);
        }
    }
    assert!(checked > 100, "only {checked} rows with 503s");
}

#[test]
fn intervals_of_counts_do_not_go_below_zero() {
    let dir = tempfile::tempdir().unwrap();
    // Replicas 4 of TINY: two runs with one OOM kill, two with none, so a t interval of
    // the kills per run reaches below zero unless it is clipped.
    let file = write(dir.path(), "tiny.yaml", TINY);
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .success();
    let path = dir.path().join("tiny/comparison.csv");
    for name in [
        "oom_kills_lo",
        "restarts_lo",
        "errors_503_lo",
        "peak_burn_1h_lo",
    ] {
        let i = column(&path, name);
        for rec in rows(&path) {
            if let Ok(v) = rec[i].parse::<f64>() {
                assert!(v >= 0.0, "{name} = {v} in {rec:?}");
            }
        }
    }
}

/// Regression: an interval of slo.csv counted more 503s than requests (the requests a
/// kill failed had been counted when they arrived, in earlier buckets). Requests now
/// count when they complete.
#[test]
fn no_interval_has_more_503s_than_requests() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sidecar-oom-spiral.yaml");
    meshmem()
        .args(["run", "--quiet", "--replicas", "2", "--out"])
        .arg(dir.path())
        .arg(scenario)
        .assert()
        .success();
    let path = dir.path().join("sidecar-oom-spiral/slo.csv");
    let (req, err) = (column(&path, "requests"), column(&path, "errors_503"));
    for rec in rows(&path) {
        assert!(int(&rec, err) <= int(&rec, req), "{rec:?}");
    }
}

/// Regression: a working set past u64 saturated to u64::MAX in the samples. `check`
/// refuses such rates (see `limits`); built directly, the container is killed at its
/// limit, which it never reads above.
#[test]
fn an_overflowing_working_set_is_not_reported_as_u64_max() {
    let mut s = crate::support::shipped("trace-sampling-leak.yaml");
    s.variants[0].config.traffic[0].profile.base = 1e12;
    let (_, rec) = crate::support::run_sampled(&s, 0, 0);
    assert!(
        rec.samples.iter().all(|x| x.3 < u64::MAX),
        "a sample at u64::MAX"
    );
}
