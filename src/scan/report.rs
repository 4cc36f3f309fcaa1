//! The scan report and its three renderings: text for people, JSON for tools (the `POST /scan`
//! shape), SARIF 2.1.0 for code-scanning dashboards. SARIF is written with `serde_json` directly:
//! the handful of fields GitHub reads do not justify the generated `serde-sarif` type tree.

use std::io::Write;

use serde::Serialize;
use serde_json::json;

use crate::secrets::Severity;
use crate::term::Paint;

/// Output format of `pretense scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// One secret in the report. Holds a masked preview, never the value.
#[derive(Debug, Clone, Serialize)]
pub struct SecretHit {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(rename = "type")]
    pub rule: String,
    pub description: String,
    pub severity: Severity,
    pub fingerprint: String,
    #[serde(skip)]
    pub preview: String,
}

/// One declared name (filled once identifier extraction is enabled).
#[derive(Debug, Clone, Serialize)]
pub struct IdentifierHit {
    pub file: String,
    pub name: String,
    pub kind: String,
    pub mutable: bool,
    pub line: usize,
}

/// Totals for the whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files_scanned: u64,
    pub files_skipped: u64,
    pub files_errored: u64,
    pub bytes_scanned: u64,
    pub secrets_found: u64,
    pub identifiers_found: u64,
    pub risk_score: u32,
    /// Wall time, for people; not part of the JSON contract.
    #[serde(skip)]
    pub elapsed: std::time::Duration,
}

/// The whole result of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub secrets: Vec<SecretHit>,
    pub identifiers: Vec<IdentifierHit>,
    pub summary: Summary,
}

impl Report {
    /// Sorts findings, fills the summary's derived fields.
    pub fn finish(&mut self) {
        self.secrets.sort_by(|a, b| {
            (a.file.as_str(), a.line, a.column, a.rule.as_str()).cmp(&(
                b.file.as_str(),
                b.line,
                b.column,
                b.rule.as_str(),
            ))
        });
        self.identifiers
            .sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        self.summary.secrets_found = self.secrets.len() as u64;
        self.summary.identifiers_found = self.identifiers.len() as u64;
        self.summary.risk_score = super::risk_score(self.secrets.iter().map(|s| s.severity));
    }

    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.secrets.iter().map(|s| s.severity).max()
    }

    pub fn write(&self, format: Format, paint: Paint, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Text => self.write_text(paint, out),
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                writeln!(out)
            }
            Format::Sarif => {
                serde_json::to_writer_pretty(&mut *out, &self.sarif())?;
                writeln!(out)
            }
        }
    }

    fn write_text(&self, paint: Paint, out: &mut dyn Write) -> std::io::Result<()> {
        let width = self.secrets.iter().map(|s| s.rule.len()).max().unwrap_or(0);
        for s in &self.secrets {
            let place = format!(
                "{}:{}:{}",
                paint.path(&s.file),
                paint.number(&s.line.to_string()),
                paint.number(&s.column.to_string())
            );
            let sev = paint.severity(s.severity);
            let pad = " ".repeat(8 - s.severity.as_str().len());
            writeln!(
                out,
                "{place}  {:width$}  {sev}{pad}  {}",
                s.rule,
                paint.dim(&s.preview)
            )?;
        }
        writeln!(out, "{}", self.summary_line(paint))
    }

    fn summary_line(&self, paint: Paint) -> String {
        let s = &self.summary;
        let files_with: std::collections::BTreeSet<&str> =
            self.secrets.iter().map(|h| h.file.as_str()).collect();
        let head = if self.secrets.is_empty() {
            "no secrets found".to_string()
        } else {
            let mut by_sev = Vec::new();
            for sev in [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low,
            ] {
                let n = self.secrets.iter().filter(|h| h.severity == sev).count();
                if n > 0 {
                    by_sev.push(format!("{n} {}", sev.as_str()));
                }
            }
            format!(
                "{} in {} {} ({})",
                plural(self.secrets.len() as u64, "secret"),
                files_with.len(),
                if files_with.len() == 1 {
                    "file"
                } else {
                    "files"
                },
                by_sev.join(", ")
            )
        };
        let mut tail = format!(
            "{} scanned ({})",
            plural(s.files_scanned, "file"),
            human_bytes(s.bytes_scanned)
        );
        if s.files_skipped > 0 {
            tail.push_str(&format!(", {} skipped", s.files_skipped));
        }
        if s.files_errored > 0 {
            tail.push_str(&format!(", {} unreadable", s.files_errored));
        }
        if !s.elapsed.is_zero() {
            tail.push_str(&format!(" in {:.2}s", s.elapsed.as_secs_f64()));
        }
        format!("{} · {} · risk {}", paint.bold(&head), tail, s.risk_score)
    }

    /// SARIF 2.1.0 as GitHub code scanning accepts it: one run, rules for the ids that occur,
    /// results with a region and a partial fingerprint.
    pub fn sarif(&self) -> serde_json::Value {
        let mut rule_ids: Vec<&str> = self.secrets.iter().map(|s| s.rule.as_str()).collect();
        rule_ids.sort_unstable();
        rule_ids.dedup();
        let rules: Vec<serde_json::Value> = rule_ids
            .iter()
            .map(|id| {
                let hit = self.secrets.iter().find(|s| s.rule == *id).expect("id from hits");
                json!({
                    "id": id,
                    "name": id,
                    "shortDescription": { "text": hit.description },
                    "fullDescription": { "text": format!("{} detected by pretense", hit.description) },
                    "defaultConfiguration": { "level": sarif_level(hit.severity) },
                    "properties": {
                        "tags": ["security", "secret"],
                        "security-severity": security_severity(hit.severity),
                    }
                })
            })
            .collect();
        let results: Vec<serde_json::Value> = self
            .secrets
            .iter()
            .map(|s| {
                let index = rule_ids.binary_search(&s.rule.as_str()).unwrap_or(0);
                json!({
                    "ruleId": s.rule,
                    "ruleIndex": index,
                    "level": sarif_level(s.severity),
                    "message": { "text": format!("{} ({} severity)", s.description, s.severity.as_str()) },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": sarif_uri(&s.file) },
                            "region": {
                                "startLine": s.line,
                                "startColumn": s.column,
                                "endLine": s.end_line,
                                "endColumn": s.end_column,
                            }
                        }
                    }],
                    "partialFingerprints": { "pretense/v1": s.fingerprint },
                })
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "pretense",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/pretense-dev/pretense",
                    "rules": rules,
                }},
                "results": results,
            }]
        })
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "7.5",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `1.2 MB`-style sizes (decimal units, as disks and `ls -h --si` count).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A file as a SARIF artifact URI: relative paths as percent-encoded relative references (what
/// GitHub code scanning places in the repository), absolute ones as `file://` URIs.
fn sarif_uri(file: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    // Everything but RFC 3986 unreserved characters and the path separator.
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    let path = file.replace('\\', "/");
    let encoded = utf8_percent_encode(&path, PATH).to_string();
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}
