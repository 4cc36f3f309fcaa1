//! `pretense redact` and `pretense restore`: the engine on a file or stdin.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use crate::exit;
use crate::lang;
use crate::mutate::{Error as EngineError, Input};

/// Output format of `pretense redact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RedactFormat {
    /// The rewritten text, byte for byte
    Text,
    /// `{ text, session, mutations, secrets, identifiers, pii, terms }`
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  pretense redact src/auth.ts                 rewritten file on stdout
  git diff | pretense redact - --lang go      stdin, parsed as Go
  pretense redact notes.md --format json      counts and the session id
  pretense redact a.py | pretense restore -   round trip")]
pub struct RedactArgs {
    /// File to rewrite; `-` reads stdin
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
    /// Parse the whole input as this language (typescript, tsx, javascript, python, go, java)
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// The input's file path, for the language and `allow_paths` (defaults to FILE)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = RedactFormat::Text)]
    pub format: RedactFormat,
    /// Session id to report (default: a new one)
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Names, dictionary terms and PII come back from the vault. Secret values live only in the memory
of the process that redacted them, so their placeholders stay as they are here.")]
pub struct RestoreArgs {
    /// File to restore; `-` reads stdin
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
}

fn read_input(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("reading stdin")?;
        Ok(buf)
    } else {
        std::fs::read(file).with_context(|| format!("reading {}", file.display()))
    }
}

pub fn run_redact(ctx: &Context, args: RedactArgs) -> anyhow::Result<ExitCode> {
    let lang_hint = match &args.lang {
        Some(name) => Some(lang::from_name(name).with_context(|| {
            format!(
                "unknown language {name:?}; use one of: {}",
                lang::all()
                    .iter()
                    .map(|l| l.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
        None => None,
    };
    let data = read_input(&args.file)?;
    let path = args.path.clone().or_else(|| {
        (args.file.as_os_str() != "-").then(|| args.file.to_string_lossy().into_owned())
    });
    let engine = ctx.engine()?;
    let input = Input {
        text: &data,
        lang: lang_hint,
        path: path.as_deref(),
    };
    let redaction = match engine.redact(&[input]) {
        Ok(r) => r,
        Err(EngineError::Blocked(hits)) => {
            let err = EngineError::Blocked(hits);
            eprintln!("pretense: {err}");
            return Ok(exit::code(exit::FINDINGS));
        }
        Err(e) => return Err(e.into()),
    };
    let text = &redaction.texts[0];
    let mut out = std::io::stdout().lock();
    match args.format {
        RedactFormat::Text => out.write_all(text)?,
        RedactFormat::Json => {
            let session = args.session.clone().unwrap_or_else(new_session);
            let doc = serde_json::json!({
                "text": String::from_utf8_lossy(text),
                "session": session,
                "mutations": redaction.mutations(),
                "secrets": redaction.secret_count(),
                "identifiers": redaction.identifiers,
                "pii": redaction.pii,
                "terms": redaction.terms,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if !ctx.global.quiet && redaction.secret_count() > 0 {
        eprintln!(
            "pretense: {} secret value(s) replaced; `pretense restore` cannot bring them back (they are never stored)",
            redaction.secret_count()
        );
    }
    Ok(exit::code(exit::SUCCESS))
}

fn new_session() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    format!("sess_{}", hex::encode(b))
}

pub fn run_restore(ctx: &Context, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let data = read_input(&args.file)?;
    let engine = ctx.engine()?;
    let mut restorer = engine.restorer(None, crate::mutate::Escape::None);
    let mut text = restorer.push_bytes(&data);
    text.extend(restorer.finish_bytes());
    let mut out = std::io::stdout().lock();
    out.write_all(&text)?;
    out.flush()?;
    let left = count_secret_placeholders(&text);
    if left > 0 && !ctx.global.quiet {
        eprintln!(
            "pretense: {left} secret placeholder(s) left as they are: secret values live only in the \
             memory of the process that redacted them"
        );
    }
    Ok(exit::code(exit::SUCCESS))
}

fn count_secret_placeholders(text: &[u8]) -> usize {
    memchr::memmem::find_iter(text, b"PRETENSE_SECRET_").count()
}
