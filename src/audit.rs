//! The audit log: one row per proxied request in the `audit` table of `pretense.db` — who called,
//! which endpoint and model, how it went, how many names, terms, PII values and secrets were
//! replaced, and which secret rules fired. Never an original name, a secret or a PII value.
//!
//! Writes go through one writer thread over a bounded channel, so SQLite never blocks a request;
//! a full queue or a failed write is logged and counted, and the request goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::batch::BatchWriter;
use crate::mutate::Vault;
use crate::mutate::vault::Error;

/// One request, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// `aud_<n>` once stored; empty before.
    pub id: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub session: String,
    pub endpoint: String,
    pub provider: String,
    pub model: String,
    /// The calling tool, from the User-Agent (see [`tool_from_user_agent`]).
    pub tool: String,
    pub streaming: bool,
    /// The upstream status, or pretense's own when it refused the request.
    pub status: u16,
    pub duration_ms: u64,
    pub mutations: u64,
    pub secrets_blocked: u64,
    pub secret_rules: Vec<String>,
    pub pii: u64,
    /// Why pretense refused or failed the request (never containing a value), else empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// Known clients by a User-Agent substring (lowercase), first match wins. Data, not code paths.
const TOOLS: &[(&str, &str)] = &[
    ("claude-cli", "claude-code"),
    ("claude-code", "claude-code"),
    ("cursor", "cursor"),
    ("codex", "codex"),
    ("aider", "aider"),
    ("continue", "continue"),
    ("anthropic/", "anthropic-sdk"),
    ("openai/", "openai-sdk"),
    ("curl/", "curl"),
];

/// The calling tool named by a User-Agent header.
pub fn tool_from_user_agent(ua: Option<&str>) -> &'static str {
    let Some(ua) = ua else { return "unknown" };
    let ua = ua.to_ascii_lowercase();
    TOOLS
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map_or("unknown", |(_, tool)| tool)
}

/// Which rows to read.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub session: Option<String>,
    /// RFC 3339 lower bound (inclusive).
    pub since: Option<String>,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

/// Reads a page of events, newest first, and the total matching.
pub fn query(vault: &Vault, q: &Query) -> Result<(Vec<Event>, u64), Error> {
    vault.with_conn(|c| {
        let filter = "WHERE (?1 IS NULL OR session = ?1) AND (?2 IS NULL OR ts >= ?2)";
        let total: i64 = c.query_row(
            &format!("SELECT COUNT(*) FROM audit {filter}"),
            rusqlite::params![q.session, q.since],
            |r| r.get(0),
        )?;
        let per_page = q.per_page.max(1);
        let offset = (q.page.max(1) - 1) * per_page;
        let mut stmt = c.prepare(&format!(
            "SELECT id, ts, session, endpoint, provider, model, tool, streaming, status, duration_ms,
                    mutations, secrets_blocked, secret_rules, pii, error
             FROM audit {filter} ORDER BY id DESC LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = stmt.query_map(
            rusqlite::params![q.session, q.since, per_page as i64, offset as i64],
            |r| {
                let rules: String = r.get(12)?;
                Ok(Event {
                    id: format!("aud_{:03}", r.get::<_, i64>(0)?),
                    timestamp: r.get(1)?,
                    session: r.get(2)?,
                    endpoint: r.get(3)?,
                    provider: r.get(4)?,
                    model: r.get(5)?,
                    tool: r.get(6)?,
                    streaming: r.get(7)?,
                    status: r.get(8)?,
                    duration_ms: r.get::<_, i64>(9)? as u64,
                    mutations: r.get::<_, i64>(10)? as u64,
                    secrets_blocked: r.get::<_, i64>(11)? as u64,
                    secret_rules: serde_json::from_str(&rules).unwrap_or_default(),
                    pii: r.get::<_, i64>(13)? as u64,
                    error: r.get(14)?,
                })
            },
        )?;
        let events = rows.collect::<Result<Vec<_>, _>>()?;
        Ok((events, total as u64))
    })
}

fn insert(vault: &Vault, events: &[Event]) -> Result<(), Error> {
    vault.write(|tx| {
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO audit (ts, session, endpoint, provider, model, tool, streaming, status,
                    duration_ms, mutations, secrets_blocked, secret_rules, pii, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for e in events {
                stmt.execute(rusqlite::params![
                    e.timestamp,
                    e.session,
                    e.endpoint,
                    e.provider,
                    e.model,
                    e.tool,
                    e.streaming,
                    e.status,
                    e.duration_ms as i64,
                    e.mutations as i64,
                    e.secrets_blocked as i64,
                    serde_json::to_string(&e.secret_rules).unwrap_or_else(|_| "[]".into()),
                    e.pii as i64,
                    e.error,
                ])?;
            }
        }
        Ok(())
    })
}

/// Queue depth before events are dropped (and counted): far above any real request rate.
const QUEUE: usize = 4096;

/// The asynchronous audit writer.
#[derive(Clone)]
pub struct Writer {
    queue: BatchWriter<Event>,
    /// Events that could not be written (queue full or SQLite error).
    pub failures: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer thread on `vault`.
    pub fn start(vault: Arc<Vault>) -> std::io::Result<Writer> {
        let failures = Arc::new(AtomicU64::new(0));
        let f = failures.clone();
        let queue = BatchWriter::start("pretense-audit", QUEUE, move |batch: Vec<Event>| {
            if let Err(e) = insert(&vault, &batch) {
                f.fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::warn!("audit write failed ({} rows dropped): {e}", batch.len());
            }
            // This thread is off the request path: the WAL checkpoints a daemon defers run here.
            match vault.checkpoint_if_due() {
                Some(Err(e)) => tracing::warn!("WAL checkpoint failed (retried later): {e}"),
                Some(Ok(c)) if c.busy => tracing::debug!("WAL checkpoint: busy, retried later"),
                Some(Ok(c)) if c.copied < c.log => {
                    tracing::debug!("WAL checkpoint: {} of {} frames copied", c.copied, c.log)
                }
                _ => {}
            }
        })?;
        Ok(Writer { queue, failures })
    }

    /// Queues an event; never blocks.
    pub fn record(&self, event: Event) {
        if let Err(why) = self.queue.send(event) {
            self.failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("an audit row was dropped: {why}");
        }
    }

    /// Waits until the rows queued so far are written (a stopping daemon calls this).
    pub fn flush(&self, timeout: std::time::Duration) -> bool {
        self.queue.flush(timeout)
    }
}

/// The current time as RFC 3339 (UTC, seconds).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Parses `--since`: RFC 3339, or a duration back from now (`30m`, `24h`, `7d`, `90s`).
pub fn parse_since(s: &str) -> Result<String, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return t
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|e| e.to_string());
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().map_err(|_| {
        format!("invalid time {s:?}: use RFC 3339 (2026-01-31T12:00:00Z) or a duration like 24h")
    })?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        "w" => n * 7 * 86_400,
        _ => {
            return Err(format!(
                "invalid duration unit in {s:?}: use s, m, h, d or w"
            ));
        }
    };
    let t = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .map_err(|e| e.to_string())?
        - time::Duration::seconds(secs);
    t.format(&Rfc3339).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(session: &str, ts: &str) -> Event {
        Event {
            id: String::new(),
            timestamp: ts.into(),
            session: session.into(),
            endpoint: "/v1/messages".into(),
            provider: "anthropic".into(),
            model: "claude-x".into(),
            tool: "curl".into(),
            streaming: false,
            status: 200,
            duration_ms: 12,
            mutations: 3,
            secrets_blocked: 1,
            secret_rules: vec!["github_pat".into()],
            pii: 0,
            error: String::new(),
        }
    }

    /// A daemon's deferred WAL checkpoints run on the writer's thread, after its writes.
    #[test]
    fn the_writer_runs_the_deferred_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Arc::new(Vault::open(&dir.path().join("pretense.db")).unwrap());
        // Once per hour: a checkpoint that ran can only be the writer's.
        vault
            .defer_checkpoints_every(std::time::Duration::from_secs(3600))
            .unwrap();
        let w = Writer::start(vault.clone()).unwrap();
        w.record(event("sess_a", "2026-01-01T00:00:00Z"));
        assert!(w.flush(std::time::Duration::from_secs(30)), "row written");
        assert!(
            vault.checkpoint_if_due().is_none(),
            "the writer checkpointed after its write"
        );
        // And that checkpoint copied the log: asked without doing anything, SQLite says so.
        let look = rusqlite::Connection::open(dir.path().join("pretense.db")).unwrap();
        let (log, copied): (i64, i64) = look
            .query_row("PRAGMA wal_checkpoint(NOOP)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert!(log > 0 && copied == log, "log {log}, copied {copied}");
    }

    #[test]
    fn write_and_query_pages() {
        let vault = Arc::new(Vault::open_in_memory().unwrap());
        let w = Writer::start(vault.clone()).unwrap();
        for i in 0..5 {
            w.record(event(
                if i % 2 == 0 { "sess_a" } else { "sess_b" },
                &format!("2026-01-0{}T00:00:00Z", i + 1),
            ));
        }
        assert!(w.flush(std::time::Duration::from_secs(30)), "rows written");
        let (page, total) = query(
            &vault,
            &Query {
                page: 1,
                per_page: 2,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(total, 5);
        assert_eq!(page.len(), 2);
        assert_eq!(page[0].id, "aud_005", "newest first");
        assert_eq!(page[0].secret_rules, ["github_pat"]);
        let (_, total) = query(
            &vault,
            &Query {
                session: Some("sess_a".into()),
                page: 1,
                per_page: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(total, 3);
        let (since, _) = query(
            &vault,
            &Query {
                since: Some("2026-01-04T00:00:00Z".into()),
                page: 1,
                per_page: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(since.len(), 2);
        assert_eq!(w.failures.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn tools_and_since() {
        assert_eq!(
            tool_from_user_agent(Some("claude-cli/2.0.1 (external, cli)")),
            "claude-code"
        );
        assert_eq!(
            tool_from_user_agent(Some("OpenAI/Python 1.99.0")),
            "openai-sdk"
        );
        assert_eq!(
            tool_from_user_agent(Some("Anthropic/Python 0.60.0")),
            "anthropic-sdk"
        );
        assert_eq!(tool_from_user_agent(Some("codex_cli_rs/0.50.0")), "codex");
        assert_eq!(tool_from_user_agent(Some("curl/8.5.0")), "curl");
        assert_eq!(tool_from_user_agent(None), "unknown");
        assert!(parse_since("24h").unwrap().ends_with('Z'));
        assert_eq!(
            parse_since("2026-01-31T12:00:00+01:00").unwrap(),
            "2026-01-31T11:00:00Z"
        );
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("3y").is_err());
    }
}
