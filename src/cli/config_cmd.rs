//! `pretense config`: the effective configuration (file merged over defaults) and where pretense
//! reads and writes, so that "which file is it using?" never needs guessing.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::Context;
use crate::exit;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print only the paths, one `name = path` per line
    #[arg(long)]
    pub paths: bool,
}

pub fn run(ctx: &Context, args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let exists = if ctx.paths.config.exists() {
        ""
    } else {
        " (not found: using defaults)"
    };
    writeln!(
        out,
        "# config file = {}{exists}",
        ctx.paths.config.display()
    )?;
    writeln!(out, "# data dir    = {}", ctx.paths.data_dir.display())?;
    writeln!(out, "# database    = {}", ctx.paths.database().display())?;
    writeln!(out, "# naming key  = {}", ctx.paths.key().display())?;
    if !args.paths {
        writeln!(out)?;
        write!(out, "{}", ctx.config.to_toml())?;
    }
    out.flush()?;
    Ok(exit::code(exit::SUCCESS))
}
