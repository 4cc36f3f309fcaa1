//! Test helpers: a temporary directory with files, and a command for the built `pretense` binary
//! isolated from the user's real config and data (its own HOME, XDG dirs and data dir).

#![allow(dead_code)] // each test module uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory that is removed when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
    /// HOME, XDG dirs and the data dir live outside the working directory, so that scanning `.`
    /// never sees them.
    home: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("pretense-test-")
                .tempdir()
                .expect("create temp dir"),
            home: tempfile::Builder::new()
                .prefix("pretense-home-")
                .tempdir()
                .expect("create temp home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Writes `contents` to `rel`, creating parent directories.
    pub fn create(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).expect("read file")
    }

    /// The private home directory (config under `config/`, data under `data/`).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The data dir the commands use.
    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data/pretense")
    }

    /// The `pretense` binary, run in this directory, with HOME, XDG dirs and the data dir in a
    /// private temporary home so that no test touches the real user's files.
    pub fn cmd(&self) -> Command {
        let home = self.home.path();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pretense"));
        cmd.current_dir(self.path())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("PRETENSE_DATA_DIR", home.join("data/pretense"))
            .env("NO_COLOR", "1")
            .env_remove("PRETENSE_CONFIG")
            .env_remove("PRETENSE_TOKEN")
            .env_remove("PRETENSE_HOST")
            .env_remove("PRETENSE_PORT")
            .env_remove("PRETENSE_ANTHROPIC_URL")
            .env_remove("PRETENSE_OPENAI_URL")
            .env_remove("RUST_LOG")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid");
        cmd
    }

    /// Runs `pretense args...` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run pretense")
    }

    /// Runs `pretense args...` with `input` on stdin.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pretense");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("wait pretense");
        writer.join().expect("stdin writer");
        out
    }

    /// Runs git in this directory (isolated like `cmd`).
    pub fn git(&self, args: &[&str]) -> Output {
        let home = self.home.path();
        Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .expect("run git")
    }

    /// `git init` with a quiet default branch.
    pub fn git_init(&self) {
        let out = self.git(&["init", "-q", "-b", "main"]);
        assert!(out.status.success(), "git init: {}", stderr(&out));
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code (not killed by a signal)")
}

/// A fake secret from a rule-example template (see `pretense::secrets::sample`).
pub fn fake(template: &str, seed: u64) -> String {
    pretense::secrets::sample::expand(template, seed).expect("valid template")
}

/// Asserts two strings are equal, printing both in full on failure (like ripgrep's `eqnice!`).
#[macro_export]
macro_rules! eqnice {
    ($expected:expr, $got:expr) => {{
        let expected: &str = &$expected;
        let got: &str = &$got;
        if expected != got {
            panic!(
                "\n===== expected =====\n{}\n===== got =====\n{}\n====================\n",
                expected, got
            );
        }
    }};
}

/// Reads a starting `pretense start`'s stderr until it says where it listens; returns the port.
/// The rest of stderr keeps being drained (and echoed into the test output) so the daemon never
/// blocks on a full pipe.
pub fn wait_for_port(child: &mut std::process::Child) -> u16 {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("spawn with stderr piped");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("read stderr");
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let port = rest
                .split('/')
                .next()
                .and_then(|hp| hp.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("cannot read the port from {line:?}"));
            std::thread::spawn(move || {
                for l in lines.map_while(Result::ok) {
                    eprintln!("[pretense] {l}");
                }
            });
            return port;
        }
    }
    panic!("pretense start exited before listening:\n{seen}");
}
