//! An interrupted run leaves nothing half-written: SIGINT and SIGTERM remove the staging
//! folder and exit 130 and 143; after SIGKILL (which cannot be handled) the next run
//! sweeps what the dead process left; a failed write (a full disk) leaves the previous
//! output as it was.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TINY, entries, meshmem, tree, write};

/// Longer than any test waits when things work; reached only when they do not.
const DEADLINE: Duration = Duration::from_secs(120);

/// TINY with enough replicas to keep a run busy for minutes.
fn long_scenario(dir: &Path) -> PathBuf {
    write(
        dir,
        "long.yaml",
        &TINY.replace("replicas: 4", "replicas: 50000"),
    )
}

/// Runs TINY to completion into `out`.
fn complete_run(dir: &Path, out: &Path) {
    let file = write(dir, "tiny.yaml", TINY);
    meshmem()
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .arg(&file)
        .assert()
        .success();
}

/// Starts the long run into `out` and waits until its staging folder exists.
fn start_long_run(dir: &Path, out: &Path) -> Child {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("meshmem"))
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .arg(long_scenario(dir))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let staging = format!(".tiny.partial-{}", child.id());
    let start = Instant::now();
    while !entries(out).contains(&staging) {
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("no staging folder {staging} in {}", out.display());
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the long run ended before it was interrupted: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn signal(child: &Child, sig: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with a pid we spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// Waits for `child`; kills it and fails if it outlives the deadline.
fn wait(mut child: Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("the run did not stop after its signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_and_sigterm_clean_up_and_keep_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    complete_run(d, &out);
    let before = tree(&out);
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let child = start_long_run(d, &out);
        signal(&child, sig);
        let status = wait(child);
        assert_eq!(status.code(), Some(code), "signal {sig}: {status}");
        assert_eq!(entries(&out), ["tiny"], "signal {sig} left staging behind");
        assert!(
            tree(&out) == before,
            "signal {sig} changed the previous output"
        );
    }
}

#[test]
fn staging_left_by_a_killed_run_is_swept_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    let child = start_long_run(d, &out);
    signal(&child, libc::SIGKILL);
    wait(child);
    assert!(
        entries(&out).iter().any(|e| e.contains(".partial-")),
        "SIGKILL cannot be handled: the staging folder stays until the next run"
    );
    complete_run(d, &out);
    assert_eq!(entries(&out), ["tiny"]);
}

#[test]
fn an_output_moved_aside_by_a_run_killed_while_committing_is_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    // A commit renames the old folder aside before it renames the new one in; a process
    // killed between the two leaves `.NAME.old-PID` and no NAME. 4194305 is above Linux's
    // largest pid, so no process has it.
    let aside = out.join(".other.old-4194305");
    std::fs::create_dir_all(&aside).unwrap();
    std::fs::write(aside.join("summary.csv"), "kept\n").unwrap();
    complete_run(d, &out);
    assert_eq!(entries(&out), ["other", "tiny"]);
    assert_eq!(
        std::fs::read_to_string(out.join("other/summary.csv")).unwrap(),
        "kept\n"
    );
}

#[test]
fn a_failed_write_keeps_the_previous_output_and_leaves_no_staging() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    complete_run(d, &out);
    let before = tree(&out);
    // A full disk, as the process sees it: writes past a size fail (EFBIG with SIGXFSZ
    // ignored, as ENOSPC would), here past 64 KiB, well below what a run writes.
    let bin = assert_cmd::cargo::cargo_bin("meshmem");
    let script = format!(
        "trap '' XFSZ; ulimit -f 128; exec \"{}\" run --quiet --replicas 8 --out \"{}\" \"{}\"",
        bin.display(),
        out.display(),
        d.join("tiny.yaml").display()
    );
    let status = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "{status}");
    assert_eq!(entries(&out), ["tiny"], "staging left behind");
    assert!(tree(&out) == before, "the previous output changed");
}
