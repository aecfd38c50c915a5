//! `meshmem check`: validate scenarios without running them, and say what running them
//! would cost.

use std::io::Write;

use super::{AppError, discover, load_all};
use crate::cli::CheckArgs;
use crate::scenario::{Limits, LoadOptions};

/// Loads every scenario `args` names and prints one line for each valid one, with the
/// estimate of the work a run of it is.
pub fn execute(args: &CheckArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let files = discover(&args.paths)?;
    let options = LoadOptions {
        limits: Limits::new(args.allow_large),
        ..LoadOptions::default()
    };
    for s in load_all(&files, &options)? {
        let _ = writeln!(
            out,
            "{}: ok ({}, {} variant{}): {}",
            s.file.display(),
            s.name,
            s.variants.len(),
            if s.variants.len() == 1 { "" } else { "s" },
            s.estimate
        );
    }
    Ok(())
}
