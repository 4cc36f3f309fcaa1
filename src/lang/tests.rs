//! Tests for the language layer: the table, the embedded queries and word lists, name and path
//! lookup, generic names, the fixtures under `tests/fixtures/<lang>/`, and detection.
//!
//! `PRETENSE_BLESS=1 cargo test --lib lang::tests::fixtures` rewrites the `.expected` files from
//! the current output; review the diff before committing it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;

#[test]
fn table_is_sorted_and_unique() {
    let names: Vec<&str> = all().iter().map(|l| l.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        names, sorted,
        "keep the LANGS table sorted by name, one row per language"
    );
}

#[test]
fn names_aliases_and_extensions_are_unambiguous() {
    let mut seen = BTreeSet::new();
    for lang in all() {
        for word in std::iter::once(&lang.name).chain(lang.aliases) {
            assert_eq!(*word, word.to_ascii_lowercase(), "{word}: lowercase please");
            assert!(seen.insert(*word), "{word} names two languages");
        }
    }
    let mut exts = BTreeSet::new();
    for lang in all() {
        for ext in lang.extensions {
            assert!(!ext.starts_with('.'), "{ext}: no dot");
            assert!(exts.insert(*ext), "extension {ext} claimed twice");
        }
    }
}

#[test]
fn every_query_compiles() {
    let mut errors = Vec::new();
    for lang in all() {
        // tree-sitter's own compiler is the reference for what the files may say.
        if let Err(e) = query::compile_for(lang, false) {
            errors.push(e.to_string());
        }
        match query::compile(lang) {
            Ok(c) if !c.uses_matcher() => errors.push(format!(
                "{}: the matcher cannot run this query ({:?}): tree-sitter's slower engine would",
                lang.name,
                super::matcher::Matcher::compile(&lang.grammar(), &query_source(lang), &|_| false)
                    .err()
            )),
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(
        errors.is_empty(),
        "queries do not compile:\n{}",
        errors.join("\n")
    );
}

/// The query files of `lang`, concatenated as `query::compile` does.
fn query_source(lang: &Lang) -> String {
    let mut parts = Vec::new();
    query::segments(lang, &mut parts, 0);
    parts.iter().map(|(_, src)| format!("{src}\n")).collect()
}

/// Texts to run both query engines over: every fixture of `lang`, and each cut off at a
/// quarter, half and three quarters of its lines, with every seventh line dropped, and with an
/// opening bracket halfway (so that ERROR nodes are everywhere in the trees).
fn engine_texts(lang: &Lang) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (l, path) in every_fixture() {
        if l != lang {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let lines: Vec<&str> = src.lines().collect();
        let n = lines.len();
        for q in [1, 2, 3] {
            out.push((
                format!("{name}, first {q}/4"),
                lines[..n * q / 4].join("\n"),
            ));
        }
        let dropped: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 7 != 3)
            .map(|(_, l)| *l)
            .collect();
        out.push((format!("{name}, lines dropped"), dropped.join("\n")));
        out.push((
            format!("{name}, bracket halfway"),
            format!(
                "{}\n(((\n{}",
                lines[..n / 2].join("\n"),
                lines[n / 2..].join("\n")
            ),
        ));
        out.push((name, src));
    }
    out
}

/// Compares what the two engines capture in `text`: the same in a tree without errors; in a
/// broken tree, at least what tree-sitter captures (its engine prunes a few matches that the
/// matcher reports, see `matcher`). Returns whether they were the same.
fn engines_agree(
    lang: &Lang,
    ours: &query::Compiled,
    reference: &query::Compiled,
    text: &str,
) -> Result<bool, String> {
    let want = query::raw_captures(reference, lang, text);
    let got = query::raw_captures(ours, lang, text);
    if got == want {
        return Ok(true);
    }
    if lang.analyze(text).error_nodes == 0 {
        return Err(format!(
            "{}: tree-sitter {want:?}\nmatcher {got:?}\nin {text:?}",
            lang.name
        ));
    }
    let missing: Vec<_> = want.0.iter().filter(|c| !got.0.contains(c)).collect();
    let missing_ignored: Vec<_> = want.1.iter().filter(|c| !got.1.contains(c)).collect();
    if missing.is_empty() && missing_ignored.is_empty() {
        Ok(false)
    } else {
        Err(format!(
            "{}: the matcher misses {missing:?} and ignored {missing_ignored:?} in {text:?}",
            lang.name
        ))
    }
}

#[test]
fn the_matcher_captures_what_tree_sitter_does() {
    let (mut same, mut more, mut names) = (0, 0, 0);
    for lang in all() {
        let ours = query::compile(lang).unwrap();
        assert!(ours.uses_matcher(), "{}", lang.name);
        let reference = query::compile_for(lang, false).unwrap();
        let mut texts = engine_texts(lang);
        texts.extend(
            matcher_snippets(lang.name)
                .iter()
                .map(|s| (format!("snippet {s:?}"), s.to_string())),
        );
        for (what, text) in texts {
            match engines_agree(lang, &ours, &reference, &text) {
                Ok(true) => same += 1,
                Ok(false) => more += 1,
                Err(e) => panic!("{what}: {e}"),
            }
            names += query::raw_captures(&reference, lang, &text).0.len();
        }
    }
    assert!(same > 120 && names > 5000, "{same} texts, {names} names");
    // Capturing more is rare: it takes a broken tree with a field out of its production.
    assert!(
        more * 20 < same,
        "{more} texts where the matcher captured more"
    );
}

/// Whether [`walk::read`] (the C walk) reads what a `TreeCursor` walk does in `text`: the same
/// nodes in the same order, each with the same kind, field, named flag, links to its first
/// child and next sibling, and the same `Node` (subtree, position, alias). Returns how many
/// nodes it compared, or the first difference.
fn walk_agrees(lang: &Lang, text: &str) -> Result<usize, String> {
    // The grammar before the parser: getting it sets tree-sitter's allocator (see `alloc`).
    let grammar = lang.grammar();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&grammar).unwrap();
    let tree = parser.parse(text, None).unwrap();
    let root = tree.root_node();
    // The whole `TSNode` (position, alias, subtree, tree), what tree-sitter derives from it,
    // and what the walk says of it.
    let compared = |nodes: Vec<walk::Seen<'_>>| -> Vec<_> {
        nodes
            .into_iter()
            .map(|(n, kind, field, named, first, next)| {
                let raw = n.into_raw();
                let derived = (n.byte_range(), n.end_position(), n.kind_id(), n.is_named());
                (
                    raw.context,
                    raw.id,
                    raw.tree,
                    derived,
                    kind,
                    field,
                    named,
                    first,
                    next,
                )
            })
            .collect()
    };
    let want = compared(walk::cursor_read(root));
    let got = compared(walk::as_seen(&walk::read(root)));
    if want.len() != got.len() {
        return Err(format!(
            "{} nodes, the cursor read {}",
            got.len(),
            want.len()
        ));
    }
    if let Some(i) = (0..want.len()).find(|&i| want[i] != got[i]) {
        return Err(format!(
            "node {i}: cursor {:?}, C walk {:?}",
            want[i], got[i]
        ));
    }
    // A list too short at first is read again, whole.
    if compared(walk::as_seen(&walk::read_into(root, want.len() / 2))) != got {
        return Err("a list too short at first reads differently".into());
    }
    Ok(want.len())
}

/// The C walk reads what tree-sitter's cursor does on every fixture, cut off, with lines
/// dropped and with a bracket halfway (ERROR nodes everywhere); and on code nested deeper than a
/// thread's stack would allow a recursive walk.
#[test]
fn the_c_walk_reads_what_a_tree_cursor_does() {
    let mut nodes = 0;
    for lang in all() {
        for (what, text) in engine_texts(lang) {
            nodes += walk_agrees(lang, &text).unwrap_or_else(|e| panic!("{what}: {e}"));
        }
    }
    assert!(nodes > 100_000, "{nodes} nodes compared");
    let python = from_name("python").unwrap();
    let deep = format!("x = {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let n = walk_agrees(python, &deep).unwrap();
    assert!(n > 100_000, "{n} nodes");
}

/// Both engines compiled for every language, once for all the property cases.
fn both_engines() -> &'static [(&'static Lang, query::Compiled, query::Compiled)] {
    static BOTH: OnceLock<Vec<(&'static Lang, query::Compiled, query::Compiled)>> = OnceLock::new();
    BOTH.get_or_init(|| {
        all()
            .iter()
            .map(|l| {
                let ours = query::compile(l).unwrap();
                let reference = query::compile_for(l, false).unwrap();
                (l, ours, reference)
            })
            .collect()
    })
}

/// Every line of every fixture of each language, to splice into texts no one wrote.
fn fixture_lines() -> &'static [Vec<String>] {
    static LINES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        all()
            .iter()
            .map(|lang| {
                every_fixture()
                    .into_iter()
                    .filter(|(l, _)| *l == lang)
                    .flat_map(|(_, path)| {
                        let src = std::fs::read_to_string(path).unwrap();
                        src.lines().map(str::to_string).collect::<Vec<_>>()
                    })
                    .collect()
            })
            .collect()
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(192))]
    /// Lines of a language's fixtures in a random order (mostly broken code, with ERROR nodes
    /// in every place): the matcher captures what tree-sitter's engine does (see
    /// `engines_agree`), and the C walk reads what a cursor does (see `walk_agrees`).
    #[test]
    fn spliced_fixture_lines_capture_the_same_with_either_engine(
        which in 0usize..64,
        picks in proptest::collection::vec(0usize..100_000, 1..40),
    ) {
        let engines = both_engines();
        let i = which % engines.len();
        let (lang, ours, reference) = &engines[i];
        let lines = &fixture_lines()[i];
        proptest::prop_assume!(!lines.is_empty());
        let text: String = picks.iter().map(|p| format!("{}\n", lines[p % lines.len()])).collect();
        let agree = engines_agree(lang, ours, reference, &text);
        proptest::prop_assert!(agree.is_ok(), "{}", agree.unwrap_err());
        let walk = walk_agrees(lang, &text);
        proptest::prop_assert!(walk.is_ok(), "{}", walk.unwrap_err());
    }
}

/// Short texts for the corners of the query language the files use: anchors, `!field`,
/// anonymous nodes, root alternations, predicates, comments where an anchor looks.
fn matcher_snippets(lang: &str) -> &'static [&'static str] {
    match lang {
        "python" => &[
            "from .models import (Base, helper_fn as aliased_helper)\nfrom pkg.sub import thing as other_thing\nimport os.path as osp, json\n",
            "class Color(enum.Enum):\n    RED = 1\n    green_value = 2\nclass Shape(Protocol, Base):\n    def area(self): ...\n",
            "match command:\n    case Point(x=px, y=py):\n        pass\n    case [first_item, *rest_items]:\n        pass\n    case Color.RED:\n        pass\n    case {\"k\": bound_value} as whole_match:\n        pass\n",
            "def f(a, b=1, *args, c: int = 2, **kw):\n    self.total_count = cls.other = 3\n    x, (y, z) = w\n    lambda p, q=1, *r, **s: p\n",
            "class Cfg:\n    MAX_SIZE = 10\n    limit_value: int = 3\n    @property\n    def name_of(self): return 1\n",
            "with open(p) as fh, lock as (la, lb):\n    [n := 10 for item_x in range(3) for (ia, ib) in pairs]\ntry:\n    pass\nexcept E as err_value:\n    pass\n",
            "type Alias = int\nPLAIN_CONST = 1\nfor (ka, kb), kc in items: pass\n",
            "def broken(:\n    class Inner(Enum:\n        A = 1\n",
        ],
        "go" => &[
            "package billing\n\nimport (\n\tfmt \"fmt\"\n\t\"net/http\"\n\t_ \"embed\"\n\traw `path/raw`\n)\n",
            "type Reader interface { Read(p []byte) (n int, err error) }\ntype Pair[K comparable, V any] struct { key K; val V }\ntype Alias = Pair[int, int]\n",
            "func (r *Recv) Method(a, b int, rest ...string) (out int) {\n\tx, y := 1, 2\n\tfor k, v := range m { _ = k }\n\tselect { case msg, ok := <-ch: _ = msg }\n\tswitch t := v.(type) { }\n\tconst Limit = 3\n\tvar count int\n\treturn\n}\n",
            "func broken( {\n\tx := \n}\n",
        ],
        "java" => &[
            "package com.acme.billing;\nimport java.util.List;\nimport static org.junit.Assert.assertTrue;\n",
            "class A<T> {\n  static final int LIMIT = 3;\n  final static int OTHER_LIMIT = 4;\n  private final int plainField = 1;\n  public static int notConst;\n  void run(int a, String... rest) { for (var item : list) {} try (var res = open()) {} catch (IOException ex) {} }\n}\n",
            "record Point(int x, int y) {}\nenum Mode { ON, OFF }\n@interface Marker { String value(); }\ninterface Shape { int CONST = 1; }\n",
            "class B { void f() { Runnable r = () -> {}; Function<Integer,Integer> g = v -> v; BiFunction<A,B,C> h = (p, q) -> p; if (o instanceof String s) {} } }\n",
            "class Broken { void f( { int x = ; }\n",
        ],
        _ => &[
            "import Default, { named as alias, other } from \"./local\";\nimport * as ns from \"pkg\";\nimport fs = require(\"fs\");\nconst { a, b: renamed, ...rest } = require(\"./mod\");\nconst lib = require(\"lib\");\n",
            "exports.handler = function () {};\nmodule.exports.other = () => {};\nFoo.prototype.method = function () {};\nconst MAX_RETRIES = 3, plain = 2;\nlet [first, , third = 1, ...others] = list;\n",
            "class Service { constructor(private readonly repo, public name) {} field = 1; handler = () => {}; static method() {} }\n",
            "const routes = { listUsers: \"/u\", nested: { inner: 1 }, run() {}, go: () => 1 };\nfor (const key in obj) {}\nfor (const [k, v] of map) {}\ntry {} catch (err) {}\n",
            "({ x, y: z } = obj);\n[a, b] = [b, a];\nfunction f({ p, q: r = 1, ...s }, [t, u = 2, ...v], w = 3) {}\nconst g = async (h) => h;\n",
            "function broken( {\n  const x = \n",
        ],
    }
}

#[test]
fn query_errors_name_the_file_and_line() {
    // A mistake in an inheriting file is reported against that file, at its own line number.
    let broken = Lang {
        name: "broken",
        aliases: &[],
        extensions: &[],
        grammar: || tree_sitter_typescript::LANGUAGE_TSX.into(),
        identifiers: "; inherits: typescript\n\n(no_such_node) @name @definition.function\n",
        builtins: "",
        compiled: OnceLock::new(),
        builtin_set: OnceLock::new(),
    };
    let err = query::compile(&broken).err().expect("must not compile");
    assert_eq!(err.file, "grammars/broken/identifiers.scm");
    assert_eq!(err.line, 3, "{err}");

    let unknown = Lang {
        identifiers: "(identifier) @name @definition.gadget\n",
        ..broken
    };
    let err = query::compile(&unknown).err().expect("must not compile");
    assert!(err.to_string().contains("@definition.gadget"), "{err}");
}

#[test]
fn inherits_headers_resolve() {
    for lang in all() {
        for (src, comment) in [(lang.identifiers, ";"), (lang.builtins, "#")] {
            let first = src.lines().next().unwrap_or("");
            if first.contains("inherits:") {
                let named = first.split("inherits:").nth(1).unwrap().split(',').count();
                assert_eq!(
                    words::inherits(src, comment).len(),
                    named,
                    "{}: unknown language in {first:?}",
                    lang.name
                );
            }
        }
    }
    let tsx = from_name("tsx").unwrap();
    assert!(
        tsx.is_builtin("useState"),
        "tsx inherits javascript via typescript"
    );
    assert!(tsx.is_builtin("Partial"));
}

#[test]
fn word_lists_are_clean() {
    for (file, src) in std::iter::once(("grammars/generic.txt", words_generic_src())).chain(
        all()
            .iter()
            .map(|l| (l.name, l.builtins))
            .collect::<Vec<_>>(),
    ) {
        for word in words::parse_list(src) {
            assert!(
                !word.contains(char::is_whitespace),
                "{file}: one word per line, got {word:?}"
            );
        }
    }
}

fn words_generic_src() -> &'static str {
    include_str!("../../grammars/generic.txt")
}

#[test]
fn builtins() {
    const CASES: &[(&str, &str, bool, &str)] = &[
        (
            "typescript",
            "useState",
            true,
            "React hook, inherited from javascript",
        ),
        ("typescript", "console", true, "global"),
        ("typescript", "Partial", true, "utility type"),
        ("javascript", "Partial", false, "TS-only"),
        ("javascript", "componentDidMount", true, "React lifecycle"),
        ("python", "print", true, "builtin function"),
        ("python", "Exception", true, "builtin type"),
        ("python", "self", true, "convention"),
        ("go", "String", true, "fmt.Stringer"),
        ("go", "append", true, "predeclared"),
        ("go", "string", true, "predeclared type"),
        ("java", "toString", true, "Object method"),
        ("java", "Override", true, "annotation"),
        ("java", "getUserToken", false, "user code"),
        ("go", "string_", false, "case-sensitive and exact"),
    ];
    for (lang, name, want, note) in CASES {
        let got = from_name(lang).unwrap().is_builtin(name);
        assert_eq!(got, *want, "{lang} {name}: {note}");
    }
}

#[test]
fn generic_names() {
    const CASES: &[(&str, bool, &str)] = &[
        ("i", true, "short"),
        ("ok", true, "short"),
        ("_x", true, "short after trimming"),
        ("user", true, "listed"),
        ("User", true, "case-insensitive"),
        ("USER", true, "case-insensitive"),
        ("users", true, "listed plural"),
        ("entries", true, "listed plural"),
        ("models", false, "no plural rule: whole names only"),
        ("item2", true, "numbered"),
        ("data_1", true, "numbered"),
        ("__value", true, "trimmed underscores"),
        ("$state", true, "trimmed dollar"),
        ("UserAccount", false, "compound"),
        ("getUserToken", false, "compound"),
        ("invoice", false, "domain word not listed"),
        ("ledger", false, "domain word not listed"),
        ("abc", false, "three letters, not listed"),
    ];
    for (name, want, note) in CASES {
        assert_eq!(is_generic(name), *want, "{name}: {note}");
    }
}

#[test]
fn names() {
    const CASES: &[(&str, Option<&str>, &str)] = &[
        ("ts", Some("typescript"), "alias"),
        ("typescript", Some("typescript"), "name"),
        ("TypeScript", Some("typescript"), "case-insensitive"),
        ("tsx", Some("tsx"), "name"),
        ("js", Some("javascript"), "alias"),
        (
            "jsx",
            Some("javascript"),
            "jsx parses with the javascript grammar",
        ),
        ("javascript", Some("javascript"), "name"),
        ("mjs", Some("javascript"), "alias"),
        ("cjs", Some("javascript"), "alias"),
        ("node", Some("javascript"), "alias"),
        ("py", Some("python"), "alias"),
        ("python", Some("python"), "name"),
        ("python3", Some("python"), "alias"),
        ("go", Some("go"), "name"),
        ("golang", Some("go"), "alias"),
        ("java", Some("java"), "name"),
        ("ts title=a.ts", Some("typescript"), "first word only"),
        ("python {linenos}", Some("python"), "first word only"),
        ("{.python}", Some("python"), "pandoc attribute"),
        (
            "{.ts .numberLines}",
            Some("typescript"),
            "pandoc attribute, first class",
        ),
        (".go", Some("go"), "leading dot"),
        ("  java  ", Some("java"), "whitespace"),
        ("go,linenos", Some("go"), "comma-separated attributes"),
        ("text", None, "prose"),
        ("bash", None, "shell"),
        ("json", None, "data"),
        ("", None, "empty"),
        ("{}", None, "empty attributes"),
        ("rust", None, "not supported"),
    ];
    for (input, want, note) in CASES {
        assert_eq!(from_name(input).map(|l| l.name), *want, "{input:?}: {note}");
    }
}

#[test]
fn paths() {
    const CASES: &[(&str, Option<&str>)] = &[
        ("src/auth.ts", Some("typescript")),
        ("a.mts", Some("typescript")),
        ("a.cts", Some("typescript")),
        ("components/App.tsx", Some("tsx")),
        ("index.js", Some("javascript")),
        ("a.mjs", Some("javascript")),
        ("a.cjs", Some("javascript")),
        ("App.jsx", Some("javascript")),
        ("tool.py", Some("python")),
        ("stubs/x.pyi", Some("python")),
        ("main.go", Some("go")),
        ("src/main/java/com/acme/App.java", Some("java")),
        ("C:\\work\\App.JAVA", Some("java")),
        ("README.md", None),
        ("Makefile", None),
        (".ts", None),
        ("dir.ts/file", None),
        ("archive.tar.gz", None),
    ];
    for (input, want) in CASES {
        assert_eq!(from_path(input).map(|l| l.name), *want, "{input}");
    }
}

#[test]
fn kinds_round_trip() {
    for kind in Kind::ALL {
        assert_eq!(Kind::from_name(kind.as_str()), Some(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
}

// ---------------------------------------------------------------------------------------------
// analyze

fn decl_lines(lang: &str, src: &str) -> Vec<String> {
    from_name(lang)
        .unwrap()
        .analyze(src)
        .declarations
        .iter()
        .map(|d| format!("{} {} {}", d.kind.as_str(), d.name, d.mutable))
        .collect()
}

#[test]
fn analyze_positions_are_one_based_chars() {
    let src = "// é\nconst café = 1; const getUserToken = () => 1;\n";
    let a = from_name("ts").unwrap().analyze(src);
    assert_eq!(a.error_nodes, 0);
    let d = &a.declarations;
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!((d[0].name.as_str(), d[0].line, d[0].column), ("café", 2, 7));
    assert!(!d[0].mutable, "non-ASCII names are not renamed");
    assert_eq!(d[1].name, "getUserToken");
    assert_eq!((d[1].line, d[1].column), (2, 23));
    assert_eq!(&src[d[1].start_byte..d[1].start_byte + 12], "getUserToken");
    assert_eq!(d[1].kind, Kind::Function);
    assert!(d[1].mutable);
}

#[test]
fn analyze_counts_errors_and_survives_garbage() {
    for lang in all() {
        let a = lang.analyze("}}} ((( def func class :=  <<< @@@ \0 \u{fffd}");
        assert!(a.error_nodes > 0, "{}", lang.name);
        let empty = lang.analyze("");
        assert_eq!((empty.declarations.len(), empty.error_nodes), (0, 0));
    }
}

#[test]
fn analyze_from_many_threads() {
    let src = include_str!("../../tests/fixtures/python/service.py");
    let want = from_name("python").unwrap().analyze(src).declarations;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for lang in all() {
                    let _ = lang.analyze(src);
                }
                assert_eq!(from_name("python").unwrap().analyze(src).declarations, want);
            });
        }
    });
}

#[test]
fn imports() {
    const CASES: &[(&str, &str, &[&str], &str)] = &[
        (
            "ts",
            "import React, { useState } from \"react\";",
            &["import React false", "import useState false"],
            "package",
        ),
        (
            "ts",
            "import { getUserToken } from \"./auth\";",
            &["import getUserToken true"],
            "relative",
        ),
        (
            "ts",
            "import { fetchInvoices as loadInvoices } from '@/api/billing';",
            &["import fetchInvoices true", "import loadInvoices true"],
            "path alias",
        ),
        (
            "ts",
            "import * as ledgerApi from '../ledger';",
            &["import ledgerApi true"],
            "namespace import",
        ),
        (
            "js",
            "const { signPayload } = require('./crypto');\nconst express = require('express');",
            &["import signPayload true", "import express false"],
            "CommonJS",
        ),
        ("py", "import os", &["import os false"], "package"),
        ("py", "import numpy as np", &["import np false"], "alias"),
        (
            "py",
            "from flask import Flask",
            &["import Flask false"],
            "from package",
        ),
        (
            "py",
            "from .utils import parse_config",
            &["import parse_config true"],
            "relative",
        ),
        (
            "py",
            "from . import models",
            &["import models true"],
            "relative module",
        ),
        (
            "py",
            "from . import billing",
            &["import billing true"],
            "relative module",
        ),
        (
            "go",
            "package billing\nimport (\n\t\"fmt\"\n\tledger \"github.com/acme/ledger\"\n)\n",
            &[
                "module billing true",
                "import fmt false",
                "import ledger false",
            ],
            "go",
        ),
        (
            "java",
            "package com.acme.billing;\nimport java.util.List;\nimport com.acme.ledger.LedgerEntry;\n",
            &[
                "module billing true",
                "import List false",
                "import LedgerEntry false",
            ],
            "java",
        ),
    ];
    for (lang, src, want, note) in CASES {
        assert_eq!(decl_lines(lang, src), *want, "{lang} {note}: {src}");
    }
}

#[test]
fn mutability_rules() {
    const CASES: &[(&str, &str, &[&str], &str)] = &[
        (
            "py",
            "class A:\n    def __init__(self, ledger_id):\n        self.ledger_id = ledger_id\n",
            &[
                "class A false",
                "method __init__ false",
                "parameter self false",
                "parameter ledger_id true",
                "field ledger_id true",
            ],
            "dunder, self, short class name",
        ),
        (
            "ts",
            "class LedgerPanel { render() { return null } toString() { return '' } }",
            &[
                "class LedgerPanel true",
                "method render false",
                "method toString false",
            ],
            "builtin methods",
        ),
        (
            "go",
            "package main\nfunc (s *Server) String() string { return \"\" }",
            &[
                "module main false",
                "parameter s false",
                "method String false",
            ],
            "interface method",
        ),
    ];
    for (lang, src, want, note) in CASES {
        assert_eq!(decl_lines(lang, src), *want, "{lang} {note}: {src}");
    }
}

// ---------------------------------------------------------------------------------------------
// fixtures

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The source files in a fixture folder (not their `.expected` files), sorted.
fn fixture_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "expected"))
        .collect();
    files.sort();
    Ok(files)
}

/// The `.expected` rendering of an analysis: `<kind> <name> <mutable>`, sorted, deduplicated.
fn expected_lines(analysis: &Analysis) -> Vec<String> {
    let set: BTreeSet<String> = analysis
        .declarations
        .iter()
        .map(|d| format!("{} {} {}", d.kind.as_str(), d.name, d.mutable))
        .collect();
    set.into_iter().collect()
}

fn diff(want: &[String], got: &[String]) -> String {
    let want_set: BTreeSet<&String> = want.iter().collect();
    let got_set: BTreeSet<&String> = got.iter().collect();
    let mut out = String::new();
    for line in want_set.difference(&got_set) {
        out.push_str(&format!("  - {line}   (expected, missing)\n"));
    }
    for line in got_set.difference(&want_set) {
        out.push_str(&format!("  + {line}   (found, not expected)\n"));
    }
    out
}

#[test]
fn fixtures() {
    let bless = std::env::var_os("PRETENSE_BLESS").is_some();
    let mut failures = String::new();
    let mut cases = 0;
    for lang in all() {
        let dir = fixtures_dir().join(lang.name);
        let entries = fixture_files(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every language needs fixtures)", dir.display()));
        assert!(!entries.is_empty(), "{}: no fixtures", dir.display());
        for path in entries {
            cases += 1;
            let src = std::fs::read_to_string(&path).unwrap();
            let analysis = lang.analyze(&src);
            let got = expected_lines(&analysis);
            let expected_path = path.with_extension("expected");
            if analysis.error_nodes != 0 {
                failures.push_str(&format!(
                    "{}: {} parse errors (fixtures must parse cleanly)\n",
                    path.display(),
                    analysis.error_nodes
                ));
            }
            if bless {
                let text: String = got.iter().map(|l| format!("{l}\n")).collect();
                std::fs::write(&expected_path, text).unwrap();
                continue;
            }
            let want: Vec<String> = std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()))
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
            if want != got {
                failures.push_str(&format!(
                    "{} ({}):\n{}",
                    path.display(),
                    lang.name,
                    diff(&want, &got)
                ));
            }
        }
    }
    assert!(cases >= 12, "expected fixtures for every language");
    assert!(failures.is_empty(), "fixture mismatches:\n{failures}");
}

// ---------------------------------------------------------------------------------------------
// detection

#[test]
fn detect_names_exist() {
    for name in ["go", "java", "javascript", "python", "tsx", "typescript"] {
        assert!(Lang::by_name(name).is_some(), "{name}");
    }
}

#[test]
fn detect_fixtures() {
    for lang in all() {
        let dir = fixtures_dir().join(lang.name);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.extension().is_some_and(|e| e == "expected") || stem.starts_with("edge_") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                detect(&src).map(|l| l.name),
                Some(lang.name),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn detect_snippets() {
    const CASES: &[(&str, Option<&str>, &str)] = &[
        // Code.
        (
            "#!/usr/bin/env python3\nprint('hi')\n",
            Some("python"),
            "shebang",
        ),
        (
            "#!/usr/bin/env node\nconsole.log(1)\n",
            Some("javascript"),
            "shebang",
        ),
        ("#!/bin/bash\necho hi\n", None, "shell shebang"),
        (
            "def parse_invoice(raw):\n    total = 0\n    for line in raw:\n        total += line.amount\n    return total\n",
            Some("python"),
            "python function",
        ),
        (
            "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tx := 1\n\tfmt.Println(x)\n}\n",
            Some("go"),
            "go",
        ),
        (
            "public class InvoiceService {\n    private final LedgerClient client;\n    public int total() { return 0; }\n}\n",
            Some("java"),
            "java class",
        ),
        (
            "import express from 'express';\nconst app = express();\napp.get('/', (req, res) => res.send('ok'));\n",
            Some("javascript"),
            "js without types",
        ),
        (
            "export function getUserToken(userId: string): Promise<string> {\n  return fetchToken(userId);\n}\n",
            Some("typescript"),
            "type annotations make it TS",
        ),
        (
            "interface Invoice {\n  id: string;\n  total: number;\n}\nconst invoices: Invoice[] = [];\n",
            Some("typescript"),
            "interface",
        ),
        (
            "export const Badge = ({ label }: { label: string }) => {\n  return <span className=\"badge\">{label}</span>;\n};\n",
            Some("tsx"),
            "JSX + types",
        ),
        (
            "export const Badge = ({ label }) => {\n  return <span className=\"badge\">{label}</span>;\n};\n",
            Some("javascript"),
            "JSX without types",
        ),
        ("const x = 5;\n", Some("javascript"), "one line"),
        (
            "import os\nprint(os.getcwd())\n",
            Some("python"),
            "tiny python",
        ),
        (
            "const invoice: Invoice = await loadInvoice(invoiceId);\n",
            Some("typescript"),
            "annotated const",
        ),
        (
            "async function loadInvoice(invoiceId): Promise<Invoice> {\n  return db.get(invoiceId);\n}\n",
            Some("typescript"),
            "return type",
        ),
        (
            "func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {\n\tw.WriteHeader(200)\n}\n",
            Some("go"),
            "go method without package clause",
        ),
        (
            "List<String> invoiceIds = new ArrayList<>();\ninvoiceIds.add(\"INV-1\");\n",
            Some("java"),
            "java statements",
        ),
        (
            "class LedgerEntry:\n    def __init__(self, amount):\n        self.amount = amount\n",
            Some("python"),
            "python class",
        ),
        (
            "@Override\npublic String toString() {\n    return \"Ledger\";\n}\n",
            Some("java"),
            "java method",
        ),
        // Not code.
        ("", None, "empty"),
        ("   \n\n", None, "blank"),
        (
            "Hello! Could you help me figure out why my function returns the wrong total?\nI think the problem is in the loop, but I am not sure.\n",
            None,
            "English prose",
        ),
        (
            "# Release notes\n\n- Fixed a crash when the config file is missing.\n- Added support for `--format json`.\n\n## Upgrading\n\nRun the installer again and restart the daemon.\n",
            None,
            "Markdown",
        ),
        (
            "{\"name\": \"pretense\", \"version\": \"0.1.0\", \"dependencies\": {\"x\": \"^1\"}}",
            None,
            "JSON",
        ),
        (
            "[\n  {\"id\": 1, \"ok\": true},\n  {\"id\": 2, \"ok\": false}\n]\n",
            None,
            "JSON array",
        ),
        (
            "2024-05-01T10:22:14Z INFO  server started on 127.0.0.1:9339\n2024-05-01T10:22:15Z WARN  upstream slow: 1200ms\n2024-05-01T10:22:16Z ERROR request failed => status=502\n",
            None,
            "log",
        ),
        (
            "$ npm install\nadded 214 packages in 3s\n$ npm test\n> jest\nPASS src/auth.test.ts\nTests: 12 passed, 12 total\n",
            None,
            "shell session",
        ),
        (
            "The function should return early when the user is not found, and log a warning.",
            None,
            "one sentence",
        ),
        (
            "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\nNameError: name 'main' is not defined\n",
            None,
            "python traceback",
        ),
        (
            "You can import this from the library and then call it whenever the user logs in.\n",
            None,
            "prose mentioning import",
        ),
        (
            "Use `const x = 5` to declare it, then `x => x + 1` maps it.\nIt is the simplest way.\n",
            None,
            "prose with inline code",
        ),
        (
            "name: billing\nversion: 1.2.0\ndependencies:\n  - flask\n  - requests\n",
            None,
            "YAML",
        ),
        (
            "[package]\nname = \"pretense\"\nversion = \"0.1.0\"\n",
            None,
            "TOML",
        ),
        (
            "SELECT id, total FROM invoices WHERE status = 'open';\n",
            None,
            "SQL",
        ),
        (
            "export PATH=$HOME/bin:$PATH\nnpm install\nnpm run build\n",
            None,
            "shell without shebang",
        ),
        (
            "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n",
            None,
            "Dockerfile",
        ),
        (
            "Exception in thread \"main\" java.lang.NullPointerException\n\tat com.acme.Ledger.post(Ledger.java:42)\n\tat com.acme.Main.main(Main.java:7)\n",
            None,
            "java stack trace",
        ),
        (
            "goroutine 1 [running]:\nmain.main()\n\t/home/dev/app/main.go:12 +0x1d\nexit status 2\n",
            None,
            "go panic",
        ),
        (
            "#include <stdio.h>\nint main(void) {\n    printf(\"hi\\n\");\n    return 0;\n}\n",
            None,
            "C",
        ),
        (
            "fn main() {\n    let total = 5;\n    println!(\"{}\", total);\n}\n",
            None,
            "Rust",
        ),
        (
            "Mapping rules: draft => issued, issued => settled.\nEverything else is rejected.\n",
            None,
            "arrows in prose",
        ),
        (
            "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n-import os\n+import sys\n",
            None,
            "diff",
        ),
        (
            "<html>\n<body><div class=\"x\">Hello</div></body>\n</html>\n",
            None,
            "HTML",
        ),
    ];
    let mut failures = Vec::new();
    for (input, want, note) in CASES {
        let got = detect(input).map(|l| l.name);
        if got != *want {
            failures.push(format!("{note}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "detection:\n{}", failures.join("\n"));
}

/// Windows of 12 and 25 lines cut from the fixtures (the shape of a partial file in a tool
/// result): detection may miss, but must never name a language of another family, and should
/// recognise most 25-line windows. JavaScript, TypeScript and TSX are one family: a TSX window
/// without JSX *is* TypeScript, a TypeScript window without types *is* JavaScript.
#[test]
fn detect_fixture_windows() {
    fn family(name: &str) -> &str {
        match name {
            "javascript" | "typescript" | "tsx" => "js",
            other => other,
        }
    }
    let mut wrong = Vec::new();
    let (mut seen, mut recognised) = (0, 0);
    for lang in all() {
        let dir = fixtures_dir().join(lang.name);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "expected") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = src.lines().collect();
            for size in [12, 25] {
                let mut start = 0;
                while start + size <= lines.len() {
                    let window = lines[start..start + size].join("\n");
                    let got = detect(&window).map(|l| l.name);
                    if let Some(name) = got {
                        if family(name) != family(lang.name) {
                            wrong.push(format!("{}:{}+{size}: {name}", path.display(), start + 1));
                        }
                    }
                    if size == 25 {
                        seen += 1;
                        recognised += usize::from(got.is_some());
                    }
                    start += size / 2 + 1;
                }
            }
        }
    }
    assert!(wrong.is_empty(), "wrong language:\n{}", wrong.join("\n"));
    assert!(
        recognised * 10 >= seen * 7,
        "only {recognised} of {seen} 25-line windows recognised"
    );
}

/// Every fixture, realistic ones included, with its language.
fn every_fixture() -> Vec<(&'static Lang, PathBuf)> {
    let mut out = Vec::new();
    for lang in all() {
        for dir in [
            fixtures_dir().join(lang.name),
            fixtures_dir().join("realistic").join(lang.name),
        ] {
            let files = fixture_files(&dir).unwrap_or_default();
            out.extend(files.into_iter().map(|path| (lang, path)));
        }
    }
    out
}

#[test]
fn pieces_that_parse_cleanly_declare_what_the_whole_file_does() {
    let mut cut = 0;
    for (lang, path) in every_fixture() {
        let src = std::fs::read_to_string(&path).unwrap();
        let whole: Vec<(Kind, String, bool)> = lang
            .analyze(&src)
            .declarations
            .into_iter()
            .map(|d| (d.kind, d.name, d.mutable))
            .collect();
        for goal in [1, 64, 512] {
            let ranges = pieces(&src, goal);
            let analyses: Vec<Analysis> = ranges
                .iter()
                .map(|r| lang.analyze(&src[r.clone()]))
                .collect();
            // A piece with an error is parsed again with what precedes it: nothing to compare.
            if ranges.len() < 2 || analyses.iter().any(|a| a.error_nodes > 0) {
                continue;
            }
            cut += 1;
            let joined: Vec<(Kind, String, bool)> = analyses
                .into_iter()
                .flat_map(|a| a.declarations)
                .map(|d| (d.kind, d.name, d.mutable))
                .collect();
            assert_eq!(joined, whole, "{} in pieces of {goal} B", path.display());
        }
    }
    // Most fixtures are cut cleanly: the comparison is not vacuous.
    assert!(cut >= 20, "only {cut} clean cuts");
}

#[test]
fn a_text_analysed_on_every_core_gets_the_whole_parse_answer_lines_and_columns_included() {
    let (mut cut, mut parsed_again) = (0, 0);
    for (lang, path) in every_fixture() {
        let file = std::fs::read_to_string(&path).unwrap();
        // As written, with Windows line ends, and without the last line's end.
        let variants = [
            file.clone(),
            file.replace('\n', "\r\n"),
            file.trim_end().to_string(),
        ];
        for (src, goal) in variants
            .iter()
            .flat_map(|v| [64, 512, 2048].map(|goal| (v, goal)))
        {
            let whole = lang.analyze(src);
            let ranges = pieces(src, goal);
            if ranges.len() < 2 {
                continue;
            }
            if ranges
                .iter()
                .any(|r| lang.analyze(&src[r.clone()]).error_nodes > 0)
            {
                parsed_again += 1;
            } else {
                cut += 1;
            }
            let got = super::pieces::analyze_cut(lang, src, goal);
            assert_eq!(
                got.declarations,
                whole.declarations,
                "{} in pieces of {goal} B",
                path.display()
            );
            assert_eq!(got.error_nodes, whole.error_nodes, "{}", path.display());
        }
    }
    // Both ways are taken: pieces put back in place, and a parse again after a bad cut.
    assert!(cut >= 20, "only {cut} clean cuts");
    assert!(parsed_again >= 1, "no cut was parsed again");
}

#[test]
fn a_cut_inside_a_docstring_gets_the_whole_parse_answer() {
    let python = from_name("python").unwrap();
    let functions: String = (0..30)
        .map(|i| format!("def compute_total_{i}(amount_due_{i}):\n    return amount_due_{i}\n\n"))
        .collect();
    let src = format!(
        "DOC = \"\"\"\n{}\ndef looks_like_code_inside():\n    pass\n\"\"\"\n\n{functions}",
        "text\n".repeat(200)
    );
    let goal = piece_goal(0);
    // The pieces alone would declare the function inside the string.
    let naive: Vec<String> = pieces(&src, goal)
        .into_iter()
        .flat_map(|r| python.analyze(&src[r]).declarations)
        .map(|d| d.name)
        .collect();
    assert!(
        naive.iter().any(|n| n == "looks_like_code_inside"),
        "{naive:?}"
    );
    let got = super::pieces::analyze_cut(python, &src, goal);
    assert_eq!(got.declarations, python.analyze(&src).declarations);
    assert!(
        !got.declarations
            .iter()
            .any(|d| d.name == "looks_like_code_inside")
    );
}

#[test]
fn code_with_a_syntax_error_keeps_its_clean_pieces_and_gets_the_whole_answer() {
    let python: String = (0..40)
        .map(|i| format!("def compute_total_{i}(amount_due_{i}):\n    return amount_due_{i}\n\n"))
        .collect();
    let typescript: String = (0..40)
        .map(|i| format!("export function computeTotal{i}(amountDue{i}: number) {{\n  const doubled{i} = amountDue{i} * 2;\n  return doubled{i};\n}}\n\n"))
        .collect();
    let go: String = "package billing\n\n".to_string()
        + &(0..40)
            .map(|i| format!("func ComputeTotal{i}(amountDue{i} int) int {{\n\tdoubled{i} := amountDue{i} * 2\n\treturn doubled{i}\n}}\n\n"))
            .collect::<String>();
    let java: String = (0..40)
        .map(|i| format!("class LedgerEntry{i} {{\n  int settleAmount{i}(int amountDue) {{ return amountDue; }}\n}}\n\n"))
        .collect();
    let mut kept_prefix = 0;
    for (name, code) in [
        ("python", python),
        ("typescript", typescript),
        ("go", go),
        ("java", java),
    ] {
        let lang = from_name(name).unwrap();
        let half = code.len() / 2;
        let middle = code[half..].find("\n\n").map_or(half, |i| half + i + 2);
        for text in [
            // Cut off inside the last declaration, as pasted snippets are.
            code[..code.rfind('(').unwrap_or(0) + 4].to_string(),
            // A stray closing bracket halfway, and an unclosed string halfway.
            format!("{}) ]\n\n{}", &code[..middle], &code[middle..]),
            format!("{}x = \"open\n\n{}", &code[..middle], &code[middle..]),
            // Broken from the first line on.
            format!("(((\n\n{code}"),
        ] {
            let whole = lang.analyze(&text);
            assert!(whole.error_nodes > 0, "{name}: {text}");
            let cut = pieces(&text, 512);
            assert!(cut.len() > 2, "{name}");
            let analyses: Vec<Analysis> =
                cut.iter().map(|r| lang.analyze(&text[r.clone()])).collect();
            if reparse_from(&analyses) > Some(0) {
                kept_prefix += 1;
            }
            let got = super::pieces::analyze_cut(lang, &text, 512);
            assert_eq!(got.declarations, whole.declarations, "{name}:\n{text}");
        }
    }
    // Most texts keep some clean pieces.
    assert!(
        kept_prefix >= 8,
        "only {kept_prefix} texts kept clean pieces"
    );
}

#[test]
fn a_piece_that_continues_the_statement_before_it_is_parsed_with_that_statement() {
    // `else:`, `except`, `catch` in column 0 after a blank line are cut before; such a piece is
    // broken only because its statement started in the piece before.
    let functions = |prefix: &str| -> String {
        (0..12)
            .map(|i| format!("def {prefix}_{i}(amount_due_{i}):\n    return amount_due_{i}\n\n"))
            .collect()
    };
    let python = from_name("python").unwrap();
    let typescript = from_name("typescript").unwrap();
    let ts_functions: String = (0..12)
        .map(|i| {
            format!(
                "function computeTotal{i}(amountDue{i}: number) {{\n  return amountDue{i};\n}}\n\n"
            )
        })
        .collect();
    for (lang, text, name) in [
        (
            python,
            format!(
                "{}if FEATURE_ON:\n    mode = 1\n    level = 2\n    retries = 3\n    timeout_seconds = 30\n    backoff_factor = 2\n\nelse:\n    def fallback_encoder(payload_bytes):\n        return payload_bytes\n\n{}",
                functions("compute_total"),
                functions("reconcile_batch")
            ),
            "fallback_encoder",
        ),
        (
            python,
            format!(
                "{}try:\n    import fast_codec\n    import fast_checksum\n    import fast_compressor\n    import fast_serializer\n\nexcept ImportError:\n    def slow_codec(payload_bytes):\n        return payload_bytes\n\n{}",
                functions("compute_total"),
                functions("reconcile_batch")
            ),
            "slow_codec",
        ),
        (
            typescript,
            format!(
                "{ts_functions}try {{\n  loadCodec();\n  loadChecksum();\n  loadCompressor();\n  loadSerializer();\n}}\n\ncatch (codecError) {{\n  function slowCodec(payloadBytes: string) {{ return payloadBytes; }}\n}}\n\n{ts_functions}"
            ),
            "slowCodec",
        ),
    ] {
        let whole = lang.analyze(&text);
        assert_eq!(whole.error_nodes, 0, "{text}");
        assert!(whole.declarations.iter().any(|d| d.name == name));
        let continuation = ["else", "except", "catch"]
            .into_iter()
            .find(|k| text.contains(&format!("\n\n{k}")))
            .unwrap();
        assert!(
            pieces(&text, 64)
                .iter()
                .any(|r| text[r.clone()].starts_with(continuation)),
            "{name}: no cut before `{continuation}`"
        );
        for goal in [64, 256] {
            let got = super::pieces::analyze_cut(lang, &text, goal);
            assert_eq!(
                got.declarations, whole.declarations,
                "{name}, pieces of {goal} B"
            );
        }
    }
}
/// JavaScript with `identifiers` as its declarations query, to try the matcher's features.
fn javascript_with(identifiers: &'static str) -> Lang {
    Lang {
        name: "probe",
        aliases: &[],
        extensions: &[],
        grammar: || tree_sitter_javascript::LANGUAGE.into(),
        identifiers,
        builtins: "",
        compiled: OnceLock::new(),
        builtin_set: OnceLock::new(),
    }
}

#[test]
fn predicates_and_anchors_follow_tree_sitter() {
    // A predicate holds for every node its capture holds (a capture bound twice), and when it
    // holds none (an alternative without it); an anchor before a predicate is forgotten.
    let lang = javascript_with(
        "(pair key: (property_identifier) @name value: (identifier) @name (#eq? @name \"same\")) @definition.variable\n\
            (arguments [(identifier) @_a (number)] @name (#eq? @_a \"zz\")) @definition.parameter\n\
            (call_expression function: (identifier) @_f arguments: (arguments . (#eq? @_f \"f\") (identifier) @name)) @definition.constant\n\
            (call_expression function: (identifier) @_g arguments: (arguments (identifier) @name . (#eq? @_g \"g\"))) @definition.field\n",
    );
    let ours = query::compile(&lang).unwrap();
    assert!(ours.uses_matcher());
    let reference = query::compile_for(&lang, false).unwrap();
    let text = "x = {same: same, same: other};\nh(zz, other, 3);\nf(a, b);\ng(c, d);\n";
    assert_eq!(engines_agree(&lang, &ours, &reference, text), Ok(true));
    let names: Vec<&str> = query::raw_captures(&reference, &lang, text)
        .0
        .iter()
        .map(|c| &text[c.0..c.1])
        .collect();
    // `same: other` fails; `3` has no @_a; `b` and `c` are not held by the anchors.
    for name in ["same", "zz", "3", "a", "b", "c", "d"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(!names.contains(&"other"), "{names:?}");
}

#[test]
fn a_step_that_binds_nothing_is_matched_once() {
    // `(modifiers "static" "final")` holds in static × final ways; each declarator must still
    // be one match, or valid Java with many modifiers costs cubic time.
    let java = from_name("java").unwrap();
    let ours = query::compile(java).unwrap();
    let reference = query::compile_for(java, false).unwrap();
    let n = 80;
    let text = format!(
        "class A {{ {} {} int {}; }}\n",
        "static ".repeat(n),
        "final ".repeat(n),
        (0..n)
            .map(|i| format!("limit{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(engines_agree(java, &ours, &reference, &text), Ok(true));
    let matches = query::match_count(&ours, java, &text);
    // One constant and one field match per declarator, and the class.
    assert!(matches <= 3 * n, "{matches} matches for {n} declarators");
    assert!(matches >= 2 * n, "{matches} matches for {n} declarators");

    // A step that binds nothing, before one that does: its first match leaves the most room.
    let lang = javascript_with("(arguments (number) (identifier) @name) @definition.variable\n");
    let ours = query::compile(&lang).unwrap();
    let reference = query::compile_for(&lang, false).unwrap();
    let text = format!(
        "f(first, {} {});\n",
        "1, ".repeat(n),
        (0..n)
            .map(|i| format!("arg{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(engines_agree(&lang, &ours, &reference, &text), Ok(true));
    assert_eq!(query::match_count(&ours, &lang, &text), n);
}

#[test]
fn a_step_that_binds_only_helpers_is_matched_once() {
    // `source: (string (string_fragment) @_src)` holds once per fragment of the module string,
    // `superclasses: (argument_list … @_base)` once per base class: the names they go with must
    // not be matched that many times each (valid code, quadratic time and memory otherwise).
    let n = 40;
    let names = (0..n).map(|i| format!("name{i}")).collect::<Vec<_>>();
    let cases = [
        (
            "typescript",
            format!(
                "import {{ {} }} from \"./x{}\";\n",
                names.join(", "),
                "\\\nx".repeat(n)
            ),
        ),
        (
            "python",
            format!(
                "class Color({}, Enum):\n{}",
                (0..n)
                    .map(|i| format!("Base{i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                names
                    .iter()
                    .map(|x| format!("    {x} = 1\n"))
                    .collect::<String>()
            ),
        ),
    ];
    for (name, text) in cases {
        let lang = from_name(name).unwrap();
        let ours = query::compile(lang).unwrap();
        let reference = query::compile_for(lang, false).unwrap();
        assert_eq!(lang.analyze(&text).error_nodes, 0, "{text}");
        assert_eq!(engines_agree(lang, &ours, &reference, &text), Ok(true));
        let declared = query::raw_captures(&ours, lang, &text).0.len();
        assert!(declared >= n, "{name}: {declared} names");
        let matches = query::match_count(&ours, lang, &text);
        assert!(
            matches <= 4 * n + 8,
            "{name}: {matches} matches for {n} names"
        );
    }
}

#[test]
fn the_matcher_follows_tree_sitter_inside_error_nodes() {
    // A root alternation, wildcards and anchors, over code whose names sit in ERROR nodes.
    let lang = javascript_with(
        "[(identifier) (property_identifier) (number)] @name @definition.variable\n\
            (arguments . (_) @name) @definition.parameter\n\
            (arguments (_) @name .) @definition.constant\n\
            (arguments _ @name .) @definition.type\n\
            (for_in_statement kind: _ @name) @definition.field\n",
    );
    let ours = query::compile(&lang).unwrap();
    assert!(ours.uses_matcher());
    let reference = query::compile_for(&lang, false).unwrap();
    let mut in_error = 0;
    for text in [
        "let = ((( foo bar.baz qux 12 \"s\"\n",
        "a b c d 1 2\n",
        ") foo.bar 3 (\n",
        "call(first, ))) second, 3)\n",
        "call(/* note */ first, second /* end */)\n",
        "f(: a)\nf(a b)\nf(@@@ a)\nf(a, #)\n",
        "for (const key in obj) {}\nfor (let ((( in obj) {}\n",
    ] {
        assert_eq!(engines_agree(&lang, &ours, &reference, text), Ok(true));
        let want = query::raw_captures(&reference, &lang, text);
        // The grammar before the parser: getting it sets tree-sitter's allocator.
        let grammar = lang.grammar();
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar).unwrap();
        let tree = parser.parse(text, None).unwrap();
        in_error += want
            .0
            .iter()
            .filter(|(start, end, ..)| {
                let node = tree
                    .root_node()
                    .descendant_for_byte_range(*start, *end)
                    .unwrap();
                node.parent().is_some_and(|p| p.is_error())
            })
            .count();
    }
    assert!(in_error >= 5, "only {in_error} captures inside ERROR nodes");
}
