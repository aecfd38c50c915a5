//! Drills: the evidence comes from the simulation, the verdict too.

use std::path::Path;

use assert_cmd::Command;
use meshmem::drill::session::{Outcome, Session};
use meshmem::scenario;

/// Two containers; the one with `leak` on it is OOM-killed again and again.
const LEAK_DRILL: &str = r#"
name: drill-leak
duration: 1h
seed: 7
nodes: [{name: node-a, capacity: 8Gi}]
workloads:
  - name: web
    replicas: 2
    containers:
      - name: app
        resources: {requests: {memory: 48Mi}, limits: {memory: 64Mi}}
        memory: {baseline: {size: 32Mi}, leak: {perRequest: 1Ki}}
      - name: helper
        resources: {requests: {memory: 48Mi}, limits: {memory: 64Mi}}
        memory: {baseline: {size: 16Mi}}
traffic: [{service: web, rps: 200}]
drill:
  title: Leak drill
  namespace: shop
  page: {alert: KubePodCrashLooping, summary: web is crash-looping}
  decision: {restarts: 5}
  question: Which container do you give more memory?
  hints: [Look at Last State.]
  scoring: {horizon: 20m, replicas: 3}
  options:
    - name: A
      text: raise the app container's limit to 1Gi
      actions: [{setResources: {workload: web, container: app, limits: {memory: 1Gi}}}]
    - name: B
      text: raise the helper container's limit to 1Gi
      actions: [{setResources: {workload: web, container: helper, limits: {memory: 1Gi}}}]
"#;

/// The same, but the helper leaks and the app does not.
fn helper_leaks() -> String {
    LEAK_DRILL
        .replace(
            "memory: {baseline: {size: 32Mi}, leak: {perRequest: 1Ki}}",
            "memory: {baseline: {size: 32Mi}}",
        )
        .replace(
            "memory: {baseline: {size: 16Mi}}",
            "memory: {baseline: {size: 16Mi}, leak: {perRequest: 1Ki}}",
        )
}

fn session_output(yaml: &str, commands: &[&str]) -> Vec<String> {
    let (s, d) = scenario::parse_drill(Path::new("drill.yaml"), yaml).unwrap();
    let d = d.expect("a drill section");
    let mut session = Session::start(&s, &d).unwrap();
    commands
        .iter()
        .map(|c| session.execute(c, None).0)
        .collect()
}

#[test]
fn kubectl_renderings_after_the_fifth_restart() {
    let out = session_output(
        LEAK_DRILL,
        &[
            "kubectl get pods",
            "kubectl describe pods",
            "kubectl top pod --containers",
            "kubectl get events",
            "kubectl get deploy,hpa,vpa",
            "wait 30s",
            "kubectl get pods -o wide",
        ],
    );
    insta::assert_snapshot!("leak_get_pods", out[0]);
    insta::assert_snapshot!("leak_describe_pods", out[1]);
    insta::assert_snapshot!("leak_top_containers", out[2]);
    insta::assert_snapshot!("leak_get_events", out[3]);
    insta::assert_snapshot!("leak_get_deploy_hpa_vpa", out[4]);
    insta::assert_snapshot!("leak_get_pods_wide_later", out[6]);
}

#[test]
fn the_evidence_follows_the_container_the_model_kills() {
    let describe = |yaml: &str| session_output(yaml, &["kubectl describe pods"]).remove(0);
    let killed = |d: &str, container: &str| {
        let block = d
            .split(&format!("  {container}:\n"))
            .nth(1)
            .unwrap()
            .split("\n  ")
            .next()
            .unwrap()
            .to_string();
        let tail = d.split(&format!("  {container}:\n")).nth(1).unwrap();
        let upto = tail.find("Restart Count").unwrap();
        let _ = block;
        tail[..upto].contains("OOMKilled")
    };
    let app = describe(LEAK_DRILL);
    assert!(killed(&app, "app") && !killed(&app, "helper"), "{app}");
    let helper = describe(&helper_leaks());
    assert!(
        killed(&helper, "helper") && !killed(&helper, "app"),
        "{helper}"
    );
}

fn answer_json(path: &Path, answer: &str, extra: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("meshmem")
        .unwrap()
        .arg("drill")
        .arg(path)
        .args(["--answer", answer, "--json", "--no-report"])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn the_verdict_is_the_simulation_s_and_moves_with_the_mechanism() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, LEAK_DRILL).unwrap();
    let helper = dir.path().join("helper.yaml");
    std::fs::write(&helper, helper_leaks()).unwrap();
    let j = answer_json(&app, "A", &[]);
    assert_eq!(
        (j["best"].as_str(), j["correct"].as_bool()),
        (Some("A"), Some(true)),
        "{j}"
    );
    let j = answer_json(&helper, "A", &[]);
    assert_eq!(
        (j["best"].as_str(), j["correct"].as_bool()),
        (Some("B"), Some(false)),
        "{j}"
    );
}

fn shipped(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

#[test]
fn seed_000_b_is_best_a_is_not() {
    let s = shipped("sidecar-oom-spiral.yaml");
    let b = answer_json(&s, "B", &["--replicas", "4"]);
    assert_eq!(
        b["drill"],
        "Depth drill 02: service mesh sidecar OOM spiral"
    );
    assert_eq!(
        (b["best"].as_str(), b["chosen"].as_str()),
        (Some("B"), Some("B")),
        "{b}"
    );
    assert_eq!(b["correct"], true);
    for o in b["options"].as_array().unwrap() {
        for term in [
            "error_budget",
            "oom_kills",
            "recovery_minutes",
            "policy_violations",
        ] {
            let t = &o["terms"][term];
            assert!(
                t["lo"].as_f64().unwrap() <= t["hi"].as_f64().unwrap(),
                "{o}"
            );
        }
    }
    let a = answer_json(&s, "A", &["--replicas", "10"]);
    assert_eq!(
        (a["best"].as_str(), a["correct"].as_bool()),
        (Some("B"), Some(false)),
        "{a}"
    );
}

#[test]
fn a_scripted_seed_000_session_shows_kubectl_s_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("session.txt");
    std::fs::write(
        &script,
        "kubectl get pods\nkubectl describe pods\nwait 15s\nkubectl get pods\nchoose B --reason \"the sidecar is killed\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("meshmem")
        .unwrap()
        .arg("drill")
        .arg(shipped("sidecar-oom-spiral.yaml"))
        .arg("--commands")
        .arg(&script)
        .args(["--replicas", "2", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for needle in [
        "READY   STATUS",
        "OOMKilled",
        "Exit Code:    137",
        "Reason:       OOMKilled",
        "Restart Count:  1",
        "(0s ago)",
        "You chose B",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert!(
        dir.path()
            .join("out/drills/sidecar-oom-spiral/report.html")
            .is_file()
    );
}

#[test]
fn crash_loop_back_off_shows_while_the_kubelet_waits() {
    // At the fifth restart one pod's app has just restarted; the other's waits out its
    // back-off (20 s after its third kill).
    let out = session_output(LEAK_DRILL, &["kubectl get pods", "kubectl describe pods"]);
    assert!(out[0].contains("CrashLoopBackOff"), "{}", out[0]);
    assert!(
        out[1].contains("Reason:       CrashLoopBackOff"),
        "{}",
        out[1]
    );
}

#[test]
fn choosing_ends_the_session_with_the_answer() {
    let (s, d) = scenario::parse_drill(Path::new("drill.yaml"), LEAK_DRILL).unwrap();
    let d = d.unwrap();
    let mut session = Session::start(&s, &d).unwrap();
    assert!(
        session
            .execute("choose Z", None)
            .0
            .contains("no option `Z`")
    );
    let (_, outcome) = session.execute("choose b --reason 'helper'", None);
    assert!(matches!(outcome, Outcome::Chose(a) if a.option == 1 && a.reason == "helper"));
}

#[test]
fn same_answer_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.yaml");
    std::fs::write(&f, LEAK_DRILL).unwrap();
    let one = answer_json(&f, "B", &["--threads", "1"]);
    let two = answer_json(&f, "B", &["--threads", "2"]);
    assert_eq!(one.to_string(), two.to_string());
}

#[test]
fn a_bad_drill_section_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    let bad = LEAK_DRILL.replace(
        "      actions: [{setResources: {workload: web, container: helper, limits: {memory: 1Gi}}}]",
        "      variant: no-such-variant",
    );
    std::fs::write(&f, &bad).unwrap();
    let line = bad
        .lines()
        .position(|l| l.contains("no-such-variant"))
        .unwrap()
        + 1;
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .arg("drill")
        .arg(&f)
        .args(["--answer", "A", "--out"])
        .arg(&out)
        .env("NO_COLOR", "1")
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains(&format!("bad.yaml:{line}:16")), "{stderr}");
    assert!(
        stderr.contains("no variant named `no-such-variant`"),
        "{stderr}"
    );
    assert!(!out.exists());
    // Two triggers: where the second one is.
    let two = LEAK_DRILL.replace(
        "decision: {restarts: 5}",
        "decision: {restarts: 5, at: 10m}",
    );
    std::fs::write(&f, &two).unwrap();
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .args(["check"])
        .arg(&f)
        .env("NO_COLOR", "1")
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("exactly one trigger"), "{stderr}");
}

#[test]
fn grep_after_context_takes_both_spellings() {
    let out = session_output(
        LEAK_DRILL,
        &[
            "kubectl describe pods | grep -A3 'Last State'",
            "kubectl describe pods | grep -A 3 'Last State'",
        ],
    );
    assert_eq!(out[0], out[1]);
    assert!(out[0].contains("Exit Code:    137"), "{}", out[0]);
}
