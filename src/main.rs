//! `meshmem`: parse the command line, run the command, exit 0 (done), 1 (failed while
//! running) or 2 (bad input).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use meshmem::cli::{Cli, Command};
use meshmem::commands::{self, AppError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Reports keep their lines whole when read by a program or a log, wrapped on a terminal.
    let wrap = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(wrap).build())
    }));
    // Before any output folder exists: an interrupted command removes what it was writing.
    if let Err(e) = commands::signals::install() {
        eprintln!("meshmem: cannot handle SIGINT and SIGTERM: {e}");
        return ExitCode::from(1);
    }
    let stdout = &mut std::io::stdout().lock();
    let result: Result<(), AppError> = match cli.command.unwrap_or(Command::Run(cli.run)) {
        Command::Run(args) => commands::run::execute(&args, stdout),
        Command::Check(args) => commands::check::execute(&args, stdout),
        Command::Plan(args) => commands::plan::execute(&args, stdout),
        Command::Merge(args) => commands::merge::execute(&args, stdout),
        Command::Drill(args) => commands::drill::execute(&args, stdout),
        Command::Import(args) => commands::import::execute(&args, stdout),
        Command::Schema(args) => commands::schema::execute(&args, stdout),
        Command::Explain(args) => commands::schema::explain(&args, stdout),
        Command::Completions(args) => commands::completions::execute(&args, stdout),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(code as u8)
        }
    }
}
