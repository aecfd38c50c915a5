//! Helpers shared by the integration tests.

use std::path::Path;

use meshmem::engine::SimTime;
use meshmem::model::{DbSample, EventKind, EventRecord, Recorder, RedisSample, RunOutcome, Sample};
use meshmem::runner;
use meshmem::scenario::{self, Scenario};

/// An event as the tests look at it.
#[derive(Clone, Debug)]
pub struct Ev {
    pub time: SimTime,
    pub pod: String,
    pub container: String,
    pub kind: EventKind,
    pub reason: String,
    pub exit_code: Option<i32>,
    pub message: String,
}

/// A Redis scrape as the tests look at it.
#[derive(Clone, Debug)]
pub struct RedisRow {
    pub time: SimTime,
    pub used: u64,
    pub maxmemory: u64,
    pub evicted: u64,
    pub hits: u64,
    pub rejected: u64,
}

/// Keeps every event (and samples, when asked).
#[derive(Default)]
pub struct Collect {
    pub events: Vec<Ev>,
    pub samples: Vec<(SimTime, String, String, u64, Option<u64>)>,
    pub redis: Vec<RedisRow>,
    /// (time, queries per second, utilisation, latency ms).
    pub db: Vec<(SimTime, f64, f64, f64)>,
    pub keep_samples: bool,
}

impl Recorder for Collect {
    fn wants_samples(&self) -> bool {
        self.keep_samples
    }
    fn sample(&mut self, s: &Sample<'_>) {
        self.samples.push((
            s.time,
            s.pod.into(),
            s.container.into(),
            s.working_set,
            s.limit,
        ));
    }
    fn redis(&mut self, s: &RedisSample<'_>) {
        self.redis.push(RedisRow {
            time: s.time,
            used: s.used_memory,
            maxmemory: s.maxmemory,
            evicted: s.evicted_keys,
            hits: s.keyspace_hits,
            rejected: s.rejected_writes,
        });
    }
    fn db(&mut self, s: &DbSample<'_>) {
        self.db.push((s.time, s.qps, s.utilisation, s.latency_ms));
    }
    fn event(&mut self, e: &EventRecord<'_>) {
        self.events.push(Ev {
            time: e.time,
            pod: e.pod.into(),
            container: e.container.into(),
            kind: e.kind,
            reason: e.reason.into(),
            exit_code: e.exit_code,
            message: e.message.into(),
        });
    }
}

/// A scenario from inline YAML; panics with the error report if invalid.
pub fn inline(yaml: &str) -> Scenario {
    scenario::parse(Path::new("inline.yaml"), yaml).unwrap_or_else(|e| panic!("{e}"))
}

/// A shipped scenario.
pub fn shipped(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Index of variant `name`.
pub fn variant(s: &Scenario, name: &str) -> usize {
    s.variants
        .iter()
        .position(|v| v.name == name)
        .unwrap_or_else(|| panic!("no variant {name}"))
}

/// Runs one replica and keeps its events.
pub fn run(s: &Scenario, variant: usize, replica: u32) -> (RunOutcome, Collect) {
    runner::run_one(s, variant, replica, Collect::default())
}

/// Runs one replica and keeps events and samples.
pub fn run_sampled(s: &Scenario, variant: usize, replica: u32) -> (RunOutcome, Collect) {
    let rec = Collect {
        keep_samples: true,
        ..Collect::default()
    };
    runner::run_one(s, variant, replica, rec)
}

/// Seconds as a float, for assertions.
pub fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

/// Each pod's first OOM kill in a run's events (seconds), by pod name.
pub fn first_oom_by_pod(rec: &Collect) -> std::collections::BTreeMap<String, f64> {
    let mut first = std::collections::BTreeMap::new();
    for e in rec.events.iter().filter(|e| e.reason == "OOMKilled") {
        first.entry(e.pod.clone()).or_insert(secs(e.time));
    }
    first
}

/// Every file under `dir`, by path relative to it, with its bytes.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two output folders hold the same files with the same bytes.
pub fn assert_same_tree(a: &Path, b: &Path, what: &str) {
    let (ta, tb) = (tree(a), tree(b));
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "{what}: different files"
    );
    for (file, bytes) in &ta {
        assert!(*bytes == tb[file], "{what}: {file} differs");
    }
}

/// The `meshmem` binary, with colours off so messages can be matched.
pub fn meshmem() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("meshmem").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A small, fast scenario: a leak under a 256Mi limit, killed in most runs within the hour.
pub const TINY: &str = r#"name: tiny
duration: 1h
replicas: 4
nodes: [{name: n, capacity: 4Gi}]
workloads:
  - name: app
    containers:
      - name: app
        resources:
          requests: {memory: 128Mi}
          limits: {memory: 256Mi}
        memory:
          baseline: {size: 100Mi}
          leak: {perRequest: 1Ki}
traffic:
  - service: app
    rps: 50
    noise: {sd: 0.3, correlation: 10m}
"#;

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Names of the entries of `dir` (empty if it does not exist), sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
