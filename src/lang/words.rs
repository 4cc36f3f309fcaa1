//! Word lists: `grammars/generic.txt` (names too common to be worth renaming, any language) and
//! `grammars/<lang>/builtins.txt` (a language's keywords, builtins and well-known library names).
//!
//! Both are plain text, one word per line, `#` starts a comment. A builtins file may start with
//! `# inherits: <lang>[, <lang>]` to include another language's list first (tsx inherits
//! typescript).

use std::collections::HashSet;
use std::sync::OnceLock;

use super::Lang;

static GENERIC_SRC: &str = include_str!("../../grammars/generic.txt");

/// The words of a list file: one per line, `#` comments and blank lines skipped.
pub(crate) fn parse_list(src: &str) -> impl Iterator<Item = &str> {
    src.lines().filter_map(|line| {
        let word = line.split('#').next().unwrap_or("").trim();
        (!word.is_empty()).then_some(word)
    })
}

/// The languages named by an `inherits:` header line (`; inherits: a, b` or `# inherits: a`).
pub(crate) fn inherits(src: &str, comment: &str) -> Vec<&'static Lang> {
    let Some(first) = src.lines().next() else {
        return Vec::new();
    };
    let Some(rest) = first
        .strip_prefix(comment)
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix("inherits:"))
    else {
        return Vec::new();
    };
    rest.split(',')
        .filter_map(|name| {
            let name = name.trim();
            // The table is static data and a unit test resolves every header, so an unknown
            // name here is a bug in a grammars/ file, caught by `cargo test`.
            Lang::by_name(name)
        })
        .collect()
}

/// The builtin set of `lang`, including inherited lists.
pub(crate) fn builtins(lang: &Lang) -> HashSet<&'static str> {
    let mut set = HashSet::new();
    add_builtins(lang, &mut set, 0);
    set
}

fn add_builtins(lang: &Lang, set: &mut HashSet<&'static str>, depth: usize) {
    // Inheritance chains are one level deep today; the bound only stops a cycle in the data.
    if depth > 4 {
        return;
    }
    for parent in inherits(lang.builtins, "#") {
        add_builtins(parent, set, depth + 1);
    }
    set.extend(parse_list(lang.builtins));
}

fn generic_set() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        parse_list(GENERIC_SRC)
            .map(|w| w.to_ascii_lowercase())
            .collect()
    })
}

/// Longer names are never generic: the longest word in `generic.txt` is far shorter.
const MAX_GENERIC_LEN: usize = 32;

/// See [`super::is_generic`]. Allocation-free: it runs once per declaration.
pub(crate) fn is_generic(name: &str) -> bool {
    let core = name.trim_matches(|c| c == '_' || c == '$');
    if core.chars().count() < 3 {
        return true;
    }
    if core.len() > MAX_GENERIC_LEN || !core.is_ascii() {
        return false;
    }
    let mut buf = [0u8; MAX_GENERIC_LEN];
    let lower = &mut buf[..core.len()];
    lower.copy_from_slice(core.as_bytes());
    lower.make_ascii_lowercase();
    // ASCII in, ASCII out.
    let lower = std::str::from_utf8(lower).unwrap_or_default();
    let set = generic_set();
    if set.contains(lower) {
        return true;
    }
    // `item2`, `data_1`: a generic word, numbered, is still generic.
    let unnumbered = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('_');
    unnumbered.len() != lower.len() && (unnumbered.len() < 3 || set.contains(unnumbered))
}
