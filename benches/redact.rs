//! Rewrite throughput beside the physical floor: bare tree-sitter parsing, parsing plus the
//! declarations query, and `Engine::redact` on the same code, per language — real code (the
//! Python standard library and npm's JavaScript when this machine has them, the realistic
//! fixtures under `tests/fixtures/realistic/` otherwise) and generated code; a fresh 100 KB
//! prompt; and a 200 KB history resent with 2 KB of new text (the analysis cache).
//! Run with `cargo bench --bench redact`. One thread unless said otherwise.

#[path = "corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pretense::config::Config;
use pretense::mutate::{Engine, Input, NamingKey, Vault};

fn engine() -> Engine {
    Engine::new(
        &Config::default(),
        NamingKey::from_bytes([3; 32]),
        Arc::new(Vault::open_in_memory().expect("vault")),
    )
    .expect("engine")
}

/// Best of `runs` (the least disturbed by the other core's load).
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// Up to `limit` bytes of the files under `dir` ending in `.ext`, in a stable order.
fn gather(dir: &Path, ext: &str, limit: usize) -> String {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if !p.ends_with("test") && !p.ends_with("tests") {
                    walk(&p, ext, out);
                }
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, ext, &mut files);
    let mut code = String::new();
    for f in files {
        if code.len() >= limit {
            break;
        }
        if let Ok(text) = std::fs::read_to_string(&f) {
            code.push_str(&text);
            code.push('\n');
        }
    }
    code
}

/// The output of a command, trimmed, if it ran.
fn output_of(cmd: &str, args: &[&str]) -> Option<PathBuf> {
    let out = Command::new(cmd).args(args).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| PathBuf::from(s.trim()))
}

/// Real code per language: third-party code found on this machine, else the realistic fixtures.
fn real_code() -> Vec<(String, &'static str, String)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realistic");
    let mut out = Vec::new();
    let python = output_of(
        "python3",
        &[
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ],
    )
    .map(|d| gather(&d, "py", 1_000_000))
    .filter(|c| c.len() > 100_000);
    let npm = output_of("npm", &["root", "-g"])
        .map(|d| gather(&d.join("npm/lib"), "js", 1_000_000))
        .filter(|c| c.len() > 100_000);
    for (lang, ext, found, source) in [
        ("python", "py", python, "CPython stdlib"),
        ("javascript", "js", npm, "npm's lib/"),
        ("typescript", "ts", None, ""),
        ("tsx", "tsx", None, ""),
        ("go", "go", None, ""),
        ("java", "java", None, ""),
    ] {
        match found {
            Some(code) => out.push((format!("{lang} ({source})"), lang, code)),
            None => {
                let one = gather(&fixtures.join(lang), ext, usize::MAX);
                let code = one.repeat(1_000_000 / one.len().max(1) + 1);
                out.push((format!("{lang} (fixture)"), lang, code));
            }
        }
    }
    out
}

/// One row: bare parse, parse + declarations query, and a fresh engine's redact of `code`.
fn row(label: &str, lang_name: &str, code: &str) {
    let lang = pretense::lang::from_name(lang_name).expect("language");
    // The grammar first: asking for it sets tree-sitter's allocator.
    let grammar = lang.grammar();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&grammar).expect("grammar");
    let parse = best(5, || {
        let _ = parser.parse(code, None);
    });
    let _ = lang.analyze(code); // compile the query once, as a running daemon has
    let query = best(5, || {
        let _ = lang.analyze(code);
    });
    let redact = best(5, || {
        let e = engine(); // fresh: no cache, no vault
        let _ = e.redact(&[Input {
            text: code.as_bytes(),
            lang: Some(lang),
            path: None,
        }]);
    });
    println!(
        "{label:<28}  {:>7}  {:>6.1} MB/s  {:>6.1} MB/s  {:>6.1} MB/s  {:>5.0}%",
        code.len(),
        mbps(code.len(), parse),
        mbps(code.len(), query),
        mbps(code.len(), redact),
        100.0 * query.as_secs_f64() / redact.as_secs_f64()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "code                          bytes     parse      parse+query  redact      redact/(parse+query)"
    );
    for (label, lang, code) in real_code() {
        row(&label, lang, &code);
    }
    let mut rng = corpus::Rng(11);
    type Generate = fn(&mut corpus::Rng, usize) -> String;
    let generators: [(&str, Generate); 4] = [
        ("typescript", corpus::typescript),
        ("python", corpus::python),
        ("go", corpus::go),
        ("java", corpus::java),
    ];
    for (name, generate) in generators {
        let code = generate(&mut rng, 1_000_000);
        row(&format!("{name} (generated)"), name, &code);
    }

    // A fresh 100 KB prompt: prose plus fenced code in two languages.
    let mut rng = corpus::Rng(12);
    let prompt = format!(
        "Please review these files.\n\n```ts\n{}\n```\n\nand\n\n```python\n{}\n```\nWhy is it slow?",
        corpus::typescript(&mut rng, 50_000),
        corpus::python(&mut rng, 50_000)
    );
    let fresh = best(5, || {
        let e = engine();
        let _ = e.redact(&[Input::text(&prompt)]);
    });
    println!(
        "fresh {} KB prompt: {:.1} ms",
        prompt.len() / 1000,
        fresh.as_secs_f64() * 1e3
    );

    // An agent turn: the 200 KB history again (analysed before) plus 2 KB of new text.
    let e = engine();
    let mut rng = corpus::Rng(13);
    let history: Vec<String> = (0..20)
        .map(|i| {
            if i % 2 == 0 {
                format!("```ts\n{}\n```", corpus::typescript(&mut rng, 10_000))
            } else {
                format!("```go\n{}\n```", corpus::go(&mut rng, 10_000))
            }
        })
        .collect();
    let inputs: Vec<Input<'_>> = history.iter().map(|h| Input::text(h)).collect();
    let _ = e.redact(&inputs);
    // Each turn brings 2 KB never seen before: a turn repeated whole would only measure the cache.
    let turns: Vec<String> = (0..5)
        .map(|_| format!("```python\n{}\n```", corpus::python(&mut rng, 2_000)))
        .collect();
    let total: usize = history.iter().map(String::len).sum::<usize>() + turns[0].len();
    let mut next = turns.iter();
    let cached = best(5, || {
        let mut all = inputs.clone();
        all.extend(next.next().map(|t| Input::text(t)));
        let _ = e.redact(&all);
    });
    println!(
        "history {} KB (seen before) + 2 KB new: {:.2} ms",
        total / 1000,
        cached.as_secs_f64() * 1e3
    );
}
