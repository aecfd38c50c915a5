//! SIGINT and SIGTERM: remove what this process was writing, then exit 130 or 143
//! (128 + the signal, as a shell reports a process it interrupted).
//!
//! Without a handler the process would die at once and leave its staging folders (and
//! on Kubernetes, where a pod is stopped with SIGTERM, gigabytes on a shared volume).
//! The handler runs on its own thread (signal-hook's iterator), so it may take locks and
//! remove folders: it waits for a commit in progress to finish, so that the output
//! folder is whole either way. SIGKILL cannot be handled; the next run sweeps what it
//! leaves (see `report::OutputDir`).

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Installs the handler; call once, before any output folder is created.
pub fn install() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            crate::report::abandon_all();
            eprintln!("meshmem: interrupted; partial outputs removed, previous outputs kept");
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}
