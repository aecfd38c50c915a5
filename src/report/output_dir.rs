//! The output folder of one scenario, written atomically: every file meshmem writes goes
//! through here.
//!
//! Lifecycle: everything goes to `OUT/.<name>.partial-<pid>/` first. [`OutputDir::commit`]
//! swaps it in: the old `OUT/<name>/` is renamed aside to `.<name>.old-<pid>`, the new
//! one renamed into place, then the old one deleted — at every instant `OUT/<name>` is
//! either the old folder or the new one, never half of either.
//!
//! What is left behind, and who removes it:
//! - a failed run: its staging folder, on drop;
//! - SIGINT or SIGTERM: every live staging folder, by [`abandon_all`] (the signal
//!   handler calls it, then exits);
//! - SIGKILL or a power cut: staging and moved-aside folders named after a process that
//!   no longer exists are swept by the next [`OutputDir`] created in the same `OUT`, and a
//!   moved-aside folder whose replacement never arrived is put back.
//!
//! Names are checked here too (a single plain component, see `scenario::names`): no name
//! read from a file can make a write or a delete land outside `OUT`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::scenario::names;

/// Staging and moved-aside folders of this process that are not yet committed or
/// removed; the signal handler removes them.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every staging and moved-aside folder of this process, and keeps the lock so
/// that no commit starts or finishes after it: called on SIGINT and SIGTERM just before
/// the process exits.
pub fn abandon_all() {
    let mut guard = live();
    for path in guard.drain(..) {
        remove_all(&path);
    }
    // Held until exit: a commit waiting for it never runs.
    std::mem::forget(guard);
}

/// Removes `path` and everything in it; tries again while other threads still write in.
fn remove_all(path: &Path) {
    for _ in 0..50 {
        match fs::remove_dir_all(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return,
        }
    }
}

/// A staging folder that becomes the output folder on commit.
pub struct OutputDir {
    staging: PathBuf,
    target: PathBuf,
    out: PathBuf,
    name: String,
    committed: bool,
    digests: Mutex<BTreeMap<String, String>>,
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

/// `file` as a path inside a folder: plain components only (`charts/errors.png`).
fn relative(file: &str) -> io::Result<PathBuf> {
    let path = Path::new(file);
    let plain = path.components().all(|c| match c {
        Component::Normal(s) => s.to_str().is_some_and(names::is_file_name),
        _ => false,
    });
    if plain && path.components().count() > 0 {
        Ok(path.to_path_buf())
    } else {
        Err(invalid(format!("`{file}` cannot be an output file name")))
    }
}

impl OutputDir {
    /// Prepares an empty staging folder for `OUT/<name>/`.
    pub fn create(out: &Path, name: &str) -> io::Result<Self> {
        let dir = OutputDir::stage(out, name)?;
        fs::create_dir_all(dir.parts())?;
        Ok(dir)
    }

    /// Prepares staging for `OUT/<name>/` holding what the folder holds now (hard links,
    /// or copies where links are not possible), to add files to it atomically.
    pub fn update(out: &Path, name: &str) -> io::Result<Self> {
        let dir = OutputDir::stage(out, name)?;
        let current = out.join(name);
        if current.is_dir() {
            link_tree(&current, &dir.staging)?;
        }
        fs::create_dir_all(dir.parts())?;
        Ok(dir)
    }

    fn stage(out: &Path, name: &str) -> io::Result<Self> {
        names::check_scenario(name).map_err(invalid)?;
        fs::create_dir_all(out)?;
        sweep_stale(out);
        let staging = out.join(format!(".{name}.partial-{}", std::process::id()));
        let mut guard = live();
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir(&staging)?;
        guard.push(staging.clone());
        Ok(OutputDir {
            target: out.join(name),
            out: out.to_path_buf(),
            name: name.to_string(),
            staging,
            committed: false,
            digests: Mutex::default(),
        })
    }

    /// The staging folder itself (becomes `OUT/<name>/` on commit).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder for per-run part files.
    pub fn parts(&self) -> PathBuf {
        self.staging.join("parts")
    }

    /// The staging path of `file` (`report.html`, `charts/errors.png`), its folder
    /// created and any file there removed — so that a hard-linked file of the folder
    /// being updated is replaced, never written through.
    pub fn file(&self, file: &str) -> io::Result<PathBuf> {
        let path = self.staging.join(relative(file)?);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        Ok(path)
    }

    /// Writes a whole file into staging.
    pub fn write(&self, file: &str, bytes: &[u8]) -> io::Result<()> {
        fs::write(self.file(file)?, bytes)?;
        self.record(file, &Sha256::digest(bytes));
        Ok(())
    }

    fn record(&self, file: &str, digest: &[u8]) {
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.digests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(file.to_string(), hex);
    }

    /// SHA-256 (hex) of every file written through [`OutputDir::write`] and
    /// [`OutputDir::join_parts`] so far, by name.
    pub fn digests(&self) -> BTreeMap<String, String> {
        self.digests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Joins `parts` (each a headerless CSV) under `header` into `file`, in order; parts
    /// that do not exist are skipped.
    pub fn join_parts(
        &self,
        file: &str,
        header: &str,
        parts: impl IntoIterator<Item = PathBuf>,
    ) -> io::Result<()> {
        let mut out = HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, File::create(self.file(file)?)?),
            hash: Sha256::new(),
        };
        writeln!(out, "{header}")?;
        for part in parts {
            match File::open(&part) {
                Ok(mut f) => {
                    io::copy(&mut f, &mut out)?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        out.inner.flush()?;
        self.record(file, &out.hash.finalize());
        Ok(())
    }

    /// Removes the parts and swaps staging into place; returns the final folder.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        fs::remove_dir_all(self.parts())?;
        let aside = self
            .out
            .join(format!(".{}.old-{}", self.name, std::process::id()));
        {
            let mut guard = live();
            if aside.exists() {
                fs::remove_dir_all(&aside)?;
            }
            let had_old = match fs::rename(&self.target, &aside) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            if let Err(e) = fs::rename(&self.staging, &self.target) {
                if had_old {
                    let _ = fs::rename(&aside, &self.target);
                }
                return Err(e);
            }
            self.committed = true;
            guard.retain(|p| p != &self.staging);
            if had_old {
                guard.push(aside.clone());
            }
        }
        // The new output is in place: the old one is garbage, and a failure to delete it
        // is left to the next run's sweep rather than reported as a failed run.
        remove_all(&aside);
        live().retain(|p| p != &aside);
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let mut guard = live();
            remove_all(&self.staging);
            guard.retain(|p| p != &self.staging);
        }
    }
}

/// SHA-256 of everything written through it.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The SHA-256 (hex) of the file at `path`, read in blocks.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Mirrors the files of `from` into `to` as hard links (copies where linking fails).
fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir_all(&dst)?;
            link_tree(&src, &dst)?;
        } else if kind.is_file() && fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// What a leftover entry of `OUT` is: `.NAME.partial-PID` or `.NAME.old-PID`.
fn leftover(entry: &str) -> Option<(&str, bool, u32)> {
    let rest = entry.strip_prefix('.')?;
    let (name, tail) = rest.rsplit_once('.')?;
    let (partial, pid) = match tail.split_once('-')? {
        ("partial", pid) => (true, pid),
        ("old", pid) => (false, pid),
        _ => return None,
    };
    let pid = pid
        .parse()
        .ok()
        .filter(|_| pid.bytes().all(|b| b.is_ascii_digit()))?;
    names::is_file_name(name).then_some((name, partial, pid))
}

/// Removes staging folders of processes that are gone, and puts back an output folder
/// moved aside by a process killed before its replacement was renamed in. Best effort:
/// what cannot be removed now is tried again next time.
fn sweep_stale(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    let me = std::process::id();
    let live = live().clone();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some((name, partial, pid)) = file_name.to_str().and_then(leftover) else {
            continue;
        };
        let path = entry.path();
        if live.contains(&path) || (pid != me && process_exists(pid)) {
            continue;
        }
        let target = out.join(name);
        if !partial && !target.exists() && fs::rename(&path, &target).is_ok() {
            continue;
        }
        remove_all(&path);
    }
}

/// Whether a process `pid` exists on this machine (unknown counts as yes: nothing of a
/// process that might be running is removed).
fn process_exists(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill(2) with signal 0 sends nothing; it only checks that pid exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_file_names_stay_inside_the_folder() {
        for ok in ["summary.csv", "charts/errors.png"] {
            assert!(relative(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../x.csv",
            "/etc/passwd",
            "charts/../../x",
            ".hidden",
            "a//b/..",
        ] {
            assert!(relative(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn leftovers_are_recognised_by_name() {
        assert_eq!(leftover(".tiny.partial-42"), Some(("tiny", true, 42)));
        assert_eq!(leftover(".a.b.old-7"), Some(("a.b", false, 7)));
        for other in [
            "tiny",
            ".tiny",
            ".tiny.partial-",
            ".tiny.partial-x",
            "..partial-1",
        ] {
            assert_eq!(leftover(other), None, "{other}");
        }
    }

    #[test]
    fn a_name_outside_out_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../victim", "/tmp/x", ".", ""] {
            assert!(OutputDir::create(dir.path(), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn commit_swaps_and_update_keeps_the_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let d = OutputDir::create(out, "s").unwrap();
        d.write("a.csv", b"old\n").unwrap();
        d.commit().unwrap();
        let u = OutputDir::update(out, "s").unwrap();
        u.write("b.csv", b"new\n").unwrap();
        u.write("a.csv", b"replaced\n").unwrap();
        // Until commit, the live folder is untouched, even through the hard links.
        assert_eq!(fs::read(out.join("s/a.csv")).unwrap(), b"old\n");
        assert!(!out.join("s/b.csv").exists());
        u.commit().unwrap();
        assert_eq!(fs::read(out.join("s/a.csv")).unwrap(), b"replaced\n");
        assert_eq!(fs::read(out.join("s/b.csv")).unwrap(), b"new\n");
        let left: Vec<_> = fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["s"]);
    }
}
