//! Fuzzing the loader and `check`: mutations of the shipped scenarios (lines deleted,
//! doubled, swapped, cut; values replaced by hostile ones; tabs, anchors and bytes
//! inserted) and generated scenarios with extreme values are loaded in-process. Every
//! input must give a scenario or an error — never a panic — within a bound of time.
//!
//! The case count is fixed (3000 per property: 6000 inputs in ~18 s on 2 busy cores) so
//! that the test stays well within `cargo test`; `MESHMEM_FUZZ_CASES=20000` runs a longer
//! campaign. A failing case is shrunk and printed.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use meshmem::scenario::{self, LoadOptions};
use proptest::prelude::*;

/// A hang, as opposed to slow work: the slowest shipped scenario checks in well under a
/// second in the test profile.
const HANG: Duration = Duration::from_secs(30);

fn shipped() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut texts: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
        .collect();
    texts.sort();
    texts.into_iter().map(|(_, t)| t).collect()
}

/// Values that have broken parsers and models elsewhere.
const HOSTILE: [&str; 40] = [
    "0",
    "-1",
    "1e300",
    "-1e300",
    "1e-300",
    ".nan",
    ".inf",
    "-.inf",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "0.0000001",
    "\"\"",
    "~",
    "null",
    "[]",
    "{}",
    "[[[[[[]]]]]]",
    "*nowhere",
    "&a x",
    "!!binary aGk=",
    "!custom x",
    "16Ei",
    "8Pi",
    "0Mi",
    "-5Mi",
    "1ns",
    "0s",
    "100y",
    "5124096h",
    "2562047h47m16.854775807s",
    "1000000000",
    "true",
    "yes",
    "'quoted'",
    "\"a\\u0000b\"",
    "a/b",
    "../x",
    "|\n  multi\n  line",
];

/// One mutation of a text, by line.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Truncate(usize),
    ReplaceValue(usize, usize),
    InsertTab(usize, usize),
    InsertByte(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(l, v)| Mutation::ReplaceValue(l, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(l, c)| Mutation::InsertTab(l, c)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::InsertByte(at, b)),
    ]
}

fn apply(text: &str, m: &Mutation) -> Vec<u8> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let n = lines.len().max(1);
    match *m {
        Mutation::Delete(l) => {
            lines.remove(l % n);
        }
        Mutation::Duplicate(l) => {
            let line = lines[l % n].clone();
            lines.insert(l % n, line);
        }
        Mutation::Swap(a, b) => lines.swap(a % n, b % n),
        Mutation::Truncate(l) => lines.truncate(l % n),
        Mutation::ReplaceValue(l, v) => {
            let line = &mut lines[l % n];
            if let Some(i) = line.find(": ") {
                line.truncate(i + 2);
                line.push_str(HOSTILE[v]);
            }
        }
        Mutation::InsertTab(l, c) => {
            let line = &mut lines[l % n];
            let at = line
                .char_indices()
                .map(|(i, _)| i)
                .nth(c % (line.len() + 1));
            line.insert(at.unwrap_or(line.len()), '\t');
        }
        Mutation::InsertByte(at, b) => {
            let mut bytes = (lines.join("\n") + "\n").into_bytes();
            let at = at % (bytes.len() + 1);
            bytes.insert(at, b);
            return bytes;
        }
    }
    (lines.join("\n") + "\n").into_bytes()
}

/// Loads `bytes` as a scenario on a thread of its own; fails on a panic or a hang.
fn load_bounded(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("fuzz.yaml");
            std::fs::write(&path, &bytes).unwrap();
            // Either answer is fine; only how it is reached matters.
            let _ = scenario::load_with(&path, &LoadOptions::default());
        });
        let _ = tx.send(result.is_ok());
    });
    match rx.recv_timeout(HANG) {
        Ok(true) => Ok(()),
        Ok(false) => Err(TestCaseError::fail("the loader panicked")),
        Err(_) => Err(TestCaseError::fail("the loader hung")),
    }
}

/// Cases per property: 3000, or `MESHMEM_FUZZ_CASES`.
fn cases() -> u32 {
    std::env::var("MESHMEM_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_shipped_scenarios_never_panic_or_hang(
        which in 0usize..5,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let texts = shipped();
        let mut bytes = texts[which % texts.len()].clone().into_bytes();
        for m in &mutations {
            bytes = apply(&String::from_utf8_lossy(&bytes), m);
        }
        load_bounded(bytes)?;
    }

    #[test]
    fn generated_scenarios_with_extreme_values_never_panic_or_hang(
        duration in prop::sample::select(vec!["1s", "1h", "24h", "8760h", "5124095h", "1ns"]),
        scrape in prop::sample::select(vec!["1ns", "1ms", "15s", "1h", "5124095h"]),
        replicas in prop::sample::select(vec![1u64, 100, 100_000, 4_294_967_295]),
        nodes in prop::sample::select(vec![1u64, 5_000, 5_001, 4_294_967_295]),
        pods in prop::sample::select(vec![0u64, 1, 150_000, 4_294_967_295]),
        rps in prop::sample::select(vec!["0", "1", "1e7", "1e7.5", "1.7976931348623157e308", "4.9e-324"]),
        factor in prop::sample::select(vec!["0", "1", "1e6", "1e300"]),
        limit in prop::sample::select(vec!["1", "64Mi", "8Pi", "1Ei"]),
        sweep in prop::sample::select(vec![0usize, 2, 200]),
    ) {
        let values = (0..sweep).map(|i| format!("{}Mi", i + 1)).collect::<Vec<_>>().join(", ");
        let sweeps = if sweep == 0 {
            String::new()
        } else {
            format!("sweeps:\n  - name: s\n    grid:\n      workloads[app].containers[app].resources.limits.memory: [{values}]\n      seed: [{values}]\n")
        };
        let yaml = format!(
            "name: gen\nduration: {duration}\nscrapeInterval: {scrape}\nreplicas: {replicas}\n\
             nodes: [{{name: n, count: {nodes}, capacity: 8Pi}}]\n\
             workloads:\n  - name: app\n    replicas: {pods}\n    containers:\n      - name: app\n\
             \x20       resources: {{limits: {{memory: {limit}}}}}\n\
             \x20       memory: {{inFlight: {{latency: 1h, perRequest: 1Gi}}, leak: {{perSecond: 1Ti}}}}\n\
             traffic:\n  - service: app\n    rps: {rps}\n    spikes: [{{at: 0s, duration: 1h, factor: {factor}}}]\n{sweeps}"
        );
        load_bounded(yaml.into_bytes())?;
    }
}
