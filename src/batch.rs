//! A background writer thread: items queue on a bounded channel and are written in batches, so
//! that SQLite never blocks a request. `flush` waits until everything queued before it is
//! written, which a stopping daemon needs so that its last rows are not lost.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Items written in one go at most.
const BATCH: usize = 256;

enum Msg<T> {
    Item(T),
    Flush(SyncSender<()>),
}

/// Why an item was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// The queue is full: the writer is behind.
    Full,
    /// The writer thread is gone.
    Stopped,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dropped::Full => "its writer is behind, the queue is full",
            Dropped::Stopped => "its writer has stopped",
        })
    }
}

/// The sending side; clones share the thread.
pub struct BatchWriter<T> {
    tx: SyncSender<Msg<T>>,
}

impl<T> Clone for BatchWriter<T> {
    fn clone(&self) -> Self {
        BatchWriter {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Send + 'static> BatchWriter<T> {
    /// Starts a thread named `name` that hands queued items to `write`, up to [`BATCH`] at once.
    pub fn start(
        name: &str,
        queue: usize,
        write: impl FnMut(Vec<T>) + Send + 'static,
    ) -> std::io::Result<BatchWriter<T>> {
        let (tx, rx) = sync_channel(queue);
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || write_loop(rx, write))?;
        Ok(BatchWriter { tx })
    }

    /// Queues an item; never blocks.
    pub fn send(&self, item: T) -> Result<(), Dropped> {
        self.tx.try_send(Msg::Item(item)).map_err(|e| match e {
            TrySendError::Full(_) => Dropped::Full,
            TrySendError::Disconnected(_) => Dropped::Stopped,
        })
    }

    /// Waits (up to `timeout`) until every item queued before the call is written. False when
    /// it timed out or the thread is gone.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let (done, wait) = sync_channel(1);
        // The queue may be full behind a stuck write: never wait past the deadline to enqueue.
        let mut msg = Msg::Flush(done);
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(back)) => {
                    if std::time::Instant::now() >= deadline {
                        return false;
                    }
                    msg = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        wait.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .is_ok()
    }
}

fn write_loop<T>(rx: Receiver<Msg<T>>, mut write: impl FnMut(Vec<T>)) {
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Item(item) => batch.push(item),
                Msg::Flush(done) => flushes.push(done),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            write(std::mem::take(&mut batch));
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn flush_waits_for_everything_queued_before_it() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let w = written.clone();
        let writer = BatchWriter::start("test-writer", 1024, move |batch: Vec<u32>| {
            // Slow writes: a flush that did not wait would see fewer items.
            std::thread::sleep(Duration::from_millis(2));
            w.lock().unwrap().extend(batch);
        })
        .unwrap();
        for i in 0..600 {
            writer.send(i).unwrap();
        }
        assert!(writer.flush(Duration::from_secs(30)));
        assert_eq!(*written.lock().unwrap(), (0..600).collect::<Vec<_>>());
    }

    #[test]
    fn a_full_queue_drops_rather_than_blocks() {
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let writer = BatchWriter::start("test-writer", 2, move |_: Vec<u32>| {
            let _ = hold.lock().unwrap().recv();
        })
        .unwrap();
        let outcomes: Vec<_> = (0..10).map(|i| writer.send(i)).collect();
        assert!(outcomes.contains(&Err(Dropped::Full)), "{outcomes:?}");
        // Behind a stuck write, a flush gives up at its deadline instead of waiting for room.
        assert!(!writer.flush(Duration::from_millis(50)));
        drop(release);
    }
}
