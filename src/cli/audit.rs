//! `pretense audit`: the audit log of proxied requests.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::Context;
use crate::audit::{self, Query};
use crate::exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  pretense audit                          the last 20 requests
  pretense audit --since 24h --format csv > today.csv
  pretense audit --session sess_1a2b3c4d5e6f --format json")]
pub struct AuditArgs {
    /// How many rows (newest first)
    #[arg(long, short = 'n', default_value_t = 20, value_name = "N")]
    pub limit: u64,
    /// Page of `--limit` rows (1-based)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub page: u64,
    /// Only this session
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only rows since this time: RFC 3339 or a duration such as 30m, 24h, 7d
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
}

pub fn run(ctx: &Context, args: AuditArgs) -> anyhow::Result<ExitCode> {
    let since = match &args.since {
        Some(s) => Some(audit::parse_since(s).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let vault = ctx.vault()?;
    let q = Query {
        session: args.session.clone(),
        since,
        page: args.page.max(1),
        per_page: args.limit.clamp(1, 10_000),
    };
    let (entries, total) = audit::query(&vault, &q)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        AuditFormat::Json => {
            let doc = serde_json::json!({"entries": entries, "total": total, "page": q.page, "per_page": q.per_page});
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        AuditFormat::Csv => {
            writeln!(
                out,
                "id,timestamp,session,endpoint,provider,model,tool,streaming,status,duration_ms,mutations,secrets_blocked,secret_rules,pii,error"
            )?;
            for e in &entries {
                let fields = [
                    e.id.clone(),
                    e.timestamp.clone(),
                    e.session.clone(),
                    e.endpoint.clone(),
                    e.provider.clone(),
                    e.model.clone(),
                    e.tool.clone(),
                    e.streaming.to_string(),
                    e.status.to_string(),
                    e.duration_ms.to_string(),
                    e.mutations.to_string(),
                    e.secrets_blocked.to_string(),
                    e.secret_rules.join(" "),
                    e.pii.to_string(),
                    e.error.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        AuditFormat::Table => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        e.id.clone(),
                        e.timestamp.clone(),
                        e.tool.clone(),
                        e.endpoint.clone(),
                        e.model.clone(),
                        e.status.to_string(),
                        format!("{}ms", e.duration_ms),
                        e.mutations.to_string(),
                        if e.secret_rules.is_empty() {
                            e.secrets_blocked.to_string()
                        } else {
                            format!("{} ({})", e.secrets_blocked, e.secret_rules.join(","))
                        },
                        e.session.clone(),
                    ]
                })
                .collect();
            super::write_table(
                &mut out,
                &[
                    "ID",
                    "TIME",
                    "TOOL",
                    "ENDPOINT",
                    "MODEL",
                    "STATUS",
                    "TOOK",
                    "MUTATIONS",
                    "SECRETS",
                    "SESSION",
                ],
                &rows,
            )?;
            if !ctx.global.quiet {
                eprintln!("{} of {total} rows", entries.len());
            }
        }
    }
    out.flush()?;
    Ok(exit::code(exit::SUCCESS))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
