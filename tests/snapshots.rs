//! Redacting realistic files in every language: the output is pinned by insta snapshots
//! (`tests/snapshots/`, review changes with `cargo insta review` or `INSTA_UPDATE=always`), and
//! three properties hold for each file: the rewritten code parses with no more errors than the
//! original, no declared name that pretense renames survives, and the round trip is exact.

use std::sync::Arc;

use pretense::config::Config;
use pretense::mutate::{Engine, Input, NamingKey, Vault};

fn check(rel: &str) {
    let path = format!(
        "{}/tests/fixtures/realistic/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    let original = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lang = pretense::lang::from_path(rel).expect("a known extension");
    let engine = Engine::new(
        &Config::default(),
        NamingKey::from_bytes([7; 32]),
        Arc::new(Vault::open_in_memory().expect("vault")),
    )
    .expect("engine");
    let r = engine
        .redact(&[Input {
            text: original.as_bytes(),
            lang: None,
            path: Some(rel),
        }])
        .expect("redact");
    let out = String::from_utf8(r.texts[0].clone()).expect("utf-8");

    let before = lang.analyze(&original);
    let after = lang.analyze(&out);
    assert!(
        after.error_nodes <= before.error_nodes,
        "{rel}: {} parse errors after rewriting, {} before",
        after.error_nodes,
        before.error_nodes
    );
    let mut survivors = Vec::new();
    for d in before.declarations.iter().filter(|d| d.mutable) {
        let word = regex::Regex::new(&format!(r"\b{}\b", regex::escape(&d.name))).expect("regex");
        if word.is_match(&out) {
            survivors.push(d.name.clone());
        }
    }
    survivors.dedup();
    assert!(
        survivors.is_empty(),
        "{rel}: declared names survived: {survivors:?}"
    );
    assert!(
        r.mutations() >= 20,
        "{rel}: only {} mutations",
        r.mutations()
    );
    assert_eq!(
        engine.restore(Some(&r), &out),
        original,
        "{rel}: round trip"
    );

    let name = rel.replace(['/', '.'], "_");
    insta::assert_snapshot!(name, out);
}

#[test]
fn typescript() {
    check("typescript/ledger_service.ts");
}

#[test]
fn tsx() {
    check("tsx/DispatchBoard.tsx");
}

#[test]
fn javascript() {
    check("javascript/inventory_sync.js");
}

#[test]
fn python() {
    check("python/risk_engine.py");
}

#[test]
fn go() {
    check("go/settlement.go");
}

#[test]
fn java() {
    check("java/ClaimsProcessor.java");
}
