//! `meshmem check`: validate scenarios without running them.

use std::io::Write;

use super::{AppError, discover, load_all};
use crate::cli::CheckArgs;

/// Loads every scenario `args` names and prints one line for each valid one.
pub fn execute(args: &CheckArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let files = discover(&args.paths)?;
    for s in load_all(&files)? {
        let _ = writeln!(
            out,
            "{}: ok ({}, {} variant{})",
            s.file.display(),
            s.name,
            s.variants.len(),
            if s.variants.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
