//! `pretense vault`: what pretense remembers (names, dictionary terms and PII it replaced) and the
//! user's controls over it. Secret values are never in it.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Context;
use crate::exit;

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// List remembered replacements
    List(ListArgs),
    /// Forget one original (an identifier in any casing, a term, or a PII value)
    Forget {
        /// The original to forget
        original: String,
    },
    /// Forget everything
    Clear,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this kind: name, pii, term, function, class, email, ip, ...
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

pub fn run(ctx: &Context, cmd: VaultCommand) -> anyhow::Result<ExitCode> {
    let vault = ctx.vault()?;
    let mut out = std::io::stdout().lock();
    match cmd {
        VaultCommand::List(args) => {
            let entries = vault.list(args.kind.as_deref())?;
            match args.format {
                ListFormat::Json => {
                    let rows: Vec<serde_json::Value> = entries
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "kind": e.kind,
                                "original": e.display(),
                                "replacement": e.replacement_display(),
                                "last_seen": super::format_unix(e.last_seen),
                            })
                        })
                        .collect();
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
                ListFormat::Table => {
                    let rows: Vec<[String; 4]> = entries
                        .iter()
                        .map(|e| {
                            [
                                e.kind.clone(),
                                e.display().to_string(),
                                e.replacement_display(),
                                super::format_unix(e.last_seen),
                            ]
                        })
                        .collect();
                    super::write_table(
                        &mut out,
                        &["KIND", "ORIGINAL", "REPLACEMENT", "LAST SEEN"],
                        &rows,
                    )?;
                    if rows.is_empty() && !ctx.global.quiet {
                        eprintln!("pretense: the vault is empty");
                    }
                }
            }
        }
        VaultCommand::Forget { original } => {
            let n = vault.forget(&original)?;
            writeln!(out, "forgot {n} entr{}", if n == 1 { "y" } else { "ies" })?;
            if n == 0 {
                return Ok(exit::code(exit::FINDINGS));
            }
        }
        VaultCommand::Clear => {
            let n = vault.clear()?;
            writeln!(out, "removed {n} entr{}", if n == 1 { "y" } else { "ies" })?;
        }
    }
    out.flush()?;
    Ok(exit::code(exit::SUCCESS))
}
