//! Malformed scenarios: exit code 2, file:line:column and the expected form, no output.

use assert_cmd::Command;
use predicates::prelude::*;

const GOOD: &str = r#"name: tiny
duration: 1h
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources:
          requests: {memory: 128Mi}
          limits: {memory: 256Mi}
"#;

/// Runs `meshmem run` on `yaml` in a fresh folder; returns stderr and whether any
/// output folder appeared.
fn run_bad(yaml: &str) -> (String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, yaml).unwrap();
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .env("NO_COLOR", "1")
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    (stderr, out.exists())
}

fn expect(yaml: &str, line_col: &str, fragments: &[&str]) {
    let (stderr, wrote) = run_bad(yaml);
    assert!(!wrote, "an output folder was written");
    assert!(
        stderr.contains(&format!("bad.yaml:{line_col}")),
        "no location {line_col} in:\n{stderr}"
    );
    for f in fragments {
        assert!(stderr.contains(f), "missing `{f}` in:\n{stderr}");
    }
}

#[test]
fn a_good_scenario_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("good.yaml");
    std::fs::write(&file, GOOD).unwrap();
    Command::cargo_bin("meshmem")
        .unwrap()
        .arg("check")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (tiny, 1 variant)"));
}

#[test]
fn wrong_type_is_reported_with_its_location() {
    expect(
        &GOOD.replace("duration: 1h", "duration: 1h\nreplicas: many"),
        "3:11",
        &["invalid u32", "a whole number"],
    );
}

#[test]
fn unknown_key_is_an_error_not_ignored() {
    expect(
        &GOOD.replace("duration: 1h", "duration: 1h\nreplicaz: 3"),
        "3:1",
        &["unknown field `replicaz`", "replicas"],
    );
}

#[test]
fn unknown_quantity_suffix_names_the_expected_form() {
    expect(
        &GOOD.replace("256Mi", "12Qi"),
        "10:28",
        &["`12Qi`", "512Mi, 1.5Gi"],
    );
}

#[test]
fn negative_duration_is_rejected() {
    expect(
        &GOOD.replace("duration: 1h", "duration: -5s"),
        "2:11",
        &["negative duration `-5s`", "2h45m"],
    );
}

#[test]
fn limit_below_request_points_at_the_limit() {
    expect(
        &GOOD.replace("256Mi", "100Mi"),
        "10:28",
        &[
            "memory limit 100Mi is below its request 128Mi",
            "at least as large as the request",
        ],
    );
}

#[test]
fn unknown_workload_in_traffic_lists_the_workloads() {
    let yaml = format!("{GOOD}traffic:\n  - service: api\n    rps: 10\n");
    expect(&yaml, "12:14", &["no workload named `api`", "one of: app"]);
}

#[test]
fn bad_variant_path_points_at_the_variant() {
    let yaml =
        format!("{GOOD}variants:\n  - name: v\n    set:\n      workloads[api].replicas: 3\n");
    expect(&yaml, "14:32", &["no element `api`"]);
}

#[test]
fn a_bad_file_among_good_ones_stops_everything_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-good.yaml"), GOOD).unwrap();
    std::fs::write(dir.path().join("b-bad.yaml"), GOOD.replace("1h", "soon")).unwrap();
    let out = dir.path().join("out");
    Command::cargo_bin("meshmem")
        .unwrap()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("b-bad.yaml:2:11"));
    assert!(!out.exists());
}

#[test]
fn a_missing_file_is_a_usage_error() {
    Command::cargo_bin("meshmem")
        .unwrap()
        .args(["check", "does-not-exist.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such scenario file"));
}
