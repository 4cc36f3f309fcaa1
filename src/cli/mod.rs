//! The command line: clap types, global options, logging set-up and the dispatch to each
//! subcommand's `run`. Errors end here: printed once as `pretense: ...` and mapped to exit codes.

mod completions;
mod config_cmd;
mod hook;
mod scan;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Scan files, directories, stdin or the staged git changes for secrets
    Scan(scan::ScanArgs),
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
    init_logging(&cli.global);
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return exit::code(exit::SUCCESS);
            }
            let _ = writeln!(std::io::stderr(), "pretense: {err:#}");
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
        Command::Scan(args) => scan::run(&ctx, args),
        Command::Hook(cmd) => hook::run(&ctx, cmd),
        Command::Config(args) => config_cmd::run(&ctx, args),
        Command::Completions(_) => unreachable!("handled above"),
    }
}

fn init_logging(global: &GlobalArgs) {
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
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

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
