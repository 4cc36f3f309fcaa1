//! `pretense scan`: arguments, and turning a report into output and an exit code.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use crate::exit;
use crate::scan::{self, Format, Report, Scanner};
use crate::secrets::Severity;
use crate::term::Paint;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  pretense scan                      scan the current directory
  pretense scan src/ .env            scan some paths
  pretense scan --staged             scan what the next commit holds (pre-commit hook)
  git diff | pretense scan -         scan stdin
  pretense scan --format sarif > pretense.sarif

Exit status: 1 when a finding is at or above --fail-on, else 2 on errors, else 0.")]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin
    #[arg(value_name = "PATH", default_value = ".", conflicts_with = "staged")]
    pub paths: Vec<PathBuf>,
    /// Scan the staged content of the git index instead of paths
    #[arg(long)]
    pub staged: bool,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe
    #[arg(long, value_enum, default_value_t = FailOn::Low, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Ignore findings recorded in an earlier `--format json` report
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Skip files larger than this many bytes [default: config scan.max_file_bytes, 10 MiB]
    #[arg(long, value_name = "BYTES")]
    pub max_file_bytes: Option<u64>,
    /// Worker threads [default: the number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Never draw a progress bar
    #[arg(long)]
    pub no_progress: bool,
    /// List declared identifiers in JSON/SARIF for directory scans too (single files always do)
    #[arg(long)]
    pub identifiers: bool,
    /// Also report keys that are public by design (Stripe publishable, Algolia search-only keys)
    #[arg(long)]
    pub include_public: bool,
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    /// Report only; never exit 1
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        }
    }
}

pub fn run(ctx: &Context, args: ScanArgs) -> anyhow::Result<ExitCode> {
    let mut scanner = Scanner::new(&ctx.config)?;
    if let Some(max) = args.max_file_bytes {
        scanner.max_file_bytes = max;
    }
    if let Some(path) = &args.baseline {
        let fingerprints = scan::load_baseline(path)?;
        scanner.allow = std::mem::take(&mut scanner.allow).with_baseline(fingerprints);
    }

    let single_file = !args.staged
        && args.paths.len() == 1
        && (args.paths[0].is_file() || args.paths[0].as_os_str() == "-");
    // The text report shows secrets only; listing identifiers means parsing (and compiling the
    // grammar's query, ~0.1–0.2 s for TypeScript), so only the machine formats pay for it.
    scanner.identifiers = args.identifiers || (single_file && args.format != Format::Text);
    scanner.include_public = args.include_public;
    let mut errored = false;
    let threads = args.threads.unwrap_or_else(crate::parallel::cores);
    let report = if args.staged {
        scan::scan_staged(&scanner, threads)?
    } else if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        scan_stdin(&scanner)?
    } else {
        if args.paths.iter().any(|p| p.as_os_str() == "-") {
            anyhow::bail!("`-` (stdin) cannot be combined with other paths");
        }
        for p in &args.paths {
            if !p.exists() {
                errored = true;
                eprintln!("pretense: {}: no such file or directory", p.display());
            }
        }
        let paths: Vec<PathBuf> = args.paths.iter().filter(|p| p.exists()).cloned().collect();
        if paths.is_empty() {
            let mut r = Report::default();
            r.finish();
            r
        } else {
            // On stderr, so it never mixes with a JSON or SARIF report on stdout.
            let progress =
                !args.no_progress && !ctx.global.quiet && std::io::stderr().is_terminal();
            scan::scan_paths(&scanner, &paths, threads, progress, &mut |e| {
                eprintln!("pretense: {e}");
            })
        }
    };
    errored |= report.summary.files_errored > 0;

    let paint = Paint {
        on: ctx.global.color.stdout_enabled(),
    };
    let mut out = std::io::stdout().lock();
    if !(ctx.global.quiet && args.format == Format::Text && report.secrets.is_empty()) {
        report.write(args.format, paint, &mut out)?;
    }
    out.flush()?;

    let failed = match (args.fail_on.threshold(), report.worst()) {
        (Some(threshold), Some(worst)) => worst >= threshold,
        _ => false,
    };
    Ok(exit::code(if failed {
        exit::FINDINGS
    } else if errored {
        exit::ERROR
    } else {
        exit::SUCCESS
    }))
}

fn scan_stdin(scanner: &Scanner) -> anyhow::Result<Report> {
    let started = std::time::Instant::now();
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .take(scanner.max_file_bytes + 1)
        .read_to_end(&mut data)
        .context("reading stdin")?;
    if data.len() as u64 > scanner.max_file_bytes {
        eprintln!(
            "pretense: stdin is larger than {} bytes; raise --max-file-bytes to scan it",
            scanner.max_file_bytes
        );
        let mut report = Report::default();
        report.summary.files_skipped = 1;
        report.finish();
        return Ok(report);
    }
    let mut report = scan::report_for_text(scanner, "-", &data, None, scanner.identifiers);
    report.summary.elapsed = started.elapsed();
    Ok(report)
}
