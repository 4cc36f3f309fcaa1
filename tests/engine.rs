//! Properties of the rewrite engine, through the library API: the round trip is the identity and
//! streaming restore equals batch restore, on generated programs and on real fixture code.

use std::sync::Arc;

use proptest::prelude::*;

use pretense::config::Config;
use pretense::mutate::{Engine, Escape, Input, NamingKey, Vault};

fn engine() -> Engine {
    Engine::new(
        &Config::default(),
        NamingKey::from_bytes([9; 32]),
        Arc::new(Vault::open_in_memory().expect("in-memory vault")),
    )
    .expect("engine")
}

const SYLLABLES: &[&str] = &[
    "led", "ger", "ship", "ment", "rec", "on", "cile", "dis", "patch", "quo", "ta", "vel", "ox",
    "tri", "bun", "gal", "mor", "fen", "zu", "kap",
];

fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SYLLABLES), 1..3).prop_map(|s| s.concat())
}

/// An identifier in a random casing style, from 2–3 words (distinctive, never generic).
fn ident() -> impl Strategy<Value = String> {
    (prop::collection::vec(word(), 2..4), 0..4u8).prop_map(|(words, style)| match style {
        0 => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.clone() } else { cap(w) })
            .collect(),
        1 => words.iter().map(|w| cap(w)).collect(),
        2 => words.join("_"),
        _ => words.join("_").to_uppercase(),
    })
}

fn cap(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Text that is hard to restore exactly: unicode punctuation, digits glued to letters, a lone
/// `z`, invalid-looking placeholders, markdown.
fn noise() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "“quoted”",
        "naïve",
        " — ",
        "x2y",
        "zq",
        "Zebra",
        "PRETENSE_",
        "PRETENSE_SECRET_zz",
        "$",
        "__",
        "\t",
        "\n",
        "```",
        "→",
        "  12\t",
        "42",
        "v1.2.3",
        "日本語",
        "é",
        "{}",
        "();",
        "a_b",
        "ZZ",
    ])
    .prop_map(String::from)
}

fn program() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(ident(), 1..5),
        prop::collection::vec(noise(), 0..12),
        0..6u8,
    )
        .prop_map(|(names, noise, lang)| {
            let n = |i: usize| names[i % names.len()].clone();
            let code = match lang {
                0 => format!(
                    "```ts\nexport function {a}({b}: string): number {{\n  const {c} = {b}.length; // {a} counts\n  return {c};\n}}\n```\n",
                    a = n(0),
                    b = n(1),
                    c = n(2)
                ),
                1 => format!(
                    "```python\nclass {a}:\n    def {b}(self, {c}):\n        return {c}  # used by {a}\n```\n",
                    a = n(0),
                    b = n(1),
                    c = n(2)
                ),
                2 => format!(
                    "```go\nfunc {a}({b} int) int {{\n\t{c} := {b} * 2\n\treturn {c}\n}}\n```\n",
                    a = n(0),
                    b = n(1),
                    c = n(2)
                ),
                3 => format!(
                    "```java\npublic class {a} {{\n    private int {c};\n    public int {b}(int {c}) {{ return this.{c} + {c}; }}\n}}\n```\n",
                    a = n(0),
                    b = n(1),
                    c = n(2)
                ),
                4 => format!(
                    "```js\nconst {c} = require('./{b}');\nfunction {a}({b}) {{\n  return `${{{b}}} ${{{c}}}`; // {a}\n}}\nmodule.exports = {{ {a} }};\n```\n",
                    a = n(0),
                    b = n(1),
                    c = n(2)
                ),
                _ => format!(
                    "```tsx\nexport function {a}({{ {b} }}: {{ {b}: string }}) {{\n  const {c} = {b}.trim();\n  return <div title={{{c}}}>{{{b}}}</div>;\n}}\n```\n",
                    a = n(0),
                    b = n(1),
                    c = n(2)
                ),
            };
            let mut prose = String::new();
            for (i, x) in noise.iter().enumerate() {
                prose.push_str(x);
                if i % 3 == 0 {
                    prose.push_str(&n(i));
                    prose.push_str("Async ");
                }
            }
            format!("{code}\nWhy does {}() fail? {prose}", n(0))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_is_identity(text in program()) {
        let e = engine();
        let r = e.redact(&[Input::text(&text)]).expect("redact");
        let out = String::from_utf8(r.texts[0].clone()).expect("utf-8");
        prop_assert!(r.mutations() > 0, "the declared names are renamed: {}", out);
        prop_assert_eq!(e.restore(Some(&r), &out), text.clone());
        // And from the vault alone, as `pretense restore` does.
        prop_assert_eq!(e.restore(None, &out), text);
    }

    #[test]
    fn streaming_restore_equals_batch(text in program(), cuts in prop::collection::vec(0usize..4096, 0..16)) {
        let e = engine();
        let r = e.redact(&[Input::text(&text)]).expect("redact");
        let out = String::from_utf8(r.texts[0].clone()).expect("utf-8");
        let batch = e.restore(Some(&r), &out);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (out.len() + 1)).filter(|&c| out.is_char_boundary(c)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut restorer = e.restorer(Some(&r), Escape::None);
        let mut streamed = String::new();
        let mut at = 0;
        for c in cuts {
            streamed.push_str(&restorer.push(&out[at..c]));
            at = c;
        }
        streamed.push_str(&restorer.push(&out[at..]));
        streamed.push_str(&restorer.finish());
        prop_assert_eq!(streamed, batch);
    }
}

/// Every fixture file of every language, parsed in its language: the round trip is exact, also
/// when the rewritten text is restored one byte at a time.
#[test]
fn real_code_round_trips_in_every_language() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read fixtures dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let p = path.to_string_lossy().into_owned();
            if pretense::lang::from_path(&p).is_none() {
                continue;
            }
            let text = std::fs::read(&path).expect("read fixture");
            let e = engine();
            let r = e
                .redact(&[Input {
                    text: &text,
                    lang: None,
                    path: Some(&p),
                }])
                .expect("redact");
            let mut restorer = e.restorer(Some(&r), Escape::None);
            let mut back = Vec::new();
            for b in r.texts[0].chunks(1) {
                back.extend(restorer.push_bytes(b));
            }
            back.extend(restorer.finish_bytes());
            assert!(back == text, "{p}: round trip differs");
            checked += 1;
        }
    }
    assert!(
        checked >= 6,
        "expected fixtures for every language, found {checked}"
    );
}
