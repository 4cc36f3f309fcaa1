//! Process exit codes, shared by every subcommand so that scripts and CI can rely on them.

use std::process::ExitCode;

/// Nothing found (scan), or the command did what was asked.
pub const SUCCESS: u8 = 0;
/// A finding at or above `--fail-on` (scan), or a request refused by policy (redact `block`).
pub const FINDINGS: u8 = 1;
/// A usage error, a bad config, or files that could not be read.
pub const ERROR: u8 = 2;

pub(crate) fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
