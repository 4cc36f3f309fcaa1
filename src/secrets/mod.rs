//! Secret detection: the rules in `rules/secrets.toml` (data, in the spirit of gitleaks' config) run
//! over bytes. Pure: no IO. Used by `scan` to report and by the rewrite engine to take secrets out.
//!
//! Speed comes from doing as little regex work as possible: one Aho-Corasick pass finds every rule
//! keyword, and a rule's regex runs only on the lines where one of its keywords occurs. Regexes are
//! compiled on first use, with Unicode off, so a one-file scan starts in milliseconds.

mod casefold;
mod entropy;
mod gate;
mod hircode;
mod rules;
pub mod sample;
mod schema;

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;

pub use entropy::shannon_entropy;
pub use rules::Error;
use rules::Search;
pub use schema::Severity;

/// One detection rule. Its text is `'static`: the embedded rules are static data written by
/// `build.rs`, and a rule file loaded at run time lives as long as the process.
#[derive(Debug)]
pub struct Rule {
    /// snake_case, unique; the `type` users see in reports.
    pub id: &'static str,
    pub description: &'static str,
    pub severity: Severity,
    /// Literal strings, lowercase and matched case-insensitively, one of which must occur on the
    /// line for the regex to run at all.
    pub keywords: &'static [&'static str],
    /// Minimum Shannon entropy (bits per byte) of the secret; filters out words and placeholders.
    pub entropy: Option<f64>,
    /// Run on the whole text instead of the keyword's line (private key blocks span many lines).
    pub multiline: bool,
    /// A key that is public by design (a Stripe publishable key, an Algolia search-only key):
    /// reported only when asked (`scan --include-public`), never replaced.
    pub public: bool,
    /// Templates that this rule must find (see [`sample::expand`]).
    pub examples: &'static [&'static str],
    /// Templates that no rule may find.
    pub negative_examples: &'static [&'static str],
    regex_src: &'static str,
    /// What runs instead of `regex_src`, over the text lowercased, when that finds the same (see
    /// [`casefold::lowercase_form`]): it compiles in half the time.
    lowercase: Option<&'static str>,
    /// The syntax tree of [`Rule::source`], encoded by `build.rs` (see [`hircode`]): the
    /// embedded rules compile from it without parsing.
    tree: Option<&'static [u8]>,
    /// The tree of the rule's gate (see [`gate`]), encoded by `build.rs`; `None` for an embedded
    /// rule without a gate, and for rules loaded at run time, which derive their gate from their
    /// pattern.
    gate_tree: Option<&'static [u8]>,
    secret_group: Option<usize>,
    /// Shared by the rules that list the same patterns.
    allowlist: Option<&'static Allowlist>,
    /// Lowercase.
    stopwords: &'static [&'static str],
    compiled: Compiled,
}

impl Rule {
    fn compiled(&self, search: Search) -> &Regex {
        self.compiled.get(search, |search| {
            if let Search::Bulk = search {
                return rules::compile(&[self.regex_src], search);
            }
            match self.tree.and_then(hircode::decode) {
                Some(tree) => rules::compile_tree(&tree, search),
                None => rules::compile(&[self.source()], search),
            }
        })
    }

    /// The rule's gate (see [`gate`]), compiled on first use; `None` for a rule small enough to
    /// compile outright.
    fn gate(&self) -> Option<&Regex> {
        self.compiled
            .gate
            .get_or_init(|| {
                let gate = match (self.tree, self.gate_tree) {
                    (_, Some(code)) => hircode::decode(code)?,
                    // An embedded rule (it has a tree) that build.rs gave no gate.
                    (Some(_), None) => return None,
                    (None, None) => gate::gate(&hircode::parse(self.source()).ok()?)?,
                };
                rules::compile_tree(&gate, Search::Lines).ok()
            })
            .as_ref()
    }

    /// Whether this rule, searching this way, runs over the text lowercased.
    fn lowercased(&self, search: Search) -> bool {
        self.lowercase.is_some() && !matches!(search, Search::Bulk)
    }

    /// The regex source, for reports that explain a rule.
    pub fn regex(&self) -> &str {
        self.regex_src
    }

    /// The pattern that is compiled and run.
    fn source(&self) -> &'static str {
        self.lowercase.unwrap_or(self.regex_src)
    }
}

/// Regexes over a candidate secret value that clear it. They compile as one multi-pattern regex,
/// and only when a rule first finds a candidate: most texts wake a rule without holding anything
/// it matches, and the generic rules carry fifteen patterns each.
#[derive(Debug)]
struct Allowlist {
    patterns: &'static [&'static str],
    compiled: Compiled,
}

impl Allowlist {
    const fn new(patterns: &'static [&'static str]) -> Allowlist {
        Allowlist {
            patterns,
            compiled: Compiled::new(),
        }
    }

    fn compiled(&self) -> &Regex {
        self.compiled.get(Search::Short, |search| {
            rules::compile(self.patterns, search)
        })
    }

    fn is_match(&self, value: &[u8]) -> bool {
        self.compiled().is_match(value)
    }
}

/// A rule's regex, compiled on first use for the kind of search asked; a regex compiled for long
/// texts serves short ones too.
#[derive(Debug)]
struct Compiled {
    lines: OnceLock<Regex>,
    short: OnceLock<Regex>,
    bulk: OnceLock<Regex>,
    gate: OnceLock<Option<Regex>>,
}

impl Compiled {
    const fn new() -> Compiled {
        Compiled {
            lines: OnceLock::new(),
            short: OnceLock::new(),
            bulk: OnceLock::new(),
            gate: OnceLock::new(),
        }
    }

    fn ready(&self, search: Search) -> bool {
        match search {
            Search::Lines => self.lines.get().is_some(),
            Search::Bulk => self.bulk.get().is_some(),
            Search::Short => self.short.get().is_some() || self.lines.get().is_some(),
        }
    }

    fn get(
        &self,
        search: Search,
        build: impl Fn(Search) -> Result<Regex, rules::BuildError>,
    ) -> &Regex {
        // The embedded rules are compiled by a unit test, and rule files loaded at run time are
        // checked when they are loaded, so this expect cannot fire on user input.
        let compile = || build(search).expect("rule regex checked at load");
        match search {
            Search::Lines => self.lines.get_or_init(compile),
            Search::Bulk => self.bulk.get_or_init(compile),
            Search::Short => match self.lines.get() {
                Some(regex) => regex,
                None => self.short.get_or_init(compile),
            },
        }
    }
}

/// A secret found in a text: which rule, and the byte range of the secret value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    /// The secret value (the rule's secret group), never the surrounding quotes or key.
    pub span: Range<usize>,
}

/// Whether an escape ends right at `at` (`\nghp_…`: the keyword `ghp_` follows the escape
/// `\n`). Only the few bytes an escape can span are looked at: a keyword deep inside a long token
/// (a hex blob) costs no walk back to its start.
fn follows_escape(text: &[u8], at: usize) -> bool {
    // The longest escape after its backslash: `U` and eight hex digits.
    (1..=9).any(|k| {
        at > k && text[at - k - 1] == b'\\' && crate::mutate::words::escape_skip(text, at - k) == k
    })
}

/// The most text (all its windows together) that a rule searches without a lazy DFA. A lazy DFA
/// needs a reverse NFA, a quarter of the cost of compiling a big rule; the bounded backtracker
/// needs only the forward NFA but costs thousands of instructions per byte on a big rule. The two
/// break even near a kilobyte (measured with callgrind on the generic rules).
const SHORT_SEARCH: usize = 512;

/// Comments that silence a finding on their line; the last two keep repositories that already use
/// gitleaks or detect-secrets working unchanged.
const ALLOW_MARKERS: &[&[u8]] = &[
    b"pretense:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
];

/// A set of rules with its keyword prefilter.
#[derive(Debug)]
pub struct RuleSet {
    rules: &'static [Rule],
    /// The file's allowlist, for every rule.
    global_allow: Option<&'static Allowlist>,
    /// The distinct keywords, one per prefilter pattern.
    keywords: Vec<&'static str>,
    /// Quick to build (~0.5 ms): what a one-file scan or a single request uses. Case-sensitive,
    /// so it searches the text lowercased.
    prefilter: AhoCorasick,
    /// ~3× faster to search, ~5 ms to build, and ASCII-case-insensitive, so it searches the text
    /// as it is: built by [`RuleSet::prepare_for_bulk`] for directory scans and the daemon (`None`
    /// if the keywords are too many for a DFA).
    fast_prefilter: OnceLock<Option<AhoCorasick>>,
    /// For each prefilter pattern, the rules that listed it as a keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords run everywhere (discouraged; none of the built-in rules do).
    unfiltered: Vec<usize>,
    /// The rules' search state, shared by whichever thread scans next (see [`SearchCaches`]).
    caches: SearchCaches,
}

/// The rules' lazy DFAs learn the states a text needs and keep them in a search cache. Each
/// regex kept its caches by thread (roughly), and the daemon's requests run on a dozen threads
/// (tokio's workers and blocking threads, the pool's helpers): each cache learned from its own
/// few requests, each new thread spent 6-12 ms creating its caches, and a fresh 10 KB text took
/// 0.2-0.3 ms to scan instead of the 0.1 ms of one thread that had seen many (timed in the
/// proxy over its first 400 requests). Here a scan takes the set of caches returned last: scans
/// one after another all use, and teach, the same set; scans at the same time take a set each,
/// and a few sets are kept for the next such burst.
#[derive(Default)]
struct SearchCaches(std::sync::Mutex<Vec<Caches>>);

impl std::fmt::Debug for SearchCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sets = self.0.lock().map_or(0, |s| s.len());
        write!(f, "SearchCaches({sets} sets)")
    }
}

/// For each rule, the caches of the regexes it ran with (one per kind of [`Search`] at most),
/// each with its regex's address: a cache serves only the regex that created it.
type Caches = Vec<Vec<(usize, regex_automata::meta::Cache)>>;

impl SearchCaches {
    fn take(&self, rules: usize) -> Caches {
        let mut set = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        set.resize_with(rules, Vec::new);
        set
    }

    /// Keeps `set` for the next scan, unless enough are kept: a burst of scans at once (the
    /// daemon's blocking threads, a directory scan) would otherwise leave a set per scan, each
    /// holding up to a few megabytes of lazy DFA states, and only the last one returned is
    /// reused often.
    fn give_back(&self, set: Caches) {
        let mut sets = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sets.len() < 2 * crate::parallel::cores() {
            sets.push(set);
        }
    }
}

mod builtin {
    //! `rules/secrets.toml` as static data (see `build.rs`).
    use super::{Allowlist, Compiled, Rule, Severity};
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

impl RuleSet {
    /// The embedded rules from `rules/secrets.toml`, set up once per process.
    pub fn builtin() -> &'static RuleSet {
        static SET: OnceLock<RuleSet> = OnceLock::new();
        SET.get_or_init(|| {
            rules::assemble(&builtin::RULES, builtin::GLOBAL_ALLOW, "rules/secrets.toml")
                .expect("the embedded keywords build a prefilter (checked by unit tests)")
        })
    }

    /// Parses a rule file in the `rules/secrets.toml` format. `origin` names it in errors.
    pub fn parse(src: &str, origin: &str) -> Result<RuleSet, Error> {
        rules::parse(src, origin)
    }

    /// Builds the faster keyword automaton before scanning a lot of text.
    pub fn prepare_for_bulk(&self) {
        self.fast_prefilter.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::Standard)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&self.keywords)
                .ok()
        });
    }

    /// Compiles every rule a daemon runs (all but the public-by-design ones) for bulk search,
    /// with a set of search caches for them: the daemon's first request otherwise compiled the
    /// rules its text woke, and created their caches, which took 30-50 ms of a 10 KB request.
    /// For a daemon's spare thread, after [`RuleSet::prepare_for_bulk`]; does nothing before it.
    pub fn compile_for_bulk(&self) {
        if self.fast_prefilter.get().is_none() {
            return;
        }
        let mut set = self.caches.take(self.rules.len());
        for (r, rule) in self.rules.iter().enumerate() {
            if !rule.public {
                cache_for(&mut set[r], rule.compiled(Search::Bulk));
            }
        }
        self.caches.give_back(set);
    }

    pub fn rules(&self) -> &[Rule] {
        self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// Finds every secret in `text`, sorted by position, without overlaps.
    pub fn find(&self, text: &[u8]) -> Vec<Finding> {
        self.find_with(text, false)
    }

    /// [`RuleSet::find`], also running the rules for keys that are public by design when
    /// `public` is set.
    pub fn find_with(&self, text: &[u8], public: bool) -> Vec<Finding> {
        let mut escaped = Vec::new();
        let found = self.find_in(text, public, Some(&mut escaped));
        if escaped.is_empty() {
            return found;
        }
        self.find_after_escapes(text, public, found, &escaped)
    }

    /// A secret right after an escape (`"…\nghp_…"`, the second of two values in one string of
    /// code or JSON) has a word letter before it, which the rules' leading `\b` rejects, and
    /// went out as it was. The lines where a keyword follows an escape are searched again with
    /// the escapes' letters blanked (same length, so the spans hold); what that finds beside
    /// `found` is added.
    fn find_after_escapes(
        &self,
        text: &[u8],
        public: bool,
        mut found: Vec<Finding>,
        lines: &[Range<usize>],
    ) -> Vec<Finding> {
        let overlaps = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
        for line in lines {
            let Some((copy, blanked)) = crate::mutate::words::blank_escapes(&text[line.clone()])
            else {
                continue;
            };
            for f in self.find_in(&copy, public, None) {
                let span = f.span.start + line.start..f.span.end + line.start;
                if blanked.iter().any(|b| overlaps(b, &f.span))
                    || found.iter().any(|g| overlaps(&g.span, &span))
                {
                    continue;
                }
                found.push(Finding { rule: f.rule, span });
            }
        }
        found.sort_by_key(|f| f.span.start);
        found
    }

    /// [`RuleSet::find_with`] without the second look after escapes; `escaped` collects the
    /// lines that need it.
    fn find_in(
        &self,
        text: &[u8],
        public: bool,
        mut escaped: Option<&mut Vec<Range<usize>>>,
    ) -> Vec<Finding> {
        let mut triggered: Vec<Option<Vec<Range<usize>>>> = vec![None; self.rules.len()];
        // Keywords never span lines, so hits on the line just computed reuse its bounds: without
        // this, a minified bundle (one multi-megabyte line, thousands of hits) is quadratic.
        let mut line: Range<usize> = 0..0;
        // The quick prefilter searches the text lowercased (same length, same positions), which
        // the rules in lowercase form then search too.
        let fast = self.fast_prefilter.get().and_then(Option::as_ref);
        let lowered = fast.is_none().then(|| text.to_ascii_lowercase());
        let prefilter = fast.unwrap_or(&self.prefilter);
        let hay = lowered.as_deref().unwrap_or(text);
        for m in prefilter.find_overlapping_iter(hay) {
            if !(line.start <= m.start() && m.end() <= line.end) {
                line = line_bounds(text, m.start(), m.end());
            }
            if let Some(lines) = escaped.as_deref_mut()
                && follows_escape(text, m.start())
                && lines.last() != Some(&line)
            {
                lines.push(line.clone());
            }
            let window = line.clone();
            for &r in &self.keyword_rules[m.pattern().as_usize()] {
                let windows = triggered[r].get_or_insert_with(Vec::new);
                match windows.last_mut() {
                    Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
                    _ => windows.push(window.clone()),
                }
            }
        }
        for &r in &self.unfiltered {
            triggered[r] = Some(std::iter::once(0..text.len()).collect());
        }
        if !public {
            for (r, rule) in self.rules.iter().enumerate() {
                if rule.public {
                    triggered[r] = None;
                }
            }
        }

        let bulk = self.fast_prefilter.get().is_some();
        let mut woken: Vec<Woken> = Vec::new();
        for (r, windows) in triggered.into_iter().enumerate() {
            let Some(mut windows) = windows else { continue };
            let rule = &self.rules[r];
            if rule.multiline {
                windows = std::iter::once(0..text.len()).collect();
            } else {
                // Overlapping keyword hits arrive out of order; merge before searching.
                windows.sort_by_key(|w| w.start);
                windows.dedup_by(|b, a| {
                    if b.start <= a.end {
                        a.end = a.end.max(b.end);
                        true
                    } else {
                        false
                    }
                });
            }
            let search = if bulk {
                Search::Bulk
            } else if windows.iter().map(|w| w.len()).sum::<usize>() > SHORT_SEARCH {
                Search::Lines
            } else {
                Search::Short
            };
            woken.push((r, search, windows));
        }

        let lowered = lowered.as_deref();
        let run = |(r, search, windows): &Woken, caches: &mut Caches, out: &mut Vec<Finding>| {
            for w in windows {
                self.run_rule(*r, *search, text, lowered, w.clone(), &mut caches[*r], out);
            }
        };
        let cold = |(r, search, _): &Woken| !self.rules[*r].compiled.ready(*search);
        let mut candidates = Vec::new();
        if woken.iter().any(cold) {
            // Compiling a rule costs more than running it. In a one-shot scan, each core takes
            // whole rules, compiling then running them, the biggest cold ones first so that the
            // cores finish together. Rules already compiled (the daemon, a directory scan, whose
            // files are spread over the cores already) run here, without threads.
            woken.sort_by_cached_key(|w| {
                (!cold(w), std::cmp::Reverse(self.rules[w.0].source().len()))
            });
            let found = std::sync::Mutex::new(Vec::new());
            crate::parallel::on_every_core(&woken, |w| {
                let mut out = Vec::new();
                let mut caches = self.caches.take(self.rules.len());
                run(w, &mut caches, &mut out);
                self.caches.give_back(caches);
                found
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(out);
            });
            candidates = found
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        } else if !woken.is_empty() {
            let mut caches = self.caches.take(self.rules.len());
            for w in &woken {
                run(w, &mut caches, &mut candidates);
            }
            self.caches.give_back(caches);
        }

        // Then the allowlists that the candidates need, compiled on every core too.
        let mut lists: Vec<&Allowlist> = Vec::new();
        if !candidates.is_empty() {
            lists.extend(self.global_allow);
        }
        for c in &candidates {
            if let Some(list) = self.rules[c.rule].allowlist
                && !lists.iter().any(|l| std::ptr::eq(*l, list))
            {
                lists.push(list);
            }
        }
        lists.retain(|l| !l.compiled.ready(Search::Short));
        crate::parallel::on_every_core(&lists, |list| {
            list.compiled();
        });
        candidates.retain(|c| {
            let value = &text[c.span.clone()];
            !(self.global_allow.is_some_and(|a| a.is_match(value))
                || self.rules[c.rule]
                    .allowlist
                    .is_some_and(|a| a.is_match(value)))
        });
        resolve_overlaps(self.rules, candidates)
    }

    /// Runs one rule over one window of the text: its candidates, before the allowlists. A rule in
    /// lowercase form searches the window lowercased (`lowered` is the whole text lowercased,
    /// when the prefilter made it); candidates are judged on the text itself. `caches` are the
    /// rule's, in the set the scan took (see [`SearchCaches`]).
    #[allow(clippy::too_many_arguments)]
    fn run_rule(
        &self,
        r: usize,
        search: Search,
        text: &[u8],
        lowered: Option<&[u8]>,
        window: Range<usize>,
        caches: &mut Vec<(usize, regex_automata::meta::Cache)>,
        out: &mut Vec<Finding>,
    ) {
        let rule = &self.rules[r];
        let original = &text[window.clone()];
        let own;
        let hay = match (rule.lowercased(search), lowered) {
            (false, _) => original,
            (true, Some(lowered)) => &lowered[window.clone()],
            (true, None) => {
                own = original.to_ascii_lowercase();
                &own[..]
            }
        };
        // Before a one-shot scan compiles a big rule, its gate says whether this window could
        // hold a match at all; often no window can, and the rule is never compiled.
        if !matches!(search, Search::Bulk)
            && !rule.compiled.ready(search)
            && rule.gate().is_some_and(|gate| !gate.is_match(hay))
        {
            return;
        }
        let regex = rule.compiled(search);
        let cache = cache_for(caches, regex);
        let mut caps = regex.create_captures();
        let mut matches = regex_automata::util::iter::Searcher::new(hay.into());
        loop {
            matches.advance(|input| {
                regex.search_captures_with(cache, input, &mut caps);
                Ok(caps.get_match())
            });
            if !caps.is_match() {
                break;
            }
            let group = rule
                .secret_group
                .unwrap_or(if caps.group_len() > 1 { 1 } else { 0 });
            let Some(m) = caps.get_group(group).or_else(|| caps.get_group(0)) else {
                continue;
            };
            let value = &original[m.range()];
            if value.is_empty() {
                continue;
            }
            if let Some(floor) = rule.entropy
                && shannon_entropy(value) < floor
            {
                continue;
            }
            if contains_stopword(value, rule.stopwords) {
                continue;
            }
            let span = window.start + m.start..window.start + m.end;
            if line_has_allow_marker(text, span.start) {
                continue;
            }
            out.push(Finding { rule: r, span });
        }
    }
}

/// The cache of `regex` among a rule's caches, created on its first search.
fn cache_for<'a>(
    caches: &'a mut Vec<(usize, regex_automata::meta::Cache)>,
    regex: &Regex,
) -> &'a mut regex_automata::meta::Cache {
    let key = std::ptr::from_ref(regex) as usize;
    let at = match caches.iter().position(|(k, _)| *k == key) {
        Some(at) => at,
        None => {
            caches.push((key, regex.create_cache()));
            caches.len() - 1
        }
    };
    &mut caches[at].1
}

/// A rule that a text woke: its index, how to search, and the windows of text to search.
type Woken = (usize, Search, Vec<Range<usize>>);

/// The full lines that contain `start..end`.
fn line_bounds(text: &[u8], start: usize, end: usize) -> Range<usize> {
    let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |i| end + i);
    line_start..line_end
}

fn line_has_allow_marker(text: &[u8], at: usize) -> bool {
    let line = line_bounds(text, at, at);
    let line = &text[line];
    ALLOW_MARKERS
        .iter()
        .any(|marker| memchr::memmem::find(line, marker).is_some())
}

fn contains_stopword(value: &[u8], stopwords: &[&str]) -> bool {
    if stopwords.is_empty() {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    stopwords
        .iter()
        .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
}

/// Keeps one finding per region: the most severe, then the longest, then the first rule in the file.
fn resolve_overlaps(rules: &[Rule], mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(rules[b.rule].severity.cmp(&rules[a.rule].severity))
            .then(b.span.len().cmp(&a.span.len()))
            .then(a.rule.cmp(&b.rule))
    });
    let mut out: Vec<Finding> = Vec::with_capacity(found.len());
    for f in found {
        match out.last_mut() {
            Some(last) if f.span.start < last.span.end => {
                let better = rules[f.rule].severity > rules[last.rule].severity
                    || (rules[f.rule].severity == rules[last.rule].severity
                        && f.span.len() > last.span.len());
                if better {
                    *last = f;
                }
            }
            _ => out.push(f),
        }
    }
    out
}

#[cfg(test)]
mod tests;
