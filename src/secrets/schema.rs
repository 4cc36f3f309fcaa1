//! The rule file format (`rules/secrets.toml`), shared by `build.rs` — which turns the embedded
//! rules into static data so that no process parses TOML to scan — and by the run-time loader of
//! other rule files. It depends on serde alone so that the build script can include it.

use serde::{Deserialize, Serialize};

/// How bad a leak of this kind of secret is. Read in any case (`High`, `high`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl TryFrom<String> for Severity {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?} (expected low, medium, high or critical)"
            )),
        }
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    pub allowlist: GlobalAllow,
    pub rules: Vec<RawRule>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GlobalAllow {
    /// Documentation for humans reading the file.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: String,
    /// Regexes over the secret value: placeholders and documentation examples.
    #[serde(default)]
    pub regexes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub description: String,
    pub regex: String,
    #[serde(default)]
    pub secret_group: Option<usize>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub entropy: Option<f64>,
    pub severity: Severity,
    #[serde(default)]
    pub multiline: bool,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub allowlist: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

impl File {
    /// Lowercases keywords and stopwords (both match case-insensitively) and rejects duplicate
    /// ids; the error is `(rule id, message)`.
    pub fn normalize(&mut self) -> Result<(), (String, String)> {
        let mut seen = std::collections::HashSet::new();
        for rule in &mut self.rules {
            if !seen.insert(rule.id.clone()) {
                return Err((rule.id.clone(), "duplicate id".into()));
            }
            for word in rule.keywords.iter_mut().chain(&mut rule.stopwords) {
                word.make_ascii_lowercase();
            }
        }
        Ok(())
    }
}
