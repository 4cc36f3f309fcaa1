//! Work spread over the machine's cores with scoped threads: the few places that split one job
//! (a request's code blocks, a file's cold rules) share this instead of each asking the OS.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cores this process may use. Asking the OS reads cgroup files each time: once is enough.
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `work` on each item, spread over the machine's cores when there is more than one item;
/// the calling thread takes a share.
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
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(worker);
        }
        worker();
    });
}
