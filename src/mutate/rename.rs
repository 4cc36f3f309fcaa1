//! The renaming pass: every token of a text is split into words, and wherever the words of a known
//! name occur at word boundaries — the name itself, another casing of it (`get_user_token`), or
//! inside a longer identifier (`getUserTokenAsync`, `test_get_user_token`) — they are replaced by the
//! name's replacement words rendered in the same shapes. Language-agnostic and linear: parsing only
//! decides *which* names are known; this pass applies them everywhere (code, comments, strings,
//! prose), and the egress check reuses it to prove nothing was missed.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::words::{self, Shape};

/// The names to look for, by their lowercase words.
#[derive(Debug, Default, Clone)]
pub struct KnownNames {
    names: Vec<Vec<String>>,
    index: FxHashMap<Vec<String>, usize>,
    /// First word (by [`word_hash`]) → names starting with it, longest first. A text's word is
    /// hashed once, lowercased on the fly, for every layer: no lowercase copy, no string hashed
    /// per layer. Hashes may collide: the first word is compared too.
    by_first: FxHashMap<u64, Vec<usize>>,
    /// One bit per first word's hash (`FILTER_BITS` of them once the first name is added): most
    /// words of a text that start no name of this layer are rejected without a map lookup.
    filter: Vec<u64>,
}

const FILTER_BITS: usize = 1 << 14;

/// The hash of a word's lowercase bytes (FxHash's step, per byte).
#[inline]
fn word_hash(word: &[u8]) -> u64 {
    word.iter().fold(0u64, |h, &b| {
        (h.rotate_left(5) ^ u64::from(b.to_ascii_lowercase()))
            .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
    })
}

fn filter_slot(hash: u64) -> (usize, u64) {
    let bit = (hash >> 50) as usize & (FILTER_BITS - 1);
    (bit / 64, 1u64 << (bit % 64))
}

impl KnownNames {
    /// Adds a name (lowercase words); returns its id. Adding twice returns the same id.
    pub fn add(&mut self, words: Vec<String>) -> usize {
        if let Some(&id) = self.index.get(&words) {
            return id;
        }
        let id = self.names.len();
        let first = word_hash(words[0].as_bytes());
        let (i, bit) = filter_slot(first);
        if self.filter.is_empty() {
            self.filter = vec![0; FILTER_BITS / 64];
        }
        self.filter[i] |= bit;
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

    fn may_start(&self, hash: u64) -> bool {
        let (i, bit) = filter_slot(hash);
        self.filter.get(i).is_some_and(|f| f & bit != 0)
    }

    /// The ids of the known names that occur in `text`.
    pub fn occurring(&self, text: &[u8], out: &mut Vec<usize>) {
        for m in Layers(&[self]).find(text) {
            if !out.contains(&m.id) {
                out.push(m.id);
            }
        }
    }

    /// Appends `text` to `out` with every occurrence of a name whose `replacement(id)` is `Some`
    /// rewritten. Returns the number of occurrences replaced.
    pub fn rename<'r>(
        &self,
        text: &[u8],
        replacement: impl Fn(usize) -> Option<&'r [String]>,
        out: &mut Vec<u8>,
    ) -> usize {
        let matches = Layers(&[self]).find(text);
        render(text, 0..text.len(), &matches, |_, id| replacement(id), out)
    }
}

/// One occurrence of a known name: the byte ranges of its words in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub words: Vec<Range<usize>>,
    pub layer: usize,
    pub id: usize,
}

/// Texts at least this long are searched on every core (10 KB of code takes ~0.3 ms on one).
const SPLIT_MIN: usize = 4096;

/// Several name sets searched together (the vault's and a request's); a match is `(layer, id)`.
#[derive(Clone, Copy)]
pub struct Layers<'a>(pub &'a [&'a KnownNames]);

impl Layers<'_> {
    /// Every occurrence of a known name in `text`, in order, leftmost-longest within each token
    /// across all layers.
    pub fn find(&self, text: &[u8]) -> Vec<Match> {
        if self.0.iter().all(|k| k.is_empty()) {
            return Vec::new();
        }
        let cores = crate::parallel::cores();
        if text.len() < SPLIT_MIN || cores < 2 {
            return self.find_in_tokens(text, words::tokens(text));
        }
        self.find_in_parts(text, cores)
    }

    /// [`Layers::find`] in `parts` parts, searched on every core.
    fn find_in_parts(&self, text: &[u8], parts: usize) -> Vec<Match> {
        // Cut between tokens: a token's matches depend on nothing outside it but the escape
        // before it, which `find_in_tokens` still sees in the whole text.
        let mut cuts = vec![0];
        for k in 1..parts {
            let mut at = (text.len() * k / parts).max(cuts[k - 1]);
            while at < text.len() && words::is_token_byte(text[at]) {
                at += 1;
            }
            cuts.push(at);
        }
        cuts.push(text.len());
        let parts: Vec<(usize, Range<usize>)> =
            cuts.windows(2).map(|w| w[0]..w[1]).enumerate().collect();
        let found = std::sync::Mutex::new(vec![Vec::new(); parts.len()]);
        crate::parallel::on_every_core(&parts, |(i, part)| {
            let tokens = words::tokens(&text[part.clone()])
                .map(|t| t.start + part.start..t.end + part.start);
            let matches = self.find_in_tokens(text, tokens);
            found.lock().unwrap_or_else(|e| e.into_inner())[*i] = matches;
        });
        found
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .flatten()
            .collect()
    }

    /// [`Layers::find`] over some of the tokens of `text` only (as [`words::tokens`] gives them,
    /// in order): a token's matches depend on nothing outside it.
    pub fn find_in_tokens(
        &self,
        text: &[u8],
        tokens: impl IntoIterator<Item = Range<usize>>,
    ) -> Vec<Match> {
        self.find_in_tokens_reusing(text, tokens, true)
    }

    /// [`Layers::find_in_tokens`]; with `reuse`, a token spelled like one matched before gets
    /// that one's matches, moved: code repeats its tokens (`self`, `return`, a class's name), and
    /// splitting and looking up each occurrence was most of the search. Without, every token is
    /// matched (what the property test compares with).
    fn find_in_tokens_reusing(
        &self,
        text: &[u8],
        tokens: impl IntoIterator<Item = Range<usize>>,
        reuse: bool,
    ) -> Vec<Match> {
        let mut out: Vec<Match> = Vec::new();
        let mut ranges = Vec::new();
        // Spelling → where it was matched and the range of `out` its matches took.
        let mut matched: FxHashMap<&[u8], (usize, Range<usize>)> = FxHashMap::default();
        for tok in tokens {
            // A token glued to an escape (`\nreconcile`) is matched without the escape letter
            // first, and as written only if that finds nothing (`C:\reconcile.ts`): restore and
            // the egress check use the same rule, so the two directions agree.
            // Not as written when the escape-less token was pretense's own output (`\nzqbokami…`):
            // read with the escape letter glued on, its marker would no longer stop the search.
            let skip = words::escape_skip(text, tok.start);
            // Without an escape before it, a token's matches depend on its bytes alone.
            if reuse && skip == 0 {
                let spelling = &text[tok.clone()];
                if let Some((at, earlier)) = matched.get(spelling) {
                    for k in earlier.clone() {
                        let moved = Match {
                            words: out[k]
                                .words
                                .iter()
                                .map(|r| r.start - at + tok.start..r.end - at + tok.start)
                                .collect(),
                            ..out[k]
                        };
                        out.push(moved);
                    }
                } else {
                    let before = out.len();
                    self.match_token(text, tok.clone(), &mut ranges, &mut out);
                    matched.insert(spelling, (tok.start, before..out.len()));
                }
                continue;
            }
            let before = out.len();
            let mut own_output = false;
            if tok.start + skip < tok.end {
                own_output =
                    self.match_token(text, tok.start + skip..tok.end, &mut ranges, &mut out);
            }
            if out.len() == before && skip > 0 && !own_output {
                self.match_token(text, tok.clone(), &mut ranges, &mut out);
            }
        }
        out
    }

    /// Whether any known name occurs in `text` (the egress check).
    pub fn any(&self, text: &[u8]) -> bool {
        !self.find(text).is_empty()
    }

    /// Matches one token's words; returns whether it met pretense's own output in it (a
    /// replacement or a placeholder).
    fn match_token(
        &self,
        text: &[u8],
        tok: Range<usize>,
        ranges: &mut Vec<Range<usize>>,
        out: &mut Vec<Match>,
    ) -> bool {
        let mut own_output = false;
        let token = &text[tok.clone()];
        words::split(token, ranges);
        let mut w = 0;
        while w < ranges.len() {
            let word = &token[ranges[w].clone()];
            // pretense's own output is never a name: a placeholder (`PRETENSE_CARD_1a2b3c4d` holds
            // the word `card`), or a replacement, whose later pseudo-words (`rate`, `node`) can be
            // real words. A replacement starts with a `zq` word and runs to the end of its token.
            if word.len() > 2 && word[..2].eq_ignore_ascii_case(super::naming::MARKER.as_bytes()) {
                return true;
            }
            if let Some(len) = token[ranges[w].start..]
                .starts_with(super::naming::PLACEHOLDER_PREFIX.as_bytes())
                .then(|| super::restore::placeholder_len(&token[ranges[w].start..]))
                .flatten()
            {
                let end = ranges[w].start + len;
                while w < ranges.len() && ranges[w].start < end {
                    w += 1;
                }
                own_output = true;
                continue;
            }
            let hash = word_hash(word);
            let mut best: Option<(usize, usize, usize)> = None;
            for (layer, known) in self.0.iter().enumerate() {
                if !known.may_start(hash) {
                    continue;
                }
                let Some(cands) = known.by_first.get(&hash) else {
                    continue;
                };
                for &id in cands {
                    let name = &known.names[id];
                    if best.is_some_and(|(_, _, len)| len >= name.len()) {
                        break;
                    }
                    if w + name.len() <= ranges.len()
                        && word.eq_ignore_ascii_case(name[0].as_bytes())
                        && name[1..]
                            .iter()
                            .zip(&ranges[w + 1..])
                            .all(|(n, r)| token[r.clone()].eq_ignore_ascii_case(n.as_bytes()))
                    {
                        best = Some((layer, id, name.len()));
                        break;
                    }
                }
            }
            match best {
                Some((layer, id, len)) => {
                    out.push(Match {
                        words: ranges[w..w + len]
                            .iter()
                            .map(|r| tok.start + r.start..tok.start + r.end)
                            .collect(),
                        layer,
                        id,
                    });
                    w += len;
                }
                None => w += 1,
            }
        }
        own_output
    }

    /// Like [`KnownNames::rename`], across layers.
    pub fn rename<'r>(
        &self,
        text: &[u8],
        replacement: impl Fn(usize, usize) -> Option<&'r [String]>,
        out: &mut Vec<u8>,
    ) -> usize {
        let matches = self.find(text);
        render(text, 0..text.len(), &matches, replacement, out)
    }
}

/// Appends `text[range]` to `out` with `matches` (found in `text`, all inside `range`) replaced by
/// their replacement words in the shapes of the words they replace. Returns how many were replaced.
pub fn render<'r>(
    text: &[u8],
    range: Range<usize>,
    matches: &[Match],
    replacement: impl Fn(usize, usize) -> Option<&'r [String]>,
    out: &mut Vec<u8>,
) -> usize {
    let mut copied = range.start;
    let mut count = 0;
    let mut s = String::new();
    for m in matches {
        let Some(repl) = replacement(m.layer, m.id) else {
            continue;
        };
        for (j, r) in m.words.iter().enumerate() {
            out.extend_from_slice(&text[copied..r.start]);
            s.clear();
            Shape::of(&text[r.clone()]).render(&repl[j], &mut s);
            out.extend_from_slice(s.as_bytes());
            copied = r.end;
        }
        count += 1;
    }
    out.extend_from_slice(&text[copied..range.end]);
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::restore::{Mapping, NameEntry, restore};
    use std::collections::HashMap;
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

    /// A replacement or placeholder right after an escape is not read again with the escape's
    /// letter glued on (`nzqbokami` is no marker), which would rename a real word inside it.
    #[test]
    fn pretense_output_after_an_escape_is_never_matched() {
        let mut known = KnownNames::default();
        known.add(w("rate"));
        known.add(w("card"));
        for text in [
            r"x\nzqbokamiRate",
            r"x\\nzqbokamiRate",
            r"x\tPRETENSE_CARD_1a2b3c4d",
        ] {
            assert_eq!(Layers(&[&known]).find(text.as_bytes()), [], "{text}");
        }
    }

    #[test]
    fn pretense_output_is_never_matched() {
        let mut known = KnownNames::default();
        known.add(w("card"));
        known.add(w("rate"));
        known.add(w("secret"));
        let found = |t: &str| Layers(&[&known]).find(t.as_bytes()).len();
        assert_eq!(
            found("PRETENSE_CARD_1a2b3c4d and PRETENSE_SECRET_00ff00ff"),
            0
        );
        assert_eq!(
            found("zqbokamiRate zqbokami_rate_card"),
            0,
            "words of a replacement"
        );
        assert_eq!(found("the Card rate"), 2, "real words still count");
        assert_eq!(
            found("PRETENSE_CARD_xyz"),
            1,
            "not a well-formed placeholder: `card` counts"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A long text is searched in parts, one per core, cut between tokens: the matches are
        /// those of one pass over every token, escapes and names at the cuts included.
        #[test]
        fn a_text_searched_in_parts_matches_as_a_whole(
            picks in proptest::collection::vec(0usize..FRAGMENTS.len(), 700..1400),
            parts in 2usize..9,
        ) {
            let mut known = KnownNames::default();
            known.add(w("reconcile ledger"));
            known.add(w("get user token"));
            known.add(w("get user"));
            known.add(w("ledger"));
            let text: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
            proptest::prop_assume!(text.len() >= SPLIT_MIN);
            let layers = Layers(&[&known]);
            let whole = layers.find_in_tokens(text.as_bytes(), words::tokens(text.as_bytes()));
            proptest::prop_assert!(!whole.is_empty());
            // Each spelling's matches reused: those of matching every token.
            let each = layers.find_in_tokens_reusing(text.as_bytes(), words::tokens(text.as_bytes()), false);
            proptest::prop_assert_eq!(&whole, &each);
            proptest::prop_assert_eq!(layers.find(text.as_bytes()), whole.clone());
            proptest::prop_assert_eq!(layers.find_in_parts(text.as_bytes(), parts), whole);
        }
    }

    /// A cut between the two backslashes of `\\n`: the token after them is matched the same way
    /// (without the escape letter first), whichever part it falls in.
    #[test]
    fn a_cut_inside_an_escape_sees_the_whole_escape() {
        let mut known = KnownNames::default();
        known.add(w("nreconcile ledger"));
        known.add(w("reconcile ledger"));
        let layers = Layers(&[&known]);
        for pad in 0..120 {
            let text = format!("{}x\\\\nreconcileLedger{}", " ".repeat(pad), " ".repeat(60));
            let whole = layers.find_in_tokens(text.as_bytes(), words::tokens(text.as_bytes()));
            assert_eq!(whole.len(), 1);
            for parts in 2..5 {
                assert_eq!(
                    layers.find_in_parts(text.as_bytes(), parts),
                    whole,
                    "{pad} {parts}"
                );
            }
        }
    }

    const FRAGMENTS: &[&str] = &[
        "reconcileLedger",
        "\\nreconcileLedger",
        "\\",
        "\\n",
        " ",
        "\n",
        "_",
        "getUserToken",
        "GET_USER",
        "ledgers",
        "(",
        "x",
        "Ledger.",
        "C:\\reconcile_ledger",
        "getUserTokenAsync",
        "zqbokami_ledger",
    ];

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
            // `\\n`: code's `\n` encoded once more (a tool call's JSON arguments).
            (r#"x\\nreconcileLedger"#, r#"x\\nzqbokamiFuti"#),
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
