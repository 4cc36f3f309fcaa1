//! Putting originals back: a [`Mapping`] of what was issued and a streaming [`Restorer`].
//!
//! Replacement names are found by their `zq` marker at a word start; from there the words of the
//! token are matched against the issued replacement (so `zqbokamiFutiAsync`, a name the model
//! derived, restores to `getUserTokenAsync`), and the original words are rendered in the shapes the
//! model used. Placeholders (`PRETENSE_SECRET_1a2b3c4d`) are matched exactly.
//!
//! Streaming: fed text in arbitrary chunks, the restorer emits everything except the bytes that
//! could still begin a replacement (an unfinished token from its first possible marker). Batch
//! restore is the streaming restorer fed once and flushed, so the two agree by construction; a
//! property test checks every split.

use std::collections::HashMap;
use std::sync::Arc;

use super::naming::{MARKER, PLACEHOLDER_PREFIX};
use super::words::{self, Shape, boundary, is_token_byte};

/// One issued name: the original's lowercase words and its replacement's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    pub original: Vec<String>,
    pub replacement: Vec<String>,
    /// A dictionary term stands for this exact text rather than for words to re-case.
    pub term: Option<String>,
}

/// Replacements issued (by one request, or recorded in the vault) and what they stand for.
#[derive(Debug, Default, Clone)]
pub struct Mapping {
    /// Keyed by the replacement's first word (lowercase), unique across the vault.
    names: HashMap<String, Arc<NameEntry>>,
    /// Placeholder → original value (secrets and PII).
    literals: HashMap<String, Arc<str>>,
}

impl Mapping {
    pub fn insert_name(&mut self, entry: Arc<NameEntry>) {
        if let Some(first) = entry.replacement.first() {
            self.names.insert(first.clone(), entry);
        }
    }

    pub fn insert_literal(&mut self, placeholder: String, original: Arc<str>) {
        self.literals.insert(placeholder, original);
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.literals.is_empty()
    }

    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    pub fn names(&self) -> impl Iterator<Item = &Arc<NameEntry>> {
        self.names.values()
    }

    pub fn literals(&self) -> impl Iterator<Item = (&String, &Arc<str>)> {
        self.literals.iter()
    }

    pub fn name_by_first(&self, first_lower: &str) -> Option<&Arc<NameEntry>> {
        self.names.get(first_lower)
    }

    pub fn literal(&self, placeholder: &str) -> Option<&Arc<str>> {
        self.literals.get(placeholder)
    }

    /// Adds everything in `other` (later entries win).
    pub fn extend(&mut self, other: &Mapping) {
        for (k, v) in &other.names {
            self.names.insert(k.clone(), v.clone());
        }
        for (k, v) in &other.literals {
            self.literals.insert(k.clone(), v.clone());
        }
    }
}

/// Where restore looks things up: several mappings in order (the request's, then the vault's).
pub trait Lookup {
    fn name(&self, first_lower: &str) -> Option<Arc<NameEntry>>;
    fn literal(&self, placeholder: &str) -> Option<Arc<str>>;
}

impl Lookup for Mapping {
    fn name(&self, first_lower: &str) -> Option<Arc<NameEntry>> {
        self.names.get(first_lower).cloned()
    }
    fn literal(&self, placeholder: &str) -> Option<Arc<str>> {
        self.literals.get(placeholder).cloned()
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn name(&self, first_lower: &str) -> Option<Arc<NameEntry>> {
        (**self).name(first_lower)
    }
    fn literal(&self, placeholder: &str) -> Option<Arc<str>> {
        (**self).literal(placeholder)
    }
}

impl<T: Lookup + ?Sized> Lookup for Arc<T> {
    fn name(&self, first_lower: &str) -> Option<Arc<NameEntry>> {
        (**self).name(first_lower)
    }
    fn literal(&self, placeholder: &str) -> Option<Arc<str>> {
        (**self).literal(placeholder)
    }
}

/// Several lookups tried in order.
pub struct Layers(pub Vec<Arc<dyn Lookup + Send + Sync>>);

impl Lookup for Layers {
    fn name(&self, first_lower: &str) -> Option<Arc<NameEntry>> {
        self.0.iter().find_map(|l| l.name(first_lower))
    }
    fn literal(&self, placeholder: &str) -> Option<Arc<str>> {
        self.0.iter().find_map(|l| l.literal(placeholder))
    }
}

/// How restored originals are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    /// As they are.
    #[default]
    None,
    /// Inside a JSON string (tool-call arguments streamed as partial JSON): quotes, backslashes and
    /// control characters escaped. Names never need it; secret values and PII may.
    Json,
}

/// Unfinished tokens longer than this are decided as if they had ended: a model never emits one,
/// and the restorer must not buffer without bound.
const MAX_HELD: usize = 64 * 1024;

/// A streaming restorer: see the module docs.
pub struct Restorer<L: Lookup> {
    lookup: L,
    escape: Escape,
    pending: Vec<u8>,
    /// The last byte emitted, for deciding whether the held text starts a word.
    prev: Option<u8>,
    /// How many replacements were restored (for logs and tests).
    pub restored: usize,
}

impl<L: Lookup> Restorer<L> {
    pub fn new(lookup: L, escape: Escape) -> Self {
        Restorer {
            lookup,
            escape,
            pending: Vec::new(),
            prev: None,
            restored: 0,
        }
    }

    /// Feeds a chunk; returns what can be emitted now.
    pub fn push(&mut self, chunk: &str) -> String {
        into_string(self.push_bytes(chunk.as_bytes()))
    }

    /// Ends the stream (or a content block): returns everything still held, restored.
    pub fn finish(&mut self) -> String {
        into_string(self.finish_bytes())
    }

    /// Restores a whole text in one go (the same code path as streaming).
    pub fn restore_all(&mut self, text: &str) -> String {
        let mut out = self.push(text);
        out.push_str(&self.finish());
        out
    }

    /// [`Restorer::push`] for bytes that need not be UTF-8 (files restored by the CLI).
    pub fn push_bytes(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let cut = self.safe_cut();
        self.emit(cut)
    }

    /// [`Restorer::finish`] for bytes.
    pub fn finish_bytes(&mut self) -> Vec<u8> {
        let out = self.emit(self.pending.len());
        self.prev = None;
        out
    }

    fn emit(&mut self, cut: usize) -> Vec<u8> {
        if cut == 0 {
            return Vec::new();
        }
        let region: Vec<u8> = self.pending.drain(..cut).collect();
        let mut out = Vec::with_capacity(region.len());
        self.restore_region(&region, &mut out);
        self.prev = region.last().copied().or(self.prev);
        out
    }

    /// The length of the prefix of `pending` that can be decided now.
    fn safe_cut(&self) -> usize {
        let p = &self.pending;
        let n = p.len();
        let mut t = n;
        while t > 0 && is_token_byte(p[t - 1]) {
            t -= 1;
        }
        // An escape (`\n`) decides where the next token starts: keep a trailing backslash run,
        // and a token right after one, together with what follows.
        let mut b = t;
        while b > 0 && p[b - 1] == b'\\' {
            b -= 1;
        }
        if b < t || (t == n && b < n) {
            return if n - b > MAX_HELD { n } else { b };
        }
        if t == n {
            return n;
        }
        if n - t > MAX_HELD {
            return n;
        }
        for i in t..n {
            if self.maybe_candidate(i) {
                return i;
            }
        }
        n
    }

    /// Whether a replacement could start at `pending[i]`, given what may still arrive.
    fn maybe_candidate(&self, i: usize) -> bool {
        let p = &self.pending;
        let b = p[i];
        let rest = &p[i..];
        let looks = match b {
            b'z' | b'Z' => rest.len() == 1 || matches!(rest[1], b'q' | b'Q'),
            b'P' => {
                let k = rest.len().min(PLACEHOLDER_PREFIX.len());
                rest[..k] == PLACEHOLDER_PREFIX.as_bytes()[..k]
            }
            _ => false,
        };
        if !looks {
            return false;
        }
        let prev = if i > 0 { Some(p[i - 1]) } else { self.prev };
        match prev {
            Some(q) if is_token_byte(q) && q != b'_' && q != b'$' => match p.get(i + 1) {
                Some(&next) => boundary(q, b, Some(next)),
                // Unknown next byte: an upper-after-upper start is still possible.
                None => boundary(q, b, Some(b'a')),
            },
            _ => true,
        }
    }

    fn restore_region(&mut self, region: &[u8], out: &mut Vec<u8>) {
        let mut copied = 0;
        let mut search = 0;
        while let Some(off) = memchr::memchr3(b'z', b'Z', b'P', &region[search..]) {
            let i = search + off;
            let looks = match region[i] {
                b'P' => region[i..].starts_with(PLACEHOLDER_PREFIX.as_bytes()),
                _ => region.get(i + 1).is_some_and(|&c| c == b'q' || c == b'Q'),
            };
            if !looks {
                search = i + 1;
                continue;
            }
            // The enclosing token, without a leading escape letter (`\nzq…`).
            let mut start = i;
            while start > 0 && is_token_byte(region[start - 1]) {
                start -= 1;
            }
            start += words::escape_skip(region, start);
            if start > i {
                search = i + 1;
                continue;
            }
            let mut end = i;
            while end < region.len() && is_token_byte(region[end]) {
                end += 1;
            }
            out.extend_from_slice(&region[copied..start]);
            // A region that starts inside a token continues the word emitted before it.
            let continues = start == 0
                && self.prev.is_none_or(|q| q != b'\\')
                && self.prev.is_some_and(|q| {
                    is_token_byte(q)
                        && q != b'_'
                        && q != b'$'
                        && region[0] != b'_'
                        && region[0] != b'$'
                        && !boundary(q, region[0], region.get(1).copied())
                });
            self.restore_token(&region[start..end], continues, out);
            copied = end;
            search = end;
        }
        out.extend_from_slice(&region[copied..]);
    }

    fn restore_token(&mut self, token: &[u8], continues: bool, out: &mut Vec<u8>) {
        let mut ranges = Vec::new();
        words::split(token, &mut ranges);
        let mut w = usize::from(continues && !ranges.is_empty());
        let mut copied = 0;
        while w < ranges.len() {
            let r = ranges[w].clone();
            // Placeholders: PRETENSE_<KIND>_<8 hex>, matched exactly.
            if token[r.start..].starts_with(PLACEHOLDER_PREFIX.as_bytes())
                && let Some(len) = placeholder_len(&token[r.start..])
            {
                let text = std::str::from_utf8(&token[r.start..r.start + len]).unwrap_or("");
                if let Some(original) = self.lookup.literal(text) {
                    out.extend_from_slice(&token[copied..r.start]);
                    self.write_original(&original, out);
                    self.restored += 1;
                    copied = r.start + len;
                    while w < ranges.len() && ranges[w].start < copied {
                        w += 1;
                    }
                    continue;
                }
            }
            let word = &token[r.clone()];
            if word.len() > MARKER.len() && word[..2].eq_ignore_ascii_case(MARKER.as_bytes()) {
                let lower = String::from_utf8_lossy(word).to_ascii_lowercase();
                if let Some(entry) = self.lookup.name(&lower) {
                    // Match as many of the replacement's words as the token carries.
                    let mut k = 1;
                    while k < entry.replacement.len()
                        && w + k < ranges.len()
                        && token[ranges[w + k].clone()]
                            .eq_ignore_ascii_case(entry.replacement[k].as_bytes())
                    {
                        k += 1;
                    }
                    out.extend_from_slice(&token[copied..r.start]);
                    if let Some(term) = &entry.term {
                        render_term(term, Shape::of(word), out);
                        let end = ranges[w].end;
                        copied = end;
                    } else {
                        for j in 0..k {
                            let wr = ranges[w + j].clone();
                            if j > 0 {
                                // Separators between words stay as the model wrote them.
                                out.extend_from_slice(&token[ranges[w + j - 1].end..wr.start]);
                            }
                            let mut s = String::new();
                            Shape::of(&token[wr.clone()]).render(&entry.original[j], &mut s);
                            out.extend_from_slice(s.as_bytes());
                        }
                        copied = ranges[w + k - 1].end;
                    }
                    self.restored += 1;
                    w += k;
                    continue;
                }
            }
            w += 1;
        }
        out.extend_from_slice(&token[copied..]);
    }

    fn write_original(&self, original: &str, out: &mut Vec<u8>) {
        match self.escape {
            Escape::None => out.extend_from_slice(original.as_bytes()),
            Escape::Json => {
                let quoted = serde_json::to_string(original).unwrap_or_default();
                out.extend_from_slice(&quoted.as_bytes()[1..quoted.len().saturating_sub(1)]);
            }
        }
    }
}

/// The length of a well-formed placeholder at the start of `s` (`PRETENSE_KIND_1a2b3c4d`), ending
/// at a word boundary.
pub(crate) fn placeholder_len(s: &[u8]) -> Option<usize> {
    let mut i = PLACEHOLDER_PREFIX.len();
    let kind_start = i;
    while i < s.len() && s[i].is_ascii_uppercase() {
        i += 1;
    }
    if i == kind_start || s.get(i) != Some(&b'_') {
        return None;
    }
    i += 1;
    let hex_start = i;
    while i < s.len() && i - hex_start < 8 && matches!(s[i], b'0'..=b'9' | b'a'..=b'f') {
        i += 1;
    }
    if i - hex_start != 8 {
        return None;
    }
    match s.get(i) {
        Some(&b) if b.is_ascii_alphanumeric() => None,
        _ => Some(i),
    }
}

fn render_term(term: &str, shape: Shape, out: &mut Vec<u8>) {
    match shape {
        Shape::Upper => out.extend_from_slice(term.to_uppercase().as_bytes()),
        Shape::Lower if term.chars().next().is_some_and(|c| c.is_uppercase()) => {
            out.extend_from_slice(term.to_lowercase().as_bytes())
        }
        _ => out.extend_from_slice(term.as_bytes()),
    }
}

/// Cuts fall on ASCII bytes and originals are UTF-8, so text fed as `&str` comes back valid.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Restores `text` with `lookup` in one go.
pub fn restore<L: Lookup>(lookup: L, text: &str) -> String {
    Restorer::new(lookup, Escape::None).restore_all(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(orig: &[&str], repl: &[&str]) -> Arc<NameEntry> {
        Arc::new(NameEntry {
            original: orig.iter().map(|s| s.to_string()).collect(),
            replacement: repl.iter().map(|s| s.to_string()).collect(),
            term: None,
        })
    }

    fn mapping() -> Mapping {
        let mut m = Mapping::default();
        m.insert_name(entry(
            &["get", "user", "token"],
            &["zqbokami", "futi", "lova"],
        ));
        m.insert_name(entry(&["ledger"], &["zqmirato"]));
        m.insert_name(entry(
            &["base", "64", "encode"],
            &["zqsarevo", "64", "kemi"],
        ));
        m.insert_name(Arc::new(NameEntry {
            original: vec!["project".into(), "falcon".into()],
            replacement: vec!["zqtalemo".into()],
            term: Some("Project Falcon".into()),
        }));
        m.insert_literal(
            "PRETENSE_SECRET_1a2b3c4d".into(),
            Arc::from("s3cr\"et\nvalue"),
        );
        m
    }

    const CASES: &[(&str, &str, &str)] = &[
        ("call zqbokamiFutiLova()", "call getUserToken()", "camel"),
        ("ZqbokamiFutiLova", "GetUserToken", "pascal"),
        ("zqbokami_futi_lova", "get_user_token", "snake"),
        ("ZQBOKAMI_FUTI_LOVA", "GET_USER_TOKEN", "screaming"),
        (
            "zqbokamiFutiLovaAsync",
            "getUserTokenAsync",
            "derived suffix",
        ),
        (
            "test_zqbokami_futi_lova",
            "test_get_user_token",
            "derived prefix",
        ),
        ("mockZqbokamiFutiLova", "mockGetUserToken", "hump prefix"),
        ("zqbokamiFuti", "getUser", "partial: a prefix of the name"),
        (
            "xzqbokamiFutiLova",
            "xzqbokamiFutiLova",
            "not at a word start",
        ),
        (
            "ZqmiratoEntry zqmirato",
            "LedgerEntry ledger",
            "single word",
        ),
        ("zqsarevo64Kemi", "base64Encode", "digits"),
        ("Zqtalemo ships", "Project Falcon ships", "term"),
        ("ZQTALEMO", "PROJECT FALCON", "term upper"),
        (
            "key = \"PRETENSE_SECRET_1a2b3c4d\"",
            "key = \"s3cr\"et\nvalue\"",
            "placeholder",
        ),
        (
            "PRETENSE_SECRET_1a2b3c4dff",
            "PRETENSE_SECRET_1a2b3c4dff",
            "longer hex is not ours",
        ),
        (
            "PRETENSE_SECRET_00000000",
            "PRETENSE_SECRET_00000000",
            "unknown placeholder",
        ),
        (
            "zqunknown Pizza zebra",
            "zqunknown Pizza zebra",
            "nothing to do",
        ),
        (
            "“zqbokamiFutiLova”—ok",
            "“getUserToken”—ok",
            "unicode punctuation",
        ),
    ];

    #[test]
    fn batch_cases() {
        let m = mapping();
        for (input, expected, note) in CASES {
            assert_eq!(restore(&m, input), *expected, "{note}");
        }
    }

    #[test]
    fn streaming_equals_batch_for_every_split() {
        let m = mapping();
        for (input, _, note) in CASES {
            let want = restore(&m, input);
            for i in 0..=input.len() {
                if !input.is_char_boundary(i) {
                    continue;
                }
                let mut r = Restorer::new(&m, Escape::None);
                let mut got = r.push(&input[..i]);
                got.push_str(&r.push(&input[i..]));
                got.push_str(&r.finish());
                assert_eq!(got, want, "{note}: split at {i}");
            }
        }
    }

    #[test]
    fn holds_back_only_possible_starts() {
        let m = mapping();
        let mut r = Restorer::new(&m, Escape::None);
        assert_eq!(r.push("Hello wor"), "Hello wor", "no marker: nothing held");
        assert_eq!(r.push("ld, call zqbok"), "ld, call ");
        assert_eq!(r.push("amiFutiLova"), "");
        assert_eq!(r.push("() now"), "getUserToken() now");
        assert_eq!(r.push(" z"), " ");
        assert_eq!(r.push("ebra"), "zebra");
        assert_eq!(r.push(" fooZ"), " foo");
        assert_eq!(r.finish(), "Z");
    }

    #[test]
    fn escapes_before_a_name_in_every_split() {
        let m = mapping();
        let input = r#"{"new_string": "a\nzqbokamiFutiLova\tzqmirato \u00e9zqmirato"}"#;
        let want = r#"{"new_string": "a\ngetUserToken\tledger \u00e9ledger"}"#;
        for i in 0..=input.len() {
            let mut r = Restorer::new(&m, Escape::Json);
            let mut got = r.push(&input[..i]);
            got.push_str(&r.push(&input[i..]));
            got.push_str(&r.finish());
            assert_eq!(got, want, "split at {i}");
        }
    }

    #[test]
    fn json_escape_mode() {
        let m = mapping();
        let mut r = Restorer::new(&m, Escape::Json);
        let got = r.restore_all("{\"k\": \"PRETENSE_SECRET_1a2b3c4d\", \"f\": \"zqmirato\"}");
        assert_eq!(got, "{\"k\": \"s3cr\\\"et\\nvalue\", \"f\": \"ledger\"}");
        let parsed: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(parsed["k"], "s3cr\"et\nvalue");
    }

    #[test]
    fn upper_run_continuation_is_not_a_start() {
        let m = mapping();
        // "ABZQBOKAMI" is one word: not a replacement, however it is split.
        let input = "ABZQBOKAMI_FUTI_LOVA";
        assert_eq!(restore(&m, input), input);
        for i in 0..=input.len() {
            let mut r = Restorer::new(&m, Escape::None);
            let mut got = r.push(&input[..i]);
            got.push_str(&r.push(&input[i..]));
            got.push_str(&r.finish());
            assert_eq!(got, input, "split at {i}");
        }
    }
}
