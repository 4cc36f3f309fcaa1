//! The user's dictionary (`[[dictionary]]`): codenames, company and customer names, internal hosts —
//! terms that are always replaced wherever they appear, code or prose, as in anonamoose's
//! dictionary. Matched with Aho-Corasick, leftmost-longest, per-term case sensitivity and
//! whole-word boundaries.

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::config::DictionaryTerm;

/// Compiled dictionary terms.
#[derive(Debug, Default)]
pub struct Dictionary {
    sensitive: Option<(AhoCorasick, Vec<usize>)>,
    insensitive: Option<(AhoCorasick, Vec<usize>)>,
    terms: Vec<DictionaryTerm>,
}

impl Dictionary {
    pub fn new(terms: &[DictionaryTerm]) -> Result<Dictionary, aho_corasick::BuildError> {
        let build =
            |ci: bool| -> Result<Option<(AhoCorasick, Vec<usize>)>, aho_corasick::BuildError> {
                let idx: Vec<usize> = terms
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.case_sensitive != ci && !t.term.trim().is_empty())
                    .map(|(i, _)| i)
                    .collect();
                if idx.is_empty() {
                    return Ok(None);
                }
                let ac = AhoCorasick::builder()
                    .ascii_case_insensitive(ci)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(idx.iter().map(|&i| terms[i].term.as_bytes()))?;
                Ok(Some((ac, idx)))
            };
        Ok(Dictionary {
            sensitive: build(false)?,
            insensitive: build(true)?,
            terms: terms.to_vec(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.sensitive.is_none() && self.insensitive.is_none()
    }

    /// Every term occurrence, sorted, without overlaps (longest first at a position).
    pub fn find(&self, text: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for (ac, idx) in [&self.sensitive, &self.insensitive].into_iter().flatten() {
            for m in ac.find_iter(text) {
                let term = &self.terms[idx[m.pattern().as_usize()]];
                if term.whole_word && !bounded(text, m.range()) {
                    continue;
                }
                out.push(m.range());
            }
        }
        out.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
        for r in out {
            if merged.last().is_some_and(|last| r.start < last.end) {
                continue;
            }
            merged.push(r);
        }
        merged
    }
}

fn bounded(text: &[u8], r: Range<usize>) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (r.start == 0 || !word(text[r.start - 1]) || !word(text[r.start]))
        && (r.end == text.len() || !word(text[r.end]) || !word(text[r.end - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(t: &str, cs: bool, ww: bool) -> DictionaryTerm {
        DictionaryTerm {
            term: t.into(),
            case_sensitive: cs,
            whole_word: ww,
        }
    }

    fn found(d: &Dictionary, text: &str) -> Vec<String> {
        d.find(text.as_bytes())
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn case_and_word_rules() {
        let d = Dictionary::new(&[
            term("Project Falcon", false, true),
            term("Acme", true, true),
            term("db.internal.acme.io", false, false),
            term("zed", false, false),
        ])
        .unwrap();
        assert_eq!(
            found(
                &d,
                "project falcon and PROJECT FALCON, Acme not ACME nor Acmeish"
            ),
            ["project falcon", "PROJECT FALCON", "Acme"]
        );
        assert_eq!(
            found(&d, "host=db.internal.acme.io:5432"),
            ["db.internal.acme.io"]
        );
        assert_eq!(found(&d, "blazed"), ["zed"], "not whole-word");
        assert!(Dictionary::new(&[]).unwrap().is_empty());
    }
}
