//! The rewrite engine: one call rewrites every text of a request (or a file) consistently.
//!
//! 1. analyse each text: secrets (rules), PII, dictionary terms, and the names its code declares
//!    (segments → tree-sitter queries; cached by content hash, parsed on all cores when large);
//! 2. decide the known names: declared here, recorded in the vault, or always renamed;
//! 3. give each name, term and PII value that occurs its keyed replacement (new ones go to the
//!    vault; secrets only to process memory);
//! 4. rewrite: protected spans become placeholders, and the renaming pass runs over the rest;
//! 5. return the rewritten texts plus the [`Mapping`] that restores answers and the originals the
//!    egress check must not find in the outgoing request.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use aho_corasick::AhoCorasick;
use twox_hash::XxHash3_64;

use super::dictionary::Dictionary;
use super::naming::{MARKER, NamingKey};
use super::pii;
use super::rename::{KnownNames, Layers, Match, render};
use super::restore::{self, Escape, Lookup, Mapping, NameEntry, Restorer};
use super::segment;
use super::vault::{self, Entry, LayerMark, Original, Vault};
use super::words;
use crate::config::{Config, SecretPolicy};
use crate::lang::{self, Lang};
use crate::parallel;
use crate::secrets::{RuleSet, Severity};

/// Engine errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Secrets under the `block` policy; never carries a value.
    #[error("refused: {} (secrets policy is \"block\")", describe_blocked(.0))]
    Blocked(Vec<SecretHit>),
    #[error(transparent)]
    Vault(#[from] vault::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
}

fn describe_blocked(hits: &[SecretHit]) -> String {
    let mut parts: Vec<String> = hits
        .iter()
        .take(5)
        .map(|h| format!("{} at line {}", h.rule, h.line))
        .collect();
    if hits.len() > 5 {
        parts.push(format!("and {} more", hits.len() - 5));
    }
    format!("secret found: {}", parts.join(", "))
}

/// One text to rewrite, with what is known about it.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub text: &'a [u8],
    /// The language when known (a fence, `--lang`, a file path): the whole text is code.
    pub lang: Option<&'static Lang>,
    /// The file the text came from (a tool call's path, `--path`): decides the language and
    /// `allow_paths`.
    pub path: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn text(text: &'a str) -> Input<'a> {
        Input {
            text: text.as_bytes(),
            lang: None,
            path: None,
        }
    }
}

/// A secret found while rewriting (its location, never its value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretHit {
    pub rule: String,
    pub severity: Severity,
    /// Index of the input it was found in.
    pub input: usize,
    pub line: usize,
}

/// The vault's write of what a rewrite learned, left for later by
/// [`Engine::redact_then_store_later`]. The entries are in the vault's memory already (requests
/// rename them from the rewrite on); dropped unrun, they stay there, unstored, for this process's
/// life.
pub struct PendingWrite {
    vault: Arc<Vault>,
    key: NamingKey,
    new: Vec<Entry>,
    /// Keys of entries whose `last_seen` to refresh.
    stale: Vec<String>,
    /// The memos of the texts rewritten afresh, kept once the vault holds what they used.
    memos: Vec<(Arc<Analysis>, Arc<Memo>)>,
    /// Holds `new` in the vault's memory until they are stored.
    unstored: vault::Unstored,
}

/// What [`PendingWrite::store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Entries written (or found written by another writer).
    pub entries: usize,
    /// Of those, how many the vault holds with another replacement than the rewrite used
    /// (another writer stored the same original, or took the name, first). The rewrite's memos
    /// are then dropped: later turns rewrite with the vault's replacements.
    pub changed: usize,
}

impl PendingWrite {
    /// Writes the entries (one SQLite transaction, waiting for another process's lock within the
    /// vault's busy timeout), then keeps the rewrite's memos if the vault holds the replacements
    /// it used.
    pub fn store(self) -> Result<Stored, Error> {
        let PendingWrite {
            vault,
            key,
            new,
            stale,
            memos,
            unstored,
        } = self;
        let used: Vec<Vec<String>> = new.iter().map(|e| e.replacement.clone()).collect();
        // A failed write's entries stay in memory, through reloads, for this process's life: its
        // requests keep renaming them (a restarted daemon learns them again).
        let stored = vault.record_keys(new, stale, &|e, attempt| {
            retry_replacement(&key, e, attempt)
        })?;
        vault.forget_unstored(unstored);
        // One stored entry per new one, in order (see `Vault::record`).
        let changed = stored
            .iter()
            .zip(&used)
            .filter(|(e, used)| e.replacement != **used)
            .count();
        if changed > 0 {
            // Memory holds the replacements this rewrite chose, where the vault stored others.
            vault.reload_all()?;
        } else {
            publish(memos);
        }
        Ok(Stored {
            entries: stored.len(),
            changed,
        })
    }
}

/// Each memo with the analysis (of the text, by index) that keeps it.
fn with_analyses(
    memos: Vec<(usize, Arc<Memo>)>,
    analyses: &[Arc<Analysis>],
) -> Vec<(Arc<Analysis>, Arc<Memo>)> {
    memos
        .into_iter()
        .map(|(i, memo)| (analyses[i].clone(), memo))
        .collect()
}

/// Keeps each text's new memo for the next turn.
fn publish(memos: Vec<(Arc<Analysis>, Arc<Memo>)>) {
    for (analysis, memo) in memos {
        *analysis.memo.lock().unwrap_or_else(|e| e.into_inner()) = Some(memo);
    }
}

/// A fresh replacement for `e`, whose replacement the vault found taken by another original:
/// the next candidate, by `attempt`.
fn retry_replacement(key: &NamingKey, e: &Entry, attempt: u32) -> Vec<String> {
    match &e.original {
        Original::Name { words, .. } => key.name_words(words, attempt),
        Original::Literal(text) if e.kind == "term" => {
            key.name_words(std::slice::from_ref(text), attempt)
        }
        Original::Literal(text) => {
            let kind = e.kind.to_ascii_uppercase();
            vec![key.placeholder(&kind, text.as_bytes(), attempt)]
        }
    }
}

/// The result of rewriting a batch of texts.
#[derive(Debug, Default)]
pub struct Redaction {
    pub texts: Vec<Vec<u8>>,
    /// Everything issued for this batch: restores answers.
    pub mapping: Arc<Mapping>,
    pub secrets: Vec<SecretHit>,
    /// Distinct names renamed, by kind.
    pub identifiers: BTreeMap<String, usize>,
    pub names: usize,
    pub terms: usize,
    pub pii: usize,
    egress: Egress,
    /// Hashes of outputs reused from an earlier rewrite that passed the egress check then.
    reused: FxHashMap<u64, Arc<Vec<u8>>>,
    /// Outputs patched from such an output (by hash), with that output and a finder of the first
    /// words of the names learned since: the name search needs only their tokens that differ
    /// from it or hold one of those words.
    patched: rustc_hash::FxHashMap<u64, PatchedFrom>,
    /// Such outputs kept unchanged although names were learned since (by hash), with the word
    /// index of the output and the first words of those names: the name search needs only the
    /// tokens that hold one.
    kept: rustc_hash::FxHashMap<u64, KeptFrom>,
    /// Outputs this request rendered from a text searched whole for names (by hash), with that
    /// text: the egress check searches only their tokens the rewrite changed.
    rendered: FxHashMap<u64, RenderedFrom>,
    /// Hashes of the strings the egress check searched for names in this request.
    searched: Mutex<FxHashSet<u64>>,
    /// The memos this rewrite used or made, marked verified once the request passes egress.
    memos: Vec<Arc<Memo>>,
    /// Index into `memos` by output hash.
    memo_of: FxHashMap<u64, usize>,
}

impl Redaction {
    /// Names, terms and PII values replaced, each distinct original counted once.
    pub fn mutations(&self) -> usize {
        self.names + self.terms + self.pii
    }

    /// Distinct secret values replaced.
    pub fn secret_count(&self) -> usize {
        self.mapping
            .literals()
            .filter(|(p, _)| p.starts_with("PRETENSE_SECRET_"))
            .count()
    }

    /// Checks one outgoing string for any original this batch replaced. Returns what kind of
    /// original survived (never the original itself). A text this engine already produced and
    /// checked in an earlier turn, unchanged since, is not matched again.
    pub fn egress_violation(&self, text: &str) -> Option<&'static str> {
        // Secret, PII and term values are always looked for; the (costlier) name search is
        // skipped for an unchanged output that already passed in an earlier request, and limited
        // to the changed tokens of an output patched from one.
        // An output kept from an earlier request although names were learned since is in both
        // sets: it is searched for those names.
        let hash = output_hash(text.as_bytes());
        // A hash only points at an output: it is trusted once the bytes are the same.
        let same = |output: &[u8]| output == text.as_bytes();
        let names = match (self.patched.get(&hash), self.kept.get(&hash)) {
            (Some((old, new_words)), _) => Names::ChangedSince(old, new_words),
            (None, Some((output, index, firsts))) => match index.get() {
                Some(index) if same(output) => Names::Holding(index, firsts),
                _ => Names::All,
            },
            (None, None) if self.reused.get(&hash).is_some_and(|o| same(o)) => Names::None,
            (None, None) => match self.rendered.get(&hash) {
                Some((output, input, held)) if same(output) => Names::Rendered(input, held),
                _ => Names::All,
            },
        };
        if !matches!(names, Names::None) {
            self.searched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(hash);
        }
        self.egress.check(text.as_bytes(), names)
    }

    /// Where the caller keeps its encoding of `text` when `text` is the output of one of this
    /// batch's memos: encoding it once serves every later turn that resends it. `None` for short
    /// texts and those without a memo.
    pub fn encoded(&self, text: &str) -> Option<&OnceLock<Vec<u8>>> {
        if text.len() < ENCODED_MIN_BYTES {
            return None;
        }
        let m = &self.memos[*self.memo_of.get(&output_hash(text.as_bytes()))?];
        (m.output.as_slice() == text.as_bytes()).then_some(&*m.encoded)
    }

    /// Records that this request passed the egress check, so later turns may skip the name
    /// search on the texts it sent unchanged.
    pub fn mark_egress_passed(&self) {
        // Only outputs the check searched for names: the egress walk skips a few strings the
        // rewrite walk covers (image data, say), and an output that went out only there was
        // never searched. An output reused as verified stays verified.
        let searched = self.searched.lock().unwrap_or_else(|e| e.into_inner());
        for m in &self.memos {
            if !m.verified.load(std::sync::atomic::Ordering::Relaxed) && searched.contains(&m.hash)
            {
                m.verified.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

/// The originals a request replaced, to prove none of them leaves.
#[derive(Debug, Default)]
struct Egress {
    /// Every name the vault knows, and those this request declared: stricter than only the names
    /// that occurred, and free to build.
    view: vault::View,
    request: Arc<KnownNames>,
    never: Arc<FxHashSet<Vec<String>>>,
    values: Option<AhoCorasick>,
    value_kinds: Vec<&'static str>,
    terms: Option<Arc<Dictionary>>,
}

/// An output that passed the egress check, and a finder of the first words of names learned since.
type PatchedFrom = (Arc<Vec<u8>>, Arc<AhoCorasick>);

/// An output rendered by this request, the text it was rendered from, and where the tokens of
/// that text in which the rewrite found names start.
type RenderedFrom = (Arc<Vec<u8>>, Arc<[u8]>, Vec<usize>);

/// An output that passed the egress check, its word index, and the hashes of the first words of
/// names learned since.
type KeptFrom = (Arc<Vec<u8>>, Arc<OnceLock<WordIndex>>, Arc<[u64]>);

/// A request's texts rewritten, with what restoring them and the egress check need, and the
/// memos of the texts rewritten afresh (by input).
struct Rendered {
    texts: Vec<Vec<u8>>,
    mapping: Mapping,
    egress_values: Vec<(Vec<u8>, &'static str)>,
    memos: Vec<(usize, Arc<Memo>)>,
    patched: Vec<(u64, PatchedFrom)>,
    rendered: Vec<(u64, RenderedFrom)>,
}

/// Where the egress check searches for names.
enum Names<'a> {
    All,
    None,
    /// The tokens that differ from this earlier output, which passed, and those that hold one of
    /// the first words of the names learned since (the finder): a name is found only in a token
    /// that holds its first word, so the other tokens pass as they did.
    ChangedSince(&'a [u8], &'a AhoCorasick),
    /// The tokens of an earlier output, which passed and is unchanged, that hold one of the first
    /// words of the names learned since (by the output's word index and the words' hashes).
    Holding(&'a WordIndex, &'a [u64]),
    /// The tokens that differ from the text this request rendered the output from, and those in
    /// the place of its tokens where the rewrite found names (starting at these offsets of the
    /// text). The rewrite searched every token of that text, outside protected spans, with the
    /// same names: any other token, the same between the same separators (so with the same
    /// escape before it), holds none. The tokens searched are where a renaming or a placeholder
    /// could have gone wrong, a name left in place included. Only for texts whose protected
    /// spans each became a run of token bytes unlike the span: a token inside or next to a span,
    /// which the rewrite did not search whole, then differs in the output (or the separators do,
    /// and everything is searched).
    Rendered(&'a [u8], &'a [usize]),
}

impl Egress {
    fn check(&self, text: &[u8], names: Names<'_>) -> Option<&'static str> {
        // In tests, every check of a rendered output also searches it whole: the shortcut must
        // give the same verdict wherever a test meets it.
        #[cfg(test)]
        if matches!(names, Names::Rendered(..)) {
            let fast = self.search(text, names);
            assert_eq!(fast, self.search(text, Names::All), "the shortcut missed");
            return fast;
        }
        self.search(text, names)
    }

    fn search(&self, text: &[u8], names: Names<'_>) -> Option<&'static str> {
        let tokens = match names {
            Names::None => None,
            Names::All => Some(None),
            Names::ChangedSince(old, new_words) => Some(changed_tokens(text, old).map(|mut t| {
                t.extend(tokens_holding(text, new_words));
                t.sort_by_key(|r| r.start);
                t.dedup();
                t
            })),
            Names::Holding(index, firsts) => {
                Some(Some(index.tokens_holding(firsts.iter().copied())))
            }
            Names::Rendered(input, held) => Some(changed_or_held_tokens(text, input, held)),
        };
        if let Some(tokens) = tokens {
            let mut layers = self.view.known_layers();
            layers.push(&self.request);
            let found = match tokens {
                Some(tokens) => Layers(&layers).find_in_tokens(text, tokens),
                None => Layers(&layers).find(text),
            };
            if found
                .iter()
                .any(|m| !self.never.contains(layers[m.layer].words(m.id)))
            {
                return Some("identifier");
            }
        }
        if let Some(ac) = &self.values
            && let Some(m) = ac.find(text)
        {
            return Some(self.value_kinds[m.pattern().as_usize()]);
        }
        if let Some(d) = &self.terms
            && !d.find(text).is_empty()
        {
            return Some("dictionary term");
        }
        None
    }
}

/// The tokens of `new` that differ from the token in the same place in `old`, or `None` when the
/// two do not have the same tokens between the same separators (then everything is searched).
/// The outputs are mostly equal: equal runs are skipped at memory-compare speed, and only the
/// token (or separator) around each difference is read.
fn changed_tokens(new: &[u8], old: &[u8]) -> Option<Vec<Range<usize>>> {
    changed_or_held_tokens(new, old, &[])
}

/// [`changed_tokens`], and the tokens of `new` in the place of the tokens of `old` that start at
/// `held` (sorted), changed or not.
fn changed_or_held_tokens(new: &[u8], old: &[u8], held: &[usize]) -> Option<Vec<Range<usize>>> {
    let (mut a, mut b) = (0, 0);
    let mut changed = Vec::new();
    let mut held = held.iter().copied().peekable();
    loop {
        while held.next_if(|&h| h < b).is_some() {}
        let mut same = common_prefix_len(&new[a..], &old[b..]);
        // An equal run stops at a held token: it is taken as a difference (a token start, so
        // the step back below stays there).
        if let Some(&h) = held.peek()
            && h < b + same
        {
            same = h - b;
        }
        if a + same == new.len() && b + same == old.len() {
            return Some(changed);
        }
        // Everything before the difference is equal on both sides: restart at the start of the
        // token it falls in (the same distance back on both sides).
        let mut back = 0;
        while back < same && words::is_token_byte(new[a + same - back - 1]) {
            back += 1;
        }
        (a, b) = (a + same - back, b + same - back);
        let run = |text: &[u8], from: usize, token: bool| {
            from + text[from..]
                .iter()
                .take_while(|&&c| words::is_token_byte(c) == token)
                .count()
        };
        let (sep_a, sep_b) = (run(new, a, false), run(old, b, false));
        if new[a..sep_a] != old[b..sep_b] {
            return None;
        }
        let (end_a, end_b) = (run(new, sep_a, true), run(old, sep_b, true));
        if new[sep_a..end_a] != old[sep_b..end_b] || held.peek() == Some(&sep_b) {
            changed.push(sep_a..end_a);
        }
        if (end_a, end_b) == (a, b) {
            return None; // no progress: cannot happen, but never loop
        }
        (a, b) = (end_a, end_b);
    }
}

fn common_prefix_len(x: &[u8], y: &[u8]) -> usize {
    let n = x.len().min(y.len());
    let mut i = 0;
    while i + 64 <= n && x[i..i + 64] == y[i..i + 64] {
        i += 64;
    }
    while i < n && x[i] == y[i] {
        i += 1;
    }
    i
}

/// A declaration worth renaming, as the cache keeps it.
#[derive(Debug, Clone)]
struct Declared {
    words: Vec<String>,
    kind: &'static str,
    display: String,
}

/// Results by content hash, least recently used out first: agents resend the whole history every
/// turn, so most of a request was analysed before. Bounded by entries and by the bytes of the
/// texts behind them (an entry holds a rewritten copy, its encoding — kept only when at most twice
/// the text — and word sets: a few times its text), so a daemon that runs for weeks stays small.
struct Cache<V: Clone> {
    map: HashMap<u64, (V, u64, usize)>,
    tick: u64,
    capacity: usize,
    budget: usize,
    bytes: usize,
}

impl<V: Clone> Cache<V> {
    fn new(capacity: usize, budget: usize) -> Self {
        Cache {
            map: HashMap::new(),
            tick: 0,
            capacity,
            budget,
            bytes: 0,
        }
    }

    fn get(&mut self, key: u64) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(&key).map(|(v, t, _)| {
            *t = tick;
            v.clone()
        })
    }

    /// Stores `value`, computed from `size` bytes of text.
    fn put(&mut self, key: u64, value: V, size: usize) {
        if size > self.budget / 4 {
            return; // one text that would crowd out everything else: not worth keeping
        }
        if !self.map.is_empty()
            && (self.map.len() >= self.capacity || self.bytes + size > self.budget)
        {
            // Drop the least recently used half; rare, and simpler than a linked list.
            let mut ticks: Vec<u64> = self.map.values().map(|(_, t, _)| *t).collect();
            ticks.sort_unstable();
            let cutoff = ticks[ticks.len() / 2];
            self.map.retain(|_, (_, t, _)| *t > cutoff);
            self.bytes = self.map.values().map(|(_, _, n)| n).sum();
        }
        self.tick += 1;
        if let Some((_, _, old)) = self.map.insert(key, (value, self.tick, size)) {
            self.bytes -= old;
        }
        self.bytes += size;
    }
}

/// Secret values, in this process's memory only, so answers can be restored.
#[derive(Default)]
pub struct SecretMemory {
    inner: Mutex<SecretMap>,
}

#[derive(Default)]
struct SecretMap {
    /// Placeholder → (value, index of the rule that found it).
    by_placeholder: HashMap<String, (Arc<str>, usize)>,
    order: std::collections::VecDeque<String>,
    /// A matcher over the most recent values, rebuilt when a value is added.
    matcher: Option<Arc<KnownSecrets>>,
}

/// Secrets remembered per process; old ones are forgotten past this count.
const SECRET_MEMORY: usize = 100_000;
/// How many of the most recent secrets are looked for in every text of every request: a value
/// the client got back in an answer returns in later turns without the context that found it.
const SECRETS_SOUGHT: usize = 4096;

/// Secret values to find anywhere, with the rule that first found each.
pub(crate) struct KnownSecrets {
    ac: AhoCorasick,
    rules: Vec<usize>,
}

impl SecretMemory {
    fn placeholder(&self, key: &NamingKey, value: &[u8], rule: usize) -> String {
        let value_str: Arc<str> = Arc::from(String::from_utf8_lossy(value).as_ref());
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for attempt in 0.. {
            let p = key.placeholder("SECRET", value, attempt);
            match m.by_placeholder.get(&p) {
                Some((v, _)) if **v == *value_str => return p,
                Some(_) => continue,
                None => {
                    if m.order.len() >= SECRET_MEMORY
                        && let Some(old) = m.order.pop_front()
                    {
                        m.by_placeholder.remove(&old);
                    }
                    m.by_placeholder.insert(p.clone(), (value_str, rule));
                    m.order.push_back(p.clone());
                    m.matcher = None;
                    return p;
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// A matcher over the most recent secret values (None when there are none).
    fn sought(&self) -> Option<Arc<KnownSecrets>> {
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if m.order.is_empty() {
            return None;
        }
        if m.matcher.is_none() {
            let (values, rules): (Vec<Vec<u8>>, Vec<usize>) = m
                .order
                .iter()
                .rev()
                .take(SECRETS_SOUGHT)
                .filter_map(|p| m.by_placeholder.get(p))
                .map(|(v, r)| (v.as_bytes().to_vec(), *r))
                .unzip();
            m.matcher = AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&values)
                .ok()
                .map(|ac| Arc::new(KnownSecrets { ac, rules }));
        }
        m.matcher.clone()
    }
}

impl Lookup for SecretMemory {
    fn name(&self, _: &str) -> Option<Arc<NameEntry>> {
        None
    }
    fn literal(&self, placeholder: &str) -> Option<Arc<str>> {
        let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        m.by_placeholder.get(placeholder).map(|(v, _)| v.clone())
    }
}

/// The rewrite engine. Cheap to share (`Arc`); all methods take `&self`.
pub struct Engine {
    key: NamingKey,
    rules: &'static RuleSet,
    allow_rules: HashSet<String>,
    allow_values: Vec<regex::bytes::Regex>,
    allow_paths: Option<globset::GlobSet>,
    policy: SecretPolicy,
    pii: pii::Detector,
    dictionary: Arc<Dictionary>,
    always: Vec<Vec<String>>,
    never: Arc<FxHashSet<Vec<String>>>,
    vault: Arc<Vault>,
    /// Declarations of code segments (the same block recurs in different messages).
    segments: Mutex<Cache<Arc<[Declared]>>>,
    /// Whole analyses of texts (an agent resends every earlier message every turn).
    texts: Mutex<Cache<Arc<Analysis>>>,
    secrets: Arc<SecretMemory>,
}

/// Outputs shorter than this are encoded afresh: looking them up would cost about as much.
const ENCODED_MIN_BYTES: usize = 1024;

/// Below this much fresh code, handing work to the pool costs more than it saves. (2 KB of new
/// code in a long history, parsed while the other core finds its secrets, gained 0.3-0.5 ms.)
pub const PARALLEL_MIN_BYTES: usize = 1024;

/// Parsing and querying a byte of code costs about three times what finding the secrets, PII and
/// terms of a byte of text does (~0.3 µs against ~0.1 µs here): how [`Engine::analyze`] orders
/// its work.
const PARSE_COST: usize = 3;

/// A share of [`Engine::analyze`]'s work on new texts: parsing one code segment (by index into
/// its jobs), or finding the secrets, or the PII and terms, of one text (by index into the new
/// texts). The two halves of a text's protected spans are apart so that the cores, each done
/// with a block of code, share them.
enum Work {
    /// A piece of a segment: by index into the missing segments and into their pieces.
    Parse(usize, usize),
    Secrets(usize),
    Literals(usize),
}

/// What one [`Work`] on a text's protected spans found.
enum Found {
    Secrets(Vec<(Range<usize>, usize)>),
    /// With the marker words of the text.
    Literals(Vec<ProtectedSpan>, Vec<String>),
}

impl Engine {
    /// An engine for `config`, naming with `key`, recording in `vault`.
    pub fn new(config: &Config, key: NamingKey, vault: Arc<Vault>) -> Result<Engine, Error> {
        let bad = |e: String| Error::Config(e);
        let allow_values = config
            .secrets
            .allow_values
            .iter()
            .map(|p| regex::bytes::Regex::new(p).map_err(|e| bad(e.to_string())))
            .collect::<Result<_, _>>()?;
        let allow_paths = if config.secrets.allow_paths.is_empty() {
            None
        } else {
            let mut b = globset::GlobSetBuilder::new();
            for g in &config.secrets.allow_paths {
                b.add(globset::Glob::new(g).map_err(|e| bad(e.to_string()))?);
            }
            Some(b.build().map_err(|e| bad(e.to_string()))?)
        };
        let split = |names: &[String]| -> Vec<Vec<String>> {
            names
                .iter()
                .map(|n| words::words_of(n))
                .filter(|w| !w.is_empty())
                .collect()
        };
        Ok(Engine {
            key,
            rules: RuleSet::builtin(),
            allow_rules: config.secrets.allow_rules.iter().cloned().collect(),
            allow_values,
            allow_paths,
            policy: config.secrets.policy,
            pii: pii::Detector::new(&config.pii),
            dictionary: Arc::new(
                Dictionary::new(&config.dictionary).map_err(|e| bad(e.to_string()))?,
            ),
            always: split(&config.identifiers.always),
            never: Arc::new(split(&config.identifiers.never).into_iter().collect()),
            vault,
            segments: Mutex::new(Cache::new(8192, 64 << 20)),
            texts: Mutex::new(Cache::new(16384, 128 << 20)),
            secrets: Arc::new(SecretMemory::default()),
        })
    }

    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }

    pub fn key(&self) -> &NamingKey {
        &self.key
    }

    pub fn policy(&self) -> SecretPolicy {
        self.policy
    }

    /// Rewrites `inputs` consistently (one conversation, or one file).
    pub fn redact(&self, inputs: &[Input<'_>]) -> Result<Redaction, Error> {
        self.redact_then(inputs, |_| ())
            .map(|(redaction, ())| redaction)
    }

    /// [`Engine::redact`], then `after` on the rewrite before it is returned: beside the vault's
    /// write of the names the request learned, where there is one. If the vault hands back
    /// another writer's replacement, the rewrite is done again and `after` runs again on it; its
    /// last answer is returned. So `after` runs before the write is known to have succeeded,
    /// maybe twice, and its answer is dropped if the write fails: it must do nothing that cannot
    /// be done again or thrown away.
    pub fn redact_then<T: Send>(
        &self,
        inputs: &[Input<'_>],
        after: impl FnMut(&mut Redaction) -> T + Send,
    ) -> Result<(Redaction, T), Error> {
        self.redact_inner(inputs, after, false)
            .map(|(redaction, then, _)| (redaction, then))
    }

    /// [`Engine::redact`], then `after` on the rewrite, once, without waiting for the vault's
    /// database: the names and literals the request learned go into the vault's memory at once
    /// (so that a later request that only mentions them renames them), and into SQLite by
    /// [`PendingWrite::store`], which the caller runs when it likes (the proxy: on a writer
    /// thread, handed over as soon as the body is rewritten, while the request goes upstream).
    /// Nothing waits for SQLite or for another process's lock
    /// on the vault. What changes against [`Engine::redact_then`]:
    /// - if another writer stored one of the same originals (or took one of the replacement
    ///   names) with another replacement in the meantime, this rewrite has gone out with its own;
    ///   it restores from its own mapping, and later turns use the vault's (a prompt-cache miss);
    /// - if the write fails, the entries stay in this process's memory, unstored: its requests
    ///   keep renaming them, and a restarted daemon learns them again from code that declares
    ///   them (not from prose that only mentions them).
    pub fn redact_then_store_later<T: Send>(
        &self,
        inputs: &[Input<'_>],
        after: impl FnMut(&mut Redaction) -> T + Send,
    ) -> Result<(Redaction, T, Option<PendingWrite>), Error> {
        self.redact_inner(inputs, after, true)
    }

    /// [`Engine::redact_then`] (`defer` false: the write is done here, and the answer has no
    /// [`PendingWrite`]) or [`Engine::redact_then_store_later`] (true).
    fn redact_inner<T: Send>(
        &self,
        inputs: &[Input<'_>],
        after: impl FnMut(&mut Redaction) -> T + Send,
        defer: bool,
    ) -> Result<(Redaction, T, Option<PendingWrite>), Error> {
        let view = self.vault.view()?;
        let analyses = self.analyze(inputs);

        // A secret found in one text is protected wherever its value appears — in the other texts
        // of this request, and in later turns (where it returns without the context that found
        // it, say in prose after the client saw the answer).
        let protected: Vec<std::borrow::Cow<'_, [ProtectedSpan]>> =
            self.protect_known_secrets(inputs, &analyses);

        // Secrets first: under `block` nothing else matters.
        let mut secret_hits = Vec::new();
        for (i, spans) in protected.iter().enumerate() {
            for p in spans.iter() {
                if let Protected::Secret(rule) = p.what {
                    let rule = self.rules.rule(rule);
                    secret_hits.push(SecretHit {
                        rule: rule.id.to_string(),
                        severity: rule.severity,
                        input: i,
                        line: line_of(inputs[i].text, p.span.start),
                    });
                }
            }
        }
        if self.policy == SecretPolicy::Block && !secret_hits.is_empty() {
            return Err(Error::Blocked(secret_hits));
        }

        // Known names: the vault's, plus those declared here (or always renamed) not yet in it.
        let mut request = KnownNames::default();
        let mut request_meta: Vec<(&'static str, String)> = Vec::new();
        // Every turn re-declares the whole history's names: keep this loop cheap (Fx hashing, no
        // clone for a name already counted).
        let mut kinds: rustc_hash::FxHashMap<&[String], &'static str> = Default::default();
        // The same kinds for the names the vault holds, by where they are in this view: the stats
        // below look up every name a long history meets, and two numbers hash faster than words.
        let mut kinds_in_view: rustc_hash::FxHashMap<(usize, usize), &'static str> =
            Default::default();
        // A text whose names an earlier view of the vault held adds nothing when this view holds
        // that one too (its names' kinds in the stats then come from the vault, where the first
        // declaration put them). A view taken before that one, by a concurrent request, does not
        // skip.
        let known_to = |a: &Analysis| {
            matches!(*a.declared_known.lock().unwrap_or_else(|e| e.into_inner()),
                Some((generation, seq)) if generation == view.generation() && view.seq_end() >= seq)
        };
        let declared = analyses.iter().filter(|a| !known_to(a)).flat_map(|a| {
            a.declared
                .iter()
                .flat_map(|s| s.iter())
                .map(|d| (&d.words[..], d.kind, Some(&d.display)))
        });
        let always = self.always.iter().map(|w| (&w[..], "always", None));
        for (words, kind, display) in declared.chain(always) {
            if kinds.contains_key(words) || self.never_renamed(words) {
                continue;
            }
            kinds.insert(words, kind);
            if let Some(place) = view.locate(words) {
                kinds_in_view.insert(place, kind);
                continue;
            }
            let id = request.add(words.to_vec());
            if id == request_meta.len() {
                request_meta.push((kind, display.cloned().unwrap_or_else(|| words.join("_"))));
            }
        }
        // Shared with the egress check, which searches the same names: no copy of its maps.
        let request = Arc::new(request);
        let mut layer_list = view.known_layers();
        let req_layer = layer_list.len();
        layer_list.push(&request);
        let layers = Layers(&layer_list);
        let never = &self.never;
        let wanted = |layer: usize, id: usize| !never.contains(layer_list[layer].words(id));

        // One matching pass over the text outside protected spans; the rewrite reuses it. A text
        // seen before reuses its memo unless a name learned since could occur in it.
        let request_names: Vec<(u64, u64)> = (0..request.len())
            .map(|id| {
                let w = request.words(id);
                (name_hash(w), word_hash(&w[0]))
            })
            .collect();
        let marks = Arc::new(view.marks());
        // What the memos made or re-based by this request know besides the vault: one set for all.
        let memo_extra: Arc<FxHashSet<u64>> =
            Arc::new(request_names.iter().map(|(full, _)| *full).collect());
        // The names a memo did not know of: learned since it was made, or declared by this
        // request. `None` if the memo is void (names were removed or renumbered since).
        let unknown_to = |m: &Memo| -> Option<Vec<&[String]>> {
            if m.generation != view.generation() {
                return None;
            }
            let mut names: Vec<&[String]> = view
                .names_since(m.seq)
                .filter(|w| !m.extra.contains(&name_hash(w)))
                .collect();
            names.extend(
                request_names
                    .iter()
                    .enumerate()
                    .filter(|(_, (full, _))| !m.extra.contains(full))
                    .map(|(id, _)| request.words(id)),
            );
            Some(names)
        };
        // Finders of the first words of those names, shared by the texts whose memos lack the
        // same names (all of a history's texts, usually).
        let mut finders: HashMap<Vec<&str>, Option<Arc<AhoCorasick>>> = HashMap::new();
        let locate = |words: &[String]| -> Option<(usize, usize)> {
            view.locate(words)
                .or_else(|| request.id(words).map(|id| (req_layer, id)))
        };
        let mut matches: Vec<Vec<Match>> = Vec::with_capacity(inputs.len());
        let mut reused: Vec<Option<Arc<Memo>>> = Vec::with_capacity(inputs.len());
        // The word indexes of texts whose memo was patched: the text is the same, so are its words.
        let mut stale_words: Vec<Option<Arc<OnceLock<WordIndex>>>> = vec![None; inputs.len()];
        // The verified outputs that patched texts started from, for the egress check.
        let mut patched_from: Vec<Option<PatchedFrom>> = vec![None; inputs.len()];
        let patched: rustc_hash::FxHashMap<u64, PatchedFrom> = Default::default();
        let mut kept: rustc_hash::FxHashMap<u64, KeptFrom> = Default::default();
        // Texts whose matches come from a search of all their tokens (not a memo's).
        let mut searched_whole = vec![false; inputs.len()];
        let mut occurring: Vec<(usize, usize)> = Vec::new();
        let mut seen_pairs: FxHashSet<(usize, usize)> = FxHashSet::default();
        for (i, a) in analyses.iter().enumerate() {
            // Extra protected spans change the output: such a text is rewritten afresh.
            let extra = matches!(protected[i], std::borrow::Cow::Owned(_));
            let memo = if extra {
                None
            } else {
                a.memo.lock().unwrap_or_else(|e| e.into_inner()).clone()
            };
            let text = inputs[i].text;
            let unknown = memo.as_ref().and_then(|m| unknown_to(m));
            // A new name can occur in a text only in a token that holds all of its words. A
            // long history holds the first words of most new names, far fewer of them whole.
            let missing: Option<Vec<&[String]>> =
                memo.as_ref().zip(unknown.as_ref()).map(|(m, names)| {
                    if names.is_empty() {
                        return Vec::new();
                    }
                    let words = m.words(text, &protected[i]);
                    names
                        .iter()
                        .filter(|w| words.may_hold(w))
                        .copied()
                        .collect()
                });
            // Where the memo's names are now: where they were, for those whose layer is unchanged.
            let memo_ids = memo.as_ref().and_then(|m| {
                let same_generation = m.generation == view.generation();
                m.names
                    .iter()
                    .zip(m.located.iter())
                    .map(|(w, &(part, id))| {
                        let kept = same_generation
                            && m.marks
                                .get(part)
                                .is_some_and(|mark| view.has_layer(part, mark));
                        if kept { Some((part, id)) } else { locate(w) }
                    })
                    .collect::<Option<Vec<(usize, usize)>>>()
            });
            // A memo that lacks some names is patched: only the tokens that hold one of their
            // first words are matched again. If those tokens match as they did, the memo still
            // holds: a new name sharing a first word with the text, as most do in a long
            // history, rarely occurs in it whole.
            let mut rematched: Option<(Vec<Range<usize>>, Vec<Match>)> = None;
            let holds = match (&memo, &memo_ids, &missing) {
                (Some(_), Some(_), Some(missing)) if missing.is_empty() => true,
                (Some(m), Some(ids), Some(missing)) => {
                    let again = m
                        .words(text, &protected[i])
                        .tokens_holding(missing.iter().map(|w| word_hash(&w[0])));
                    let found = rematch(text, &protected[i], &again, layers, &wanted);
                    let before = m
                        .matches
                        .iter()
                        .filter(|(words, _)| holds_at(&again, words[0].start));
                    let same = found.len() == before.clone().count()
                        && found.iter().zip(before).all(|(new, (words, n))| {
                            new.words == *words && (new.layer, new.id) == ids[*n]
                        });
                    if !same {
                        rematched = Some((again, found));
                    }
                    same
                }
                _ => false,
            };
            // A memo that still holds gives the names directly; its output is reused as it is.
            if let (true, Some(m), Some(ids)) = (holds, &memo, &memo_ids) {
                // Kept although names were learned since: the egress check looks for them in the
                // output, where its earlier pass could not have, and until a request passes that
                // check the output is not verified against them.
                let mut verified = m.verified.load(std::sync::atomic::Ordering::Relaxed);
                if let (Some(missing), Some(unknown)) = (&missing, &unknown)
                    && !missing.is_empty()
                {
                    if verified {
                        // Built once per output, then shared by every later turn that keeps it.
                        m.output_words
                            .get_or_init(|| WordIndex::new(&m.output, &[]));
                        let firsts: Vec<u64> = unknown.iter().map(|w| word_hash(&w[0])).collect();
                        kept.entry(m.hash)
                            .and_modify(|(_, _, known): &mut KeptFrom| {
                                *known = known.iter().chain(&firsts).copied().collect()
                            })
                            .or_insert((m.output.clone(), m.output_words.clone(), firsts.into()));
                    }
                    verified = false;
                }
                let (m, ids) = (m.clone(), ids.clone());
                let located = Arc::new(vault_located(&ids, req_layer));
                for id in ids {
                    if seen_pairs.insert(id) {
                        occurring.push(id);
                    }
                }
                // Re-based on everything known now, so the next check only looks at names
                // learned after this request.
                let fresh = Arc::new(Memo {
                    generation: m.generation,
                    seq: view.seq_end(),
                    extra: memo_extra.clone(),
                    words: m.words.clone(),
                    names: m.names.clone(),
                    matches: m.matches.clone(),
                    located,
                    marks: marks.clone(),
                    output: m.output.clone(),
                    output_words: m.output_words.clone(),
                    encoded: m.encoded.clone(),
                    hash: m.hash,
                    verified: std::sync::atomic::AtomicBool::new(verified),
                });
                *a.memo.lock().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
                reused.push(Some(fresh));
                matches.push(Vec::new());
                continue;
            }
            reused.push(None);
            // The first words of the names the memo lacked, for the egress check of the output.
            let finder = match (&rematched, &unknown) {
                (Some(_), Some(unknown)) => {
                    let mut firsts: Vec<&str> = unknown.iter().map(|w| w[0].as_str()).collect();
                    firsts.sort_unstable();
                    firsts.dedup();
                    finders
                        .entry(firsts)
                        .or_insert_with_key(|firsts| {
                            AhoCorasick::builder()
                                .ascii_case_insensitive(true)
                                .build(firsts)
                                .ok()
                                .map(Arc::new)
                        })
                        .clone()
                }
                _ => None,
            };
            let found = match (finder, &memo, &memo_ids, rematched) {
                (Some(finder), Some(m), Some(ids), Some((again, found))) => {
                    #[cfg(test)]
                    PATCHED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    stale_words[i] = Some(m.words.clone());
                    if m.verified.load(std::sync::atomic::Ordering::Relaxed) {
                        patched_from[i] = Some((m.output.clone(), finder.clone()));
                    }
                    let old = m.matches.iter().map(|(words, n)| Match {
                        words: words.clone(),
                        layer: ids[*n].0,
                        id: ids[*n].1,
                    });
                    patch_matches(found, &again, old)
                }
                _ => {
                    stale_words[i] = None;
                    searched_whole[i] = true;
                    find_matches(text, &protected[i], layers, &wanted)
                }
            };
            for m in &found {
                if seen_pairs.insert((m.layer, m.id)) {
                    occurring.push((m.layer, m.id));
                }
            }
            matches.push(found);
        }

        // Replacement names must avoid every replacement in use and every zq-word in the texts.
        let mut taken: HashSet<String> = HashSet::new();
        for a in &analyses {
            taken.extend(a.markers.iter().cloned());
        }
        let is_free = |w: &str, taken: &HashSet<String>| !view.is_taken(w) && !taken.contains(w);

        let mut new_entries: Vec<Entry> = Vec::new();
        let mut seen_entries: Vec<&Entry> = Vec::new();
        let mut request_repl: HashMap<usize, Vec<String>> = HashMap::new();
        for &(layer, id) in &occurring {
            if layer < req_layer {
                seen_entries.push(view.entry(layer, id));
                continue;
            }
            let words = request.words(id).to_vec();
            let repl = self.fresh(&mut taken, &is_free, |a| self.key.name_words(&words, a));
            let (kind, display) = request_meta[id].clone();
            request_repl.insert(id, repl.clone());
            new_entries.push(Entry {
                kind: kind.to_string(),
                original: Original::Name { words, display },
                replacement: repl,
                last_seen: 0,
            });
        }

        // Terms and PII: one replacement per exact original.
        let mut literal_repl: HashMap<(String, String), String> = HashMap::new();
        let mut term_count = 0;
        let mut pii_count = 0;
        for (i, a) in analyses.iter().enumerate() {
            for (span, kind) in &a.literals {
                let text = String::from_utf8_lossy(&inputs[i].text[span.clone()]).into_owned();
                let kind_name = kind.map_or("term", |k| k.as_str());
                let k = (kind_name.to_string(), text.clone());
                if literal_repl.contains_key(&k) {
                    continue;
                }
                if kind.is_none() {
                    term_count += 1;
                } else {
                    pii_count += 1;
                }
                let repl = if let Some(e) = view.literal(kind_name, &text) {
                    seen_entries.push(e);
                    e.replacement[0].clone()
                } else {
                    let r = match kind {
                        None => self
                            .fresh(&mut taken, &is_free, |a| {
                                self.key.name_words(std::slice::from_ref(&text), a)
                            })
                            .remove(0),
                        Some(pk) => self
                            .fresh(&mut taken, &is_free, |a| {
                                vec![self.key.placeholder(
                                    pk.placeholder_kind(),
                                    text.as_bytes(),
                                    a,
                                )]
                            })
                            .remove(0),
                    };
                    new_entries.push(Entry {
                        kind: kind_name.to_string(),
                        original: Original::Literal(text.clone()),
                        replacement: vec![r.clone()],
                        last_seen: 0,
                    });
                    r
                };
                literal_repl.insert(k, repl);
            }
        }

        // The vault may hand back another process's replacement for the same original.
        let retry = |e: &Entry, attempt: u32| retry_replacement(&self.key, e, attempt);
        // Texts all of whose declared names were in this request's view of the vault (or are
        // never renamed) skip the declarations loop in later views that hold that one.
        for a in &analyses {
            if known_to(a) {
                continue;
            }
            let all_known = a.declared.iter().flat_map(|s| s.iter()).all(|d| {
                let w = &d.words[..];
                self.never_renamed(w) || view.name(w).is_some()
            });
            if all_known {
                *a.declared_known.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((view.generation(), view.seq_end()));
            }
        }

        // Rewrite: placeholders for protected spans, replacement words for matches. The memos of
        // texts rewritten afresh are returned, not stored: a rewrite with replacements that the
        // vault then changed is thrown away.
        let memo_seq = view.seq_end();
        let render = |request_repl: &HashMap<usize, Vec<String>>,
                      literal_repl: &HashMap<(String, String), String>|
         -> Rendered {
            let replacement = |layer: usize, id: usize| -> Option<&[String]> {
                if layer < req_layer {
                    Some(&view.entry(layer, id).replacement[..])
                } else {
                    request_repl.get(&id).map(|v| &v[..])
                }
            };
            let mut mapping = Mapping::default();
            let mut egress_values: Vec<(Vec<u8>, &'static str)> = Vec::new();
            let mut texts = Vec::with_capacity(inputs.len());
            let mut memos: Vec<(usize, Arc<Memo>)> = Vec::new();
            let mut patched: Vec<(u64, PatchedFrom)> = Vec::new();
            let mut rendered: Vec<(u64, RenderedFrom)> = Vec::new();
            for i in 0..analyses.len() {
                let text = inputs[i].text;
                let mut out = Vec::with_capacity(text.len() + 64);
                let mut copied = 0;
                let mut pending = matches[i].as_slice();
                let reuse = reused[i].as_ref();
                // Whether every protected span became a run of token bytes of its own: then a
                // token that holds or touches one differs in the output (see `Names::Rendered`).
                let mut spans_replaced = true;
                for p in protected[i].iter() {
                    let upto = pending.partition_point(|m| m.words[0].start < p.span.start);
                    let (before, rest) = pending.split_at(upto);
                    pending = rest;
                    if reuse.is_none() {
                        render_from(
                            text,
                            &mut copied,
                            p.span.start,
                            before,
                            &replacement,
                            &mut out,
                        );
                    }
                    let value = &text[p.span.clone()];
                    let placeholder = match p.what {
                        Protected::Secret(rule) => {
                            let ph = self.secrets.placeholder(&self.key, value, rule);
                            mapping.insert_literal(
                                ph.clone(),
                                Arc::from(String::from_utf8_lossy(value).as_ref()),
                            );
                            egress_values.push((value.to_vec(), "secret"));
                            ph
                        }
                        Protected::Literal(kind) => {
                            let kind_name = kind.map_or("term", |k| k.as_str());
                            let original = String::from_utf8_lossy(value).into_owned();
                            let repl = literal_repl
                                .get(&(kind_name.to_string(), original.clone()))
                                .cloned()
                                .unwrap_or_default();
                            if kind.is_some() {
                                mapping.insert_literal(repl.clone(), Arc::from(original.as_str()));
                                egress_values.push((value.to_vec(), "pii"));
                                repl
                            } else {
                                mapping.insert_name(Arc::new(NameEntry {
                                    original: vec![],
                                    replacement: vec![repl.clone()],
                                    term: Some(original.clone()),
                                }));
                                render_like(&repl, &original)
                            }
                        }
                    };
                    if reuse.is_none() {
                        spans_replaced &= !placeholder.is_empty()
                            && placeholder.bytes().all(words::is_token_byte)
                            && placeholder.as_bytes() != value;
                        out.extend_from_slice(placeholder.as_bytes());
                        copied = p.span.end;
                    }
                }
                match reuse {
                    Some(m) => texts.push(m.output.to_vec()),
                    None => {
                        render_from(
                            text,
                            &mut copied,
                            text.len(),
                            pending,
                            &replacement,
                            &mut out,
                        );
                        // Extra protected spans (a secret found elsewhere): rewritten afresh,
                        // not memoized.
                        if matches!(protected[i], std::borrow::Cow::Owned(_)) {
                            texts.push(out);
                            continue;
                        }
                        // Remember this text's matches by name, for the next turn.
                        let mut names: Vec<Vec<String>> = Vec::new();
                        let mut ids: Vec<(usize, usize)> = Vec::new();
                        let mut index: HashMap<(usize, usize), usize> = HashMap::new();
                        let memo_matches = matches[i]
                            .iter()
                            .map(|m| {
                                let n = *index.entry((m.layer, m.id)).or_insert_with(|| {
                                    names.push(layer_list[m.layer].words(m.id).to_vec());
                                    ids.push((m.layer, m.id));
                                    names.len() - 1
                                });
                                (m.words.clone(), n)
                            })
                            .collect();
                        let memo = Memo {
                            generation: view.generation(),
                            seq: memo_seq,
                            extra: memo_extra.clone(),
                            words: stale_words[i].clone().unwrap_or_default(),
                            names: Arc::new(names),
                            matches: Arc::new(memo_matches),
                            located: Arc::new(vault_located(&ids, req_layer)),
                            marks: marks.clone(),
                            hash: output_hash(&out),
                            output: Arc::new(out.clone()),
                            output_words: Arc::default(),
                            encoded: Arc::default(),
                            verified: std::sync::atomic::AtomicBool::new(false),
                        };
                        if let Some(old) = patched_from[i].clone() {
                            patched.push((memo.hash, old));
                        }
                        if searched_whole[i] && spans_replaced {
                            let mut held: Vec<usize> = matches[i]
                                .iter()
                                .filter_map(|m| words::token_at(text, m.words[0].start))
                                .map(|t| t.start)
                                .collect();
                            held.dedup();
                            rendered
                                .push((memo.hash, (memo.output.clone(), Arc::from(text), held)));
                        }
                        memos.push((i, Arc::new(memo)));
                        texts.push(out);
                    }
                }
            }
            Rendered {
                texts,
                mapping,
                egress_values,
                memos,
                patched,
                rendered,
            }
        };
        // The request's rewrite with the replacements chosen here (or those the vault stored), and
        // the memos of the texts rewritten afresh: those are kept only once the vault holds the
        // replacements they used.
        let finish = |request_repl: &HashMap<usize, Vec<String>>,
                      literal_repl: &HashMap<(String, String), String>|
         -> (Redaction, Vec<(usize, Arc<Memo>)>) {
            let Rendered {
                texts,
                mut mapping,
                egress_values,
                memos,
                patched: patched_here,
                rendered,
            } = render(request_repl, literal_repl);
            let mut used_memos: Vec<Arc<Memo>> = reused.iter().flatten().cloned().collect();
            used_memos.extend(memos.iter().map(|(_, m)| m.clone()));
            let mut patched = patched.clone();
            patched.extend(patched_here);

            // Stats, and the request's own names for restore (the vault layer restores the rest).
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for &(layer, id) in &occurring {
                let words = layer_list[layer].words(id);
                let kind = if layer < req_layer {
                    kinds_in_view
                        .get(&(layer, id))
                        .copied()
                        .unwrap_or(view.entry(layer, id).kind.as_str())
                } else {
                    request_meta[id].0
                };
                *counts.entry(kind).or_default() += 1;
                if layer == req_layer
                    && let Some(repl) = request_repl.get(&id)
                {
                    mapping.insert_name(Arc::new(NameEntry {
                        original: words.to_vec(),
                        replacement: repl.clone(),
                        term: None,
                    }));
                }
            }
            let identifiers: BTreeMap<String, usize> = counts
                .into_iter()
                .map(|(k, n)| (k.to_string(), n))
                .collect();
            let (values, value_kinds): (Vec<Vec<u8>>, Vec<&'static str>) =
                egress_values.into_iter().unzip();
            let egress = Egress {
                view: view.clone(),
                request: request.clone(),
                never: self.never.clone(),
                values: if values.is_empty() {
                    None
                } else {
                    AhoCorasick::new(&values).ok()
                },
                value_kinds,
                terms: (term_count > 0).then(|| self.dictionary.clone()),
            };
            // Only outputs that already went out once, in a request that passed the egress check.
            let reused_hashes: FxHashMap<u64, Arc<Vec<u8>>> = reused
                .iter()
                .flatten()
                .filter(|m| {
                    m.output.len() >= 256 && m.verified.load(std::sync::atomic::Ordering::Relaxed)
                })
                .map(|m| (m.hash, m.output.clone()))
                .collect();
            let redaction = Redaction {
                reused: reused_hashes,
                patched,
                kept: kept.clone(),
                rendered: rendered.into_iter().collect(),
                searched: Mutex::default(),
                memo_of: used_memos
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.hash, i))
                    .collect(),
                memos: used_memos,
                texts,
                mapping: Arc::new(mapping),
                secrets: secret_hits.clone(),
                identifiers,
                names: occurring.len(),
                terms: term_count,
                pii: pii_count,
                egress,
            };
            (redaction, memos)
        };
        // Deferred (the proxy), the rewrite and `after` run once and the write is the caller's
        // to run. Otherwise the vault's write (a SQLite transaction) goes side by side with the
        // rewrite and with `after`, when the request learned names and is big enough to be worth
        // a helper (one is awake if the caller called `parallel::warm`). The rewrite uses the
        // replacements made here, which the vault changes only when another writer (a process, or
        // a request at the same time) stored the same original, or took the name, since this
        // request's view: then both are done again. If the write fails, that rewrite is dropped;
        // only its secrets stay in the secret memory, which protects them in later turns.
        let mut after = after;
        let mut finish_then =
            |request_repl: &HashMap<usize, Vec<String>>,
             literal_repl: &HashMap<(String, String), String>| {
                let (mut redaction, memos) = finish(request_repl, literal_repl);
                let then = after(&mut redaction);
                (redaction, memos, then)
            };
        let side_by_side = !new_entries.is_empty()
            && inputs.iter().map(|i| i.text.len()).sum::<usize>() >= PARALLEL_MIN_BYTES;
        if defer {
            let stale = self.vault.stale(&seen_entries);
            // Nothing to write (a later turn, usually): no ticket, no write.
            if new_entries.is_empty() && stale.is_empty() {
                let (redaction, memos, then) = finish_then(&request_repl, &literal_repl);
                publish(with_analyses(memos, &analyses));
                return Ok((redaction, then, None));
            }
            // Seen now, as the write will say: a later view does not take them for stale.
            let t = vault::now();
            for e in &mut new_entries {
                e.last_seen = t;
            }
            // The names go into the vault's memory before the request leaves, beside the rewrite:
            // a later request that only mentions them (in prose, or after a
            // `previous_response_id`) must rename them, written or not.
            let remember = || self.vault.remember_unstored(&new_entries);
            let ((redaction, memos, then), unstored) = if side_by_side {
                parallel::join(|| finish_then(&request_repl, &literal_repl), remember)
            } else {
                let unstored = remember();
                (finish_then(&request_repl, &literal_repl), unstored)
            };
            let memos = with_analyses(memos, &analyses);
            let write = PendingWrite {
                vault: self.vault.clone(),
                key: self.key.clone(),
                new: new_entries,
                stale,
                memos,
                unstored,
            };
            return Ok((redaction, then, Some(write)));
        }
        let record = || self.vault.record(new_entries, &seen_entries, &retry);
        let (stored, early) = if side_by_side {
            let (stored, early) =
                parallel::join(record, || finish_then(&request_repl, &literal_repl));
            (stored?, Some(early))
        } else {
            (record()?, None)
        };
        let mut changed = false;
        for e in &stored {
            match &e.original {
                Original::Name { words, .. } => {
                    if let Some(id) = request.id(words)
                        && request_repl.get(&id) != Some(&e.replacement)
                    {
                        request_repl.insert(id, e.replacement.clone());
                        changed = true;
                    }
                }
                Original::Literal(text) => {
                    let key = (e.kind.clone(), text.clone());
                    if literal_repl.get(&key) != Some(&e.replacement[0]) {
                        literal_repl.insert(key, e.replacement[0].clone());
                        changed = true;
                    }
                }
            }
        }
        let (redaction, memos, then) = match early {
            Some(done) if !changed => done,
            _ => finish_then(&request_repl, &literal_repl),
        };
        publish(with_analyses(memos, &analyses));
        Ok((redaction, then, None))
    }

    /// Whether a declared name is left as it is: listed in `[identifiers] never`, or not worth
    /// renaming.
    fn never_renamed(&self, words: &[String]) -> bool {
        self.never.contains(words) || !renameable(words)
    }

    /// The first candidate (by attempt) whose first word is free; marks it taken.
    fn fresh(
        &self,
        taken: &mut HashSet<String>,
        is_free: &dyn Fn(&str, &HashSet<String>) -> bool,
        candidate: impl Fn(u32) -> Vec<String>,
    ) -> Vec<String> {
        for attempt in 0.. {
            let r = candidate(attempt);
            if is_free(&r[0], taken) {
                taken.insert(r[0].clone());
                return r;
            }
        }
        unreachable!("the loop returns")
    }

    /// A streaming restorer for answers to `redaction` (or, with `None`, from the vault and this
    /// process's secret memory only).
    pub fn restorer(
        &self,
        redaction: Option<&Redaction>,
        escape: Escape,
    ) -> Restorer<restore::Layers> {
        Restorer::new(self.lookup(redaction), escape)
    }

    /// The lookup layers for restoring: this request's mapping, secret memory, the vault.
    pub fn lookup(&self, redaction: Option<&Redaction>) -> restore::Layers {
        let mut layers: Vec<Arc<dyn Lookup + Send + Sync>> = Vec::with_capacity(3);
        if let Some(r) = redaction {
            layers.push(r.mapping.clone());
        }
        layers.push(self.secrets.clone());
        if let Ok(v) = self.vault.view() {
            layers.push(Arc::new(v));
        }
        restore::Layers(layers)
    }

    /// Restores a whole text.
    pub fn restore(&self, redaction: Option<&Redaction>, text: &str) -> String {
        self.restorer(redaction, Escape::None).restore_all(text)
    }

    /// Each text's protected spans, plus every occurrence of a secret value found anywhere in
    /// the request or remembered from earlier ones that its own analysis did not catch.
    fn protect_known_secrets<'a>(
        &self,
        inputs: &[Input<'_>],
        analyses: &'a [Arc<Analysis>],
    ) -> Vec<std::borrow::Cow<'a, [ProtectedSpan]>> {
        let mut values: Vec<Vec<u8>> = Vec::new();
        let mut rules: Vec<usize> = Vec::new();
        for (i, a) in analyses.iter().enumerate() {
            for (span, rule) in &a.secrets {
                let v = inputs[i].text[span.clone()].to_vec();
                if !values.contains(&v) {
                    values.push(v);
                    rules.push(*rule);
                }
            }
        }
        let here = (!values.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&values)
                    .ok()
            })
            .flatten();
        let remembered = self.secrets.sought();
        analyses
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let text = inputs[i].text;
                let mut extra: Vec<ProtectedSpan> = Vec::new();
                let mut add = |span: Range<usize>, rule: usize| {
                    let covered = a
                        .protected
                        .iter()
                        .chain(extra.iter())
                        .any(|p| p.span.start < span.end && span.start < p.span.end);
                    if !covered {
                        extra.push(ProtectedSpan {
                            span,
                            what: Protected::Secret(rule),
                        });
                    }
                };
                if let Some(ac) = &here {
                    for m in ac.find_iter(text) {
                        add(m.range(), rules[m.pattern().as_usize()]);
                    }
                }
                if let Some(k) = &remembered {
                    // Wherever the value occurs, glued to a longer word too: its bytes must not
                    // leave (the egress check looks for them the same way). A short password may
                    // so turn `mydbPool` into `PRETENSE_SECRET_…Pool`, restored in the answer.
                    for m in k.ac.find_iter(text) {
                        add(m.range(), k.rules[m.pattern().as_usize()]);
                    }
                }
                if extra.is_empty() {
                    std::borrow::Cow::Borrowed(&a.protected[..])
                } else {
                    let mut all = a.protected.clone();
                    all.extend(extra);
                    all.sort_by_key(|p| p.span.start);
                    std::borrow::Cow::Owned(all)
                }
            })
            .collect()
    }

    /// Per-input analysis: protected spans, declared names, marker words. Cached per text.
    fn analyze(&self, inputs: &[Input<'_>]) -> Vec<Arc<Analysis>> {
        let keys: Vec<u64> = inputs.iter().map(text_key).collect();
        let mut done: Vec<Option<Arc<Analysis>>> = {
            let mut cache = self.texts.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter().map(|&k| cache.get(k)).collect()
        };
        // Code segments of the texts not seen before, with their cache keys.
        let fresh: Vec<usize> = (0..inputs.len()).filter(|&i| done[i].is_none()).collect();
        let mut jobs: Vec<(usize, &'static Lang, std::borrow::Cow<'_, str>, u64)> = Vec::new();
        for (slot, &i) in fresh.iter().enumerate() {
            let input = &inputs[i];
            let hint = input.lang.or_else(|| input.path.and_then(lang::from_path));
            let text = match String::from_utf8_lossy(input.text) {
                std::borrow::Cow::Borrowed(t) => t,
                // Invalid UTF-8 (CLI input only): parse a repaired copy; names are ASCII anyway.
                std::borrow::Cow::Owned(t) => {
                    for seg in segment::code_segments(&t, hint) {
                        let key = cache_key(seg.lang, &seg.code);
                        jobs.push((
                            slot,
                            seg.lang,
                            std::borrow::Cow::Owned(seg.code.into_owned()),
                            key,
                        ));
                    }
                    continue;
                }
            };
            for seg in segment::code_segments(text, hint) {
                let key = cache_key(seg.lang, &seg.code);
                jobs.push((slot, seg.lang, seg.code, key));
            }
        }
        let mut results: Vec<Option<Arc<[Declared]>>> = {
            let mut cache = self.segments.lock().unwrap_or_else(|e| e.into_inner());
            jobs.iter().map(|j| cache.get(j.3)).collect()
        };
        let missing: Vec<usize> = (0..jobs.len()).filter(|&j| results[j].is_none()).collect();
        let missing_bytes: usize = missing.iter().map(|&j| jobs[j].2.len()).sum();
        // A segment longer than a core's share of the request's code is cut in pieces that parse
        // apart, so that one long block does not keep the other cores idle. Pieces of segments
        // that already share the cores evenly would only add work (+0.2 ms for two blocks of 5 KB).
        let share = missing_bytes / parallel::cores();
        let goal = lang::piece_goal(share);
        let pieces: Vec<Vec<Range<usize>>> = missing
            .iter()
            .map(|&j| match jobs[j].2.len() {
                len if len > share + share / 4 => lang::pieces(&jobs[j].2, goal),
                len => std::iter::once(0..len).collect(),
            })
            .collect();
        // Parsing is the floor: independent pieces go to every core, and the new texts' secrets,
        // PII and terms are found meanwhile; the costliest work first, so that the cores finish
        // together. The pool's threads persist, parsers and allocator heaps warm (threads spawned
        // per request cost 1-2 ms more for 10 KB of fresh code: see `parallel`).
        let mut work: Vec<(usize, Work)> = pieces
            .iter()
            .enumerate()
            .flat_map(|(m, ranges)| {
                ranges
                    .iter()
                    .enumerate()
                    .map(move |(p, r)| (PARSE_COST * r.len(), Work::Parse(m, p)))
            })
            .chain(fresh.iter().enumerate().flat_map(|(slot, &i)| {
                let len = inputs[i].text.len();
                [(len, Work::Secrets(slot)), (len / 2, Work::Literals(slot))]
            }))
            .collect();
        work.sort_by_key(|(cost, _)| std::cmp::Reverse(*cost));
        let work: Vec<Work> = work.into_iter().map(|(_, w)| w).collect();
        let parsed = Mutex::new(Vec::with_capacity(work.len()));
        let spans = Mutex::new(Vec::with_capacity(2 * fresh.len()));
        let report = |slot: usize, found: Found| {
            spans
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((slot, found))
        };
        let run = |w: &Work| match *w {
            Work::Parse(m, p) => {
                let (_, lang, code, _) = &jobs[missing[m]];
                let mut a = lang.analyze(&code[pieces[m][p].clone()]);
                // A segment parsed whole is done here, on the pool, rather than after the join.
                let whole =
                    (pieces[m].len() == 1).then(|| declared(std::mem::take(&mut a.declarations)));
                parsed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((m, p, a, whole));
            }
            Work::Secrets(slot) => {
                let found = Found::Secrets(self.secret_spans(&inputs[fresh[slot]]));
                report(slot, found);
            }
            Work::Literals(slot) => {
                let (literals, markers) = self.literals_and_markers(inputs[fresh[slot]].text);
                report(slot, Found::Literals(literals, markers));
            }
        };
        if !missing.is_empty() && missing_bytes >= PARALLEL_MIN_BYTES {
            parallel::on_every_core(&work, run);
        } else {
            work.iter().for_each(run);
        }
        let mut parsed = parsed.into_inner().unwrap_or_else(|e| e.into_inner());
        parsed.sort_unstable_by_key(|(m, p, _, _)| (*m, *p));
        let mut per_piece: Vec<Vec<lang::Analysis>> = vec![Vec::new(); missing.len()];
        let mut whole: Vec<Option<Arc<[Declared]>>> = vec![None; missing.len()];
        for (m, _, a, w) in parsed {
            per_piece[m].push(a);
            whole[m] = w;
        }
        // A piece with a syntax error may have been cut inside a string or a block (see
        // `lang::pieces`): such segments are parsed again, as one, from the piece before it on.
        let again: Vec<(usize, usize)> = per_piece
            .iter()
            .enumerate()
            .filter_map(|(m, a)| Some((m, lang::reparse_from(a)?)))
            .collect();
        let reparsed = Mutex::new(Vec::with_capacity(again.len()));
        parallel::on_every_core(&again, |&(m, k)| {
            let (_, lang, code, _) = &jobs[missing[m]];
            let a = lang.analyze(&code[pieces[m][k].start..]);
            reparsed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((m, k, a));
        });
        for (m, k, a) in reparsed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            per_piece[m].truncate(k);
            per_piece[m].push(a);
        }
        let found: Vec<Arc<[Declared]>> = per_piece
            .into_iter()
            .zip(whole)
            .map(|(a, whole)| {
                whole.unwrap_or_else(|| {
                    declared(a.into_iter().flat_map(|a| a.declarations).collect())
                })
            })
            .collect();
        let mut fresh: Vec<(usize, Analysis)> = {
            let mut secrets = vec![None; fresh.len()];
            let mut literals = vec![None; fresh.len()];
            for (slot, found) in spans.into_inner().unwrap_or_else(|e| e.into_inner()) {
                match found {
                    Found::Secrets(s) => secrets[slot] = Some(s),
                    Found::Literals(l, markers) => literals[slot] = Some((l, markers)),
                }
            }
            secrets
                .into_iter()
                .zip(literals)
                .enumerate()
                .map(|(slot, (secrets, literals))| {
                    // Every share ran; were one missing, it is done here rather than skipped.
                    let input = &inputs[fresh[slot]];
                    let secrets = secrets.unwrap_or_else(|| self.secret_spans(input));
                    let (literals, markers) =
                        literals.unwrap_or_else(|| self.literals_and_markers(input.text));
                    let mut a = merge_spans(secrets, literals);
                    a.markers = markers;
                    (fresh[slot], a)
                })
                .collect()
        };
        {
            let mut cache = self.segments.lock().unwrap_or_else(|e| e.into_inner());
            for (m, d) in found.into_iter().enumerate() {
                let j = missing[m];
                cache.put(jobs[j].3, d.clone(), jobs[j].2.len());
                results[j] = Some(d);
            }
        }
        for (j, job) in jobs.iter().enumerate() {
            if let Some(d) = &results[j] {
                fresh[job.0].1.declared.push(d.clone());
            }
        }
        let mut cache = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        for (i, a) in fresh {
            let a = Arc::new(a);
            cache.put(keys[i], a.clone(), inputs[i].text.len());
            done[i] = Some(a);
        }
        done.into_iter()
            .map(|a| a.unwrap_or_else(|| Arc::new(Analysis::default())))
            .collect()
    }

    /// The secrets of a text that no allowlist lets through, by span and rule.
    fn secret_spans(&self, input: &Input<'_>) -> Vec<(Range<usize>, usize)> {
        let text = input.text;
        let path_allowed = match (&self.allow_paths, input.path) {
            (Some(g), Some(p)) => g.is_match(p),
            _ => false,
        };
        if path_allowed {
            return Vec::new();
        }
        self.rules
            .find(text)
            .into_iter()
            .filter(|f| {
                let rule = self.rules.rule(f.rule);
                let value = &text[f.span.clone()];
                !(self.allow_rules.iter().any(|a| a == rule.id)
                    || self.allow_values.iter().any(|r| r.is_match(value)))
            })
            .map(|f| (f.span, f.rule))
            .collect()
    }

    /// The PII and dictionary terms of a text, and its marker words.
    fn literals_and_markers(&self, text: &[u8]) -> (Vec<ProtectedSpan>, Vec<String>) {
        let mut markers = Vec::new();
        collect_marker_words(text, &mut markers);
        let pii = self.pii.find(text).into_iter().map(|(r, k)| ProtectedSpan {
            span: r,
            what: Protected::Literal(Some(k)),
        });
        let terms = self
            .dictionary
            .find(text)
            .into_iter()
            .map(|r| ProtectedSpan {
                span: r,
                what: Protected::Literal(None),
            });
        (pii.chain(terms).collect(), markers)
    }
}

/// A text's protected spans from its secrets and its PII and terms: overlapping spans merge.
fn merge_spans(secrets: Vec<(Range<usize>, usize)>, literals: Vec<ProtectedSpan>) -> Analysis {
    let mut spans: Vec<ProtectedSpan> = secrets
        .into_iter()
        .map(|(span, r)| ProtectedSpan {
            span,
            what: Protected::Secret(r),
        })
        .chain(literals)
        .collect();
    // Secrets win over PII, PII over terms; earlier and longer first.
    spans.sort_by_key(|p| (p.span.start, p.priority(), std::cmp::Reverse(p.span.end)));
    let mut kept: Vec<ProtectedSpan> = Vec::with_capacity(spans.len());
    // Overlapping spans merge into their union, of the stronger kind: no part of either
    // value is left in the clear.
    for p in spans {
        match kept.last_mut() {
            Some(last) if p.span.start < last.span.end => {
                last.span.end = last.span.end.max(p.span.end);
                if p.priority() < last.priority() {
                    last.what = p.what;
                }
            }
            _ => kept.push(p),
        }
    }
    Analysis {
        secrets: kept
            .iter()
            .filter_map(|p| match p.what {
                Protected::Secret(r) => Some((p.span.clone(), r)),
                _ => None,
            })
            .collect(),
        literals: kept
            .iter()
            .filter_map(|p| match p.what {
                Protected::Literal(k) => Some((p.span.clone(), k)),
                _ => None,
            })
            .collect(),
        protected: kept,
        ..Analysis::default()
    }
}

#[derive(Debug, Default)]
struct Analysis {
    /// Matches and output of the last rewrite of this text, reused while no name learned since
    /// could occur in it.
    memo: Mutex<Option<Arc<Memo>>>,
    /// Marker words (`zq…`) already in the text: new replacements must differ from them.
    markers: Vec<String>,
    secrets: Vec<(Range<usize>, usize)>,
    /// PII (`Some(kind)`) and dictionary terms (`None`).
    literals: Vec<(Range<usize>, Option<pii::Kind>)>,
    protected: Vec<ProtectedSpan>,
    /// By code segment, shared with the segment cache.
    declared: Vec<Arc<[Declared]>>,
    /// A vault generation and sequence number by which every name of `declared` was in the vault
    /// (or is never renamed): names are only added within a generation.
    declared_known: Mutex<Option<(u64, u64)>>,
}

/// A text's matches and rewritten bytes, with what is needed to tell whether they still hold.
#[derive(Debug)]
struct Memo {
    /// The vault generation they were computed in.
    generation: u64,
    /// Vault names from this sequence number on were unknown then...
    seq: u64,
    /// ...except these (hashes of names the request itself declared).
    extra: Arc<FxHashSet<u64>>,
    /// Every lowercase word outside protected spans and the tokens holding it: a new name can
    /// match only in a token that holds all of its words. Made when a later turn first needs it
    /// (see [`Memo::words`]): a text seen once never pays for it.
    words: Arc<OnceLock<WordIndex>>,
    /// The distinct names matched, and the matches as (word ranges, index into `names`).
    names: Arc<Vec<Vec<String>>>,
    matches: Arc<Vec<(Vec<Range<usize>>, usize)>>,
    /// Where each of `names` was in the vault's layers (`NOT_LOCATED` for names this request
    /// itself declared), and marks of those layers: ids in a layer still there are still valid.
    located: Arc<Vec<(usize, usize)>>,
    marks: Arc<Vec<LayerMark>>,
    output: Arc<Vec<u8>>,
    /// The words of `output` (see [`WordIndex`]; no span protected), made when the egress check
    /// first needs them.
    output_words: Arc<OnceLock<WordIndex>>,
    /// `output` as the caller encodes it on its way out (a JSON string, for the proxy), made the
    /// first time and reused by every later turn that sends the output unchanged.
    encoded: Arc<OnceLock<Vec<u8>>>,
    /// [`output_hash`] of `output`, computed once: the egress check looks outputs up by it.
    hash: u64,
    /// Set once a request that used this output passed the egress check.
    verified: std::sync::atomic::AtomicBool,
}

impl Memo {
    /// The words of the memo's text (`text`, with the `protected` spans it was rewritten with).
    fn words(&self, text: &[u8], protected: &[ProtectedSpan]) -> &WordIndex {
        self.words.get_or_init(|| WordIndex::new(text, protected))
    }
}

/// A layer index no view has.
const NOT_LOCATED: (usize, usize) = (usize::MAX, 0);

/// `ids` with those outside the vault's layers (in the request's own, `req_layer`) unlocated.
fn vault_located(ids: &[(usize, usize)], req_layer: usize) -> Vec<(usize, usize)> {
    ids.iter()
        .map(|&(part, id)| {
            if part < req_layer {
                (part, id)
            } else {
                NOT_LOCATED
            }
        })
        .collect()
}

fn hash_bytes(bytes: impl Iterator<Item = u8>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for b in bytes {
        h.write_u8(b);
    }
    h.finish()
}

/// Identifies a whole rewritten text. XXH3: the texts of a long history are hashed on every turn,
/// and it reads them several times faster than the standard hasher.
fn output_hash(text: &[u8]) -> u64 {
    XxHash3_64::oneshot_with_seed(hash_seed(), text)
}

/// A seed drawn once per process for the in-memory content hashes (none is stored): texts made to
/// collide under a known seed would need it.
fn hash_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15))
}

fn word_hash(word: &str) -> u64 {
    hash_bytes(word.bytes())
}

fn name_hash(words: &[String]) -> u64 {
    hash_bytes(
        words
            .iter()
            .flat_map(|w| w.bytes().chain(std::iter::once(b' '))),
    )
}

/// How many texts were matched by [`patch_matches`], so that tests know which path they took.
#[cfg(test)]
static PATCHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Every occurrence of a wanted known name in `text` outside `protected`.
fn find_matches(
    text: &[u8],
    protected: &[ProtectedSpan],
    layers: Layers<'_>,
    wanted: &dyn Fn(usize, usize) -> bool,
) -> Vec<Match> {
    let mut found = Vec::new();
    for gap in gaps(text.len(), protected) {
        for m in layers.find(&text[gap.clone()]) {
            push_wanted(m, gap.start, wanted, &mut found);
        }
    }
    found
}

/// The matches in `again`, some tokens of `text` (sorted, outside protected spans), as
/// [`find_matches`] would find them there.
fn rematch(
    text: &[u8],
    protected: &[ProtectedSpan],
    again: &[Range<usize>],
    layers: Layers<'_>,
    wanted: &dyn Fn(usize, usize) -> bool,
) -> Vec<Match> {
    let mut found = Vec::new();
    // Gap by gap, as a fresh pass reads them: a token at the start of a gap must not see the
    // protected span's last bytes (a backslash there would make its first letter an escape).
    for gap in gaps(text.len(), protected) {
        let from = again.partition_point(|t| t.start < gap.start);
        let upto = again.partition_point(|t| t.start < gap.end);
        let tokens = again[from..upto]
            .iter()
            .map(|t| t.start - gap.start..t.end - gap.start);
        for m in layers.find_in_tokens(&text[gap.clone()], tokens) {
            push_wanted(m, gap.start, wanted, &mut found);
        }
    }
    found
}

/// Whether a token of `tokens` (sorted) holds the byte at `at`.
fn holds_at(tokens: &[Range<usize>], at: usize) -> bool {
    let i = tokens.partition_point(|t| t.end <= at);
    tokens.get(i).is_some_and(|t| t.contains(&at))
}

/// [`find_matches`] from the matches of an earlier pass (`old`) that lacked some names: `again`
/// are the tokens that hold one of their first words, and `found` their matches now
/// ([`rematch`]); the old matches stand everywhere else. Exact, because a token's matches
/// depend on nothing outside it, and a name can match only in a token that holds its first word.
fn patch_matches(
    mut found: Vec<Match>,
    again: &[Range<usize>],
    old: impl Iterator<Item = Match>,
) -> Vec<Match> {
    found.extend(old.filter(|m| !holds_at(again, m.words[0].start)));
    found.sort_by_key(|m| m.words[0].start);
    found
}

/// The tokens of `text` that hold a match of `finder`, in order (the egress check's search of an
/// output; inputs use their [`WordIndex`]).
fn tokens_holding(text: &[u8], finder: &AhoCorasick) -> Vec<Range<usize>> {
    // The patterns are words, made of token bytes only: each occurrence lies inside one token, so
    // once a token holds one the search goes on after it. No overlapping search is needed (a word
    // hiding inside another is in the same token), and the finder's prefilter can skip ahead.
    let mut tokens: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let Some(hit) = finder.find(aho_corasick::Input::new(text).range(at..)) else {
            break;
        };
        match words::token_at(text, hit.start()) {
            Some(t) => {
                at = t.end;
                tokens.push(t);
            }
            // Not a word: cannot be in any token.
            None => at = hit.start() + 1,
        }
    }
    tokens
}

fn push_wanted(
    mut m: Match,
    offset: usize,
    wanted: &dyn Fn(usize, usize) -> bool,
    out: &mut Vec<Match>,
) {
    if wanted(m.layer, m.id) {
        for r in &mut m.words {
            *r = offset + r.start..offset + r.end;
        }
        out.push(m);
    }
}

/// The lowercase words of a text outside its protected spans (by hash, with and without escape
/// letters), each with the tokens that hold it, in order.
#[derive(Debug, Default)]
struct WordIndex(FxHashMap<u64, Vec<Range<usize>>>);

impl WordIndex {
    fn new(text: &[u8], protected: &[ProtectedSpan]) -> WordIndex {
        let mut index: FxHashMap<u64, Vec<Range<usize>>> = FxHashMap::default();
        let mut ranges = Vec::new();
        for gap in gaps(text.len(), protected) {
            let g = &text[gap.clone()];
            for tok in words::tokens(g) {
                let whole = gap.start + tok.start..gap.start + tok.end;
                let skip = words::escape_skip(g, tok.start);
                let both = [tok.start, tok.start + skip];
                // Without an escape letter the second pass would read the same words.
                for &start in &both[..if skip == 0 { 1 } else { 2 }] {
                    if start >= tok.end {
                        continue;
                    }
                    let token = &g[start..tok.end];
                    words::split(token, &mut ranges);
                    for r in &ranges {
                        let hash = hash_bytes(token[r.clone()].iter().map(u8::to_ascii_lowercase));
                        let holding = index.entry(hash).or_default();
                        if holding.last() != Some(&whole) {
                            holding.push(whole.clone());
                        }
                    }
                }
            }
        }
        WordIndex(index)
    }

    /// Whether one token holds every word of `name` (lowercase words): where a name can occur.
    fn may_hold(&self, name: &[String]) -> bool {
        let mut lists = Vec::with_capacity(name.len());
        for w in name {
            match self.0.get(&word_hash(w)) {
                Some(tokens) => lists.push(tokens),
                None => return false,
            }
        }
        let Some(shortest) = lists.iter().min_by_key(|l| l.len()) else {
            return false;
        };
        // Each list is in text order, one entry per token.
        shortest.iter().any(|t| {
            lists
                .iter()
                .all(|l| l.binary_search_by_key(&t.start, |r| r.start).is_ok())
        })
    }

    /// The tokens that hold any of `words`, in order.
    fn tokens_holding(&self, words: impl Iterator<Item = u64>) -> Vec<Range<usize>> {
        let mut tokens: Vec<Range<usize>> = words
            .filter_map(|w| self.0.get(&w))
            .flatten()
            .cloned()
            .collect();
        tokens.sort_unstable_by_key(|t| t.start);
        tokens.dedup();
        tokens
    }
}

#[derive(Debug, Clone)]
struct ProtectedSpan {
    span: Range<usize>,
    what: Protected,
}

#[derive(Debug, Clone, Copy)]
enum Protected {
    Secret(usize),
    Literal(Option<pii::Kind>),
}

impl ProtectedSpan {
    fn priority(&self) -> u8 {
        match self.what {
            Protected::Secret(_) => 0,
            Protected::Literal(Some(_)) => 1,
            Protected::Literal(None) => 2,
        }
    }
}

fn gaps(len: usize, protected: &[ProtectedSpan]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(protected.len() + 1);
    let mut at = 0;
    for p in protected {
        out.push(at..p.span.start);
        at = p.span.end;
    }
    out.push(at..len);
    out
}

/// The analysis of a text depends on its bytes, its language hint and its path.
fn text_key(input: &Input<'_>) -> u64 {
    let mut h = XxHash3_64::with_seed(hash_seed());
    input.text.hash(&mut h);
    input.lang.map(|l| l.name).hash(&mut h);
    input.path.hash(&mut h);
    h.finish()
}

fn cache_key(lang: &Lang, code: &str) -> u64 {
    let mut h = XxHash3_64::with_seed(hash_seed());
    lang.name.hash(&mut h);
    code.hash(&mut h);
    h.finish()
}

/// The declarations worth renaming, once per name, from a segment's analysis (or its pieces',
/// in order: their lines and offsets count from each piece, and only names and kinds are kept).
fn declared(declarations: Vec<lang::Declaration>) -> Arc<[Declared]> {
    // Code declares the same names over and over (parameters, locals): each spelling is split
    // into words once, at its first declaration, which is the one kept below anyway.
    let firsts: Vec<bool> = {
        let mut spellings: FxHashSet<&str> = FxHashSet::default();
        declarations
            .iter()
            .map(|d| d.mutable && spellings.insert(&d.name))
            .collect()
    };
    let all: Vec<Declared> = declarations
        .into_iter()
        .zip(firsts)
        .filter_map(|(d, first)| {
            if !first {
                return None;
            }
            let words = words::words_of(&d.name);
            renameable(&words).then(|| Declared {
                words,
                kind: d.kind.as_str(),
                display: d.name,
            })
        })
        .collect();
    // The first declaration of each name, kept in order.
    let mut seen: FxHashSet<&[String]> = FxHashSet::default();
    let first: Vec<bool> = all.iter().map(|d| seen.insert(&d.words[..])).collect();
    drop(seen);
    all.into_iter()
        .zip(first)
        .filter_map(|(d, first)| first.then_some(d))
        .collect()
}

/// Renders the text from `*copied` to `upto`, with `matches` (all inside that range) replaced.
fn render_from<'r>(
    text: &[u8],
    copied: &mut usize,
    upto: usize,
    matches: &[Match],
    replacement: &dyn Fn(usize, usize) -> Option<&'r [String]>,
    out: &mut Vec<u8>,
) {
    render(text, *copied..upto, matches, replacement, out);
    *copied = upto;
}

/// Names made only of digits, or already a replacement, are left alone.
fn renameable(words: &[String]) -> bool {
    match words.first() {
        Some(first) => {
            first.as_bytes()[0].is_ascii_alphabetic()
                && !(first.starts_with(MARKER) && first.len() > MARKER.len())
        }
        None => false,
    }
}

/// Every word that starts with the marker, lowercase: a new replacement must not equal one.
fn collect_marker_words(text: &[u8], out: &mut Vec<String>) {
    let mut ranges = Vec::new();
    // Only a token holding `zq` can hold such a word: jump from one `z` to the next rather than
    // reading every token (code has few).
    let mut from = 0;
    while let Some(at) = memchr::memchr2(b'z', b'Z', &text[from..]).map(|i| from + i) {
        let Some(tok) = text
            .get(at + 1)
            .is_some_and(|q| q.eq_ignore_ascii_case(&b'q'))
            .then(|| words::token_at(text, at))
            .flatten()
        else {
            from = at + 1;
            continue;
        };
        from = tok.end;
        marker_words_of(text, tok, &mut ranges, out);
    }
}

/// The marker words of one token of `text` (read after an escape letter), lowercase, once each.
fn marker_words_of(
    text: &[u8],
    tok: Range<usize>,
    ranges: &mut Vec<Range<usize>>,
    out: &mut Vec<String>,
) {
    let token = &text[tok.start + words::escape_skip(text, tok.start)..tok.end];
    if !token
        .windows(2)
        .any(|w| w.eq_ignore_ascii_case(MARKER.as_bytes()))
    {
        return;
    }
    words::split(token, ranges);
    for r in ranges.iter() {
        let w = &token[r.clone()];
        if w.len() > 2 && w[..2].eq_ignore_ascii_case(MARKER.as_bytes()) {
            let w = String::from_utf8_lossy(w).to_ascii_lowercase();
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
}

/// A term's replacement word in the casing of the text it replaces.
fn render_like(repl: &str, original: &str) -> String {
    let letters: Vec<char> = original.chars().filter(|c| c.is_alphabetic()).collect();
    let shape =
        if !letters.is_empty() && letters.iter().all(|c| c.is_uppercase()) && letters.len() > 1 {
            words::Shape::Upper
        } else if letters.first().is_some_and(|c| c.is_uppercase()) {
            words::Shape::Capital
        } else {
            words::Shape::Lower
        };
    let mut s = String::new();
    shape.render(repl, &mut s);
    s
}

fn line_of(text: &[u8], at: usize) -> usize {
    memchr::memchr_iter(b'\n', &text[..at]).count() + 1
}

#[cfg(test)]
mod tests;
