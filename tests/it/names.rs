//! Names that become rows, columns and file names: unique, and checked at `check` so that
//! a run never fails after simulating.

use crate::support::{TINY, entries, meshmem, write};

/// `meshmem check` on `yaml`: exit 2 with `line_col` and `fragments` in the message.
fn check_refuses(yaml: &str, line_col: &str, fragments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.yaml", yaml);
    let assert = meshmem().arg("check").arg(&file).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("s.yaml:{line_col}")),
        "no {line_col} in:\n{stderr}"
    );
    for f in fragments {
        assert!(stderr.contains(f), "missing `{f}` in:\n{stderr}");
    }
}

#[test]
fn two_sweeps_with_one_name_are_refused() {
    let yaml = format!(
        "{TINY}sweeps:\n  - name: s\n    grid:\n      traffic[app].rps: [10, 20]\n  - name: s\n    grid:\n      traffic[app].rps: [30, 40, 50]\n"
    );
    check_refuses(&yaml, "23:11", &["sweep name `s` is used twice"]);
}

#[test]
fn a_variant_cannot_take_a_grid_points_name() {
    let yaml = format!(
        "{TINY}variants:\n  - name: s/0\n    set:\n      traffic[app].rps: 1\nsweeps:\n  - name: s\n    grid:\n      traffic[app].rps: [10, 20]\n"
    );
    check_refuses(&yaml, "20:11", &["`s/0`", "'/'"]);
}

#[test]
fn a_sweep_name_must_be_usable_in_a_file_name() {
    let yaml =
        format!("{TINY}sweeps:\n  - name: a/b\n    grid:\n      traffic[app].rps: [10, 20]\n");
    check_refuses(&yaml, "20:11", &["`a/b` cannot be a sweep name"]);
}

#[test]
fn a_variant_name_with_a_comma_runs_and_every_csv_quotes_it() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "{TINY}variants:\n  - name: \"more, please\"\n    set:\n      traffic[app].rps: 60\n"
    );
    let file = write(dir.path(), "s.yaml", &yaml);
    let out = dir.path().join("out");
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let folder = out.join("tiny");
    for f in entries(&folder).iter().filter(|f| f.ends_with(".csv")) {
        let mut r = csv::Reader::from_path(folder.join(f)).unwrap();
        let width = r.headers().unwrap().len();
        let (mut seen, mut rows) = (false, 0);
        for rec in r.records() {
            let rec = rec.unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(rec.len(), width, "{f}: {rec:?}");
            seen |= rec.iter().any(|c| c == "more, please");
            rows += 1;
        }
        // The data tier's files are written (header only) when the scenario has no
        // Redis, database or service calls, as this one, and the per-pod series when it
        // does not ask for them: they have no row to quote.
        let optional = [
            "redis.csv",
            "db.csv",
            "dependencies.csv",
            "pod-timeseries.csv",
        ];
        if rows == 0 && optional.contains(&f.as_str()) {
            continue;
        }
        assert!(seen, "{f} has no row of the variant");
    }
}
