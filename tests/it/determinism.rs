//! Same scenario and seed → byte-identical outputs (CSV, charts, report), across runs and
//! thread counts.

use std::path::Path;

use assert_cmd::Command;

fn run_into(out: &Path, threads: &str) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace-sampling-leak.yaml");
    Command::cargo_bin("meshmem")
        .unwrap()
        .args(["run", "--quiet", "--replicas", "6", "--out"])
        .arg(out)
        .arg(scenario)
        .env("RAYON_NUM_THREADS", threads)
        .assert()
        .success();
}

#[test]
fn outputs_are_byte_identical_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, again) = (
        dir.path().join("1"),
        dir.path().join("2"),
        dir.path().join("2b"),
    );
    run_into(&one, "1");
    run_into(&two, "2");
    run_into(&again, "2");
    // Every file: the CSVs, run.json, the charts (PNG and SVG) and report.html.
    let files = crate::support::tree(&one.join("trace-sampling-leak"));
    for f in [
        "timeseries.csv",
        "events.csv",
        "memory.csv",
        "summary.csv",
        "report.html",
        "charts/survival.png",
    ] {
        assert!(
            files.get(f).is_some_and(|b| b.len() > 100),
            "{f} missing or nearly empty"
        );
    }
    crate::support::assert_same_tree(&one, &two, "1 thread vs 2 threads");
    crate::support::assert_same_tree(&one, &again, "two runs");
}

#[test]
fn the_data_tier_is_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path, threads: &str| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        Command::cargo_bin("meshmem")
            .unwrap()
            .args(["run", "--quiet", "--replicas", "3", "--out"])
            .arg(out)
            .arg(root.join("redis-maxmemory.yaml"))
            .arg(root.join("dns-outage.yaml"))
            .env("RAYON_NUM_THREADS", threads)
            .assert()
            .success();
    };
    let (one, two) = (dir.path().join("1"), dir.path().join("2"));
    run(&one, "1");
    run(&two, "2");
    let files = crate::support::tree(&one.join("redis-maxmemory"));
    for f in ["redis.csv", "db.csv", "summary.csv"] {
        assert!(
            files.get(f).is_some_and(|b| b.len() > 500),
            "{f} missing or nearly empty"
        );
    }
    crate::support::assert_same_tree(&one, &two, "1 thread vs 2 threads");
}
