//! Runs at scale: shards merge into exactly one whole run, sweeps, and the planner.

use std::path::Path;

use assert_cmd::Command;
use meshmem::engine::SimDuration;
use meshmem::model::Bytes;
use meshmem::runner::plan::{PlanRequest, Verdict, plan};

use crate::support::inline;

fn meshmem() -> Command {
    Command::cargo_bin("meshmem").unwrap()
}

#[test]
fn three_shards_merge_into_the_bytes_of_one_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sidecar-oom-spiral.yaml");
    let run = |out: &str, shard: Option<&str>| {
        let mut cmd = meshmem();
        cmd.args(["run", "--quiet", "--replicas", "5", "--out"])
            .arg(d.join(out))
            .arg(&scenario);
        if let Some(s) = shard {
            cmd.args(["--shard", s]);
        }
        cmd.assert().success();
    };
    run("whole", None);
    for i in 0..3 {
        run(&format!("s{i}"), Some(&format!("{i}/3")));
    }
    meshmem()
        .arg("merge")
        .args(["s2", "s0", "s1"].map(|s| d.join(s)))
        .arg("--out")
        .arg(d.join("merged"))
        .assert()
        .success();
    // Every file, charts and report included: they are drawn from the merged CSVs.
    crate::support::assert_same_tree(&d.join("whole"), &d.join("merged"), "whole vs merged");
}

#[test]
fn an_incomplete_set_of_shards_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/web-app-crashloop.yaml");
    meshmem()
        .args([
            "run",
            "--quiet",
            "--replicas",
            "4",
            "--shard",
            "1/2",
            "--out",
        ])
        .arg(d.join("s1"))
        .arg(&scenario)
        .assert()
        .success();
    meshmem()
        .arg("merge")
        .arg(d.join("s1"))
        .arg("--out")
        .arg(d.join("m"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("shard 0/2 is missing"));
}

/// One pod whose leak rate varies with slow traffic noise: within 2 h its peak is
/// between ~80Mi and ~120Mi.
const NOISY_LEAK: &str = r#"
name: noisy-leak
duration: 2h
seed: 11
nodes: [{name: n, capacity: 8Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources: {limits: {memory: 512Mi}}
        memory:
          baseline: {size: 32Mi}
          leak: {perRequest: 100}
traffic:
  - service: app
    rps: 100
    noise: {sd: 0.3, correlation: 1h}
"#;

#[test]
fn the_planned_limit_meets_the_risk_and_one_step_below_does_not() {
    let s = inline(NOISY_LEAK);
    let req = PlanRequest {
        config: s.variants[0].config.clone(),
        seed: s.seed,
        workload: "app".into(),
        container: "app".into(),
        risk: 0.05,
        within: SimDuration::from_secs(7200),
        step: Bytes::mib(4),
        min_runs: 100,
        max_runs: 800,
        search_only: false,
    };
    let p = plan(&req).unwrap();
    let limit = p.limit.expect("a limit");
    assert_eq!(limit.verdict, Verdict::Pass);
    assert!(limit.p.hi <= 0.05);
    let below = p.below.expect("the step below was judged");
    assert_eq!(below.limit.0 + Bytes::mib(4).0, limit.limit.0);
    assert_ne!(below.verdict, Verdict::Pass);
    assert!(below.p.p > 0.05 * 0.5, "below: {:?}", below.p);
    // The search is monotone: every judged limit under the answer fails, every one
    // above passes.
    for pt in &p.points {
        assert_eq!(
            pt.verdict == Verdict::Pass,
            pt.limit >= limit.limit,
            "{pt:?}"
        );
    }
}

#[test]
fn a_sweep_writes_one_row_per_grid_point() {
    let yaml = format!(
        "{NOISY_LEAK}replicas: 40\nsweeps:\n  - name: limit\n    grid:\n      workloads[app].containers[app].resources.limits.memory: [64Mi, 96Mi, 160Mi]\n      traffic[app].rps: [50, 100]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sweep.yaml");
    std::fs::write(&file, yaml).unwrap();
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("o"))
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("o/noisy-leak/sweep.csv")).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 1 + 6, "{text}");
    // The axes in the order the grid writes them.
    assert_eq!(
        rows[0][2],
        "workloads[app].containers[app].resources.limits.memory"
    );
    assert_eq!(rows[0][3], "traffic[app].rps");
    let p = |limit: &str, rps: &str| -> f64 {
        rows.iter().find(|r| r[2] == limit && r[3] == rps).unwrap()[5]
            .parse()
            .unwrap()
    };
    // More room, fewer OOMs; more traffic, more OOMs.
    assert!(p("64Mi", "100") >= p("96Mi", "100") && p("96Mi", "100") >= p("160Mi", "100"));
    assert!(p("96Mi", "100") >= p("96Mi", "50"));
    assert_eq!(p("64Mi", "100"), 1.0);
    assert_eq!(p("160Mi", "50"), 0.0);
}

/// 10,000 replicas of one Deployment on 50 nodes, for a minute.
const TEN_THOUSAND_PODS: &str = r#"
name: ten-thousand-pods
duration: 1m
seed: 5
nodes: [{name: n, count: 50, capacity: 64Gi}]
workloads:
  - name: api
    replicas: 10000
    containers:
      - name: api
        resources: {requests: {memory: 16Mi}, limits: {memory: 64Mi}}
        memory:
          baseline: {size: 32Mi}
traffic:
  - service: api
    rps: 100000
"#;

/// A 10,000-replica Deployment starts: every pod is placed, ready and serving its share.
/// (Creating, placing and starting pods must not recurse once per pod, nor cost the
/// square of the pods.)
#[test]
fn a_ten_thousand_replica_workload_starts() {
    let s = inline(TEN_THOUSAND_PODS);
    let mut world = meshmem::runner::world(&s, 0, 0, meshmem::model::Discard);
    world.run_until(meshmem::engine::SimTime::from_secs(30));
    let snap = world.snapshot();
    let api = &snap.workloads[0];
    assert_eq!(
        (api.desired, api.current, api.ready),
        (10_000, 10_000, 10_000)
    );
    assert_eq!(snap.pods.len(), 10_000);
    assert!(snap.pods.iter().all(|p| p.node.is_some() && p.ready));
    let served: f64 = snap.pods.iter().map(|p| p.rps).sum();
    assert!(
        (served / 100_000.0 - 1.0).abs() < 0.5,
        "{served} rps served"
    );
    assert!(snap.pods.iter().all(|p| p.rps > 0.0));
}
