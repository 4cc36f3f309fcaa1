//! Walking files and directories in parallel with `ignore` (ripgrep's walker): `.gitignore` and
//! `.ignore` are respected, hidden files are scanned (that is where `.env` lives), `.git/` is not.
//! Workers send per-file outcomes over a channel to one collector, so nothing interleaves.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use ignore::{WalkBuilder, WalkState};

use super::{FileOutcome, Report, Scanner};

/// Progress counters the optional progress bar reads.
#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
}

pub(super) enum Msg {
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
    let threads = threads.max(1);
    // Files named on the command line are read directly: the walker's threads and its search
    // for ignore files up the tree cost more than scanning one file.
    // One look at each path: whether it is a directory, and how much text the files hold.
    let (mut files, mut dirs, mut named_bytes) = (Vec::new(), Vec::new(), 0u64);
    for p in paths {
        match p.metadata() {
            Ok(m) if m.is_dir() => dirs.push(p),
            Ok(m) => {
                named_bytes += m.len();
                files.push(p);
            }
            // Reported when the scan opens it.
            Err(_) => files.push(p),
        }
    }
    if let [file] = files[..]
        && dirs.is_empty()
    {
        // One file may use every core, unless the user asked for one thread.
        let msg = scan_file(scanner, file, &mut Vec::new(), threads != 1);
        collect(&mut report, msg, on_error);
    } else {
        if !dirs.is_empty() || named_bytes >= BULK_MIN_BYTES {
            scanner.rules.prepare_for_bulk();
        }
        let counters = Arc::new(Counters::default());
        let ticker = progress.then(|| Ticker::start(counters.clone()));
        if !files.is_empty() {
            scan_named(scanner, &files, threads, &counters, &mut report, on_error);
        }
        if !dirs.is_empty() {
            walk_dirs(scanner, &dirs, threads, &counters, &mut report, on_error);
        }
        drop(ticker);
    }
    report.summary.elapsed = started.elapsed();
    report.finish();
    report
}

/// Below this much text, building the rules' bulk prefilter (10-20 ms) costs more than it saves:
/// a pre-commit hook scans a few small files.
pub(super) const BULK_MIN_BYTES: u64 = 4 << 20;

/// Several files named on the command line, one per thread, as the walker does (CI may name
/// hundreds).
fn scan_named(
    scanner: &Scanner,
    files: &[&PathBuf],
    threads: usize,
    counters: &Counters,
    report: &mut Report,
    on_error: &mut dyn FnMut(&str),
) {
    let fed = scan_fed::<_, std::convert::Infallible>(
        threads,
        |work| {
            for f in files {
                if work.send(*f).is_err() {
                    break;
                }
            }
            Ok(())
        },
        |f, buf| counters.count(scan_file(scanner, f, buf, false)),
        report,
        on_error,
    );
    let Ok(()) = fed;
}

/// Walks `dirs` with `ignore`'s parallel walker, one file per thread.
fn walk_dirs(
    scanner: &Scanner,
    dirs: &[&PathBuf],
    threads: usize,
    counters: &Counters,
    report: &mut Report,
    on_error: &mut dyn FnMut(&str),
) {
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
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git");
    let walker = builder.build_parallel();
    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::scope(|s| {
        s.spawn(|| {
            walker.run(|| {
                let tx = tx.clone();
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
                    let msg = counters.count(scan_file(scanner, entry.path(), &mut buf, false));
                    if tx.send(msg).is_err() {
                        return WalkState::Quit;
                    }
                    WalkState::Continue
                })
            });
            drop(tx);
        });
        for msg in rx {
            collect(report, msg, on_error);
        }
    });
}

/// Scans the items `feed` sends on `threads` threads and collects the outcomes on this thread as
/// they finish (the report sorts them). `feed` runs on a thread of its own, since it may block on
/// a pipe (`git cat-file`), and gets at most `threads` items ahead of the scans: blobs read ahead
/// wait in memory. Returns what `feed` returned, once every item it sent is collected. A scan
/// that panics ends its thread; once none is left, `feed`'s sends fail rather than block, and the
/// panic is raised here.
pub(super) fn scan_fed<T: Send, E: Send>(
    threads: usize,
    feed: impl FnOnce(&mpsc::SyncSender<T>) -> Result<(), E> + Send,
    scan: impl Fn(T, &mut Vec<u8>) -> Msg + Sync,
    report: &mut Report,
    on_error: &mut dyn FnMut(&str),
) -> Result<(), E> {
    let threads = threads.max(1);
    let (work_tx, work_rx) = mpsc::sync_channel::<T>(threads);
    // Owned by the scanning threads only: when the last one ends, the queue closes.
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::scope(|s| {
        let fed = s.spawn(move || feed(&work_tx));
        for _ in 0..threads {
            let (tx, work_rx, scan) = (tx.clone(), work_rx.clone(), &scan);
            s.spawn(move || {
                let mut buf = Vec::new();
                loop {
                    // The lock is held while waiting: the other threads queue behind it.
                    let item = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(item) = item else { break };
                    if tx.send(scan(item, &mut buf)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((tx, work_rx));
        for msg in rx {
            collect(report, msg, on_error);
        }
        fed.join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
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

impl Counters {
    /// Counts a scanned file's bytes for the progress bar; hands the outcome on.
    fn count(&self, msg: Msg) -> Msg {
        if let Msg::File(f) = &msg {
            self.files.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(f.bytes, Ordering::Relaxed);
        }
        msg
    }
}

/// The progress spinner on stderr, drawn from a thread of its own once a scan has run for
/// [`TICKER_DELAY`]; dropping it stops it at once, so a short scan never waits for the delay.
struct Ticker {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Short scans finish before the spinner would be worth drawing.
const TICKER_DELAY: Duration = Duration::from_millis(200);

impl Ticker {
    fn start(counters: Arc<Counters>) -> Ticker {
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        // Woken early by `drop`; `park_timeout` may also return early on its own, hence the loops.
        let wait = move |d: Duration| {
            let until = Instant::now() + d;
            while !stop.load(Ordering::Acquire) {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return true;
                }
                std::thread::park_timeout(left);
            }
            false
        };
        let thread = std::thread::spawn(move || {
            if !wait(TICKER_DELAY) {
                return;
            }
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} scanning… {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            loop {
                let files = counters.files.load(Ordering::Relaxed);
                let bytes = counters.bytes.load(Ordering::Relaxed);
                bar.set_message(format!(
                    "{files} files, {}",
                    super::report::human_bytes(bytes)
                ));
                bar.tick();
                if !wait(Duration::from_millis(80)) {
                    break;
                }
            }
            bar.finish_and_clear();
        });
        Ticker {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FileOutcome, Msg, Report, display_path, scan_fed};
    use std::path::Path;

    /// Every item the feed sent is scanned once and collected, whatever the thread count, before
    /// the feed's own error comes back.
    #[test]
    fn fed_items_are_all_collected_then_the_feed_s_error_returned() {
        for threads in [1, 3] {
            let mut report = Report::default();
            let mut errors = Vec::new();
            let fed = scan_fed(
                threads,
                |work| {
                    for i in 0..100u64 {
                        work.send(i).map_err(|_| "closed")?;
                    }
                    Err("git failed")
                },
                |i, _| match i % 10 {
                    0 => Msg::Error(format!("e{i}")),
                    1 => Msg::Skipped,
                    _ => Msg::File(FileOutcome {
                        bytes: i,
                        ..FileOutcome::default()
                    }),
                },
                &mut report,
                &mut |e| errors.push(e.to_string()),
            );
            assert_eq!(fed, Err("git failed"));
            assert_eq!(report.summary.files_scanned, 80, "{threads} threads");
            assert_eq!(report.summary.files_skipped, 10);
            assert_eq!(report.summary.files_errored, 10);
            let bytes: u64 = (0..100).filter(|i| i % 10 > 1).sum();
            assert_eq!(report.summary.bytes_scanned, bytes);
            errors.sort();
            assert_eq!(errors.len(), 10);
            assert_eq!(errors[0], "e0");
        }
    }

    /// A scan that panics ends its thread; with none left, the feed's sends fail instead of
    /// blocking, and the panic reaches the caller (the process exits rather than hangs).
    #[test]
    fn a_panicking_scan_is_raised_not_a_hang() {
        for threads in [1, 2] {
            let outcome = std::panic::catch_unwind(|| {
                let mut report = Report::default();
                scan_fed::<u32, ()>(
                    threads,
                    |work| {
                        for i in 0..1000 {
                            if work.send(i).is_err() {
                                break;
                            }
                        }
                        Ok(())
                    },
                    |_, _| panic!("a bug in a scan"),
                    &mut report,
                    &mut |_| {},
                )
            });
            assert!(outcome.is_err(), "{threads} threads: the panic is raised");
        }
    }

    #[test]
    fn display_strips_dot_slash_only() {
        assert_eq!(display_path(Path::new("./src/a.ts")), "src/a.ts");
        assert_eq!(display_path(Path::new("src/a.ts")), "src/a.ts");
        assert_eq!(display_path(Path::new("/abs/a.ts")), "/abs/a.ts");
        assert_eq!(display_path(Path::new("../x/a.ts")), "../x/a.ts");
    }
}
