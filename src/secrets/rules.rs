//! Loading a rule file (`rules/secrets.toml` format) at run time, compiling rule regexes, and the
//! keyword prefilter of a [`RuleSet`].

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_syntax::hir::Hir;

use super::schema::File;
use super::{Allowlist, Compiled, Rule, RuleSet};

/// Errors in a rule file. Messages name the file and the rule.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{origin}: {message}")]
    Toml { origin: String, message: String },
    #[error("{origin}: rule {id:?}: {message}")]
    Rule {
        origin: String,
        id: String,
        message: String,
    },
    #[error("{origin}: {message}")]
    Prefilter { origin: String, message: String },
}

/// What a regex will search, which decides what is worth building for it.
#[derive(Clone, Copy)]
pub(super) enum Search {
    /// Rules: the lines that hold one of their keywords, which can be a megabyte of minified code.
    /// A lazy DFA keeps that linear; the literal prefilters and full DFAs that make a regex fast
    /// over a whole file would cost more to build (a one-file scan is mostly this compile) than
    /// they save on a line.
    Lines,
    /// Lines of many texts (a directory scan, the daemon), built like `Lines` but from the rule's
    /// own pattern rather than its lowercase form: compiled once per process, it spares every
    /// text a lowercased copy.
    Bulk,
    /// Allowlists: a candidate secret value. The backtracker and the PikeVM need only the forward
    /// NFA, so the reverse NFA that a DFA needs is not built.
    Short,
}

pub(super) type BuildError = Box<regex_automata::meta::BuildError>;

/// Compiles the patterns of a rule, or of an allowlist (several patterns, one regex), the way every
/// rule runs: over bytes, ASCII classes, no Unicode tables.
pub(super) fn compile(patterns: &[&str], search: Search) -> Result<Regex, BuildError> {
    builder(search).build_many(patterns).map_err(Box::new)
}

/// Compiles a rule from its syntax tree, parsed with the settings of [`compile`].
pub(super) fn compile_tree(tree: &Hir, search: Search) -> Result<Regex, BuildError> {
    builder(search)
        .build_many_from_hir(std::slice::from_ref(tree))
        .map_err(Box::new)
}

/// The settings every rule compiles with.
fn builder(search: Search) -> regex_automata::meta::Builder {
    let mut builder = Regex::builder();
    builder
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            Regex::config()
                .utf8_empty(false)
                .auto_prefilter(false)
                .dfa(false)
                .onepass(false)
                .hybrid(matches!(search, Search::Lines | Search::Bulk))
                .nfa_size_limit(Some(16 * 1024 * 1024)),
        );
    builder
}

/// Parses a rule file at run time. Its text is leaked: a rule file is loaded once and lives as
/// long as the process, like the embedded rules.
pub(super) fn parse(src: &str, origin: &str) -> Result<RuleSet, Error> {
    let mut file: File = toml::from_str(src).map_err(|e| Error::Toml {
        origin: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let rule_err = |id: &str, message: String| Error::Rule {
        origin: origin.to_string(),
        id: id.to_string(),
        message,
    };
    file.normalize()
        .map_err(|(id, message)| rule_err(&id, message))?;
    // Patterns are parsed now, with the settings they compile with (a Unicode class is an error
    // with Unicode off), so that a bad one is a load error, not a panic later; the full compile
    // (the expensive part) waits until a keyword hits.
    let check = |p: &str| {
        super::hircode::parse(p)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    for p in &file.allowlist.regexes {
        check(p).map_err(|e| Error::Toml {
            origin: origin.to_string(),
            message: format!("invalid allowlist regex {p:?}: {e}"),
        })?;
    }
    for raw in &file.rules {
        check(&raw.regex).map_err(|e| rule_err(&raw.id, format!("invalid regex: {e}")))?;
        for a in &raw.allowlist {
            check(a).map_err(|e| rule_err(&raw.id, format!("invalid allowlist regex: {e}")))?;
        }
    }

    fn leak(s: String) -> &'static str {
        s.leak()
    }
    fn leak_all(v: Vec<String>) -> &'static [&'static str] {
        v.into_iter().map(leak).collect::<Vec<_>>().leak()
    }
    fn allowlist(patterns: Vec<String>) -> Option<&'static Allowlist> {
        (!patterns.is_empty()).then(|| &*Box::leak(Box::new(Allowlist::new(leak_all(patterns)))))
    }
    let global_allow = allowlist(file.allowlist.regexes);
    let rules: Vec<Rule> = file
        .rules
        .into_iter()
        .map(|raw| Rule {
            id: leak(raw.id),
            description: leak(raw.description),
            severity: raw.severity,
            keywords: leak_all(raw.keywords),
            entropy: raw.entropy,
            multiline: raw.multiline,
            public: raw.public,
            examples: leak_all(raw.examples),
            negative_examples: leak_all(raw.negative_examples),
            lowercase: super::casefold::lowercase_form(&raw.regex).map(leak),
            // Rule files loaded at run time are parsed when they compile.
            tree: None,
            gate_tree: None,
            regex_src: leak(raw.regex),
            secret_group: raw.secret_group,
            allowlist: allowlist(raw.allowlist),
            stopwords: leak_all(raw.stopwords),
            compiled: Compiled::new(),
        })
        .collect();
    assemble(rules.leak(), global_allow, origin)
}

/// A rule set over rules already loaded: the keyword prefilter and its map back to the rules.
pub(super) fn assemble(
    rules: &'static [Rule],
    global_allow: Option<&'static Allowlist>,
    origin: &str,
) -> Result<RuleSet, Error> {
    // One prefilter pattern per distinct keyword, mapped back to its rules.
    let mut keywords: Vec<&'static str> = Vec::new();
    let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
    let mut index = rustc_hash::FxHashMap::default();
    let mut unfiltered = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        if rule.keywords.is_empty() {
            unfiltered.push(r);
        }
        for &k in rule.keywords {
            let slot = *index.entry(k).or_insert_with(|| {
                keywords.push(k);
                keyword_rules.push(Vec::new());
                keyword_rules.len() - 1
            });
            if !keyword_rules[slot].contains(&r) {
                keyword_rules[slot].push(r);
            }
        }
    }
    // Case-sensitive over lowercase keywords: it searches a lowercased copy of the text (see
    // `RuleSet::find_with`), and builds in half the time of an ASCII-case-insensitive automaton,
    // which is a fifth of a one-file scan.
    let prefilter = AhoCorasick::builder()
        .ascii_case_insensitive(false)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(&keywords)
        .map_err(|e| Error::Prefilter {
            origin: origin.to_string(),
            message: format!("cannot build keyword prefilter: {e}"),
        })?;

    Ok(RuleSet {
        rules,
        global_allow,
        keywords,
        prefilter,
        fast_prefilter: OnceLock::new(),
        keyword_rules,
        unfiltered,
        caches: Default::default(),
    })
}
