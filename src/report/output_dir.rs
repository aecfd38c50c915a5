//! The output folder of one scenario, written atomically.
//!
//! Everything goes to `OUT/.<name>.partial-<pid>/` first; [`OutputDir::commit`] replaces
//! `OUT/<name>/` with it in one rename. If the run fails (or the process is interrupted
//! before commit) the staging folder is removed on drop and the previous output stays.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A staging folder that becomes the output folder on commit.
pub struct OutputDir {
    staging: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// Prepares staging for `OUT/<name>/`.
    pub fn create(out: &Path, name: &str) -> io::Result<Self> {
        let staging = out.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(staging.join("parts"))?;
        Ok(OutputDir {
            target: out.join(name),
            staging,
            committed: false,
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

    /// Writes a whole file into staging.
    pub fn write(&self, file: &str, bytes: &[u8]) -> io::Result<()> {
        fs::write(self.staging.join(file), bytes)
    }

    /// Joins `parts` (each a headerless CSV) under `header` into `file`, in order; parts
    /// that do not exist are skipped.
    pub fn join_parts(
        &self,
        file: &str,
        header: &str,
        parts: impl IntoIterator<Item = PathBuf>,
    ) -> io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(self.staging.join(file))?);
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
        out.flush()
    }

    /// Removes the parts and moves staging into place; returns the final folder.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        fs::remove_dir_all(self.parts())?;
        if self.target.exists() {
            fs::remove_dir_all(&self.target)?;
        }
        fs::rename(&self.staging, &self.target)?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}
