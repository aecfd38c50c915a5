//! Properties of shards and merge: for any replica count and shard count, the merge of
//! the shards is byte for byte the whole run; and any damage to a shard — a flipped byte,
//! a cut, two rows swapped, a relabelled shard — is refused (exit 2), with nothing
//! written.

use std::path::{Path, PathBuf};

use meshmem::commands::{merge::merge, run::run_scenario};
use meshmem::runner::RunOptions;
use meshmem::scenario::{self, LoadOptions, Scenario};
use proptest::prelude::*;

use crate::support::{TINY, assert_same_tree, entries};

/// TINY with a variant, so that merge interleaves two variants' rows.
fn scenario(replicas: u32) -> Scenario {
    let yaml = format!("{TINY}variants:\n  - name: more\n    set:\n      traffic[app].rps: 70\n");
    let options = LoadOptions {
        replicas: Some(replicas),
        ..LoadOptions::default()
    };
    scenario::parse_with(Path::new("tiny.yaml"), &yaml, &options).unwrap()
}

fn run(s: &Scenario, out: &Path, shard: Option<(u32, u32)>) {
    let options = RunOptions {
        threads: Some(1),
        shard,
        ..RunOptions::default()
    };
    run_scenario(s, out, &options).unwrap_or_else(|e| panic!("{e}"));
}

/// The shard folders of `count` shards of `s` under `d`.
fn shards(s: &Scenario, d: &Path, count: u32) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let out = d.join(format!("shard-{i}"));
            run(s, &out, Some((i, count)));
            out
        })
        .collect()
}

/// A way to damage a shard.
#[derive(Clone, Debug)]
enum Damage {
    /// Flip a bit of one byte of a CSV file.
    Flip { file: usize, at: usize },
    /// Cut a CSV file short.
    Cut { file: usize, at: usize },
    /// Swap two data rows of a CSV file.
    Swap { file: usize, a: usize, b: usize },
    /// A copy of the shard, relabelled as the next one, given in place of it.
    Relabel,
}

/// The CSV files a shard holds.
const FILES: &[&str] = &meshmem::report::shards::MERGED;

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0..FILES.len(), any::<usize>()).prop_map(|(file, at)| Damage::Flip { file, at }),
        (0..FILES.len(), any::<usize>()).prop_map(|(file, at)| Damage::Cut { file, at }),
        (0..FILES.len(), any::<usize>(), any::<usize>()).prop_map(|(file, a, b)| Damage::Swap {
            file,
            a,
            b
        }),
        Just(Damage::Relabel),
    ]
}

/// Applies `d` to the scenario folder `dir` of shard `index` of `count`; false when it
/// changes nothing (two equal rows swapped, a file too short to cut).
fn apply(d: &Damage, dir: &Path, index: u32, count: u32) -> bool {
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let write = |f: &str, b: &[u8]| std::fs::write(dir.join(f), b).unwrap();
    match *d {
        Damage::Flip { file, at } => {
            let mut b = read(FILES[file]);
            if b.is_empty() {
                return false;
            }
            let at = at % b.len();
            b[at] ^= 0x04;
            write(FILES[file], &b);
        }
        Damage::Cut { file, at } => {
            let b = read(FILES[file]);
            if b.len() < 2 {
                return false;
            }
            write(FILES[file], &b[..at % (b.len() - 1)]);
        }
        Damage::Swap { file, a, b } => {
            let text = String::from_utf8(read(FILES[file])).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            if lines.len() < 3 {
                return false;
            }
            let (a, b) = (1 + a % (lines.len() - 1), 1 + b % (lines.len() - 1));
            if lines[a] == lines[b] {
                return false;
            }
            lines.swap(a, b);
            write(FILES[file], (lines.join("\n") + "\n").as_bytes());
        }
        Damage::Relabel => {
            if count < 2 {
                return false;
            }
            let text = String::from_utf8(read("run.json")).unwrap();
            let other = (index + 1) % count;
            let relabelled = text.replace(
                &format!("\"index\": {index}"),
                &format!("\"index\": {other}"),
            );
            write("run.json", relabelled.as_bytes());
        }
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 6,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_merge_of_shards_is_the_whole_run(replicas in 1u32..7, count in 1u32..5) {
        let s = scenario(replicas);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        run(&s, &d.join("whole"), None);
        let inputs = shards(&s, d, count);
        merge(&inputs, &d.join("merged")).unwrap_or_else(|e| panic!("{e}"));
        assert_same_tree(&d.join("whole"), &d.join("merged"), "whole vs merged");
    }

    #[test]
    fn a_damaged_shard_is_refused(
        replicas in 2u32..6,
        count in 1u32..4,
        victim in any::<u32>(),
        how in damage(),
    ) {
        let s = scenario(replicas);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut inputs = shards(&s, d, count);
        let mut victim = victim % count;
        if let Damage::Relabel = how {
            // Every file matches its hash, the set of indexes is whole, the data is not.
            let copy = d.join("copy");
            let from = inputs[victim as usize].join("tiny");
            std::fs::create_dir_all(copy.join("tiny")).unwrap();
            for f in entries(&from) {
                std::fs::copy(from.join(&f), copy.join("tiny").join(&f)).unwrap();
            }
            let other = ((victim + 1) % count) as usize;
            inputs[other] = copy;
            victim = other as u32;
        }
        let target = inputs[victim as usize].join("tiny");
        let index = if let Damage::Relabel = how { (victim + count - 1) % count } else { victim };
        if !apply(&how, &target, index, count) {
            return Ok(());
        }
        let out = d.join("merged");
        let Err(err) = merge(&inputs, &out) else {
            panic!("a damaged shard was merged");
        };
        prop_assert_eq!(err.exit_code(), 2, "{}", err);
        prop_assert!(entries(&out).is_empty(), "merge wrote {:?}", entries(&out));
    }
}
