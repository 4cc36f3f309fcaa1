//! `pretense completions <shell>`: shell completion scripts generated from the clap definitions.
//! The copies in `completions/` are checked against this output by a test.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::exit;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    // Generating into memory: clap_complete panics on a write error, and stdout may be a closed
    // pipe (`pretense completions bash | head`).
    clap_complete::generate(shell, &mut cmd, "pretense", &mut buf);
    buf
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(&script(args.shell))?;
    out.flush()?;
    Ok(exit::code(exit::SUCCESS))
}
