//! What makes a set of folders the shards of one run, checked before `merge` writes
//! anything: every name in their run.json is a name `check` would accept, every shard
//! is there once, every file is the one its run.json hashed, and every shard holds
//! exactly the replicas its index gives it.
//!
//! The SHA-256 sums catch damage and edits (a truncated copy, a rewritten number, rows
//! put in another order); they are not a signature — whoever can rewrite a file can
//! rewrite its sum — so the names and the replica set are checked as well.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::metadata::{RunMeta, ShardMeta};
use super::output_dir::sha256_file;
use crate::scenario::names;

/// The CSV files a shard holds, merged in (variant, replica) order.
pub const MERGED: [&str; 9] = [
    "timeseries.csv",
    "pod-timeseries.csv",
    "slo.csv",
    "redis.csv",
    "db.csv",
    "events.csv",
    "memory.csv",
    "summary.csv",
    "containers.csv",
];

/// Checks every name `meta` holds that becomes a folder, a file or a row.
pub fn check_names(dir: &Path, meta: &RunMeta) -> Result<(), String> {
    let at = |m: String| format!("{}: {m}", dir.join("run.json").display());
    names::check_scenario(&meta.scenario).map_err(at)?;
    for v in &meta.variants {
        let sweep = v.sweep.as_ref().map(|s| s.name.as_str());
        names::check_recorded_variant(&v.name, sweep).map_err(at)?;
    }
    for file in meta.files.keys() {
        if !names::is_file_name(file) {
            return Err(at(format!("`{file}` cannot be an output file name")));
        }
    }
    Ok(())
}

/// The metadata of the whole run, if `shards` are its complete, consistent slices.
pub fn combine(name: &str, shards: &[(PathBuf, RunMeta)]) -> Result<RunMeta, String> {
    let strip = |m: &RunMeta| RunMeta {
        shard: None,
        files: BTreeMap::new(),
        ..m.clone()
    };
    let whole = strip(&shards[0].1);
    let mut count = None;
    for (dir, m) in shards {
        let Some(s) = m.shard else {
            return Err(format!(
                "{}: not a shard (a whole run's output); merge joins the folders of `run --shard I/N`",
                dir.display()
            ));
        };
        count.get_or_insert(s.count);
        if strip(m) != whole {
            return Err(format!(
                "{}: not a shard of the same run of `{name}` (scenario, seed, replicas or version differ)",
                dir.display()
            ));
        }
    }
    let count = count.unwrap_or(1);
    let mut seen = vec![false; count as usize];
    for (dir, m) in shards {
        let s = m.shard.unwrap_or(ShardMeta { index: 0, count: 1 });
        if s.count != count
            || s.index >= count
            || std::mem::replace(&mut seen[s.index as usize], true)
        {
            return Err(format!(
                "{}: shard {}/{} does not fit the others",
                dir.display(),
                s.index,
                s.count
            ));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(format!("`{name}`: shard {missing}/{count} is missing"));
    }
    Ok(whole)
}

/// Checks every file `meta` lists against its SHA-256; the merged files must be listed.
pub fn check_files(dir: &Path, meta: &RunMeta) -> Result<(), String> {
    for file in MERGED {
        if !meta.files.contains_key(file) {
            return Err(format!(
                "{}: run.json has no SHA-256 of {file} (not written by this meshmem as a shard?)",
                dir.display()
            ));
        }
    }
    for (file, expected) in &meta.files {
        let path = dir.join(file);
        let actual =
            sha256_file(&path).map_err(|e| format!("{}: cannot read ({e})", path.display()))?;
        if &actual != expected {
            return Err(format!(
                "{}: damaged or edited: its SHA-256 differs from the one run.json recorded",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Checks that the shard's summary.csv holds exactly its replicas, in order.
pub fn check_replicas(dir: &Path, meta: &RunMeta) -> Result<(), String> {
    let path = dir.join("summary.csv");
    let bad = |what: String| format!("{}: {what}", path.display());
    let s = meta.shard.unwrap_or(ShardMeta { index: 0, count: 1 });
    let mut expected = (0..meta.variants.len()).flat_map(|v| {
        (s.index..meta.replicas)
            .step_by(s.count.max(1) as usize)
            .map(move |r| (v, r))
    });
    let mut reader = csv::Reader::from_path(&path).map_err(|e| bad(e.to_string()))?;
    for rec in reader.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let found = (
            rec.get(0).and_then(|v| meta.variant_index(v)),
            rec.get(1).and_then(|r| r.parse::<u32>().ok()),
        );
        let want = expected.next();
        if want.map(|(v, r)| (Some(v), Some(r))) != Some(found) {
            return Err(bad(format!(
                "the replicas are not those of shard {}/{}: row {:?} where {} was due",
                s.index,
                s.count,
                rec.iter().take(2).collect::<Vec<_>>(),
                want.map_or("nothing".to_string(), |(v, r)| format!(
                    "replica {r} of `{}`",
                    meta.variants[v].name
                ))
            )));
        }
    }
    if let Some((v, r)) = expected.next() {
        return Err(bad(format!(
            "replica {r} of `{}` is missing",
            meta.variants[v].name
        )));
    }
    Ok(())
}
