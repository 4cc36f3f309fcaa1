//! `pretense hook install|uninstall`: the git pre-commit hook that runs `pretense scan --staged`.
//! It never overwrites a hook it did not write unless asked to.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};
use clap::Subcommand;

use super::Context;
use crate::exit;

/// Marks hooks written by pretense, so that reinstalling updates them and uninstalling removes only them.
const MARKER: &str = "pretense:hook";

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit
    Install {
        /// Replace an existing pre-commit hook that pretense did not write
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook if pretense wrote it
    Uninstall,
}

pub fn run(ctx: &Context, cmd: HookCommand) -> anyhow::Result<ExitCode> {
    let hook = hook_path()?;
    match cmd {
        HookCommand::Install { force } => install(ctx, &hook, force),
        HookCommand::Uninstall => uninstall(ctx, &hook),
    }
}

fn hook_path() -> anyhow::Result<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--git-path", "hooks/pre-commit"])
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "not inside a git repository (git says: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn script() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "pretense".into());
    let exe = exe.replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n\
         # {MARKER}: written by `pretense hook install`; blocks commits whose staged changes hold secrets.\n\
         # Silence a false positive with a `pretense:allow` comment on its line.\n\
         bin='{exe}'\n\
         [ -x \"$bin\" ] || bin=pretense\n\
         exec \"$bin\" scan --staged --no-progress\n"
    )
}

fn install(ctx: &Context, hook: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if let Ok(existing) = std::fs::read_to_string(hook)
        && !existing.contains(MARKER)
        && !force
    {
        bail!(
            "{} already exists and was not written by pretense; rerun with --force to replace it, \
             or call `pretense scan --staged` from it yourself",
            hook.display()
        );
    }
    if let Some(dir) = hook.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(hook, script()).with_context(|| format!("writing {}", hook.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(hook, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", hook.display()))?;
    }
    if !ctx.global.quiet {
        writeln!(
            std::io::stderr(),
            "pretense: installed pre-commit hook at {}",
            hook.display()
        )?;
    }
    Ok(exit::code(exit::SUCCESS))
}

fn uninstall(ctx: &Context, hook: &Path) -> anyhow::Result<ExitCode> {
    match std::fs::read_to_string(hook) {
        Ok(existing) if existing.contains(MARKER) => {
            std::fs::remove_file(hook).with_context(|| format!("removing {}", hook.display()))?;
            if !ctx.global.quiet {
                writeln!(std::io::stderr(), "pretense: removed {}", hook.display())?;
            }
            Ok(exit::code(exit::SUCCESS))
        }
        Ok(_) => bail!(
            "{} was not written by pretense; leaving it alone",
            hook.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !ctx.global.quiet {
                writeln!(std::io::stderr(), "pretense: no pre-commit hook to remove")?;
            }
            Ok(exit::code(exit::SUCCESS))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", hook.display())),
    }
}
