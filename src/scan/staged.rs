//! `pretense scan --staged`: the content of the git index for every added, copied, modified or
//! type-changed file — exactly what the commit will hold, not the working tree.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use super::walk::{BULK_MIN_BYTES, Msg, scan_fed};
use super::{Report, Scanner};

/// One staged blob: its repository path and object id.
struct Staged {
    path: String,
    oid: String,
}

fn git(args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// Lists staged regular files from `git diff --cached --raw -z` (which works before the first
/// commit too: it compares the index with the empty tree).
fn staged_files() -> anyhow::Result<Vec<Staged>> {
    git(&["rev-parse", "--git-dir"]).context("`--staged` needs a git repository")?;
    let raw = git(&[
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--diff-filter=ACMT",
    ])?;
    let mut files = Vec::new();
    let mut fields = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(meta) = fields.next() {
        let Some(path) = fields.next() else { break };
        // ":100644 100644 <old> <new> M"
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        if parts.len() < 5 {
            bail!("unexpected `git diff --raw` line: {meta:?}");
        }
        let new_mode = parts[1];
        // Regular files only: symlinks hold a path, submodules a commit.
        if !(new_mode == "100644" || new_mode == "100755") {
            continue;
        }
        files.push(Staged {
            path: String::from_utf8_lossy(path).into_owned(),
            oid: parts[3].to_string(),
        });
    }
    Ok(files)
}

/// Scans every staged file's index content, on `threads` threads (one blob each; a single blob
/// may use every core). Blobs are read from one `git cat-file --batch` while earlier ones are
/// scanned.
pub fn scan_staged(scanner: &Scanner, threads: usize) -> anyhow::Result<Report> {
    let started = Instant::now();
    let files = staged_files()?;
    let mut report = Report::default();
    if files.is_empty() {
        report.finish();
        return Ok(report);
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running git cat-file")?;
    let mut stdin = child.stdin.take().context("git cat-file stdin")?;
    let oids: Vec<String> = files.iter().map(|f| f.oid.clone()).collect();
    // Feed the ids from another thread: git writes blobs while we still send ids, and a full
    // pipe in each direction would deadlock.
    let feeder = std::thread::spawn(move || -> std::io::Result<()> {
        for oid in oids {
            writeln!(stdin, "{oid}")?;
        }
        Ok(())
    });
    let mut out = BufReader::new(child.stdout.take().context("git cat-file stdout")?);
    let threads = threads.max(1);
    let alone = files.len() == 1 && threads != 1;
    // Only reading a file can fail in a scan, and blobs are read here: nothing reaches this.
    let mut on_error = |e: &str| eprintln!("pretense: {e}");
    let read = scan_fed(
        threads,
        |work| -> anyhow::Result<()> {
            let mut read_bytes = 0u64;
            for f in &files {
                let blob = read_blob(&mut out, scanner.max_file_bytes)
                    .with_context(|| format!("reading {} from git cat-file", f.path))?;
                read_bytes += blob.as_ref().map_or(0, |b| b.len() as u64);
                // A commit of many files is a bulk scan: the prefilter that pays off then is
                // built once this much has come (by this thread: the scans go on meanwhile).
                if read_bytes >= BULK_MIN_BYTES {
                    scanner.rules.prepare_for_bulk();
                }
                if work.send((f.path.as_str(), blob)).is_err() {
                    break;
                }
            }
            Ok(())
        },
        |(path, blob), _| match blob {
            Some(blob) => Msg::File(scanner.scan_bytes(path, &blob, alone)),
            None => Msg::Skipped,
        },
        &mut report,
        &mut on_error,
    );
    // On an error git may still be writing blobs nobody reads: closing its output and killing it
    // ends it, rather than leaving it (and the thread writing its ids) blocked on a full pipe.
    drop(out);
    if read.is_err() {
        let _ = child.kill();
    }
    let _ = feeder.join();
    let _ = child.wait();
    read?;
    report.summary.elapsed = started.elapsed();
    report.finish();
    Ok(report)
}

/// Reads one `git cat-file --batch` answer: the blob, or `None` when it is over `max` bytes
/// (skipped unread: a blob that large never enters memory).
fn read_blob(out: &mut impl BufRead, max: u64) -> anyhow::Result<Option<Vec<u8>>> {
    let mut header = String::new();
    out.read_line(&mut header)?;
    // "<oid> blob <size>", or "<oid> missing"
    let size: u64 = header
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("unexpected header {:?}", header.trim_end()))?;
    let blob = if size > max {
        std::io::copy(&mut out.take(size), &mut std::io::sink())?;
        None
    } else {
        let mut blob = Vec::with_capacity(size as usize);
        out.take(size).read_to_end(&mut blob)?;
        Some(blob)
    };
    let mut newline = [0u8; 1];
    out.read_exact(&mut newline)?;
    Ok(blob)
}
