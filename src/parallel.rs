//! Work spread over the machine's cores: the few places that split one job (a request's code
//! blocks, a file's cold rules) share this instead of each asking the OS.
//!
//! The helpers are a rayon pool of this module's own, whose threads persist: a thread spawned
//! per request started with a new tree-sitter parser and an empty allocator heap each time, which
//! cost 1-2 ms per 10 KB request through the proxy (alternating benchmark runs, README).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The cores this process may use. Asking the OS reads cgroup files each time: once is enough.
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `work` on each item, spread over the machine's cores when there is more than one item;
/// the calling thread takes a share, so no item waits for a busy pool: the caller does them all
/// if need be. It then waits until a pool thread has run the helper it queued, which finds nothing
/// left; with every pool thread busy on other requests' long items (five or more heavy requests
/// at once on two cores), that wait is the one cost of sharing the pool.
pub fn on_every_core<T: Sync>(items: &[T], work: impl Fn(&T) + Sync) {
    let threads = cores().min(items.len());
    if threads <= 1 {
        items.iter().for_each(work);
        return;
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
            work(item);
        }
    };
    let Some(pool) = pool() else {
        worker();
        return;
    };
    let helpers = threads - 1;
    let (started, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
    pool.in_place_scope(|s| {
        for _ in 0..helpers {
            s.spawn(|_| {
                started.fetch_add(1, Ordering::AcqRel);
                worker();
                finished.fetch_add(1, Ordering::Release);
            });
        }
        worker();
        // A helper still on its item finishes within a parse: waiting for it awake spares the
        // wake-up that the scope's sleep would need once it is done (~0.1 ms on these machines).
        // Not for a helper that has not started (the pool is busy: it may be long), nor on a
        // pool thread, whose wait runs other jobs (its own helper's included).
        if rayon::current_thread_index().is_some() {
            return;
        }
        wait_awake(|| {
            started.load(Ordering::Acquire) == helpers && finished.load(Ordering::Acquire) < helpers
        });
    });
}

/// Yields while `busy` (a helper that started is still on its item), for [`JOIN_SPIN`] at most.
fn wait_awake(busy: impl Fn() -> bool) {
    let since = Instant::now();
    while busy() && since.elapsed() < JOIN_SPIN {
        std::thread::yield_now();
    }
}

/// Runs `a` on this thread and `b` beside it on the helper kept awake by [`warm`], if there is
/// one; both here otherwise, `a` first. `a` stays on this thread because it may block (a SQLite
/// write behind another process's lock): on a pool thread it would hold up other requests'
/// parsing.
pub fn join<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    let b = Mutex::new(Some(b));
    let got_b = Mutex::new(None);
    let (started, finished) = (AtomicBool::new(false), AtomicBool::new(false));
    let run_b = || {
        let f = lock(&b).take();
        if let Some(f) = f {
            let out = f();
            *lock(&got_b) = Some(out);
        }
    };
    let awake = AWAKE.load(Ordering::Acquire) && rayon::current_thread_index().is_none();
    let got_a = match pool().filter(|_| awake) {
        Some(pool) => pool.in_place_scope(|s| {
            s.spawn(|_| {
                started.store(true, Ordering::Release);
                run_b();
                finished.store(true, Ordering::Release);
            });
            let got_a = a();
            run_b();
            // As in `on_every_core`: a helper still on `b` finishes soon, and waiting for it
            // awake spares the scope's wake-up.
            wait_awake(|| started.load(Ordering::Acquire) && !finished.load(Ordering::Acquire));
            got_a
        }),
        None => {
            let got_a = a();
            run_b();
            got_a
        }
    };
    match lock(&got_b).take() {
        Some(got_b) => (got_a, got_b),
        // `b` ran, here or on the helper, before the scope ended (or its panic unwound it).
        None => unreachable!("join ran b"),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How long a caller that has done its share waits awake for the helpers (then it sleeps).
const JOIN_SPIN: Duration = Duration::from_millis(2);

/// How long a helper kept awake by [`warm`] waits for work at most, each time.
const WARM_SPIN: Duration = Duration::from_millis(5);

/// Requests holding a [`Warm`].
static WANTED: AtomicUsize = AtomicUsize::new(0);
/// Whether a helper is kept awake.
static AWAKE: AtomicBool = AtomicBool::new(false);

/// Held by a request that will split work over the cores (a body with code to parse): one
/// helper of the pool is woken now and waits awake for that work, a few milliseconds at most
/// each time, and no longer than the last such request holds its `Warm`. A sleeping helper takes
/// 0.05-1 ms to start on these machines, which the request would otherwise wait at its first
/// split.
#[must_use = "the helper stays awake only while this is held"]
pub struct Warm(bool);

/// See [`Warm`]. Does nothing on one core.
pub fn warm() -> Warm {
    if cores() < 2 {
        return Warm(false);
    }
    WANTED.fetch_add(1, Ordering::AcqRel);
    if !AWAKE.swap(true, Ordering::AcqRel) {
        match pool() {
            Some(pool) => pool.spawn(stay_awake),
            None => AWAKE.store(false, Ordering::Release),
        }
    }
    Warm(true)
}

impl Drop for Warm {
    fn drop(&mut self) {
        if self.0 {
            WANTED.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// A helper's wait for work: it runs what the requests queue until none holds a [`Warm`], or
/// none has queued anything for a while.
fn stay_awake() {
    let mut idle_since = Instant::now();
    loop {
        while WANTED.load(Ordering::Acquire) > 0 && idle_since.elapsed() < WARM_SPIN {
            if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                idle_since = Instant::now();
            } else {
                std::thread::yield_now();
            }
        }
        AWAKE.store(false, Ordering::Release);
        // A request that came while this helper was leaving found it awake and woke no other.
        if WANTED.load(Ordering::Acquire) == 0
            || idle_since.elapsed() >= WARM_SPIN
            || AWAKE.swap(true, Ordering::AcqRel)
        {
            return;
        }
    }
}

/// The helpers: twice as many threads as cores, so that a request's helper rarely queues behind
/// other requests' long items (the OS shares the cores among them, as it did among threads
/// spawned per request). `None` if no thread could be started: the caller then does it all.
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores() * 2)
            .thread_name(|i| format!("pretense-worker-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests that hold a `Warm` run one at a time: one checks that every want was given
    /// back, which another's held `Warm` would break.
    static ALONE: Mutex<()> = Mutex::new(());

    /// `join` returns both results, with `a` always on the calling thread (it may block), and
    /// `b` on a helper when one is kept awake and takes it in time.
    #[test]
    fn join_keeps_its_first_half_on_the_calling_thread() {
        let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
        let caller = std::thread::current().id();
        for held in [false, true] {
            let warm = held.then(warm);
            for round in 0..50 {
                let (a, b) = join(|| (std::thread::current().id(), round * 2), || round * 3);
                assert_eq!(a, (caller, round * 2), "helper awake: {held}");
                assert_eq!(b, round * 3);
            }
            drop(warm);
        }
    }

    /// Every item runs once, whether a helper is kept awake or not, and work split again inside
    /// an item (a long text's name search inside a file's analysis) finishes too.
    #[test]
    fn every_item_runs_once_with_or_without_a_helper_awake() {
        let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
        for held in [false, true] {
            let warm = held.then(warm);
            let items: Vec<usize> = (0..64).collect();
            let ran = Mutex::new(Vec::new());
            on_every_core(&items, |&i| {
                let inner: Vec<usize> = (0..4).map(|k| i * 4 + k).collect();
                on_every_core(&inner, |&j| ran.lock().unwrap().push(j));
            });
            let mut ran = ran.into_inner().unwrap();
            ran.sort_unstable();
            assert_eq!(ran, (0..256).collect::<Vec<_>>(), "helper awake: {held}");
            drop(warm);
        }
        assert_eq!(
            WANTED.load(Ordering::Acquire),
            0,
            "every Warm gave its want back"
        );
        // Once no request wants it, the helper kept awake goes back to sleep (it would keep a
        // core busy otherwise). Polled: its exit takes a few microseconds, but a loaded test
        // machine may not run it at once.
        let since = Instant::now();
        while AWAKE.load(Ordering::Acquire) && since.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!AWAKE.load(Ordering::Acquire), "the helper still spins");
    }
}
