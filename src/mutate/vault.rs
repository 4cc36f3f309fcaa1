//! The vault: replacement → original for names, dictionary terms and PII, in SQLite in the data dir
//! (WAL, `PRAGMA user_version` migrations, a busy timeout so the CLI and the daemon can share it).
//! Secret values never enter it.
//!
//! Readers work on an immutable [`Snapshot`] (known names for renaming, a [`Mapping`] for restore),
//! reloaded only when another process has written (`PRAGMA data_version`), so a request costs no
//! query when nothing changed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::checkpoint::{self, Checkpoint, Checkpointer};
use super::naming::create_private_dir;
use super::rename::KnownNames;
use super::restore::{Lookup, Mapping, NameEntry};

/// Vault errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("vault database {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot create the data dir {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "vault database {path} has schema version {found}, newer than this pretense understands ({supported}); upgrade pretense"
    )]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
}

/// The schema version this build writes. Each entry of [`MIGRATIONS`] moves one version up.
pub const SCHEMA_VERSION: i64 = 3;

/// Migrations, applied in order inside one transaction each. The audit log shares the database.
const MIGRATIONS: &[&str] = &[
    // 1: the vault.
    "CREATE TABLE vault (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        original TEXT NOT NULL,
        replacement TEXT NOT NULL,
        first TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE INDEX vault_last_seen ON vault(last_seen);",
    // 2: the audit log (one row per proxied request; never an original name, secret or PII value).
    "CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        session TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        tool TEXT NOT NULL,
        streaming INTEGER NOT NULL,
        status INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        mutations INTEGER NOT NULL,
        secrets_blocked INTEGER NOT NULL,
        secret_rules TEXT NOT NULL,
        pii INTEGER NOT NULL,
        error TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_ts ON audit(ts);
    CREATE INDEX audit_session ON audit(session);",
    // 3: provider-signed content (thinking text, reasoning items) exactly as the provider wrote
    // it, i.e. with replacement names and placeholders only, so that a restarted daemon still
    // sends it back byte-exact. Keyed by signature or item id.
    "CREATE TABLE signed (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE INDEX signed_last_seen ON signed(last_seen);",
];

/// What an entry stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Original {
    /// An identifier, by its lowercase words; `display` is how it was first written.
    Name { words: Vec<String>, display: String },
    /// A dictionary term or PII value, exactly.
    Literal(String),
}

/// One vault row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `function`, `class`, ... for names; `term`; `email`, `ip`, `phone`, `card`, `iban` for PII.
    pub kind: String,
    pub original: Original,
    /// Replacement words (names, terms: one word) or the placeholder (PII).
    pub replacement: Vec<String>,
    pub last_seen: i64,
}

impl Entry {
    fn key(&self) -> String {
        match &self.original {
            Original::Name { words, .. } => format!("name:{}", words.join(" ")),
            Original::Literal(s) => format!("{}:{s}", self.kind),
        }
    }

    fn first(&self) -> &str {
        &self.replacement[0]
    }

    /// The original as a person reads it.
    pub fn display(&self) -> &str {
        match &self.original {
            Original::Name { display, .. } => display,
            Original::Literal(s) => s,
        }
    }

    /// The replacement as it appears in text (names in the original's casing).
    pub fn replacement_display(&self) -> String {
        match &self.original {
            Original::Name { display, .. } => {
                let mut out = Vec::new();
                let mut known = KnownNames::default();
                let words = super::words::words_of(display);
                let id = known.add(words);
                known.rename(
                    display.as_bytes(),
                    |i| (i == id).then_some(&self.replacement[..]),
                    &mut out,
                );
                String::from_utf8_lossy(&out).into_owned()
            }
            Original::Literal(_) if self.kind == "term" => self.replacement[0].clone(),
            Original::Literal(_) => self.replacement.join(" "),
        }
    }

    fn is_pii(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "email" | "ip" | "phone" | "card" | "iban"
        )
    }
}

/// An immutable view of the vault for one request.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub entries: Vec<Entry>,
    /// Names (and terms) by original words, with ids indexing `entries`... through `name_ids`.
    pub known: KnownNames,
    /// For each id of `known`, the index into `entries`.
    pub name_entries: Vec<usize>,
    /// Restore table.
    pub mapping: Mapping,
    /// Literal originals (terms, PII) → index into `entries`.
    pub literal_index: std::collections::HashMap<String, usize>,
    /// Every replacement first word and placeholder in use: new names must avoid them.
    pub taken: std::collections::HashSet<String>,
    /// Sequence number of `entries[0]` (entry `k` has `first_seq + k`): tells memoized matches
    /// which names they have not seen yet.
    pub first_seq: u64,
}

impl Snapshot {
    fn build(entries: Vec<Entry>, first_seq: u64) -> Snapshot {
        let mut s = Snapshot {
            first_seq,
            ..Snapshot::default()
        };
        for (i, e) in entries.iter().enumerate() {
            s.taken.insert(e.first().to_string());
            match &e.original {
                Original::Name { words, .. } => {
                    let id = s.known.add(words.clone());
                    if id == s.name_entries.len() {
                        s.name_entries.push(i);
                    }
                    s.mapping.insert_name(Arc::new(NameEntry {
                        original: words.clone(),
                        replacement: e.replacement.clone(),
                        term: None,
                    }));
                }
                Original::Literal(text) => {
                    s.literal_index.insert(format!("{}:{text}", e.kind), i);
                    if e.kind == "term" {
                        s.mapping.insert_name(Arc::new(NameEntry {
                            original: vec![],
                            replacement: e.replacement.clone(),
                            term: Some(text.clone()),
                        }));
                    } else {
                        s.mapping
                            .insert_literal(e.replacement[0].clone(), Arc::from(text.as_str()));
                    }
                }
            }
        }
        s.entries = entries;
        s
    }

    /// The entry for a name (by lowercase words), if recorded.
    pub fn name(&self, words: &[String]) -> Option<&Entry> {
        self.known
            .id(words)
            .map(|id| &self.entries[self.name_entries[id]])
    }

    /// The entry for a literal (`kind`, exact text), if recorded.
    pub fn literal(&self, kind: &str, text: &str) -> Option<&Entry> {
        self.literal_index
            .get(&format!("{kind}:{text}"))
            .map(|&i| &self.entries[i])
    }
}

/// Identifies a layer of a [`View`] for as long as it is held: a weak reference keeps the
/// layer's address from being reused, without keeping its contents alive.
#[derive(Debug, Clone)]
pub struct LayerMark(std::sync::Weak<Snapshot>);

/// What a request sees of the vault: immutable layers, oldest and largest first, each holding the
/// entries learned after the one below it (see `MERGE_RATIO`), so learning a name never rebuilds
/// the whole vault in memory.
#[derive(Debug, Clone, Default)]
pub struct View {
    parts: Vec<Arc<Snapshot>>,
    generation: u64,
}

impl View {
    /// The name sets, one layer per part.
    pub fn known_layers(&self) -> Vec<&KnownNames> {
        self.parts.iter().map(|p| &p.known).collect()
    }

    /// The entry of name `id` of layer `part` (as returned by [`View::known_layers`]).
    pub fn entry(&self, part: usize, id: usize) -> &Entry {
        let p = &self.parts[part];
        &p.entries[p.name_entries[id]]
    }

    /// The entry for a name (by lowercase words), if recorded.
    pub fn name(&self, words: &[String]) -> Option<&Entry> {
        self.parts.iter().rev().find_map(|p| p.name(words))
    }

    /// The entry for a literal (`kind`, exact text), if recorded.
    pub fn literal(&self, kind: &str, text: &str) -> Option<&Entry> {
        self.parts.iter().rev().find_map(|p| p.literal(kind, text))
    }

    /// Whether a replacement first word or placeholder is in use.
    pub fn is_taken(&self, first: &str) -> bool {
        self.parts.iter().any(|p| p.taken.contains(first))
    }

    /// Every entry.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.parts.iter().flat_map(|p| p.entries.iter())
    }

    /// Changes whenever names may have been removed or renumbered (a reload, forget, clear):
    /// memoized matches of another generation are void.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The sequence number the next recorded entry will get.
    pub fn seq_end(&self) -> u64 {
        self.parts
            .last()
            .map_or(0, |p| p.first_seq + p.entries.len() as u64)
    }

    /// Names recorded at or after sequence number `seq`.
    pub fn names_since(&self, seq: u64) -> impl Iterator<Item = &[String]> {
        self.parts.iter().flat_map(move |p| {
            let skip = seq.saturating_sub(p.first_seq) as usize;
            p.entries
                .iter()
                .skip(skip)
                .filter_map(|e| match &e.original {
                    Original::Name { words, .. } => Some(words.as_slice()),
                    Original::Literal(_) => None,
                })
        })
    }

    /// A mark for each layer, to tell later views whether it is still there, unchanged (see
    /// [`View::has_layer`]).
    pub fn marks(&self) -> Vec<LayerMark> {
        self.parts
            .iter()
            .map(|p| LayerMark(Arc::downgrade(p)))
            .collect()
    }

    /// Whether layer `part` is the one `mark` was taken of. Within a generation a layer changes
    /// only by being merged, so a name's id in a layer that is still there is still its id.
    pub fn has_layer(&self, part: usize, mark: &LayerMark) -> bool {
        self.parts
            .get(part)
            .is_some_and(|p| std::ptr::eq(Arc::as_ptr(p), mark.0.as_ptr()))
    }

    /// Where a name (by lowercase words) is in [`View::known_layers`]: `(part, id)`.
    pub fn locate(&self, words: &[String]) -> Option<(usize, usize)> {
        self.parts
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, p)| p.known.id(words).map(|id| (i, id)))
    }
}

impl Lookup for View {
    fn name(&self, first_lower: &str) -> Option<Arc<NameEntry>> {
        self.parts
            .iter()
            .rev()
            .find_map(|p| Lookup::name(&p.mapping, first_lower))
    }
    fn literal(&self, placeholder: &str) -> Option<Arc<str>> {
        self.parts
            .iter()
            .rev()
            .find_map(|p| Lookup::literal(&p.mapping, placeholder))
    }
}

/// Layers are merged while the newest holds at least 1/`MERGE_RATIO` of the entries of the one
/// below it, and always past `MAX_LAYERS`: sizes fall geometrically, so learning a name rebuilds
/// a few small layers and, rarely, a large one (each entry is rebuilt O(log n) times in all), and
/// a lookup visits a handful of layers.
const MERGE_RATIO: usize = 4;
const MAX_LAYERS: usize = 4;
/// Merges wait for [`Vault::settle`], off the request's path, while at most this many layers
/// are waiting; past that, recording merges as it goes.
const MAX_WAITING: usize = 8;

/// Whether the top two layers are due to be merged (see `MERGE_RATIO`).
fn merge_due(layers: &[Arc<Snapshot>]) -> bool {
    matches!(layers, [.., below, top]
        if top.entries.len() * MERGE_RATIO >= below.entries.len() || layers.len() > MAX_LAYERS)
}

/// One layer holding `below`'s entries, then `top`'s, numbered as they were.
fn merged(below: &Snapshot, top: &Snapshot) -> Snapshot {
    let mut entries = below.entries.clone();
    entries.extend(top.entries.iter().cloned());
    Snapshot::build(entries, below.first_seq)
}

struct Cached {
    /// `PRAGMA data_version` when loaded: another process's commit changes it.
    version: i64,
    generation: u64,
    /// Oldest first; none empty.
    layers: Vec<Arc<Snapshot>>,
}

/// How long a write waits for another process's lock on the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The vault database.
pub struct Vault {
    path: String,
    /// The database file (`None` in memory).
    file: Option<PathBuf>,
    conn: Mutex<Connection>,
    /// Set by [`Vault::defer_checkpoints`].
    checkpointer: Mutex<Option<Checkpointer>>,
    cached: RwLock<Cached>,
    /// When this process last refreshed each entry's `last_seen` (the snapshots keep the value
    /// they were loaded with).
    touched: Mutex<std::collections::HashMap<String, i64>>,
    /// Held by the one [`Vault::settle`] at work.
    settling: Mutex<()>,
    /// Entries in memory that are not stored yet (see [`Vault::remember_unstored`]), by ticket:
    /// reading the database again keeps them in memory.
    unstored: Mutex<Vec<(u64, Vec<Entry>)>>,
    next_ticket: std::sync::atomic::AtomicU64,
    /// Tries of [`Vault::write_when_free`] that found the database locked, for tests to wait on.
    #[cfg(test)]
    busy_tries: std::sync::atomic::AtomicUsize,
}

/// Entries in a vault's memory that are not stored yet; see [`Vault::remember_unstored`].
#[derive(Debug)]
#[must_use = "the entries stay in memory until `Vault::forget_unstored`"]
pub struct Unstored(u64);

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("path", &self.path).finish()
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Vault {
    /// Opens (creating on first use) the database at `path`, applying migrations.
    pub fn open(path: &Path) -> Result<Vault, Error> {
        let display = path.display().to_string();
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(|source| Error::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| Error::Sqlite {
            path: display.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Self::init(conn, display, Some(path.to_path_buf()))
    }

    /// A private in-memory vault (tests, and `--no-vault` style one-off runs).
    pub fn open_in_memory() -> Result<Vault, Error> {
        let conn = Connection::open_in_memory().map_err(|source| Error::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into(), None)
    }

    fn init(mut conn: Connection, path: String, file: Option<PathBuf>) -> Result<Vault, Error> {
        let sql = |source| Error::Sqlite {
            path: path.clone(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        // Switching a new database to WAL needs a moment alone with it; processes that start
        // together on an empty data dir take turns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(sql(e)),
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        migrate(&mut conn, &path)?;
        let vault = Vault {
            path,
            file,
            conn: Mutex::new(conn),
            checkpointer: Mutex::new(None),
            cached: RwLock::new(Cached {
                version: -1,
                generation: 0,
                layers: Vec::new(),
            }),
            touched: Mutex::new(std::collections::HashMap::new()),
            settling: Mutex::new(()),
            unstored: Mutex::new(Vec::new()),
            next_ticket: std::sync::atomic::AtomicU64::new(0),
            #[cfg(test)]
            busy_tries: std::sync::atomic::AtomicUsize::new(0),
        };
        vault.reload(true)?;
        Ok(vault)
    }

    fn sql_err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |source| Error::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolls back.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// For a daemon: from now on this vault's commits no longer checkpoint the WAL (up to a
    /// backstop); [`Vault::checkpoint_if_due`] does, from a connection of its own (why: see
    /// `mutate/checkpoint.rs`). Nothing changes for a vault in memory.
    pub fn defer_checkpoints(&self) -> Result<(), Error> {
        self.defer_checkpoints_every(checkpoint::EVERY)
    }

    /// [`Vault::defer_checkpoints`], with checkpoints at most once per `every`.
    pub(crate) fn defer_checkpoints_every(&self, every: Duration) -> Result<(), Error> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let checkpointer = Checkpointer::open(file, every).map_err(self.sql_err())?;
        let conn = self.conn();
        conn.pragma_update(None, "wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)
            .map_err(self.sql_err())?;
        conn.pragma_update(None, "journal_size_limit", checkpoint::LOG_SIZE_LIMIT_BYTES)
            .map_err(self.sql_err())?;
        drop(conn);
        *self.checkpointer.lock().unwrap_or_else(|e| e.into_inner()) = Some(checkpointer);
        Ok(())
    }

    /// Checkpoints the WAL if [`Vault::defer_checkpoints`] was called and none ran within its
    /// interval (a second; the audit writer calls this after its writes: off the request path).
    /// `None` when nothing ran (also while another thread's checkpoint runs).
    pub fn checkpoint_if_due(&self) -> Option<Result<Checkpoint, Error>> {
        let mut checkpointer = self.checkpointer.try_lock().ok()?;
        let done = checkpointer.as_mut()?.run_if_due()?;
        Some(done.map_err(self.sql_err()))
    }

    /// Runs `f` in a write transaction, committed if it succeeds (see [`Vault::write_when_free`]).
    pub fn write<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        self.write_when_free(|c| f(c).map_err(self.sql_err()))
    }

    /// Runs `f` in a write transaction (IMMEDIATE), committed if `f` succeeds, rolled back
    /// otherwise. While another process holds the database's write lock, waits for it (up to
    /// [`BUSY_TIMEOUT`]) without holding this vault's connection, through which requests read
    /// (`view`): each try skips SQLite's busy wait, and the connection is let go between tries.
    fn write_when_free<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        let mut f = Some(f);
        loop {
            let conn = self.conn();
            {
                let begun = conn.busy_timeout(Duration::ZERO).and_then(|()| {
                    rusqlite::Transaction::new_unchecked(
                        &conn,
                        rusqlite::TransactionBehavior::Immediate,
                    )
                });
                let waits = conn.busy_timeout(BUSY_TIMEOUT);
                match begun {
                    // Dropped uncommitted (an error, a panic), the transaction rolls back.
                    Ok(tx) => {
                        waits.map_err(self.sql_err())?;
                        let f = f.take().expect("a write runs once");
                        let done = f(&tx)?;
                        tx.commit().map_err(self.sql_err())?;
                        return Ok(done);
                    }
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::DatabaseBusy
                            && std::time::Instant::now() < deadline => {}
                    Err(source) => return Err(self.sql_err()(source)),
                }
            }
            drop(conn);
            #[cfg(test)]
            self.busy_tries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Runs `f` with the connection (the audit log shares it).
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        let conn = self.conn();
        f(&conn).map_err(self.sql_err())
    }

    /// The current view, reloaded first if another process changed the database. Writes hold
    /// the connection only while they write, not while they wait for another process's lock
    /// (see [`Vault::write_when_free`]), so this waits at most for one of this process's writes.
    pub fn view(&self) -> Result<View, Error> {
        self.reload(false)?;
        let c = self.cached.read().unwrap_or_else(|e| e.into_inner());
        Ok(View {
            parts: c.layers.clone(),
            generation: c.generation,
        })
    }

    /// Reads every entry from the database again, dropping what memory held (entries remembered
    /// but stored with other replacements, or not stored).
    pub fn reload_all(&self) -> Result<(), Error> {
        self.reload(true)
    }

    fn reload(&self, force: bool) -> Result<(), Error> {
        let conn = self.conn();
        // Every request asks: the statement is kept, not compiled each time.
        let version: i64 = conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(self.sql_err())?;
        if !force
            && self
                .cached
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .version
                == version
        {
            return Ok(());
        }
        let mut entries = load_entries(&conn, None).map_err(self.sql_err())?;
        // What requests learned and have not stored yet stays, unless the database has the same
        // original (another writer's replacement wins, as the write will find). One whose
        // replacement another original took stays too: it must still be renamed, and its write
        // will retry with another replacement and read the vault again. The list stays locked
        // until the new snapshot is in place: entries remembered meanwhile would be lost.
        let unstored = self.unstored.lock().unwrap_or_else(|e| e.into_inner());
        if !unstored.is_empty() {
            let keys: std::collections::HashSet<String> = entries.iter().map(Entry::key).collect();
            let waiting: Vec<Entry> = unstored
                .iter()
                .flat_map(|(_, es)| es)
                .filter(|e| !keys.contains(&e.key()))
                .cloned()
                .collect();
            entries.extend(waiting);
        }
        // The connection stays locked until the new snapshot is in place: a write in between
        // would otherwise be read neither here nor by the next check.
        let mut c = self.cached.write().unwrap_or_else(|e| e.into_inner());
        c.version = version;
        c.generation += 1;
        c.layers.clear();
        if !entries.is_empty() {
            c.layers.push(Arc::new(Snapshot::build(entries, 0)));
        }
        drop(c);
        drop(unstored);
        drop(conn);
        Ok(())
    }

    /// Adds entries this process stored as a new layer, without reading the database again.
    /// Merging layers keeps every name and its sequence number, so memoized matches stay valid
    /// and the generation does not change.
    fn remember(&self, stored: &[Entry]) {
        if stored.is_empty() {
            return;
        }
        let mut c = self.cached.write().unwrap_or_else(|e| e.into_inner());
        let layers = &mut c.layers;
        let first = layers
            .last()
            .map_or(0, |l| l.first_seq + l.entries.len() as u64);
        layers.push(Arc::new(Snapshot::build(stored.to_vec(), first)));
        // Merging rebuilds up to the whole vault: left to `settle`, unless too many wait.
        if layers.len() <= MAX_LAYERS + MAX_WAITING {
            return;
        }
        while merge_due(layers) {
            let n = layers.len();
            let m = merged(&layers[n - 2], &layers[n - 1]);
            layers.truncate(n - 2);
            layers.push(Arc::new(m));
        }
    }

    /// Adds entries to memory before they are stored ([`Vault::record_keys`] stores them), so
    /// that requests see them meanwhile; until [`Vault::forget_unstored`], reading the database
    /// again (another process wrote) keeps those it does not hold.
    pub fn remember_unstored(&self, entries: &[Entry]) -> Unstored {
        let ticket = self
            .next_ticket
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !entries.is_empty() {
            // Listed and in memory at once: a reload reads the list before it replaces memory.
            let mut unstored = self.unstored.lock().unwrap_or_else(|e| e.into_inner());
            unstored.push((ticket, entries.to_vec()));
            self.remember(entries);
        }
        Unstored(ticket)
    }

    /// Ends [`Vault::remember_unstored`]'s hold: the entries are stored (or another writer's
    /// are), or the caller gives up on them. Memory keeps them until the next reload.
    pub fn forget_unstored(&self, ticket: Unstored) {
        self.unstored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(t, _)| *t != ticket.0);
    }

    /// True when layers wait to be merged: call [`Vault::settle`], off the request's path.
    /// Never waits: the proxy asks from an async thread, and a reload holds the lock while it
    /// rebuilds the vault (it then answers false; the next request asks again).
    pub fn unsettled(&self) -> bool {
        match self.cached.try_read() {
            Ok(c) => merge_due(&c.layers),
            Err(std::sync::TryLockError::Poisoned(c)) => merge_due(&c.into_inner().layers),
            Err(std::sync::TryLockError::WouldBlock) => false,
        }
    }

    /// Merges the layers that recording left waiting. Builds outside the lock, so requests go on
    /// reading (and recording) meanwhile; a merge that a reload or another merge overtook is
    /// dropped. Views taken before keep the layers they hold.
    pub fn settle(&self) {
        // One settler at a time: a second would only build the same merge again.
        let Ok(_one) = self.settling.try_lock() else {
            return;
        };
        loop {
            let (below, top) = {
                let c = self.cached.read().unwrap_or_else(|e| e.into_inner());
                if !merge_due(&c.layers) {
                    return;
                }
                let n = c.layers.len();
                (c.layers[n - 2].clone(), c.layers[n - 1].clone())
            };
            let m = Arc::new(merged(&below, &top));
            let mut c = self.cached.write().unwrap_or_else(|e| e.into_inner());
            // Still side by side, whatever was recorded above them since.
            if let Some(i) = c
                .layers
                .windows(2)
                .position(|w| Arc::ptr_eq(&w[0], &below) && Arc::ptr_eq(&w[1], &top))
            {
                c.layers.splice(i..i + 2, [m]);
            }
        }
    }

    /// Records new entries and refreshes `last_seen` of `seen` ones. A new entry whose first word
    /// is taken (another process raced us to it) is retried with `retry`, which must return a fresh
    /// replacement for the given attempt. Returns the entries as stored (possibly another process's
    /// identical name).
    pub fn record(
        &self,
        new: Vec<Entry>,
        seen: &[&Entry],
        retry: &dyn Fn(&Entry, u32) -> Vec<String>,
    ) -> Result<Vec<Entry>, Error> {
        let stored = self.record_keys(new, self.stale(seen), retry)?;
        // Entries another process wrote first are already in the database but not in memory.
        self.remember(&stored);
        Ok(stored)
    }

    /// The keys of the `seen` entries whose `last_seen` [`Vault::record`] would refresh.
    /// Refreshing it at most daily keeps a busy conversation from writing every turn. A later
    /// touch only makes an entry fresher, so one seen within the day needs no lookup (a turn sees
    /// thousands of names: no key is built for them).
    pub fn stale(&self, seen: &[&Entry]) -> Vec<String> {
        let t = now();
        let touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter()
            .filter(|e| t - e.last_seen > 86_400)
            .map(|e| e.key())
            .filter(|k| t - touched.get(k).copied().unwrap_or(0) > 86_400)
            .collect()
    }

    /// [`Vault::record`] without adding the entries to memory (the caller did, see
    /// [`Vault::remember`]), with the keys to refresh found by [`Vault::stale`] beforehand.
    pub fn record_keys(
        &self,
        new: Vec<Entry>,
        stale: Vec<String>,
        retry: &dyn Fn(&Entry, u32) -> Vec<String>,
    ) -> Result<Vec<Entry>, Error> {
        let t = now();
        if new.is_empty() && stale.is_empty() {
            return Ok(Vec::new());
        }
        #[cfg(test)]
        before_record::run(&self.path);
        let stored = self.write_when_free(|tx| {
            let mut stored = Vec::with_capacity(new.len());
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO vault (kind, key, original, replacement, first, created, last_seen)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    )
                    .map_err(self.sql_err())?;
                for mut e in new {
                    let key = e.key();
                    let mut attempt = 1;
                    loop {
                        let res = insert.execute(params![
                            e.kind,
                            key,
                            e.display(),
                            e.replacement.join(" "),
                            e.first(),
                            t
                        ]);
                        match res {
                            Ok(_) => {
                                e.last_seen = t;
                                stored.push(e);
                                break;
                            }
                            Err(rusqlite::Error::SqliteFailure(f, _))
                                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                            {
                                // Same original already stored (a concurrent process): use theirs.
                                let existing: Option<String> = tx
                                    .query_row(
                                        "SELECT replacement FROM vault WHERE key = ?1",
                                        [&key],
                                        |r| r.get(0),
                                    )
                                    .optional()
                                    .map_err(self.sql_err())?;
                                if let Some(repl) = existing {
                                    e.replacement = repl.split(' ').map(String::from).collect();
                                    stored.push(e);
                                    break;
                                }
                                e.replacement = retry(&e, attempt);
                                attempt += 1;
                                if attempt > 64 {
                                    return Err(Error::Sqlite {
                                        path: self.path.clone(),
                                        source: rusqlite::Error::SqliteFailure(
                                            f,
                                            Some("no free replacement name".into()),
                                        ),
                                    });
                                }
                            }
                            Err(source) => {
                                return Err(Error::Sqlite {
                                    path: self.path.clone(),
                                    source,
                                });
                            }
                        }
                    }
                }
                let mut touch = tx
                    .prepare_cached("UPDATE vault SET last_seen = ?1 WHERE key = ?2")
                    .map_err(self.sql_err())?;
                for key in &stale {
                    touch.execute(params![t, key]).map_err(self.sql_err())?;
                }
            }
            Ok(stored)
        })?;
        {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            for key in stale {
                touched.insert(key, t);
            }
        }
        Ok(stored)
    }

    /// Entries, optionally of one kind (`name` matches every identifier kind, `pii` every PII kind).
    pub fn list(&self, kind: Option<&str>) -> Result<Vec<Entry>, Error> {
        let conn = self.conn();
        let mut entries = load_entries(&conn, None).map_err(self.sql_err())?;
        if let Some(k) = kind {
            entries.retain(|e| match k {
                "name" => matches!(e.original, Original::Name { .. }),
                "pii" => e.is_pii(),
                k => e.kind == k,
            });
        }
        Ok(entries)
    }

    /// Forgets an original (an identifier in any casing, a term, or a PII value). Returns how many
    /// entries were removed.
    pub fn forget(&self, original: &str) -> Result<usize, Error> {
        let words = super::words::words_of(original);
        let name_key = format!("name:{}", words.join(" "));
        let n = self.write(|tx| {
            tx.execute(
                "DELETE FROM vault WHERE key = ?1 OR (key NOT LIKE 'name:%' AND original = ?2)",
                params![name_key, original],
            )
        })?;
        self.reload(true)?;
        Ok(n)
    }

    /// Stores provider-signed content under `key` (an upsert that also refreshes `last_seen`).
    pub fn put_signed(&self, items: &[(String, String)]) -> Result<(), Error> {
        self.write(|tx| {
            let mut put = tx.prepare_cached(
                "INSERT INTO signed (key, body, last_seen) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET last_seen = excluded.last_seen",
            )?;
            let t = now();
            for (key, body) in items {
                put.execute(params![key, body, t])?;
            }
            Ok(())
        })
    }

    /// Provider-signed content stored under `key`.
    pub fn signed(&self, key: &str) -> Result<Option<String>, Error> {
        self.conn()
            .query_row("SELECT body FROM signed WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.sql_err())
    }

    /// Removes every entry, and the remembered signed content with them. Returns how many
    /// entries.
    pub fn clear(&self) -> Result<usize, Error> {
        let n = self.write(|tx| {
            let n = tx.execute("DELETE FROM vault", [])?;
            tx.execute("DELETE FROM signed", [])?;
            Ok(n)
        })?;
        self.reload(true)?;
        Ok(n)
    }

    /// Drops entries (and signed content) unseen for `days` days. Returns how many entries.
    pub fn expire(&self, days: u32) -> Result<usize, Error> {
        let cutoff = now() - i64::from(days) * 86_400;
        let n = self.write(|tx| {
            let n = tx.execute("DELETE FROM vault WHERE last_seen < ?1", [cutoff])?;
            tx.execute("DELETE FROM signed WHERE last_seen < ?1", [cutoff])?;
            Ok(n)
        })?;
        if n > 0 {
            self.reload(true)?;
        }
        Ok(n)
    }
}

fn migrate(conn: &mut Connection, path: &str) -> Result<(), Error> {
    let sql = |source| Error::Sqlite {
        path: path.to_string(),
        source,
    };
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql)?;
    if version > SCHEMA_VERSION {
        return Err(Error::TooNew {
            path: path.to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        // IMMEDIATE: take the write lock up front (waiting on the busy timeout). A deferred
        // transaction that read first could not upgrade once another process had written, and
        // would fail at once with "database is locked".
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        // Another process may have migrated between our read and our lock: check again inside.
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if current > i as i64 {
            continue;
        }
        tx.execute_batch(m).map_err(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
    }
    Ok(())
}

fn load_entries(conn: &Connection, kind: Option<&str>) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, key, original, replacement, last_seen FROM vault
         WHERE (?1 IS NULL OR kind = ?1) ORDER BY id",
    )?;
    let rows = stmt.query_map([kind], |r| {
        let kind: String = r.get(0)?;
        let key: String = r.get(1)?;
        let original: String = r.get(2)?;
        let replacement: String = r.get(3)?;
        let last_seen: i64 = r.get(4)?;
        let original = match key.strip_prefix("name:") {
            Some(words) => Original::Name {
                words: words.split(' ').map(String::from).collect(),
                display: original,
            },
            None => Original::Literal(original),
        };
        Ok(Entry {
            kind,
            original,
            replacement: replacement.split(' ').map(String::from).collect(),
            last_seen,
        })
    })?;
    rows.collect()
}

/// What another process does between a request's view of the vault and its write, for tests of
/// that race: a closure registered for a vault's path runs once, at the start of that vault's
/// next write.
#[cfg(test)]
pub(crate) mod before_record {
    use std::sync::Mutex;

    type Hook = Box<dyn FnOnce() + Send>;
    static HOOKS: Mutex<Vec<(String, Hook)>> = Mutex::new(Vec::new());

    pub(crate) fn register(path: &std::path::Path, hook: impl FnOnce() + Send + 'static) {
        let path = path.display().to_string();
        HOOKS.lock().unwrap().push((path, Box::new(hook)));
    }

    pub(super) fn run(path: &str) {
        let hook = {
            let mut hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
            let at = hooks.iter().position(|(p, _)| p == path);
            at.map(|at| hooks.remove(at).1)
        };
        if let Some(hook) = hook {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(display: &str, repl: &str) -> Entry {
        Entry {
            kind: "function".into(),
            original: Original::Name {
                words: super::super::words::words_of(display),
                display: display.into(),
            },
            replacement: repl.split(' ').map(String::from).collect(),
            last_seen: 0,
        }
    }

    /// Another process holds the write lock: a write of this process waits for it without
    /// holding the connection, so reading (a request's view) goes on meanwhile, and the write
    /// goes through once the lock is released.
    #[test]
    fn a_write_waiting_for_another_process_s_lock_lets_reads_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pretense.db");
        let v = Arc::new(Vault::open(&path).unwrap());
        let holder = Vault::open(&path).unwrap();
        holder
            .with_conn(|c| c.execute_batch("BEGIN IMMEDIATE"))
            .unwrap();
        let tries = || v.busy_tries.load(std::sync::atomic::Ordering::Relaxed);
        let writer = {
            let v = v.clone();
            std::thread::spawn(move || {
                v.record(
                    vec![name("settleLedgerBatch", "zqbokami futi")],
                    &[],
                    &|_, _| unreachable!("nothing else holds the name"),
                )
            })
        };
        // The writer has found the lock taken at least once (or given up).
        while tries() == 0 && !writer.is_finished() {
            std::thread::yield_now();
        }
        // Were the writer holding the connection while it waits, this would wait until it gave
        // up (10 s).
        assert!(
            v.view()
                .unwrap()
                .name(&words("settleLedgerBatch"))
                .is_none()
        );
        assert!(!writer.is_finished(), "the writer still waits for the lock");
        holder.with_conn(|c| c.execute_batch("ROLLBACK")).unwrap();
        assert_eq!(writer.join().unwrap().unwrap().len(), 1);
        assert!(
            v.view()
                .unwrap()
                .name(&words("settleLedgerBatch"))
                .is_some()
        );
    }

    /// A write that panics half-way (a bug) leaves no transaction open: it is rolled back, and
    /// the next write goes through.
    #[test]
    fn a_write_that_panics_rolls_back_and_the_next_one_goes_through() {
        let v = Vault::open_in_memory().unwrap();
        let half_done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            v.write::<()>(|tx| {
                tx.execute(
                    "INSERT INTO signed (key, body, last_seen) VALUES ('first', 'a', 0)",
                    [],
                )?;
                panic!("half-way through a write");
            })
        }));
        assert!(half_done.is_err());
        v.put_signed(&[("second".into(), "b".into())]).unwrap();
        assert_eq!(v.signed("first").unwrap(), None, "rolled back");
        assert_eq!(v.signed("second").unwrap().as_deref(), Some("b"));
    }

    fn words(display: &str) -> Vec<String> {
        super::super::words::words_of(display)
    }

    #[test]
    fn learning_names_in_many_batches_keeps_few_layers_and_every_name() {
        let v = Vault::open_in_memory().unwrap();
        let generation = v.view().unwrap().generation();
        let display = |b: usize, i: usize| format!("batch{b}_name{i}");
        let words = |b: usize, i: usize| super::super::words::words_of(&display(b, i));
        let mut seq_at = Vec::new();
        let (mut kept, mut merged) = (0, 0);
        for b in 0..60 {
            let before = v.view().unwrap();
            seq_at.push(before.seq_end());
            let batch: Vec<Entry> = (0..1 + b % 7 * 5)
                .map(|i| name(&display(b, i), &format!("zqb{b}x{i}")))
                .collect();
            v.record(batch, &[], &|_, _| unreachable!()).unwrap();
            // Merges wait for `settle`, a bounded number of them; a daemon settles after each
            // request, this test after every third batch.
            let settled = b % 3 == 2;
            if settled {
                v.settle();
                assert!(!v.unsettled());
            }
            let view = v.view().unwrap();
            // A layer still there, by its mark, holds every name of it at the same id; a layer
            // whose mark fails was merged: gone, or grown by the layers above it.
            for (part, mark) in before.marks().iter().enumerate() {
                if view.has_layer(part, mark) {
                    kept += 1;
                    for e in before.parts[part].entries.iter() {
                        let Original::Name { words, .. } = &e.original else {
                            continue;
                        };
                        assert_eq!(view.locate(words), before.locate(words));
                    }
                } else {
                    merged += 1;
                    let was = before.parts[part].entries.len();
                    assert!(
                        view.parts.get(part).is_none_or(|p| p.entries.len() > was),
                        "layer {part} changed without a merge"
                    );
                }
            }
            let most = if settled {
                MAX_LAYERS
            } else {
                MAX_LAYERS + MAX_WAITING
            };
            assert!(view.parts.len() <= most, "{} layers", view.parts.len());
            assert_eq!(view.generation(), generation, "merging is not a reload");
            assert!(view.name(&words(b, 0)).is_some());
            assert!(
                view.name(&words(0, 0)).is_some(),
                "the oldest name survives merges"
            );
            assert_eq!(view.seq_end() as usize, view.entries().count());
        }
        assert!(kept > 0 && merged > 0, "kept {kept}, merged {merged}");
        let view = v.view().unwrap();
        // Sequence numbers survive merges: the names since a batch began are that batch onwards.
        let since: Vec<&[String]> = view.names_since(seq_at[40]).collect();
        assert_eq!(since.first().copied(), Some(words(40, 0).as_slice()));
        assert_eq!(since.len(), (40..60).map(|b| 1 + b % 7 * 5).sum::<usize>());
    }

    #[test]
    fn settling_beside_recording_loses_no_layer() {
        let v = Vault::open_in_memory().unwrap();
        let display = |t: usize, b: usize, i: usize| format!("thread{t}_batch{b}_name{i}");
        std::thread::scope(|s| {
            for t in 0..2 {
                let v = &v;
                s.spawn(move || {
                    for b in 0..40 {
                        let batch: Vec<Entry> = (0..1 + b % 5 * 7)
                            .map(|i| name(&display(t, b, i), &format!("zqt{t}b{b}x{i}")))
                            .collect();
                        v.record(batch, &[], &|_, _| unreachable!()).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..200 {
                    v.settle();
                    std::thread::yield_now();
                }
            });
        });
        v.settle();
        let view = v.view().unwrap();
        assert!(
            view.parts.len() <= MAX_LAYERS,
            "{} layers",
            view.parts.len()
        );
        let total: usize = 2 * (0..40).map(|b| 1 + b % 5 * 7).sum::<usize>();
        assert_eq!(view.entries().count(), total);
        assert_eq!(view.seq_end() as usize, total);
        // Sequence numbers run on from layer to layer, as they did when merged while recording.
        for w in view.parts.windows(2) {
            assert_eq!(w[1].first_seq, w[0].first_seq + w[0].entries.len() as u64);
        }
        for t in 0..2 {
            for b in 0..40 {
                let words = super::super::words::words_of(&display(t, b, 0));
                assert!(view.name(&words).is_some(), "thread {t} batch {b} lost");
            }
        }
    }

    #[test]
    fn record_snapshot_forget_clear() {
        let v = Vault::open_in_memory().unwrap();
        let stored = v
            .record(
                vec![name("getUserToken", "zqbokami futi lova")],
                &[],
                &|_, _| unreachable!(),
            )
            .unwrap();
        assert_eq!(stored.len(), 1);
        let s = v.view().unwrap();
        assert!(
            s.name(&["get".into(), "user".into(), "token".into()])
                .is_some()
        );
        assert!(Lookup::name(&s, "zqbokami").is_some());
        assert!(s.is_taken("zqbokami"));
        assert_eq!(stored[0].replacement_display(), "zqbokamiFutiLova");

        // A different name whose first word collides is retried.
        let stored = v
            .record(vec![name("Ledger", "zqbokami")], &[], &|_, attempt| {
                vec![format!("zqretry{attempt}")]
            })
            .unwrap();
        assert_eq!(stored[0].replacement, ["zqretry1"]);
        assert_eq!(v.list(None).unwrap().len(), 2);
        assert_eq!(v.list(Some("name")).unwrap().len(), 2);
        assert_eq!(v.list(Some("pii")).unwrap().len(), 0);

        assert_eq!(
            v.forget("get_user_token").unwrap(),
            1,
            "any casing of the name"
        );
        assert_eq!(v.list(None).unwrap().len(), 1);
        assert_eq!(v.clear().unwrap(), 1);
        assert_eq!(v.view().unwrap().entries().count(), 0);
    }

    #[test]
    fn other_processes_writes_are_seen_and_schema_is_versioned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/pretense.db");
        let a = Vault::open(&path).unwrap();
        let b = Vault::open(&path).unwrap();
        assert_eq!(a.view().unwrap().entries().count(), 0);
        b.record(
            vec![name("fooBarBaz", "zqaaaaaa bebe bibi")],
            &[],
            &|_, _| vec![],
        )
        .unwrap();
        assert_eq!(
            a.view().unwrap().entries().count(),
            1,
            "reloaded after another writer"
        );
        let version: i64 = a
            .with_conn(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // A newer schema is refused with a clear message.
        a.with_conn(|c| c.pragma_update(None, "user_version", 99))
            .unwrap();
        drop((a, b));
        let err = Vault::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }

    /// Commits that each add a page or two, as the audit writer's do, `n` times.
    fn commit_many(v: &Vault, n: usize) {
        for i in 0..n {
            v.with_conn(|c| {
                c.execute(
                    "INSERT INTO audit (ts, session, endpoint, provider, model, tool, streaming,
                        status, duration_ms, mutations, secrets_blocked, secret_rules, pii, error)
                     VALUES (?1, 's', '/v1/messages', 'anthropic', 'm', 'curl', 0, 200, 1, 0, 0,
                        '[]', 0, '')",
                    [format!("2026-01-01T00:00:{i:06}Z")],
                )
            })
            .unwrap();
        }
    }

    /// A daemon's commits leave the WAL to its checkpointer: the log grows past SQLite's
    /// 1000-page limit until `checkpoint_if_due` copies all of it, at most once per interval.
    /// Without the deferral the commits checkpoint themselves and the log never gets that long.
    #[test]
    fn a_daemon_s_commits_leave_checkpoints_to_its_checkpointer() {
        let dir = tempfile::tempdir().unwrap();
        let commits = 1500;

        let plain = Vault::open(&dir.path().join("plain.db")).unwrap();
        commit_many(&plain, commits);
        let mut look = Checkpointer::open(&dir.path().join("plain.db"), Duration::ZERO).unwrap();
        let log = look.run().unwrap().log;
        assert!(
            log < 1100,
            "SQLite checkpointed on commit: {log} frames left"
        );

        let v = Vault::open(&dir.path().join("pretense.db")).unwrap();
        v.defer_checkpoints_every(Duration::MAX).unwrap();
        let limit: i64 = v
            .with_conn(|c| c.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(limit, checkpoint::BACKSTOP_PAGES);
        commit_many(&v, commits);
        let data_version = || -> i64 {
            v.with_conn(|c| c.query_row("PRAGMA data_version", [], |r| r.get(0)))
                .unwrap()
        };
        let before = data_version();
        let done = v.checkpoint_if_due().unwrap().unwrap();
        assert!(done.log > 1500, "no commit checkpointed: {done:?}");
        assert_eq!(done.copied, done.log, "everything copied");
        // The vault's own connection sees no change by another writer: no reload follows.
        assert_eq!(data_version(), before);
        assert!(v.checkpoint_if_due().is_none(), "once per interval");
        v.record(
            vec![name("fooBarBaz", "zqaaaaaa bebe bibi")],
            &[],
            &|_, _| vec![],
        )
        .unwrap();
        assert_eq!(v.view().unwrap().entries().count(), 1, "it still writes");

        let memory = Vault::open_in_memory().unwrap();
        memory.defer_checkpoints().unwrap();
        assert!(
            memory.checkpoint_if_due().is_none(),
            "nothing to checkpoint"
        );
    }

    #[test]
    fn expire_drops_unseen_entries() {
        let v = Vault::open_in_memory().unwrap();
        v.record(vec![name("oldName", "zqololol kaka")], &[], &|_, _| vec![])
            .unwrap();
        v.with_conn(|c| c.execute("UPDATE vault SET last_seen = 0", []))
            .unwrap();
        assert_eq!(v.expire(90).unwrap(), 1);
        assert_eq!(v.expire(90).unwrap(), 0);
    }
}
