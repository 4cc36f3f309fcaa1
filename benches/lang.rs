//! Identifier analysis against a bare tree-sitter parse, per language, one text analysed on every
//! core against whole, and language detection: `cargo bench --bench lang`. The parse rows take
//! the CPU time of this thread, best of three: the machines are shared and wall time swings by
//! 30%. The other rows take wall time, best of three: they use other cores, or are too short for
//! the CPU clock.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use pretense::lang::{detect, from_name};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// This thread's CPU time in milliseconds (Linux `schedstat`; wall time elsewhere).
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e6)
        .unwrap_or_else(|| {
            static START: OnceLock<Instant> = OnceLock::new();
            START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
        })
}

fn best_of_3(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = cpu_ms();
            f();
            cpu_ms() - t
        })
        .fold(f64::MAX, f64::min)
}

/// Detection takes micro- to milliseconds: wall time over many runs (the CPU clock only advances
/// at scheduler ticks).
fn wall_ms_per_run(runs: u32, mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..runs {
                f();
            }
            t.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    for (name, file) in [
        ("typescript", "billing_service.ts"),
        ("tsx", "InvoiceDashboard.tsx"),
        ("javascript", "shipment_server.js"),
        ("python", "service.py"),
        ("go", "ledger.go"),
        ("java", "PolicyRenewalService.java"),
    ] {
        let lang = from_name(name).expect("a known language");
        let one = std::fs::read_to_string(fixtures().join(name).join(file)).expect("fixture");
        let big = one.repeat(2_000_000 / one.len() + 1);
        let mb = big.len() as f64 / 1e6;
        let declarations = lang.analyze(&big).declarations.len();
        // The grammar first: asking for it sets tree-sitter's allocator.
        let grammar = lang.grammar();
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar).expect("grammar");
        let parse = best_of_3(|| {
            parser.parse(&big, None);
        });
        let analyze = best_of_3(|| {
            lang.analyze(&big);
        });
        println!(
            "{name:<10} {mb:.1} MB: parse {:.1} MB/s, analyze {:.1} MB/s ({declarations} declarations)",
            mb * 1e3 / parse,
            mb * 1e3 / analyze,
        );
    }
    // One text alone (a file named on the command line, `POST /scan`): whole, and on every core.
    for (name, file) in [
        ("typescript", "billing_service.ts"),
        ("python", "service.py"),
        ("go", "ledger.go"),
    ] {
        let lang = from_name(name).expect("a known language");
        let one = std::fs::read_to_string(fixtures().join(name).join(file)).expect("fixture");
        for size in [20_000, 200_000] {
            let text = one.repeat(size / one.len() + 1);
            // The pieces must parse cleanly, or the row would time the fallback to a whole parse.
            let cut = pretense::lang::pieces(
                &text,
                pretense::lang::piece_goal(text.len() / pretense::parallel::cores()),
            );
            assert!(
                cut.iter()
                    .all(|r| lang.analyze(&text[r.clone()]).error_nodes == 0),
                "{name}: a piece of the repeated fixture has a syntax error"
            );
            // The same with a syntax error near the end (a pasted snippet cut off): the clean
            // pieces keep their answer, the last two are parsed again as one (`reparse_from`).
            let cut_off = format!("{text}\n\nbroken(((\n");
            assert!(lang.analyze(&cut_off).error_nodes > 0);
            for (label, text) in [("alone", &text), ("with an error at the end", &cut_off)] {
                let whole = wall_ms_per_run(10, || {
                    lang.analyze(text);
                });
                let cores = wall_ms_per_run(10, || {
                    lang.analyze_on_every_core(text);
                });
                println!(
                    "{name:<10} {:>3} KB {label}: whole {whole:.2} ms, on every core {cores:.2} ms ({:.2}x)",
                    text.len() / 1000,
                    whole / cores
                );
            }
        }
    }
    let prose = include_str!("../grammars/README.md").repeat(100);
    let mut got = None;
    let ms = wall_ms_per_run(50, || got = detect(&prose));
    println!(
        "detect on {:.1} MB of Markdown: {:?} in {ms:.3} ms",
        prose.len() as f64 / 1e6,
        got.map(|l| l.name)
    );
    for (name, file) in [
        ("typescript", "billing_service.ts"),
        ("python", "service.py"),
        ("go", "ledger.go"),
    ] {
        let src = std::fs::read_to_string(fixtures().join(name).join(file)).expect("fixture");
        let ms = wall_ms_per_run(50, || assert!(detect(&src).is_some()));
        println!("detect {file} ({} KB): {ms:.3} ms", src.len() / 1000);
    }
}
