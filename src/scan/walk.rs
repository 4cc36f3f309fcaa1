//! Walking files and directories in parallel with `ignore` (ripgrep's walker): `.gitignore` and
//! `.ignore` are respected, hidden files are scanned (that is where `.env` lives), `.git/` is not.
//! Workers send per-file outcomes over a channel to one collector, so nothing interleaves.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ignore::{WalkBuilder, WalkState};

use super::{FileOutcome, Report, Scanner};

/// Progress counters the optional progress bar reads.
#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
}

enum Msg {
    File(FileOutcome),
    Skipped,
    Error(String),
}

/// Scans `paths` (files or directories) on `threads` threads. Unreadable files are reported on
/// stderr through `on_error` and counted; the scan goes on.
pub fn scan_paths(
    scanner: &Scanner,
    paths: &[PathBuf],
    threads: usize,
    progress: bool,
    on_error: &mut dyn FnMut(&str),
) -> Report {
    let started = Instant::now();
    let mut report = Report::default();
    // Files named on the command line are read directly: the walker's threads and its search
    // for ignore files up the tree cost more than scanning one file.
    let (files, dirs): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| !p.is_dir());
    let mut buf = Vec::new();
    // One file at a time: each may use every core, unless the user asked for one thread.
    for f in files {
        let msg = scan_file(scanner, f, &mut buf, threads != 1);
        collect(&mut report, msg, on_error);
    }
    if dirs.is_empty() {
        report.summary.elapsed = started.elapsed();
        report.finish();
        return report;
    }
    scanner.rules.prepare_for_bulk();
    let mut builder = WalkBuilder::new(dirs[0]);
    for p in &dirs[1..] {
        builder.add(p);
    }
    builder
        .hidden(false)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads.max(1))
        .filter_entry(|e| e.file_name() != ".git");
    let walker = builder.build_parallel();

    let counters = Arc::new(Counters::default());
    let done = Arc::new(AtomicBool::new(false));
    let ticker = progress.then(|| spawn_progress(counters.clone(), done.clone()));

    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::scope(|s| {
        s.spawn(|| {
            walker.run(|| {
                let tx = tx.clone();
                let counters = counters.clone();
                let mut buf = Vec::with_capacity(64 * 1024);
                Box::new(move |entry| {
                    let entry = match entry {
                        Ok(e) => e,
                        Err(err) => {
                            let _ = tx.send(Msg::Error(err.to_string()));
                            return WalkState::Continue;
                        }
                    };
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        return WalkState::Continue;
                    }
                    let msg = scan_file(scanner, entry.path(), &mut buf, false);
                    if let Msg::File(f) = &msg {
                        counters.files.fetch_add(1, Ordering::Relaxed);
                        counters.bytes.fetch_add(f.bytes, Ordering::Relaxed);
                    }
                    if tx.send(msg).is_err() {
                        return WalkState::Quit;
                    }
                    WalkState::Continue
                })
            });
            drop(tx);
        });
        for msg in rx {
            collect(&mut report, msg, on_error);
        }
    });
    done.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    report.summary.elapsed = started.elapsed();
    report.finish();
    report
}

fn collect(report: &mut Report, msg: Msg, on_error: &mut dyn FnMut(&str)) {
    match msg {
        Msg::File(f) if f.skipped => report.summary.files_skipped += 1,
        Msg::File(f) => {
            report.summary.files_scanned += 1;
            report.summary.bytes_scanned += f.bytes;
            report.secrets.extend(f.secrets);
            report.identifiers.extend(f.identifiers);
        }
        Msg::Skipped => report.summary.files_skipped += 1,
        Msg::Error(e) => {
            report.summary.files_errored += 1;
            on_error(&e);
        }
    }
}

fn scan_file(scanner: &Scanner, path: &Path, buf: &mut Vec<u8>, alone: bool) -> Msg {
    let display = display_path(path);
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Msg::Error(format!("{display}: {e}")),
    };
    match file.metadata() {
        Ok(m) if m.len() > scanner.max_file_bytes => return Msg::Skipped,
        Ok(_) => {}
        Err(e) => return Msg::Error(format!("{display}: {e}")),
    }
    buf.clear();
    // The cap guards against files that grow while being read (logs).
    if let Err(e) = file.take(scanner.max_file_bytes + 1).read_to_end(buf) {
        return Msg::Error(format!("{display}: {e}"));
    }
    if buf.len() as u64 > scanner.max_file_bytes {
        return Msg::Skipped;
    }
    Msg::File(scanner.scan_bytes(&display, buf, alone))
}

/// The path as given, without the `./` that walking `.` prefixes to everything.
fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s.into_owned(),
    }
}

fn spawn_progress(counters: Arc<Counters>, done: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        // Short scans finish before the bar would be worth drawing.
        std::thread::sleep(Duration::from_millis(200));
        if done.load(Ordering::Relaxed) {
            return;
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} scanning… {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        while !done.load(Ordering::Relaxed) {
            let files = counters.files.load(Ordering::Relaxed);
            let bytes = counters.bytes.load(Ordering::Relaxed);
            bar.set_message(format!(
                "{files} files, {}",
                super::report::human_bytes(bytes)
            ));
            bar.tick();
            std::thread::sleep(Duration::from_millis(80));
        }
        bar.finish_and_clear();
    })
}

#[cfg(test)]
mod tests {
    use super::display_path;
    use std::path::Path;

    #[test]
    fn display_strips_dot_slash_only() {
        assert_eq!(display_path(Path::new("./src/a.ts")), "src/a.ts");
        assert_eq!(display_path(Path::new("src/a.ts")), "src/a.ts");
        assert_eq!(display_path(Path::new("/abs/a.ts")), "/abs/a.ts");
        assert_eq!(display_path(Path::new("../x/a.ts")), "../x/a.ts");
    }
}
