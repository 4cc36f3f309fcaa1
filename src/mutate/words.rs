//! Identifiers as words: the tokeniser and the casing-aware splitter that both renaming and restore
//! use, so that the two directions agree by construction.
//!
//! A *token* is a maximal run of ASCII letters, digits, `_` and `$`; everything else (including all
//! non-ASCII text) separates tokens. A token splits into *words* at `_`/`$`, at lower→upper humps, at
//! letter↔digit changes, and before the last capital of an acronym (`HTTPServer` → `HTTP`, `Server`).
//! Each word has a [`Shape`]; a replacement word rendered in the same shape splits at the same places,
//! which is what makes `restore(redact(x)) == x` hold for every casing style.

use std::ops::Range;

/// Whether `b` can be part of an identifier token.
#[inline]
pub fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Byte ranges of the tokens in `text`.
pub fn tokens(text: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < text.len() && !is_token_byte(text[i]) {
            i += 1;
        }
        if i >= text.len() {
            return None;
        }
        let start = i;
        while i < text.len() && is_token_byte(text[i]) {
            i += 1;
        }
        Some(start..i)
    })
}

/// The token of `text` (as [`tokens`] gives it) that holds byte `at`, if `at` is a token byte.
pub fn token_at(text: &[u8], at: usize) -> Option<Range<usize>> {
    if !text.get(at).copied().is_some_and(is_token_byte) {
        return None;
    }
    let start = text[..at]
        .iter()
        .rposition(|&b| !is_token_byte(b))
        .map_or(0, |i| i + 1);
    let end = text[at..]
        .iter()
        .position(|&b| !is_token_byte(b))
        .map_or(text.len(), |i| at + i);
    Some(start..end)
}

/// How many bytes at `start` may belong to a backslash escape rather than to a word: the `n` of
/// `\n` in a string literal or in JSON text, or `u00e9` of `\u00e9`. Without this, `"\nreconcile"`
/// would hold the token `nreconcile`. After any run of backslashes, odd or even: text encoded once
/// more (code in a tool call's JSON arguments, a JSON string quoted in code) writes the code's `\n`
/// as `\\n`. Callers that match names also try the token as written when its escape-less form
/// finds nothing (`C:\\reconcile.ts`); a run that was no escape may then rename a shorter name
/// inside the token (`\\addEntry` renames `entry` when both are known), which still restores.
pub fn escape_skip(text: &[u8], start: usize) -> usize {
    if start == 0 || text[start - 1] != b'\\' {
        return 0;
    }
    let digits = |max: usize, ok: fn(&u8) -> bool| {
        text[start + 1..]
            .iter()
            .take(max)
            .take_while(|b| ok(b))
            .count()
    };
    match text[start] {
        b'n' | b't' | b'r' | b'b' | b'f' | b'v' | b'a' | b'e' => 1,
        // Without their hex digits these are no escapes (`C:\\Users\\userShard`).
        b'u' if digits(4, u8::is_ascii_hexdigit) == 4 => 5,
        b'U' if digits(8, u8::is_ascii_hexdigit) == 8 => 9,
        b'x' if digits(2, u8::is_ascii_hexdigit) > 0 => 1 + digits(2, u8::is_ascii_hexdigit),
        b'0'..=b'7' => 1 + digits(2, |b| (b'0'..=b'7').contains(b)),
        _ => 0,
    }
    .min(text.len() - start)
}

/// `text` with the letters of its one-letter escapes blanked (`"\nbob@example.com"` →
/// `"\ bob@example.com"`), the same length, and where they were; `None` when it holds none. For
/// pattern searches that want a word boundary before a value, which the escape's letter would
/// glue to. Escapes with digits (`\101`, `\x41`, `\u00e9`) are left alone: `\\10.0.0.7\share`
/// is a path to an address, not an escape.
pub fn blank_escapes(text: &[u8]) -> Option<(Vec<u8>, Vec<Range<usize>>)> {
    let mut blanked = Vec::new();
    for i in memchr::memchr_iter(b'\\', text) {
        let skip = match text.get(i + 1) {
            Some(&b) if b.is_ascii_alphabetic() && !matches!(b, b'u' | b'U' | b'x') => {
                escape_skip(text, i + 1)
            }
            _ => 0,
        };
        if skip > 0 {
            blanked.push(i + 1..i + 1 + skip);
        }
    }
    if blanked.is_empty() {
        return None;
    }
    let mut copy = text.to_vec();
    for b in &blanked {
        copy[b.clone()].fill(b' ');
    }
    Some((copy, blanked))
}

/// The casing of one word; replacement words copy it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `user`
    Lower,
    /// `User`
    Capital,
    /// `USER`, and single capitals such as the `A` of `ATest`
    Upper,
    /// `64`: digit words are never renamed
    Digits,
}

impl Shape {
    pub fn of(word: &[u8]) -> Shape {
        if word[0].is_ascii_digit() {
            Shape::Digits
        } else if word.len() == 1 {
            if word[0].is_ascii_uppercase() {
                Shape::Upper
            } else {
                Shape::Lower
            }
        } else if word.iter().all(|b| b.is_ascii_uppercase()) {
            Shape::Upper
        } else if word[0].is_ascii_uppercase() {
            Shape::Capital
        } else {
            Shape::Lower
        }
    }

    /// Renders a lowercase word in this shape.
    pub fn render(self, lower: &str, out: &mut String) {
        match self {
            Shape::Lower | Shape::Digits => out.push_str(lower),
            Shape::Upper => out.extend(lower.chars().map(|c| c.to_ascii_uppercase())),
            Shape::Capital => {
                let mut chars = lower.chars();
                if let Some(first) = chars.next() {
                    out.push(first.to_ascii_uppercase());
                    out.push_str(chars.as_str());
                }
            }
        }
    }
}

/// Splits one token into word ranges (relative to the token). Separators (`_`, `$`) belong to no
/// word. Position 0 is always a word start.
pub fn split(token: &[u8], out: &mut Vec<Range<usize>>) {
    out.clear();
    let n = token.len();
    let mut start: Option<usize> = None;
    for i in 0..n {
        let b = token[i];
        if b == b'_' || b == b'$' {
            if let Some(s) = start.take() {
                out.push(s..i);
            }
            continue;
        }
        match start {
            None => start = Some(i),
            Some(s) => {
                if boundary(token[i - 1], b, token.get(i + 1).copied()) {
                    out.push(s..i);
                    start = Some(i);
                }
            }
        }
    }
    if let Some(s) = start {
        out.push(s..n);
    }
}

/// Whether a word starts at `cur`, given the previous byte (a word byte) and the next one.
#[inline]
pub fn boundary(prev: u8, cur: u8, next: Option<u8>) -> bool {
    let (pd, cd) = (prev.is_ascii_digit(), cur.is_ascii_digit());
    if pd != cd {
        return true;
    }
    if pd {
        return false;
    }
    match (prev.is_ascii_uppercase(), cur.is_ascii_uppercase()) {
        (false, true) => true,
        (true, true) => next.is_some_and(|n| n.is_ascii_lowercase()),
        _ => false,
    }
}

/// Whether a word starts at `i` in `text` (which may begin before the token): true at a token start
/// and at every in-token boundary.
pub fn word_starts_at(text: &[u8], i: usize) -> bool {
    if !is_token_byte(text[i]) || text[i] == b'_' || text[i] == b'$' {
        return false;
    }
    if i == 0 {
        return true;
    }
    let prev = text[i - 1];
    if !is_token_byte(prev) || prev == b'_' || prev == b'$' {
        return true;
    }
    boundary(prev, text[i], text.get(i + 1).copied())
}

/// The lowercase words of an identifier such as `getUserToken` → `["get", "user", "token"]`.
pub fn words_of(ident: &str) -> Vec<String> {
    let mut ranges = Vec::new();
    split(ident.as_bytes(), &mut ranges);
    ranges
        .into_iter()
        .map(|r| ident[r].to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<&str> {
        let mut r = Vec::new();
        split(s.as_bytes(), &mut r);
        r.into_iter().map(|r| &s[r]).collect()
    }

    const CASES: &[(&str, &[&str], &str)] = &[
        ("getUserToken", &["get", "User", "Token"], "camel"),
        ("GetUserToken", &["Get", "User", "Token"], "pascal"),
        ("get_user_token", &["get", "user", "token"], "snake"),
        ("GET_USER_TOKEN", &["GET", "USER", "TOKEN"], "screaming"),
        ("HTTPServer", &["HTTP", "Server"], "acronym then word"),
        (
            "parseHTTPRequest",
            &["parse", "HTTP", "Request"],
            "acronym inside",
        ),
        ("parseHTTP", &["parse", "HTTP"], "acronym at end"),
        ("ATest", &["A", "Test"], "single capital"),
        ("base64Encode", &["base", "64", "Encode"], "digits"),
        (
            "SHA256Hash",
            &["SHA", "256", "Hash"],
            "digits after acronym",
        ),
        ("__init__", &["init"], "dunder"),
        ("_private", &["private"], "leading underscore"),
        ("$scope", &["scope"], "dollar"),
        ("x", &["x"], "one letter"),
        ("HTTPURL", &["HTTPURL"], "two acronyms merge"),
        ("getA", &["get", "A"], "trailing capital"),
    ];

    #[test]
    fn split_cases() {
        for (input, expected, note) in CASES {
            assert_eq!(parts(input), *expected, "{note}: {input}");
        }
    }

    #[test]
    fn tokens_are_ascii_runs() {
        let text = "a.b(getUser) “naïveX” x-y";
        let toks: Vec<&str> = tokens(text.as_bytes()).map(|r| &text[r]).collect();
        assert_eq!(toks, ["a", "b", "getUser", "na", "veX", "x", "y"]);
    }

    #[test]
    fn shapes_render_back() {
        for (word, shape) in [
            ("user", Shape::Lower),
            ("User", Shape::Capital),
            ("USER", Shape::Upper),
            ("A", Shape::Upper),
            ("a", Shape::Lower),
            ("42", Shape::Digits),
        ] {
            assert_eq!(Shape::of(word.as_bytes()), shape, "{word}");
            let mut out = String::new();
            shape.render(&word.to_ascii_lowercase(), &mut out);
            assert_eq!(out, word);
        }
    }

    #[test]
    fn escapes() {
        let t = br#"a\nfoo \\nbar \u00e9zq \x41b \q"#;
        let at = |needle: &str| {
            t.windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap()
        };
        assert_eq!(escape_skip(t, at("nfoo")), 1);
        assert_eq!(
            escape_skip(t, at("nbar")),
            1,
            "`\\\\n`: the `\\n` of code encoded once more"
        );
        assert_eq!(escape_skip(t, at("u00e9")), 5);
        assert_eq!(escape_skip(t, at("x41")), 3);
        assert_eq!(escape_skip(t, at("q")), 0, "not an escape letter");
        let p = br"C:\Users\xyz \U0001F600";
        assert_eq!(escape_skip(p, 3), 0, "`\\U` without eight hex digits");
        assert_eq!(escape_skip(p, 9), 0, "`\\x` without a hex digit");
        assert_eq!(escape_skip(p, 14), 9);
        assert_eq!(escape_skip(t, 0), 0);
    }

    #[test]
    fn word_starts() {
        let t = b"fooZqbar xzq";
        assert!(word_starts_at(t, 0));
        assert!(word_starts_at(t, 3));
        assert!(!word_starts_at(t, 4));
        assert!(word_starts_at(t, 9));
        assert!(!word_starts_at(t, 10));
    }
}
