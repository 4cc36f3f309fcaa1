//! pretense: keeps a developer's code names and secrets on their machine while they use hosted LLMs.
//!
//! One engine, two faces: the proxy daemon (`pretense start`) and the CLI (`scan`, `redact`, ...).
//! Pure parts (`secrets`, and later `lang` and the rewrite engine) do no IO; `scan` and the CLI are
//! shells around them.

#![deny(unsafe_code)]

mod alloc;
pub mod audit;
pub mod batch;
pub mod cli;
pub mod config;
pub mod exit;
pub mod lang;
pub mod mutate;
pub mod parallel;
pub mod paths;
pub mod proxy;
pub mod scan;
pub mod secrets;
mod term;

use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the binary with the process's arguments.
pub fn run() -> ExitCode {
    run_with_args(std::env::args_os())
}

/// Runs pretense as if invoked with `args` (the first one is the program name).
pub fn run_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    cli::main(args)
}
