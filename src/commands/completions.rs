//! `meshmem completions SHELL`: a completion script generated from the clap definitions,
//! so it never lags behind the commands.

use std::io::Write;

use clap::CommandFactory;

use super::AppError;
use crate::cli::{Cli, CompletionsArgs};

/// Writes the completion script for `args.shell`.
pub fn execute(args: &CompletionsArgs, out: &mut dyn Write) -> Result<(), AppError> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "meshmem", out);
    Ok(())
}
