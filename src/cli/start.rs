//! `pretense start`: the proxy daemon in the foreground, until Ctrl-C or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::Context;
use crate::exit;
use crate::proxy::{Server, Settings};

#[derive(Debug, Args)]
#[command(after_help = "\
Point your tools at it:
  Claude Code        ANTHROPIC_BASE_URL=http://127.0.0.1:9339 claude
  OpenAI SDK, Aider  OPENAI_BASE_URL=http://127.0.0.1:9339/v1
  Codex              openai_base_url = \"http://127.0.0.1:9339/v1\" in ~/.codex/config.toml")]
pub struct StartArgs {
    /// Address to listen on [default: config server.host, 127.0.0.1]
    #[arg(long, env = "PRETENSE_HOST", value_name = "ADDR")]
    pub host: Option<String>,
    /// Port to listen on (0 picks a free one) [default: config server.port, 9339]
    #[arg(long, env = "PRETENSE_PORT", value_name = "PORT")]
    pub port: Option<u16>,
    /// Require this access token on every route (header x-pretense-token or /t/<token>/ prefix)
    #[arg(
        long,
        env = "PRETENSE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Anthropic upstream base URL [default: config upstream.anthropic]
    #[arg(long, env = "PRETENSE_ANTHROPIC_URL", value_name = "URL")]
    pub anthropic_url: Option<String>,
    /// OpenAI upstream base URL [default: config upstream.openai]
    #[arg(long, env = "PRETENSE_OPENAI_URL", value_name = "URL")]
    pub openai_url: Option<String>,
}

pub fn run(ctx: &Context, args: StartArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::from_config(&ctx.config);
    if let Some(h) = args.host {
        settings.host = h;
    }
    if let Some(p) = args.port {
        settings.port = p;
    }
    if let Some(t) = args.token {
        settings.token = t;
    }
    if let Some(u) = args.anthropic_url {
        settings.anthropic = crate::proxy::base_url(&u);
    }
    if let Some(u) = args.openai_url {
        settings.openai = crate::proxy::base_url(&u);
    }
    settings.validate().map_err(anyhow::Error::msg)?;
    let engine = Arc::new(ctx.engine()?);
    crate::secrets::RuleSet::builtin().prepare_for_bulk();
    let scanner = Arc::new(crate::scan::Scanner::new(&ctx.config)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("pretense")
        .build()?;
    let retention = ctx.config.vault.retention_days;
    let vault = engine.vault().clone();
    runtime.block_on(async move {
        let server = Server::start(settings.clone(), engine, scanner).await?;
        // Compiling the declarations queries (about a millisecond per language for the matcher,
        // up to 0.15 s for one left to tree-sitter's engine) and the secret rules (30-50 ms of
        // a first 10 KB request): done now, on a spare thread, so that the first requests do
        // not pay it.
        let _ = std::thread::Builder::new()
            .name("pretense-prepare".into())
            .spawn(|| {
                crate::lang::all()
                    .iter()
                    .for_each(crate::lang::Lang::prepare);
                crate::secrets::RuleSet::builtin().compile_for_bulk();
            });
        // A daemon runs for weeks: forget names unseen for `retention_days` once a day too.
        if retention > 0 {
            tokio::spawn(async move {
                let mut daily = tokio::time::interval(std::time::Duration::from_secs(86_400));
                daily.tick().await;
                loop {
                    daily.tick().await;
                    let v = vault.clone();
                    match tokio::task::spawn_blocking(move || v.expire(retention)).await {
                        Ok(Ok(n)) if n > 0 => {
                            tracing::info!("vault: forgot {n} names unseen for {retention} days")
                        }
                        Ok(Err(e)) => tracing::warn!("vault expiry failed: {e}"),
                        _ => {}
                    }
                }
            });
        }
        let addr = server.addr();
        if !ctx.global.quiet {
            let host = if addr.ip().is_loopback() {
                "127.0.0.1".to_string()
            } else {
                addr.ip().to_string()
            };
            let prefix = if settings.token.is_empty() {
                String::new()
            } else {
                "/t/<token>".into()
            };
            eprintln!(
                "pretense {} listening on http://{host}:{}{prefix}",
                env!("CARGO_PKG_VERSION"),
                addr.port()
            );
            eprintln!("  anthropic → {}", settings.anthropic);
            eprintln!("  openai    → {}", settings.openai);
            for r in &settings.routes {
                eprintln!("  {}*  → {}", r.prefix, r.url);
            }
            eprintln!("  data dir    {}", ctx.paths.data_dir.display());
            eprintln!("Ctrl-C stops it.");
        }
        shutdown_signal().await;
        if !ctx.global.quiet {
            eprintln!("pretense: shutting down");
        }
        server.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(exit::code(exit::SUCCESS))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
