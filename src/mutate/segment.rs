//! Finding the code in a text so that its declarations can be parsed: fenced blocks (``` and ~~~,
//! with or without an info string), whole-file content such as a tool result (including the
//! line-numbered forms agents send: `cat -n`'s `     12\t…` and Claude Code's `    12→…`, parsed
//! without the numbers), and unfenced code paragraphs in prose, recognised by language detection.
//!
//! Segmentation only decides what gets *parsed*; renaming then runs over the whole text, so a
//! segment boundary can never leave a name behind.

use std::borrow::Cow;

use crate::lang::{self, Lang};

/// A piece of code to parse.
#[derive(Debug, Clone)]
pub struct CodeSegment<'a> {
    pub lang: &'static Lang,
    pub code: Cow<'a, str>,
}

/// The code segments of `text`. With `hint` (from a file path or `--lang`) the whole text is code in
/// that language; otherwise fences and detection decide.
pub fn code_segments<'a>(text: &'a str, hint: Option<&'static Lang>) -> Vec<CodeSegment<'a>> {
    let text = strip_line_numbers(text);
    if let Some(lang) = hint {
        return vec![CodeSegment { lang, code: text }];
    }
    let mut out = Vec::new();
    match text {
        Cow::Borrowed(t) => segment_unhinted(t, &mut out),
        Cow::Owned(t) => {
            let mut owned = Vec::new();
            segment_unhinted(&t, &mut owned);
            out.extend(owned.into_iter().map(|s| CodeSegment {
                lang: s.lang,
                code: Cow::Owned(s.code.into_owned()),
            }));
        }
    }
    out
}

fn segment_unhinted<'a>(text: &'a str, out: &mut Vec<CodeSegment<'a>>) {
    segment_by_lines(text, out, next_line_with);
}

/// A line finder: the next line from a line start that may open or close a fence made of either
/// byte, as (start, end past its newline).
type LineFinder = fn(&str, usize, u8, u8) -> Option<(usize, usize)>;

/// Fenced blocks and prose, reading the lines `next_line` offers.
fn segment_by_lines<'a>(text: &'a str, out: &mut Vec<CodeSegment<'a>>, next_line: LineFinder) {
    let mut prose_start = 0;
    let mut pos = 0;
    while let Some((line_start, line_end)) = next_line(text, pos, b'`', b'~') {
        let line = &text[line_start..line_end];
        if let Some((fence_char, fence_len, info)) = fence_open(line) {
            prose(&text[prose_start..line_start], out);
            // The block runs to the closing fence (same character, at least as long) or the end.
            let body_start = line_end;
            let mut p = body_start;
            let mut body_end = text.len();
            let mut after = text.len();
            let c = fence_char as u8;
            while let Some((s, e)) = next_line(text, p, c, c) {
                if fence_close(&text[s..e], fence_char, fence_len) {
                    body_end = s;
                    after = e;
                    break;
                }
                p = e;
            }
            fenced(&text[body_start..body_end], info, out);
            pos = after;
            prose_start = after;
            continue;
        }
        pos = line_end;
    }
    prose(&text[prose_start..], out);
}

/// A fenced block's body, in the language its info string names or, failing that, detected.
fn fenced<'a>(body: &'a str, info: &str, out: &mut Vec<CodeSegment<'a>>) {
    if let Some(lang) = lang::from_name(info).or_else(|| lang::detect(body)) {
        out.push(CodeSegment {
            lang,
            code: Cow::Borrowed(body),
        });
    }
}

/// The next line from `from` (a line start) whose first byte after at most three spaces is `a` or
/// `b`, as (start, end past its newline): only such a line can open or close a fence, and jumping
/// between the bytes that may start one reads a long code block at memory-search speed rather
/// than line by line.
fn next_line_with(text: &str, mut from: usize, a: u8, b: u8) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    loop {
        let at = from + memchr::memchr2(a, b, &bytes[from..])?;
        // `from` is a line start, so the line holding `at` starts there or later.
        let start = memchr::memrchr(b'\n', &bytes[from..at]).map_or(from, |i| from + i + 1);
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
        if at - start <= 3 && bytes[start..at].iter().all(|&c| c == b' ') {
            return Some((start, end));
        }
        from = end;
    }
}

/// Prose may still hold unfenced code: paragraphs that detect as code are parsed, and consecutive
/// ones in one language are joined (a function with blank lines inside is one paragraph run).
fn prose<'a>(text: &'a str, out: &mut Vec<CodeSegment<'a>>) {
    if text.trim().is_empty() {
        return;
    }
    let mut run: Option<(&'static Lang, usize, usize)> = None;
    let flush = |run: &mut Option<(&'static Lang, usize, usize)>,
                 out: &mut Vec<CodeSegment<'a>>| {
        if let Some((lang, s, e)) = run.take() {
            out.push(CodeSegment {
                lang,
                code: Cow::Borrowed(&text[s..e]),
            });
        }
    };
    for (start, end) in paragraphs(text) {
        let para = &text[start..end];
        match lang::detect(para) {
            Some(lang) => match &mut run {
                Some((l, _, e)) if std::ptr::eq(*l, lang) => *e = end,
                _ => {
                    flush(&mut run, out);
                    run = Some((lang, start, end));
                }
            },
            None => flush(&mut run, out),
        }
    }
    flush(&mut run, out);
}

/// Byte ranges of blank-line separated paragraphs.
fn paragraphs(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        match (blank, start) {
            (false, None) => start = Some(pos),
            (true, Some(s)) => {
                out.push((s, pos));
                start = None;
            }
            _ => {}
        }
        pos += line.len();
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn fence_open(line: &str) -> Option<(char, usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = trimmed.chars().take_while(|&x| x == c).count();
    if n < 3 {
        return None;
    }
    let info = trimmed[n..].trim();
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, info))
}

fn fence_close(line: &str, c: char, len: usize) -> bool {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return false;
    }
    let n = trimmed.chars().take_while(|&x| x == c).count();
    n >= len && trimmed[n..].trim().is_empty()
}

/// The length of a line-number prefix (`   12\t` or `   12→`), if the line has one.
fn number_prefix(line: &str) -> Option<usize> {
    let digits_start = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[digits_start..];
    let nd = rest.bytes().take_while(u8::is_ascii_digit).count();
    if nd == 0 {
        return None;
    }
    let after = &rest[nd..];
    if after.starts_with('\t') {
        Some(digits_start + nd + 1)
    } else if after.starts_with('→') {
        Some(digits_start + nd + '→'.len_utf8())
    } else {
        None
    }
}

/// Removes line-number prefixes when most lines carry one (tool output from `cat -n` or an
/// agent's Read tool); otherwise returns the text unchanged.
pub fn strip_line_numbers(text: &str) -> Cow<'_, str> {
    let mut numbered = 0usize;
    let mut lines = 0usize;
    for line in text.lines().take(200) {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        if number_prefix(line).is_some() {
            numbered += 1;
        } else if lines - numbered > 40 {
            // Stripping needs four numbered lines for each other one, in at most 200: past 40
            // others it cannot happen (code without numbers stops here, not 200 lines on).
            return Cow::Borrowed(text);
        }
    }
    if lines == 0 || numbered * 10 < lines * 8 {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match number_prefix(line) {
            Some(n) => out.push_str(&line[n..]),
            None => out.push_str(line),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_stripped_for_parsing() {
        let cat = "     1\tdef foo():\n     2\t    return 1\n";
        assert_eq!(strip_line_numbers(cat), "def foo():\n    return 1\n");
        let read = "     1→const a = 1;\n     2→\n    10→export {};\n";
        assert_eq!(strip_line_numbers(read), "const a = 1;\n\nexport {};\n");
        let prose = "1 apple\n2 pears\n";
        assert_eq!(strip_line_numbers(prose), prose);
    }

    #[test]
    fn fences() {
        assert_eq!(
            fence_open("```ts title=a.ts\n").map(|f| f.2),
            Some("ts title=a.ts")
        );
        assert_eq!(fence_open("~~~~\n").map(|f| f.1), Some(4));
        assert!(fence_open("``not\n").is_none());
        assert!(
            fence_open("    ```\n").is_none(),
            "indented code, not a fence"
        );
        assert!(fence_close("```\n", '`', 3));
        assert!(!fence_close("```ts\n", '`', 3));
        assert!(!fence_close("``\n", '`', 3));
    }

    /// Every line, one after the other (the reading of the release before): the reference for
    /// the jumps.
    fn every_line(text: &str, from: usize, _: u8, _: u8) -> Option<(usize, usize)> {
        (from < text.len()).then(|| {
            (
                from,
                text[from..].find('\n').map_or(text.len(), |i| from + i + 1),
            )
        })
    }

    fn spans(segments: &[CodeSegment<'_>]) -> Vec<(&'static str, String)> {
        segments
            .iter()
            .map(|s| (s.lang.name, s.code.to_string()))
            .collect()
    }

    proptest::proptest! {
        /// Fences found by jumping between backticks and tildes are the fences found line by line.
        #[test]
        fn fences_found_by_jumps_are_those_read_line_by_line(
            lines in proptest::collection::vec(
                "( {0,4})(```|~~~|````|``|~|`)?(ts|python|go| x`)?( ?)(let a = 1;|def f(): pass|`t`|~)?",
                0..14,
            ),
            ends in proptest::collection::vec(proptest::bool::ANY, 1..4),
        ) {
            let mut text = String::new();
            for (i, l) in lines.iter().enumerate() {
                text.push_str(l);
                if ends[i % ends.len()] || i + 1 < lines.len() {
                    text.push('\n');
                }
            }
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            segment_unhinted(&text, &mut fast);
            segment_by_lines(&text, &mut slow, every_line);
            proptest::prop_assert_eq!(spans(&fast), spans(&slow), "{:?}", text);
        }
    }

    #[test]
    fn line_numbers_are_stripped_at_four_numbered_lines_for_each_other() {
        let text = |others: usize, numbered: usize| {
            let mut t = "y = 2\n".repeat(others);
            for i in 1..=numbered {
                t.push_str(&format!("{i:>6}\tx = {i}\n"));
            }
            t
        };
        // The first 200 lines are sampled; the unnumbered ones come first, where the count of
        // them alone may end the sampling.
        assert!(matches!(strip_line_numbers(&text(40, 160)), Cow::Owned(_)));
        assert!(matches!(
            strip_line_numbers(&text(41, 159)),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            strip_line_numbers(&text(41, 400)),
            Cow::Borrowed(_)
        ));
        assert!(matches!(strip_line_numbers(&text(10, 40)), Cow::Owned(_)));
        assert!(matches!(
            strip_line_numbers(&text(11, 40)),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        let t = "a\nb\n\n\nc\n";
        let p: Vec<&str> = paragraphs(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(p, ["a\nb\n", "c\n"]);
    }
}
