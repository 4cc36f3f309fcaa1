//! Secret detection: the rules in `rules/secrets.toml` (data, in the spirit of gitleaks' config) run
//! over bytes. Pure: no IO. Used by `scan` to report and by the rewrite engine to take secrets out.
//!
//! Speed comes from doing as little regex work as possible: one Aho-Corasick pass finds every rule
//! keyword, and a rule's regex runs only on the lines where one of its keywords occurs. Regexes are
//! compiled on first use, with Unicode off, so a one-file scan starts in milliseconds.

mod entropy;
mod rules;
pub mod sample;

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

pub use entropy::shannon_entropy;
pub use rules::Error;

/// How bad a leak of this kind of secret is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity {other:?} (expected low, medium, high or critical)"
            )),
        }
    }
}

/// One detection rule.
#[derive(Debug)]
pub struct Rule {
    /// snake_case, unique; the `type` users see in reports.
    pub id: String,
    pub description: String,
    pub severity: Severity,
    /// Literal strings (matched case-insensitively) one of which must occur on the line for the
    /// regex to run at all.
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret; filters out words and placeholders.
    pub entropy: Option<f64>,
    /// Run on the whole text instead of the keyword's line (private key blocks span many lines).
    pub multiline: bool,
    /// A key that is public by design (a Stripe publishable key, an Algolia search-only key):
    /// reported only when asked (`scan --include-public`), never replaced.
    pub public: bool,
    /// Templates that this rule must find (see [`sample::expand`]).
    pub examples: Vec<String>,
    /// Templates that no rule may find.
    pub negative_examples: Vec<String>,
    regex_src: String,
    secret_group: Option<usize>,
    allowlist_src: Vec<String>,
    stopwords: Vec<String>,
    compiled: OnceLock<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    regex: regex::bytes::Regex,
    allowlist: Vec<regex::bytes::Regex>,
}

impl Rule {
    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            // The embedded rules are compiled by a unit test, and user rule files are compiled
            // when they are loaded, so these expects cannot fire on user input.
            Compiled {
                regex: rules::compile(&self.regex_src).expect("rule regex checked at load"),
                allowlist: self
                    .allowlist_src
                    .iter()
                    .map(|p| rules::compile(p).expect("rule allowlist checked at load"))
                    .collect(),
            }
        })
    }

    /// The regex source, for reports that explain a rule.
    pub fn regex(&self) -> &str {
        &self.regex_src
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

/// Comments that silence a finding on their line; the last two keep repositories that already use
/// gitleaks or detect-secrets working unchanged.
const ALLOW_MARKERS: &[&[u8]] = &[
    b"pretense:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
];

/// A compiled set of rules with its keyword prefilter.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// The keywords, lowercase, one per prefilter pattern.
    keywords: Vec<String>,
    /// Quick to build (~1 ms): what a one-file scan or a single request uses.
    prefilter: AhoCorasick,
    /// ~3× faster to search, ~5 ms to build: built by [`RuleSet::prepare_for_bulk`] for
    /// directory scans and the daemon.
    fast_prefilter: OnceLock<AhoCorasick>,
    /// For each prefilter pattern, the rules that listed it as a keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords run everywhere (discouraged; none of the built-in rules do).
    unfiltered: Vec<usize>,
    global_allow: Vec<regex::bytes::Regex>,
}

static BUILTIN_SRC: &str = include_str!("../../rules/secrets.toml");

impl RuleSet {
    /// The embedded rules from `rules/secrets.toml`, parsed once per process.
    pub fn builtin() -> &'static RuleSet {
        static SET: OnceLock<RuleSet> = OnceLock::new();
        SET.get_or_init(|| {
            // Every embedded regex is compiled by a unit test, so start-up skips the syntax check.
            rules::parse(BUILTIN_SRC, "rules/secrets.toml", true)
                .expect("embedded rules are valid (checked by unit tests)")
        })
    }

    /// Parses a rule file in the `rules/secrets.toml` format. `origin` names it in errors.
    pub fn parse(src: &str, origin: &str) -> Result<RuleSet, Error> {
        rules::parse(src, origin, false)
    }

    /// Builds the faster keyword automaton before scanning a lot of text.
    pub fn prepare_for_bulk(&self) {
        self.fast_prefilter.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::Standard)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&self.keywords)
                .unwrap_or_else(|_| self.prefilter.clone())
        });
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
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
        let mut triggered: Vec<Option<Vec<Range<usize>>>> = vec![None; self.rules.len()];
        // Keywords never span lines, so hits on the line just computed reuse its bounds: without
        // this, a minified bundle (one multi-megabyte line, thousands of hits) is quadratic.
        let mut line: Range<usize> = 0..0;
        let prefilter = self.fast_prefilter.get().unwrap_or(&self.prefilter);
        for m in prefilter.find_overlapping_iter(text) {
            if !(line.start <= m.start() && m.end() <= line.end) {
                line = line_bounds(text, m.start(), m.end());
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

        // Compiling a rule costs more than running it; when a text wakes several rules for the
        // first time, compile them on every core.
        let cold: Vec<usize> = triggered
            .iter()
            .enumerate()
            .filter(|(r, w)| w.is_some() && self.rules[*r].compiled.get().is_none())
            .map(|(r, _)| r)
            .collect();
        if cold.len() >= 4 {
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(cold.len());
            let next = std::sync::atomic::AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 1..threads {
                    s.spawn(|| {
                        while let Some(&r) =
                            cold.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                        {
                            let _ = self.rules[r].compiled();
                        }
                    });
                }
                while let Some(&r) =
                    cold.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    let _ = self.rules[r].compiled();
                }
            });
        }

        let mut found = Vec::new();
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
            for w in windows {
                self.run_rule(r, text, w, &mut found);
            }
        }
        resolve_overlaps(&self.rules, found)
    }

    fn run_rule(&self, r: usize, text: &[u8], window: Range<usize>, out: &mut Vec<Finding>) {
        let rule = &self.rules[r];
        let compiled = rule.compiled();
        let hay = &text[window.clone()];
        for caps in compiled.regex.captures_iter(hay) {
            let group = rule
                .secret_group
                .unwrap_or(if caps.len() > 1 { 1 } else { 0 });
            let Some(m) = caps.get(group).or_else(|| caps.get(0)) else {
                continue;
            };
            let value = m.as_bytes();
            if value.is_empty() {
                continue;
            }
            if let Some(floor) = rule.entropy
                && shannon_entropy(value) < floor
            {
                continue;
            }
            if compiled.allowlist.iter().any(|a| a.is_match(value))
                || self.global_allow.iter().any(|a| a.is_match(value))
                || contains_stopword(value, &rule.stopwords)
            {
                continue;
            }
            let span = window.start + m.start()..window.start + m.end();
            if line_has_allow_marker(text, span.start) {
                continue;
            }
            out.push(Finding { rule: r, span });
        }
    }
}

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

fn contains_stopword(value: &[u8], stopwords: &[String]) -> bool {
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
