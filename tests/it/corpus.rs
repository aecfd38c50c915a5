//! The corpus of malformed scenarios: every file under `tests/corpus/` is refused by
//! `meshmem check` with exit code 2 and a message naming the place its first line gives
//! (`# expect: exit 2 at LINE:COL: fragment`), within a time and memory bound, with no
//! panic and none of the YAML library's advice to developers. Large inputs (alias bombs,
//! deep nesting, a million sweep points, huge files) are generated here rather than kept.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Per file: what `check` may take before the corpus counts it as a hang.
const TIME: Duration = Duration::from_secs(60);
/// Per file: the address space `check` may use (KiB), enough for the binary and far
/// below what an unbounded allocation would ask.
const MEMORY_KIB: u64 = 1 << 20;

/// Phrases of the YAML library's developer messages, and signs of a crash.
const NEVER: [&str; 7] = [
    "DuplicateKeyPolicy",
    "from_str_multiple",
    "budget breached",
    "Options",
    "panicked",
    "RUST_BACKTRACE",
    "memory allocation",
];

/// What a corpus file expects.
struct Expect {
    line_col: String,
    fragment: String,
}

fn expectation(path: &Path) -> Expect {
    let text = std::fs::read(path).unwrap();
    let first = String::from_utf8_lossy(text.split(|&b| b == b'\n').next().unwrap()).to_string();
    let rest = first
        .strip_prefix("# expect: exit 2 at ")
        .unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
    let (line_col, fragment) = rest.split_once(": ").unwrap_or((rest, ""));
    Expect {
        line_col: line_col.trim().to_string(),
        fragment: fragment.trim().to_string(),
    }
}

/// `meshmem check path` under the bounds; returns (exit code, stderr).
fn check(path: &Path) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("meshmem");
    let script = format!(
        "ulimit -v {MEMORY_KIB}; exec \"{}\" check \"{}\"",
        bin.display(),
        path.display()
    );
    let out = assert_cmd::Command::new("sh")
        .args(["-c", &script])
        .env("NO_COLOR", "1")
        .timeout(TIME)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_refused(path: &Path, line_col: Option<&str>, fragment: &str) {
    let (code, stderr) = check(path);
    let name = path.file_name().unwrap().to_string_lossy();
    assert_eq!(code, Some(2), "{name}: exit code\n{stderr}");
    if let Some(lc) = line_col {
        assert!(
            stderr.contains(&format!("{name}:{lc}:")),
            "{name}: not placed at {lc}\n{stderr}"
        );
    }
    assert!(
        stderr.contains(fragment),
        "{name}: no `{fragment}` in\n{stderr}"
    );
    for never in NEVER {
        assert!(!stderr.contains(never), "{name}: `{never}` in\n{stderr}");
    }
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_is_refused_where_it_says() {
    let files = corpus();
    assert!(files.len() >= 100, "only {} corpus files", files.len());
    for f in &files {
        let e = expectation(f);
        assert_refused(f, Some(&e.line_col), &e.fragment);
    }
}

/// A valid head to which the generated cases add.
const HEAD: &str = "name: big\nduration: 1h\nnodes: [{name: n, capacity: 4Gi}]\nworkloads:\n  - name: app\n    containers: [{name: app}]\n";

fn generated(name: &str, text: &[u8], line_col: Option<&str>, fragment: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    assert_refused(&path, line_col, fragment);
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut yaml = format!(
        "{HEAD}variants:\n  - name: v\n    set:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    );
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        yaml += &format!("      a{i}: &a{i} [{refs}]\n");
    }
    generated("bomb.yaml", yaml.as_bytes(), None, "aliases");
}

#[test]
fn deep_nesting_is_refused() {
    let yaml = format!(
        "{HEAD}description: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    generated("deep.yaml", yaml.as_bytes(), Some("7"), "");
}

#[test]
fn a_million_point_sweep_is_refused() {
    let values: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let values = values.join(", ");
    let yaml = format!(
        "{HEAD}sweeps:\n  - name: huge\n    grid:\n      seed: [{values}]\n      replicas: [{values}]\n      workloads[app].replicas: [{values}]\n"
    );
    generated(
        "sweep.yaml",
        yaml.as_bytes(),
        Some("8:11"),
        "1000000 points",
    );
}

#[test]
fn a_hundred_thousand_variants_are_refused() {
    let mut yaml = format!("{HEAD}variants:\n");
    for i in 0..100_000 {
        yaml += &format!("  - name: v{i}\n");
    }
    generated("variants.yaml", yaml.as_bytes(), None, "");
}

#[test]
fn a_huge_description_and_a_long_line_are_handled() {
    let yaml = format!("{HEAD}description: {}\nbogus: 1\n", "x".repeat(20 << 20));
    generated(
        "long.yaml",
        yaml.as_bytes(),
        Some("8:1"),
        "unknown field `bogus`",
    );
}

#[test]
fn binary_garbage_is_refused_with_its_byte() {
    let mut bytes = HEAD.as_bytes().to_vec();
    bytes.extend_from_slice(b"description: \x00\x9f\x92\x96\xff\n");
    let at = HEAD.len() + "description: ".len() + 1;
    generated("garbage.yaml", &bytes, Some("7:15"), &format!("byte {at}"));
}
