//! Rewrite throughput beside the physical floor: bare tree-sitter parsing, parsing plus the
//! declarations query, and `Engine::redact` on the same generated code, per language; a fresh
//! 100 KB prompt; and a 200 KB history resent with 2 KB of new text (the analysis cache).
//! Run with `cargo bench --bench redact`. One thread unless said otherwise.

#[path = "corpus.rs"]
mod corpus;

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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("language    bytes     parse      parse+query  redact      redact/(parse+query)");
    let mut rng = corpus::Rng(11);
    let cases: Vec<(&str, String, tree_sitter::Language)> = vec![
        (
            "typescript",
            corpus::typescript(&mut rng, 1_000_000),
            tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        ),
        (
            "python",
            corpus::python(&mut rng, 1_000_000),
            tree_sitter_python::LANGUAGE.into(),
        ),
        (
            "go",
            corpus::go(&mut rng, 1_000_000),
            tree_sitter_go::LANGUAGE.into(),
        ),
        (
            "java",
            corpus::java(&mut rng, 1_000_000),
            tree_sitter_java::LANGUAGE.into(),
        ),
    ];
    for (name, code, grammar) in &cases {
        let lang = pretense::lang::from_name(name).expect("language");
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(grammar).expect("grammar");
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
            "{name:<10}  {:>7}  {:>6.1} MB/s  {:>6.1} MB/s  {:>6.1} MB/s  {:>5.0}%",
            code.len(),
            mbps(code.len(), parse),
            mbps(code.len(), query),
            mbps(code.len(), redact),
            100.0 * query.as_secs_f64() / redact.as_secs_f64()
        );
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
    let new_text = format!("```python\n{}\n```", corpus::python(&mut rng, 2_000));
    let total: usize = history.iter().map(String::len).sum::<usize>() + new_text.len();
    let cached = best(5, || {
        let mut all = inputs.clone();
        all.push(Input::text(&new_text));
        let _ = e.redact(&all);
    });
    println!(
        "history {} KB (seen before) + 2 KB new: {:.2} ms",
        total / 1000,
        cached.as_secs_f64() * 1e3
    );
}
