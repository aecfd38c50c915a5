//! Snapshots of every CSV writer and printed table, from fixed seeds: a change in a
//! column, a format or a quoting rule shows as a diff to review (`cargo insta review`).
//! Nothing in them depends on the clock, the machine or the thread count.

use meshmem::report::{self, CsvSinks, OutputDir, PlanQuestion, RunMeta};
use meshmem::runner::plan::{Plan, PlanPoint, Verdict};
use meshmem::runner::{self, DiscardSinks, ReplicaResult, RunOptions};
use meshmem::scenario::Scenario;
use meshmem::stats::Proportion;

use crate::support::{TINY, inline};

/// TINY with a variant whose name needs quoting, and a two-point sweep.
fn scenario() -> Scenario {
    inline(&format!(
        "{TINY}variants:\n  - name: \"more, please\"\n    description: a \"quoted\" variant\n    set:\n      traffic[app].rps: 60\nsweeps:\n  - name: limit\n    grid:\n      workloads[app].containers[app].resources.limits.memory: [192Mi, 512Mi]\n"
    ))
}

fn results(s: &Scenario) -> Vec<ReplicaResult> {
    let options = RunOptions {
        threads: Some(1),
        ..RunOptions::default()
    };
    runner::run_scenario(s, &DiscardSinks, &options).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn summary_and_containers_csv() {
    let s = scenario();
    let r = results(&s);
    insta::assert_snapshot!("summary_csv", text(&report::summary_csv(&s, &r).unwrap()));
    insta::assert_snapshot!(
        "containers_csv",
        text(&report::containers_csv(&s, &r).unwrap())
    );
}

#[test]
fn comparison_and_sweep_csv_and_the_comparison_table() {
    let s = scenario();
    let r = results(&s);
    let meta = RunMeta::new(&s, None);
    let a = report::analyse(
        &meta,
        &report::summary_csv(&s, &r).unwrap(),
        &report::containers_csv(&s, &r).unwrap(),
    )
    .unwrap();
    insta::assert_snapshot!("comparison_csv", text(&a.comparison_csv));
    insta::assert_snapshot!("sweep_csv", text(&a.sweep_csv.unwrap()));
    insta::assert_snapshot!("comparison_table", a.table);
}

#[test]
fn the_run_table() {
    let s = scenario();
    let r = results(&s);
    insta::assert_snapshot!("run_table", report::table(&s, &r));
}

#[test]
fn streamed_csv_files_begin_as_they_did() {
    let s = inline(TINY);
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(dir.path(), "tiny").unwrap();
    let buckets = s
        .variants
        .iter()
        .map(|v| {
            let c = &v.config;
            (
                c.duration,
                report::bucket_width(c.duration, c.scrape_interval),
            )
        })
        .collect();
    let sinks = CsvSinks::new(
        out.parts(),
        vec!["baseline".into()],
        s.timeseries_replicas,
        true,
        vec![false],
        buckets,
    );
    let options = RunOptions {
        threads: Some(1),
        ..RunOptions::default()
    };
    runner::run_scenario(&s, &sinks, &options).unwrap();
    let head = |part: std::path::PathBuf| -> String {
        let t = std::fs::read_to_string(part).unwrap();
        t.lines().take(12).collect::<Vec<_>>().join("\n")
    };
    insta::assert_snapshot!("timeseries_part", head(sinks.timeseries_part(0, 1)));
    insta::assert_snapshot!("pod_timeseries_part", head(sinks.pod_timeseries_part(0, 1)));
    insta::assert_snapshot!("slo_part", head(sinks.slo_part(0, 1)));
    insta::assert_snapshot!("events_part", head(sinks.events_part(0, 1)));
    insta::assert_snapshot!("memory_part", head(sinks.memory_part(0, 1)));
}

#[test]
fn the_plan_csv_and_text() {
    let point = |mib: u64, runs: u32, oom: u32, verdict| PlanPoint {
        limit: meshmem::model::Bytes::mib(mib),
        runs,
        oom_runs: oom,
        p: Proportion {
            p: f64::from(oom) / f64::from(runs),
            lo: 0.0,
            hi: 0.05,
        },
        verdict,
    };
    let plan = Plan {
        limit: Some(point(264, 200, 1, Verdict::Pass)),
        below: Some(point(256, 400, 30, Verdict::Fail)),
        points: vec![
            point(128, 100, 100, Verdict::Fail),
            point(256, 400, 30, Verdict::Fail),
            point(264, 200, 1, Verdict::Pass),
        ],
        lifted_runs: Some(400),
        feedback: None,
        recommendation: point(300, 100, 0, Verdict::Pass),
        replicas: 3,
        current: Some(meshmem::model::Bytes::mib(256)),
    };
    let q = PlanQuestion {
        scenario: "tiny",
        variant: "baseline",
        container: "app/app",
        risk: 0.01,
        within_s: 3600,
    };
    insta::assert_snapshot!("plan_csv", text(&report::plan_csv(&q, &plan).unwrap()));
    insta::assert_snapshot!("plan_text", report::plan_text(&q, "1h0m0s", &plan));
}
