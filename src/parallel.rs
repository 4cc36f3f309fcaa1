//! Work spread over the machine's cores: the few places that split one job (a request's code
//! blocks, a file's cold rules) share this instead of each asking the OS.
//!
//! The helpers are a rayon pool of this module's own, whose threads persist: a thread spawned
//! per request started with a new tree-sitter parser and an empty allocator heap each time, which
//! cost 1-2 ms per 10 KB request through the proxy (alternating benchmark runs, README).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    pool.in_place_scope(|s| {
        for _ in 1..threads {
            s.spawn(|_| worker());
        }
        worker();
    });
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
