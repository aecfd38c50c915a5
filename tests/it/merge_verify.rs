//! `meshmem merge` trusts nothing it reads: names from run.json stay inside `--out`, and a
//! damaged or edited shard, or a folder that is not a shard, is refused (exit 2) with
//! nothing written.

use std::path::{Path, PathBuf};

use crate::support::{TINY, entries, meshmem, write};

/// Runs shards 0/2 and 1/2 of TINY into `d/s0` and `d/s1`; returns their scenario folders.
fn two_shards(d: &Path) -> [PathBuf; 2] {
    let file = write(d, "tiny.yaml", TINY);
    for i in 0..2 {
        meshmem()
            .args(["run", "--quiet", "--shard", &format!("{i}/2"), "--out"])
            .arg(d.join(format!("s{i}")))
            .arg(&file)
            .assert()
            .success();
    }
    [d.join("s0/tiny"), d.join("s1/tiny")]
}

/// Merges `inputs` into `d/out`, expecting exit 2 and `fragments` in the message, and
/// nothing written.
fn refused(d: &Path, inputs: &[PathBuf], fragments: &[&str]) {
    let out = d.join("out");
    let assert = meshmem()
        .arg("merge")
        .args(inputs)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for f in fragments {
        assert!(stderr.contains(f), "missing `{f}` in:\n{stderr}");
    }
    assert_eq!(
        entries(&out),
        Vec::<String>::new(),
        "merge wrote into --out"
    );
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

#[test]
fn a_scenario_name_in_run_json_cannot_reach_outside_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    let victim = d.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep"), "precious").unwrap();
    for name in ["../victim".to_string(), victim.display().to_string()] {
        for s in [&s0, &s1] {
            edit(&s.join("run.json"), |t| {
                let mut v: serde_json::Value = serde_json::from_str(&t).unwrap();
                v["scenario"] = name.clone().into();
                serde_json::to_string_pretty(&v).unwrap()
            });
        }
        refused(d, &[s0.clone(), s1.clone()], &["cannot be a scenario name"]);
        assert_eq!(entries(&victim), ["keep"], "merge touched {name}");
    }
}

#[test]
fn a_truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    let summary = s1.join("summary.csv");
    let bytes = std::fs::read(&summary).unwrap();
    std::fs::write(&summary, &bytes[..bytes.len() - 40]).unwrap();
    refused(d, &[s0, s1], &["summary.csv", "SHA-256"]);
}

#[test]
fn rewritten_replica_numbers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    // Shard 1 holds replicas 1 and 3: call them 0 and 2, as if shard 0 were given twice.
    edit(&s1.join("summary.csv"), |t| {
        t.replace("baseline,1,", "baseline,0,")
            .replace("baseline,3,", "baseline,2,")
    });
    refused(d, &[s0, s1], &["summary.csv", "SHA-256"]);
}

#[test]
fn reordered_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    edit(&s0.join("events.csv"), |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        let n = lines.len();
        lines.swap(1, n - 1);
        lines.join("\n") + "\n"
    });
    refused(d, &[s0, s1], &["events.csv", "SHA-256"]);
}

#[test]
fn an_edited_value_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    edit(&s0.join("containers.csv"), |t| {
        t.replacen(",app,app,", ",app,app,9", 1)
    });
    refused(d, &[s0, s1], &["containers.csv", "SHA-256"]);
}

#[test]
fn a_changed_header_unknown_variant_or_garbage_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    let slo = s0.join("slo.csv");
    let original = std::fs::read(&slo).unwrap();
    edit(&slo, |t| t.replacen("requests", "requestz", 1));
    refused(d, &[s0.clone(), s1.clone()], &["slo.csv"]);
    edit(&slo, |t| t.replace("baseline,", "nobody,"));
    refused(d, &[s0.clone(), s1.clone()], &["slo.csv"]);
    std::fs::write(&slo, b"\x00\xff garbage \xfe\n,,,\n").unwrap();
    refused(d, &[s0.clone(), s1.clone()], &["slo.csv"]);
    std::fs::write(&slo, original).unwrap();
    // Put right, the same shards merge.
    meshmem()
        .arg("merge")
        .args([&s0, &s1])
        .arg("--out")
        .arg(d.join("out"))
        .assert()
        .success();
}

#[test]
fn a_folder_that_is_not_a_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, s1] = two_shards(d);
    // A whole run of the same scenario is not a shard of it.
    let whole = d.join("whole");
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(&whole)
        .arg(d.join("tiny.yaml"))
        .assert()
        .success();
    refused(d, &[whole.join("tiny")], &["not a shard"]);
    // A folder with no run outputs at all is not silently skipped.
    let empty = d.join("notes");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("readme.txt"), "hello").unwrap();
    refused(d, &[s0, s1, empty], &["notes", "run.json"]);
}

#[test]
fn a_shard_whose_run_json_claims_another_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [s0, _] = two_shards(d);
    // Shard 0 copied and relabelled as shard 1: every file matches its hash, but the
    // replicas are the wrong ones.
    let fake = d.join("fake/tiny");
    std::fs::create_dir_all(&fake).unwrap();
    for f in entries(&s0) {
        std::fs::copy(s0.join(&f), fake.join(&f)).unwrap();
    }
    edit(&fake.join("run.json"), |t| {
        t.replace("\"index\": 0", "\"index\": 1")
    });
    refused(d, &[s0, fake], &["replica"]);
}
