//! A daemon's WAL checkpoints, run beside its requests rather than inside them.
//!
//! Why: in WAL mode, the commit that takes the log past `wal_autocheckpoint` pages (1000 by
//! default) also copies the log into the database file and syncs both before it returns. In the
//! daemon that commit is a request's vault write, or the audit writer's, which holds the shared
//! connection that a request's write then waits for: 2-4 of 400 fresh 10 KB requests waited 4-10
//! ms for it. So a daemon raises its connection's limit to a backstop ([`BACKSTOP_PAGES`]), and the
//! audit writer's thread checkpoints from a connection of its own after its writes, at most once
//! per [`EVERY`]. The checkpoints are PASSIVE: they never take the write lock nor wait for any
//! lock, and what they cannot copy yet (a reader still on it) waits for the next one. PASSIVE also
//! leaves the log's header alone, so the vault's own connection sees no change by another writer
//! (`PRAGMA data_version`) and does not reload.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// Checkpoints at most this often. Each costs two syncs.
pub(crate) const EVERY: Duration = Duration::from_secs(1);

/// The daemon connection's `wal_autocheckpoint` once checkpoints are deferred (40 MB of log with
/// 4 KB pages). The log starts over at the first commit after a checkpoint that copied all of it;
/// a commit that lands while a checkpoint runs keeps it growing, so under a steady stream of
/// commits it can reach this length, and that commit then checkpoints on the request path (what
/// is left to copy: about the last second's frames).
pub(crate) const BACKSTOP_PAGES: i64 = 10_000;

/// What the log file is cut back to when it starts over, so that a burst that made it long does
/// not keep it long on disk.
pub(crate) const LOG_SIZE_LIMIT_BYTES: i64 = 8 << 20;

/// What one checkpoint did, as `PRAGMA wal_checkpoint` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Another connection was checkpointing (a CLI process's own, or the backstop): nothing was
    /// done, and the next call tries again.
    pub busy: bool,
    /// Frames in the log (-1 when busy).
    pub log: i64,
    /// Frames of the log now in the database file: all of them, unless a reader held some
    /// (-1 when busy).
    pub copied: i64,
}

/// A connection of its own to the vault's file, used for checkpoints only.
pub(crate) struct Checkpointer {
    conn: Connection,
    /// [`EVERY`] but in tests.
    every: Duration,
    last: Option<Instant>,
}

impl Checkpointer {
    /// Opens the existing database at `path` (never creates one: a path that no longer leads to
    /// the vault is an error, not an empty database checkpointed).
    pub(crate) fn open(path: &Path, every: Duration) -> rusqlite::Result<Checkpointer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Ok(Checkpointer {
            conn: Connection::open_with_flags(path, flags)?,
            every,
            last: None,
        })
    }

    /// Checkpoints unless one ran less than `every` ago.
    pub(crate) fn run_if_due(&mut self) -> Option<rusqlite::Result<Checkpoint>> {
        if self.last.is_some_and(|at| at.elapsed() < self.every) {
            return None;
        }
        Some(self.run())
    }

    /// Checkpoints now. A busy answer does not count as a run.
    pub(crate) fn run(&mut self) -> rusqlite::Result<Checkpoint> {
        let done = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok(Checkpoint {
                    busy: r.get::<_, i64>(0)? != 0,
                    log: r.get(1)?,
                    copied: r.get(2)?,
                })
            })?;
        self.last = (!done.busy).then(Instant::now);
        Ok(done)
    }
}
