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

/// `meshmem check` on `bytes`; returns the message (exit code 2 asserted).
pub(crate) fn check_message(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, bytes).unwrap();
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .arg("check")
        .arg(&file)
        .env("NO_COLOR", "1")
        .assert()
        .code(2);
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

/// Phrases of the YAML library's developer advice that must never reach a user.
const INTERNALS: [&str; 5] = [
    "DuplicateKeyPolicy",
    "from_str_multiple",
    "budget breached",
    "Nodes {",
    "Options",
];

fn no_internals(message: &str) {
    for phrase in INTERNALS {
        assert!(
            !message.contains(phrase),
            "`{phrase}` leaks into:\n{message}"
        );
    }
}

#[test]
fn a_duplicate_key_is_named_in_words() {
    let m = check_message(
        GOOD.replace("duration: 1h", "duration: 1h\nduration: 2h")
            .as_bytes(),
    );
    no_internals(&m);
    assert!(
        m.contains("bad.yaml:3:1") && m.contains("`duration` is written twice"),
        "{m}"
    );
}

#[test]
fn a_second_document_is_named_in_words() {
    let m = check_message(format!("{GOOD}---\n{GOOD}").as_bytes());
    no_internals(&m);
    assert!(
        m.contains("bad.yaml:12:1") && m.contains("one scenario per file"),
        "{m}"
    );
}

#[test]
fn an_alias_bomb_is_refused_in_words() {
    let mut yaml = format!("{GOOD}variants:\n  - name: v\n    set:\n");
    yaml += "      a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (name, prev) in [
        ("b", "a"),
        ("c", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "e"),
        ("g", "f"),
    ] {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        yaml += &format!("      {name}: &{name} [{refs}]\n");
    }
    let m = check_message(yaml.as_bytes());
    no_internals(&m);
    assert!(m.contains("aliases"), "{m}");
}

#[test]
fn a_tab_is_reported_on_its_own_line() {
    // Line 3 starts with a tab; the YAML reader blames the end of line 2.
    let yaml = GOOD.replace("nodes:", "\tnodes:");
    let m = check_message(yaml.as_bytes());
    assert!(m.contains("bad.yaml:3:1"), "{m}");
    assert!(m.contains("tab"), "{m}");
}

#[test]
fn a_value_of_the_baseline_is_blamed_on_the_baseline() {
    let yaml = format!(
        "{}variants:\n  - name: v\n    set:\n      workloads[app].replicas: 2\n",
        GOOD.replace("capacity: 4Gi", "capacity: 18446744073709551615")
    );
    let m = check_message(yaml.as_bytes());
    assert!(m.contains("bad.yaml:3:29"), "{m}");
    assert!(m.contains("too large"), "{m}");
}

#[test]
fn invalid_utf8_gives_the_line_and_byte() {
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("app").unwrap();
    bytes[at] = 0xff;
    let m = check_message(&bytes);
    let line = GOOD[..at].matches('\n').count() + 1;
    assert!(m.contains(&format!("bad.yaml:{line}:")), "{m}");
    assert!(m.contains(&format!("byte {at}")), "{m}");
}

#[test]
fn an_io_error_prints_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("good.yaml");
    std::fs::write(&file, GOOD).unwrap();
    let not_a_folder = dir.path().join("out");
    std::fs::write(&not_a_folder, "a file").unwrap();
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .args(["run", "--quiet", "--out"])
        .arg(&not_a_folder)
        .arg(&file)
        .env("NO_COLOR", "1")
        .assert()
        .code(1);
    let m = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(m.matches("(os error").count(), 1, "{m}");
}
