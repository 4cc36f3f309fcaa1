//! `--baseline FILE`: findings recorded in an earlier JSON report are not reported again. They are
//! matched by fingerprint, which does not change when lines move.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, bail};

/// Reads the fingerprints of every secret in a `pretense scan --format json` report.
pub fn load(path: &Path) -> anyhow::Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading baseline {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "baseline {} is not JSON; create it with `pretense scan --format json > {}`",
            path.display(),
            path.display()
        )
    })?;
    let Some(secrets) = doc.get("secrets").and_then(|s| s.as_array()) else {
        bail!(
            "baseline {} has no \"secrets\" list; create it with `pretense scan --format json`",
            path.display()
        );
    };
    Ok(secrets
        .iter()
        .filter_map(|s| s.get("fingerprint").and_then(|f| f.as_str()))
        .map(str::to_string)
        .collect())
}
