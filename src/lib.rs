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
    quiet_panics();
    run_with_args(std::env::args_os())
}

/// A panic (a pretense bug) is reported with where it happened, never with its message: the
/// message may quote the text being rewritten (a string sliced off a character boundary quotes up
/// to 256 bytes of it), and stderr is the daemon's log.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "pretense: internal error{at}: this is a bug, please report it (its message is withheld: it may quote the text being rewritten)"
        );
    }));
}

/// Runs pretense as if invoked with `args` (the first one is the program name).
pub fn run_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    cli::main(args)
}

#[cfg(test)]
mod tests {
    /// Run again as a child process that panics with a secret in its message, after installing
    /// the binary's hook: its stderr names the place and not the secret.
    #[test]
    fn a_panic_reports_its_place_and_not_its_message() {
        const SECRET: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
        if std::env::var_os("PRETENSE_PANIC_CHILD").is_some() {
            super::quiet_panics();
            panic!("{SECRET}");
        }
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "tests::a_panic_reports_its_place_and_not_its_message",
                "--nocapture",
            ])
            .env("PRETENSE_PANIC_CHILD", "1")
            .output()
            .expect("child test run");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "the child must have panicked: {said}"
        );
        assert!(
            said.contains("pretense: internal error at src/lib.rs:"),
            "{said}"
        );
        assert!(!said.contains(SECRET), "{said}");
    }
}
