//! Loading a rule file (`rules/secrets.toml` format) into a [`RuleSet`]: schema, validation and the
//! keyword prefilter.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Deserialize;

use super::{Rule, RuleSet, Severity};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allowlist: GlobalAllow,
    rules: Vec<RawRule>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GlobalAllow {
    #[serde(default)]
    #[allow(dead_code)] // documentation for humans reading the file
    description: String,
    /// Regexes over the secret value: placeholders and documentation examples.
    #[serde(default)]
    regexes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    description: String,
    regex: String,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    entropy: Option<f64>,
    severity: String,
    #[serde(default)]
    multiline: bool,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    allowlist: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

/// Compiles a rule regex the way every rule is run: over bytes, ASCII classes, no Unicode tables.
pub(super) fn compile(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(16 * 1024 * 1024)
        .build()
}

/// Parses a rule file. `trusted` (the embedded rules, compiled by a unit test) skips the regex
/// syntax check that makes a user's bad pattern a load error rather than a panic later.
pub(super) fn parse(src: &str, origin: &str, trusted: bool) -> Result<RuleSet, Error> {
    let file: File = toml::from_str(src).map_err(|e| Error::Toml {
        origin: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let rule_err = |id: &str, message: String| Error::Rule {
        origin: origin.to_string(),
        id: id.to_string(),
        message,
    };

    let mut rules = Vec::with_capacity(file.rules.len());
    let mut seen = std::collections::HashSet::new();
    for raw in file.rules {
        if !seen.insert(raw.id.clone()) {
            return Err(rule_err(&raw.id, "duplicate id".into()));
        }
        let severity: Severity = raw.severity.parse().map_err(|e| rule_err(&raw.id, e))?;
        // Syntax is checked now so that a bad pattern is a load error, not a panic later; the
        // full compile (the expensive part) waits until a keyword hits.
        if !trusted {
            regex_syntax::ast::parse::Parser::new()
                .parse(&raw.regex)
                .map_err(|e| rule_err(&raw.id, format!("invalid regex: {e}")))?;
            for a in &raw.allowlist {
                regex_syntax::ast::parse::Parser::new()
                    .parse(a)
                    .map_err(|e| rule_err(&raw.id, format!("invalid allowlist regex: {e}")))?;
            }
        }
        rules.push(Rule {
            id: raw.id,
            description: raw.description,
            severity,
            keywords: raw.keywords,
            entropy: raw.entropy,
            multiline: raw.multiline,
            public: raw.public,
            examples: raw.examples,
            negative_examples: raw.negative_examples,
            regex_src: raw.regex,
            secret_group: raw.secret_group,
            allowlist_src: raw.allowlist,
            stopwords: raw
                .stopwords
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            compiled: OnceLock::new(),
        });
    }

    let global_allow = file
        .allowlist
        .regexes
        .iter()
        .map(|p| {
            compile(p).map_err(|e| Error::Toml {
                origin: origin.to_string(),
                message: format!("invalid allowlist regex {p:?}: {e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    // One prefilter pattern per distinct (lowercased) keyword, mapped back to its rules.
    let mut keywords: Vec<String> = Vec::new();
    let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut unfiltered = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        if rule.keywords.is_empty() {
            unfiltered.push(r);
        }
        for k in &rule.keywords {
            let k = k.to_ascii_lowercase();
            let slot = *index.entry(k.clone()).or_insert_with(|| {
                keywords.push(k);
                keyword_rules.push(Vec::new());
                keyword_rules.len() - 1
            });
            if !keyword_rules[slot].contains(&r) {
                keyword_rules[slot].push(r);
            }
        }
    }
    let prefilter = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(&keywords)
        .map_err(|e| Error::Prefilter {
            origin: origin.to_string(),
            message: format!("cannot build keyword prefilter: {e}"),
        })?;

    Ok(RuleSet {
        rules,
        keywords,
        prefilter,
        fast_prefilter: OnceLock::new(),
        keyword_rules,
        unfiltered,
        global_allow,
    })
}
