//! `pretense scan`: walker → detector → report. The detector ([`Scanner`]) works on one buffer and
//! is shared by the CLI (files, stdin, the git index) and the proxy's `POST /scan`.
//!
//! Reports never hold a secret value: only its location, rule, fingerprint and a masked preview.

mod baseline;
pub mod report;
mod staged;
mod walk;

use std::collections::HashSet;

use globset::{GlobSet, GlobSetBuilder};
use sha2::{Digest, Sha256};

pub use baseline::load as load_baseline;
pub use report::{Format, IdentifierHit, Report, SecretHit, Summary};
pub use staged::scan_staged;
pub use walk::scan_paths;

use crate::config;
use crate::lang::{self, Lang};
use crate::secrets::{Finding, RuleSet, Severity};

/// Bytes inspected for a NUL to call a file binary (the same heuristic as git and ripgrep).
const BINARY_PROBE_BYTES: usize = 8 * 1024;

/// Findings the user has accepted: config allowlists and a baseline report.
#[derive(Debug, Default)]
pub struct Allow {
    paths: Option<GlobSet>,
    rules: HashSet<String>,
    values: Vec<regex::bytes::Regex>,
    fingerprints: HashSet<String>,
}

impl Allow {
    /// Builds the allowlists of `[secrets]`. The config loader has already validated the patterns.
    pub fn from_config(secrets: &config::Secrets) -> anyhow::Result<Allow> {
        let paths = if secrets.allow_paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for g in &secrets.allow_paths {
                b.add(globset::Glob::new(g)?);
            }
            Some(b.build()?)
        };
        let values = secrets
            .allow_values
            .iter()
            .map(|p| regex::bytes::Regex::new(p))
            .collect::<Result<_, _>>()?;
        Ok(Allow {
            paths,
            rules: secrets.allow_rules.iter().cloned().collect(),
            values,
            fingerprints: HashSet::new(),
        })
    }

    /// Also ignores every finding whose fingerprint is in `fingerprints` (from `--baseline`).
    pub fn with_baseline(mut self, fingerprints: HashSet<String>) -> Allow {
        self.fingerprints = fingerprints;
        self
    }

    fn path_allowed(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match(path))
    }
}

/// The per-buffer detector, shared read-only by all walker threads.
#[derive(Debug)]
pub struct Scanner {
    pub rules: &'static RuleSet,
    pub allow: Allow,
    pub max_file_bytes: u64,
    /// Also list declared identifiers (single files, `--identifiers`): costs a parse per file.
    pub identifiers: bool,
    /// Also report keys that are public by design (`--include-public`).
    pub include_public: bool,
    /// `[identifiers] never`, by lowercase words: listed as not mutable.
    never: HashSet<Vec<String>>,
    /// `[identifiers] always`: listed as mutable.
    always: HashSet<Vec<String>>,
}

/// What scanning one buffer produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub secrets: Vec<SecretHit>,
    pub identifiers: Vec<IdentifierHit>,
    /// Skipped as binary (or too large, for callers that check the size first).
    pub skipped: bool,
    pub bytes: u64,
}

impl Scanner {
    /// A scanner with the built-in rules and the config's allowlists.
    pub fn new(config: &config::Config) -> anyhow::Result<Scanner> {
        Ok(Scanner {
            rules: RuleSet::builtin(),
            allow: Allow::from_config(&config.secrets)?,
            max_file_bytes: config.scan.max_file_bytes,
            identifiers: false,
            include_public: false,
            never: config
                .identifiers
                .never
                .iter()
                .map(|n| crate::mutate::words::words_of(n))
                .collect(),
            always: config
                .identifiers
                .always
                .iter()
                .map(|n| crate::mutate::words::words_of(n))
                .collect(),
        })
    }

    /// The names `data`'s code declares, with whether pretense renames them. The language comes
    /// from `lang`, else the path, else detection; text that is not code has none. A text
    /// analysed `alone` (not beside other files on the other cores) is parsed on every core.
    fn identifiers_in(
        &self,
        path: &str,
        data: &[u8],
        lang: Option<&'static Lang>,
        alone: bool,
    ) -> Vec<IdentifierHit> {
        let text = String::from_utf8_lossy(data);
        let Some(lang) = lang
            .or_else(|| lang::from_path(path))
            .or_else(|| lang::detect(&text))
        else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        let analysis = if alone {
            lang.analyze_on_every_core(&text)
        } else {
            lang.analyze(&text)
        };
        analysis
            .declarations
            .into_iter()
            .filter(|d| seen.insert((d.name.clone(), d.kind, d.line)))
            .map(|d| {
                let words = crate::mutate::words::words_of(&d.name);
                let mutable =
                    (d.mutable || self.always.contains(&words)) && !self.never.contains(&words);
                IdentifierHit {
                    file: path.to_string(),
                    name: d.name,
                    kind: d.kind.as_str().to_string(),
                    mutable,
                    line: d.line,
                }
            })
            .collect()
    }

    /// Scans one buffer. `path` is the path as the user gave it (or `-`, or the repository path):
    /// it appears in the report and in the fingerprint. `alone`: no other file is being scanned
    /// meanwhile (files named on the command line, staged files), so its code may be parsed on
    /// every core; a directory walk already keeps the cores busy with one file each.
    pub fn scan_bytes(&self, path: &str, data: &[u8], alone: bool) -> FileOutcome {
        let mut out = self.scan_secrets(path, data);
        if self.identifiers && !out.skipped {
            out.identifiers = self.identifiers_in(path, data, None, alone);
        }
        out
    }

    /// [`Scanner::scan_bytes`] without identifiers.
    fn scan_secrets(&self, path: &str, data: &[u8]) -> FileOutcome {
        if is_binary(data) {
            return FileOutcome {
                skipped: true,
                ..FileOutcome::default()
            };
        }
        let mut out = FileOutcome {
            bytes: data.len() as u64,
            ..FileOutcome::default()
        };
        if self.allow.path_allowed(path) {
            return out;
        }
        let findings = self.rules.find_with(data, self.include_public);
        let mut lines = LineIndex::new(data);
        for f in findings {
            if let Some(hit) = self.hit(path, data, &f, &mut lines) {
                out.secrets.push(hit);
            }
        }
        out
    }

    fn hit(
        &self,
        path: &str,
        data: &[u8],
        f: &Finding,
        lines: &mut LineIndex,
    ) -> Option<SecretHit> {
        let rule = self.rules.rule(f.rule);
        let value = &data[f.span.clone()];
        if self.allow.rules.iter().any(|a| a == rule.id)
            || self.allow.values.iter().any(|r| r.is_match(value))
        {
            return None;
        }
        let fingerprint = fingerprint(rule.id, path, value);
        if self.allow.fingerprints.contains(&fingerprint) {
            return None;
        }
        let (line, column) = lines.position(f.span.start);
        let (end_line, end_column) = lines.position(f.span.end);
        Some(SecretHit {
            file: path.to_string(),
            line,
            column,
            end_line,
            end_column,
            rule: rule.id.to_string(),
            description: rule.description.to_string(),
            severity: rule.severity,
            fingerprint,
            preview: mask(value),
        })
    }
}

/// A one-text report (stdin, `POST /scan`), with identifiers when asked.
pub fn report_for_text(
    scanner: &Scanner,
    path: &str,
    data: &[u8],
    lang: Option<&'static Lang>,
    identifiers: bool,
) -> Report {
    let mut report = Report::default();
    let outcome = scanner.scan_secrets(path, data);
    if outcome.skipped {
        report.summary.files_skipped = 1;
    } else {
        report.summary.files_scanned = 1;
        report.summary.bytes_scanned = outcome.bytes;
        report.secrets = outcome.secrets;
        if identifiers {
            report.identifiers = scanner.identifiers_in(path, data, lang, true);
        }
    }
    report.finish();
    report
}

/// `sha256(rule | path | value)`, first 16 hex digits: stable across machines and line moves.
pub fn fingerprint(rule: &str, path: &str, value: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update(b"|");
    h.update(path.as_bytes());
    h.update(b"|");
    h.update(value);
    hex::encode(&h.finalize()[..8])
}

/// The first 4 characters of the value, then one `*` per remaining character (at most 16).
pub fn mask(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(4).filter(|c| !c.is_control()).collect();
    let rest = chars.count().min(16);
    format!("{head}{}", "*".repeat(rest))
}

/// Binary files have a NUL in their first bytes; scanning them yields noise and wastes time.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_PROBE_BYTES)]).is_some()
}

/// 0 when clean; otherwise a base for the worst severity plus one point per further finding.
/// Any critical finding scores at least 90.
pub fn risk_score(severities: impl IntoIterator<Item = Severity>) -> u32 {
    let mut worst: Option<Severity> = None;
    let mut count = 0u32;
    for s in severities {
        count += 1;
        worst = worst.max(Some(s));
    }
    let base = match worst {
        None => return 0,
        Some(Severity::Low) => 20,
        Some(Severity::Medium) => 45,
        Some(Severity::High) => 70,
        Some(Severity::Critical) => 90,
    };
    (base + count.saturating_sub(1)).min(if base == 90 { 100 } else { base + 9 })
}

/// Converts byte offsets to 1-based line and character columns, moving forward incrementally.
struct LineIndex<'a> {
    data: &'a [u8],
    line: usize,
    line_start: usize,
    pos: usize,
}

impl<'a> LineIndex<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineIndex {
            data,
            line: 1,
            line_start: 0,
            pos: 0,
        }
    }

    fn position(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.pos {
            // Findings arrive in order, but an end offset can precede the next start.
            self.line = 1;
            self.line_start = 0;
            self.pos = 0;
        }
        for i in memchr::memchr_iter(b'\n', &self.data[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + i + 1;
        }
        self.pos = offset;
        let column = self.data[self.line_start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
            + 1;
        (self.line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_short() {
        let a = fingerprint("github_pat", "src/a.ts", b"value");
        assert_eq!(a.len(), 16);
        assert_eq!(a, fingerprint("github_pat", "src/a.ts", b"value"));
        assert_ne!(a, fingerprint("github_pat", "src/b.ts", b"value"));
    }

    #[test]
    fn mask_keeps_four_chars() {
        assert_eq!(mask(b"ghp_abcdefgh"), "ghp_********");
        assert_eq!(mask(b"abc"), "abc");
        assert_eq!(mask(&[b'a'; 100]), format!("aaaa{}", "*".repeat(16)));
    }

    #[test]
    fn risk_scores() {
        assert_eq!(risk_score([]), 0);
        assert!(risk_score([Severity::Critical]) >= 90);
        assert_eq!(risk_score([Severity::Critical; 50]), 100);
        assert!(risk_score([Severity::Low]) < risk_score([Severity::Medium]));
        assert!(risk_score([Severity::High; 30]) < 90);
    }

    #[test]
    fn line_index_counts_chars() {
        let text = "ab\nçé x\n".as_bytes();
        let mut li = LineIndex::new(text);
        assert_eq!(li.position(0), (1, 1));
        let x = text.iter().position(|&b| b == b'x').unwrap();
        assert_eq!(li.position(x), (2, 4));
    }
}
