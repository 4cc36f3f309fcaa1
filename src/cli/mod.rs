//! The command line: clap types, global options, logging set-up and the dispatch to each
//! subcommand's `run`. Errors end here: printed once as `pretense: ...` and mapped to exit codes.

mod audit;
mod completions;
mod config_cmd;
mod hook;
mod redact;
mod scan;
mod start;
mod vault;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::exit;
use crate::paths::Paths;
use crate::term::ColorChoice;

/// Keep your code's names and secrets on your machine while you use hosted LLMs.
#[derive(Debug, Parser)]
#[command(name = "pretense", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Docs: README.md, or `pretense <command> --help`.")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after any subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file [default: the platform config dir's pretense/config.toml]
    #[arg(long, global = true, env = "PRETENSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the vault, the audit log and the naming key [default: the platform data dir]
    #[arg(long, global = true, env = "PRETENSE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print only results and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output (NO_COLOR is honoured by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy on 127.0.0.1:9339 in the foreground
    Start(start::StartArgs),
    /// Scan files, directories, stdin or the staged git changes for secrets
    Scan(scan::ScanArgs),
    /// Rewrite a file or stdin: rename declared identifiers, replace secrets, PII and terms
    Redact(redact::RedactArgs),
    /// Put the originals back into text that `redact` (or the proxy) rewrote
    Restore(redact::RestoreArgs),
    /// Inspect or clear what pretense remembers (names, terms, PII; never secrets)
    #[command(subcommand)]
    Vault(vault::VaultCommand),
    /// Show the audit log of proxied requests
    Audit(audit::AuditArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Manage the git pre-commit hook
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Print the effective configuration and the paths pretense uses
    Config(config_cmd::ConfigArgs),
}

/// What every subcommand gets: resolved paths, the loaded config and the global flags.
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub global: GlobalArgs,
}

impl Context {
    fn load(global: GlobalArgs) -> anyhow::Result<Context> {
        let paths = Paths::resolve(global.config.as_deref(), global.data_dir.as_deref());
        let config = Config::load(&paths.config, paths.config_explicit)?;
        Ok(Context {
            paths,
            config,
            global,
        })
    }
}

impl Context {
    /// Opens the vault in the data dir (creating it on first use) and drops expired entries.
    pub fn vault(&self) -> anyhow::Result<std::sync::Arc<crate::mutate::Vault>> {
        let vault = crate::mutate::Vault::open(&self.paths.database())?;
        // 0 keeps names forever.
        if self.config.vault.retention_days > 0 {
            vault.expire(self.config.vault.retention_days)?;
        }
        Ok(std::sync::Arc::new(vault))
    }

    /// The rewrite engine with this run's config, naming key and vault.
    pub fn engine(&self) -> anyhow::Result<crate::mutate::Engine> {
        let key = crate::mutate::NamingKey::load_or_create(&self.paths.key())
            .with_context(|| format!("naming key {}", self.paths.key().display()))?;
        Ok(crate::mutate::Engine::new(
            &self.config,
            key,
            self.vault()?,
        )?)
    }
}

/// RFC 3339 (UTC, seconds) for a Unix timestamp.
pub(crate) fn format_unix(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// Left-aligned columns separated by two spaces.
pub(crate) fn write_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[impl AsRef<[String]>],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r.as_ref()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>, out: &mut dyn Write| -> std::io::Result<()> {
        let n = cells.len();
        let mut s = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            s.push_str(c);
            if i + 1 < n {
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(header.to_vec(), out)?;
    for r in rows {
        line(r.as_ref().iter().map(String::as_str).collect(), out)?;
    }
    Ok(())
}

pub(crate) fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            };
            // Help and version go to stdout; a closed pipe there is not an error.
            let _ = e.print();
            return exit::code(code);
        }
    };
    // The daemon logs one line per request by default; other commands only warn.
    init_logging(&cli.global, matches!(cli.command, Command::Start(_)));
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return exit::code(exit::SUCCESS);
            }
            let _ = writeln!(std::io::stderr(), "pretense: {}", render(&err));
            exit::code(exit::ERROR)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // Completions must work even with a broken config file: they are installed before one exists.
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    let ctx = Context::load(cli.global)?;
    match cli.command {
        Command::Start(args) => start::run(&ctx, args),
        Command::Scan(args) => scan::run(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::Redact(args) => redact::run_redact(&ctx, args),
        Command::Restore(args) => redact::run_restore(&ctx, args),
        Command::Vault(cmd) => vault::run(&ctx, cmd),
        Command::Hook(cmd) => hook::run(&ctx, cmd),
        Command::Config(args) => config_cmd::run(&ctx, args),
        Command::Completions(_) => unreachable!("handled above"),
    }
}

fn init_logging(global: &GlobalArgs, daemon: bool) {
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 if daemon => "info",
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let use_color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            use std::io::IsTerminal;
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    };
    // A second init (tests calling run_with_args repeatedly) is harmless and ignored.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(use_color)
        .with_target(false)
        .try_init();
}

/// The error and its causes, `: `-separated; a cause that its parent's message already quotes
/// (library errors often do) is not repeated.
fn render(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let msg = cause.to_string();
        if out.contains(&msg) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&msg);
    }
    out
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
