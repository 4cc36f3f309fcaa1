//! The renaming pass: every token of a text is split into words, and wherever the words of a known
//! name occur at word boundaries — the name itself, another casing of it (`get_user_token`), or
//! inside a longer identifier (`getUserTokenAsync`, `test_get_user_token`) — they are replaced by the
//! name's replacement words rendered in the same shapes. Language-agnostic and linear: parsing only
//! decides *which* names are known; this pass applies them everywhere (code, comments, strings,
//! prose), and the egress check reuses it to prove nothing was missed.

use std::collections::HashMap;
use std::ops::Range;

use super::words::{self, Shape};

/// The names to look for, by their lowercase words.
#[derive(Debug, Default, Clone)]
pub struct KnownNames {
    names: Vec<Vec<String>>,
    index: HashMap<Vec<String>, usize>,
    /// First word → names starting with it, longest first.
    by_first: HashMap<String, Vec<usize>>,
}

impl KnownNames {
    /// Adds a name (lowercase words); returns its id. Adding twice returns the same id.
    pub fn add(&mut self, words: Vec<String>) -> usize {
        if let Some(&id) = self.index.get(&words) {
            return id;
        }
        let id = self.names.len();
        let first = words[0].clone();
        self.index.insert(words.clone(), id);
        self.names.push(words);
        let list = self.by_first.entry(first).or_default();
        list.push(id);
        let names = &self.names;
        list.sort_by_key(|&i| std::cmp::Reverse(names[i].len()));
        id
    }

    pub fn words(&self, id: usize) -> &[String] {
        &self.names[id]
    }

    pub fn id(&self, words: &[String]) -> Option<usize> {
        self.index.get(words).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The ids of the known names that occur in `text`.
    pub fn occurring(&self, text: &[u8], out: &mut Vec<usize>) {
        Layers(&[self]).for_each_match(text, |_, _, _, _, _, id| {
            if !out.contains(&id) {
                out.push(id);
            }
        });
    }

    /// Appends `text` to `out` with every occurrence of a name whose `replacement(id)` is `Some`
    /// rewritten. Returns the number of occurrences replaced.
    pub fn rename<'r>(
        &self,
        text: &[u8],
        replacement: impl Fn(usize) -> Option<&'r [String]>,
        out: &mut Vec<u8>,
    ) -> usize {
        Layers(&[self]).rename(text, |_, id| replacement(id), out)
    }
}

/// Several name sets searched together (the vault's and a request's); a match is `(layer, id)`.
#[derive(Clone, Copy)]
pub struct Layers<'a>(pub &'a [&'a KnownNames]);

impl Layers<'_> {
    /// Calls `f(token_start, word_ranges, first_word, word_count, layer, id)` for every match in
    /// `text`, leftmost-longest within each token across all layers.
    pub fn for_each_match(
        &self,
        text: &[u8],
        mut f: impl FnMut(usize, &[Range<usize>], usize, usize, usize, usize),
    ) {
        if self.0.iter().all(|k| k.is_empty()) {
            return;
        }
        let mut ranges = Vec::new();
        let mut lower: Vec<String> = Vec::new();
        let mut found: Vec<(usize, usize, usize, usize)> = Vec::new();
        for tok in words::tokens(text) {
            // A token glued to an escape (`\nreconcile`) is matched without the escape letter
            // first, and as written only if that finds nothing (`C:\reconcile.ts`): restore and
            // the egress check use the same rule, so the two directions agree.
            let skip = words::escape_skip(text, tok.start);
            let mut start = tok.start + skip;
            if start < tok.end {
                self.match_token(text, start..tok.end, &mut ranges, &mut lower, &mut found);
            }
            if found.is_empty() && skip > 0 {
                start = tok.start;
                self.match_token(text, tok.clone(), &mut ranges, &mut lower, &mut found);
            }
            for &(w, len, layer, id) in &found {
                f(start, &ranges, w, len, layer, id);
            }
            found.clear();
        }
    }

    fn match_token(
        &self,
        text: &[u8],
        tok: Range<usize>,
        ranges: &mut Vec<Range<usize>>,
        lower: &mut Vec<String>,
        found: &mut Vec<(usize, usize, usize, usize)>,
    ) {
        let token = &text[tok];
        words::split(token, ranges);
        lower.clear();
        lower.extend(ranges.iter().map(|r| {
            token[r.clone()]
                .iter()
                .map(|b| b.to_ascii_lowercase() as char)
                .collect()
        }));
        let mut w = 0;
        while w < ranges.len() {
            let mut best: Option<(usize, usize, usize)> = None;
            for (layer, known) in self.0.iter().enumerate() {
                let Some(cands) = known.by_first.get(&lower[w]) else {
                    continue;
                };
                for &id in cands {
                    let name = &known.names[id];
                    if best.is_some_and(|(_, _, len)| len >= name.len()) {
                        break;
                    }
                    if w + name.len() <= lower.len()
                        && name.iter().zip(&lower[w..]).all(|(a, b)| a == b)
                    {
                        best = Some((layer, id, name.len()));
                        break;
                    }
                }
            }
            match best {
                Some((layer, id, len)) => {
                    found.push((w, len, layer, id));
                    w += len;
                }
                None => w += 1,
            }
        }
    }

    /// Like [`KnownNames::rename`], across layers.
    pub fn rename<'r>(
        &self,
        text: &[u8],
        replacement: impl Fn(usize, usize) -> Option<&'r [String]>,
        out: &mut Vec<u8>,
    ) -> usize {
        let mut copied = 0;
        let mut count = 0;
        let mut s = String::new();
        self.for_each_match(text, |tok_start, ranges, w, len, layer, id| {
            let Some(repl) = replacement(layer, id) else {
                return;
            };
            for (j, r) in ranges[w..w + len].iter().enumerate() {
                let abs = tok_start + r.start..tok_start + r.end;
                out.extend_from_slice(&text[copied..abs.start]);
                s.clear();
                Shape::of(&text[abs.clone()]).render(&repl[j], &mut s);
                out.extend_from_slice(s.as_bytes());
                copied = abs.end;
            }
            count += 1;
        });
        out.extend_from_slice(&text[copied..]);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::restore::{Mapping, NameEntry, restore};
    use std::sync::Arc;

    fn w(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn renames_every_casing_and_derived_names_and_restores() {
        let mut known = KnownNames::default();
        let a = known.add(w("get user token"));
        let b = known.add(w("ledger"));
        let c = known.add(w("get user"));
        let repl: HashMap<usize, Vec<String>> = [
            (a, w("zqbokami futi lova")),
            (b, w("zqmirato")),
            (c, w("zqtekupa rimo")),
        ]
        .into();
        let text = "getUserToken() GET_USER_TOKEN get_user_token getUserTokenAsync test_get_user_token \
                    getUser getUsers ledger LedgerEntry ledgers // why does getUserToken fail?";
        let mut out = Vec::new();
        let n = known.rename(
            text.as_bytes(),
            |id| repl.get(&id).map(|v| v.as_slice()),
            &mut out,
        );
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "zqbokamiFutiLova() ZQBOKAMI_FUTI_LOVA zqbokami_futi_lova zqbokamiFutiLovaAsync \
             test_zqbokami_futi_lova zqtekupaRimo getUsers zqmirato ZqmiratoEntry ledgers // why \
             does zqbokamiFutiLova fail?"
        );
        assert_eq!(n, 9);
        let mut m = Mapping::default();
        for (id, r) in &repl {
            m.insert_name(Arc::new(NameEntry {
                original: known.words(*id).to_vec(),
                replacement: r.clone(),
                term: None,
            }));
        }
        assert_eq!(restore(&m, &out), text);
        let mut occ = Vec::new();
        known.occurring(text.as_bytes(), &mut occ);
        occ.sort();
        assert_eq!(occ, [a, b, c]);
    }

    #[test]
    fn names_glued_to_escapes_are_found_both_ways() {
        let mut known = KnownNames::default();
        let a = known.add(w("reconcile ledger"));
        let repl: HashMap<usize, Vec<String>> = [(a, w("zqbokami futi"))].into();
        for (text, expected) in [
            (
                r#"log("done\nreconcileLedger")"#,
                r#"log("done\nzqbokamiFuti")"#,
            ),
            (r#"C:\reconcileLedger.ts"#, r#"C:\zqbokamiFuti.ts"#),
            (r#"x\\nreconcileLedger"#, r#"x\\nreconcileLedger"#),
        ] {
            let mut out = Vec::new();
            known.rename(
                text.as_bytes(),
                |id| repl.get(&id).map(|v| v.as_slice()),
                &mut out,
            );
            assert_eq!(String::from_utf8(out.clone()).unwrap(), expected, "{text}");
            let mut m = Mapping::default();
            m.insert_name(Arc::new(NameEntry {
                original: w("reconcile ledger"),
                replacement: w("zqbokami futi"),
                term: None,
            }));
            assert_eq!(restore(&m, &String::from_utf8(out).unwrap()), text);
        }
    }
}
