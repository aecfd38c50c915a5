//! Same scenario and seed → byte-identical CSV, across runs and thread counts.

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
    for file in [
        "timeseries.csv",
        "events.csv",
        "summary.csv",
        "containers.csv",
        "run.json",
    ] {
        let read =
            |root: &Path| std::fs::read(root.join("trace-sampling-leak").join(file)).unwrap();
        let a = read(&one);
        assert!(a.len() > 100, "{file} is nearly empty");
        assert!(a == read(&two), "{file} differs between 1 and 2 threads");
        assert!(a == read(&again), "{file} differs between two runs");
    }
}
