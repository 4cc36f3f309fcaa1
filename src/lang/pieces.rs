//! Cutting one long piece of code into pieces that parse on their own, so that a single block
//! can use every core: parsing is the floor of a request's cost, and a 2 KB block parsed whole
//! keeps one core idle.
//!
//! A cut goes before a line that starts in column 0, after a blank line, with something that can
//! begin a top-level statement (a letter, `_`, `$`, `@`) or its comment (`/`, `#`); a comment only
//! if the first line of code after it starts in column 0 too, because Python allows a comment in
//! column 0 inside an indented block, and a piece starting with indented code parses cleanly but
//! loses its class (a method would become a function). In the six languages this is where
//! formatted code puts its declarations, so the rule needs no grammar. It is a guess: such a line
//! can sit inside a multi-line string or an unindented block. Such a cut leaves a piece with a
//! syntax error (an unclosed string or bracket), and the caller then parses the text again, as
//! one, from the piece before it on ([`reparse_from`]); the pieces before that keep their answer.

use std::ops::Range;
use std::sync::Mutex;

use super::{Analysis, Lang};

/// Pieces are at least this long: below it, handing a piece to another core costs about what
/// parsing it does.
const MIN_BYTES: usize = 768;

/// The piece size to aim for when a core's share of the code to parse is `share` bytes: half of
/// it, so that the pieces of one long text still balance, but never below [`MIN_BYTES`].
pub fn piece_goal(share: usize) -> usize {
    MIN_BYTES.max(share / 2)
}

/// The piece to parse a text again from, given the analyses of its pieces in order: the one
/// before the first piece with a syntax error (or that one, if it is the first); `None` when all
/// parsed cleanly or the text was not cut. The text is parsed again from there to its end, as
/// one, and the pieces before keep their answer: they parsed cleanly, and the piece after them
/// was not broken either. A piece can be broken because a cut fell inside a multi-line string or
/// block, whose start is in the piece before, or because it goes on with the statement of the
/// piece before (`else:`, `except`, `catch` in column 0 after a blank line): so the piece before
/// is parsed again with it. A text cut off at its end, as pasted snippets are, parses again only
/// its last two pieces.
pub fn reparse_from(analyses: &[Analysis]) -> Option<usize> {
    if analyses.len() < 2 {
        return None;
    }
    let broken = analyses.iter().position(|a| a.error_nodes > 0)?;
    Some(broken.saturating_sub(1))
}

/// See [`Lang::analyze_on_every_core`].
pub(super) fn analyze_on_every_core(lang: &Lang, source: &str) -> Analysis {
    if crate::parallel::cores() < 2 {
        return lang.analyze(source);
    }
    analyze_cut(
        lang,
        source,
        piece_goal(source.len() / crate::parallel::cores()),
    )
}

/// [`Lang::analyze`] of `source` in pieces of about `goal` bytes, parsed again from a piece with
/// a syntax error on (see [`reparse_from`]). `error_nodes` counts the errors of the pieces kept
/// and of what was parsed again.
pub(super) fn analyze_cut(lang: &Lang, source: &str, goal: usize) -> Analysis {
    let ranges = pieces(source, goal);
    if ranges.len() < 2 {
        return lang.analyze(source);
    }
    let done = Mutex::new(Vec::with_capacity(ranges.len()));
    let indexed: Vec<(usize, &Range<usize>)> = ranges.iter().enumerate().collect();
    crate::parallel::on_every_core(&indexed, |&(i, range)| {
        let a = lang.analyze(&source[range.clone()]);
        done.lock().unwrap_or_else(|e| e.into_inner()).push((i, a));
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    let (mut ranges, mut analyses): (Vec<Range<usize>>, Vec<Analysis>) = ranges
        .into_iter()
        .zip(done.into_iter().map(|(_, a)| a))
        .unzip();
    if let Some(k) = reparse_from(&analyses) {
        let rest = ranges[k].start..source.len();
        ranges.truncate(k);
        analyses.truncate(k);
        analyses.push(lang.analyze(&source[rest.clone()]));
        ranges.push(rest);
    }
    let error_nodes = analyses.iter().map(|a| a.error_nodes).sum();
    let mut declarations = Vec::new();
    let mut lines_before = 0;
    for (a, range) in analyses.into_iter().zip(&ranges) {
        // Every piece starts a line: columns stay, lines and offsets move by what precedes it.
        declarations.extend(a.declarations.into_iter().map(|mut d| {
            d.line += lines_before;
            d.start_byte += range.start;
            d
        }));
        lines_before += memchr::memchr_iter(b'\n', &source.as_bytes()[range.clone()]).count();
    }
    Analysis {
        declarations,
        error_nodes,
    }
}

/// The ranges of `source` to parse apart: consecutive, covering it all, each at least `goal` bytes
/// long except the last, which has at least half that. One range when `source` is short or has no
/// place to cut.
pub fn pieces(source: &str, goal: usize) -> Vec<Range<usize>> {
    let len = source.len();
    let goal = goal.max(1);
    let mut out = Vec::new();
    if len < 2 * goal {
        out.push(0..len);
        return out;
    }
    let bytes = source.as_bytes();
    let mut start = 0;
    let mut previous_blank = false;
    // A cut waiting for the first line of code after it: taken if that line starts in column 0.
    let mut pending: Option<usize> = None;
    let mut line = 0;
    while line < len {
        let end = memchr::memchr(b'\n', &bytes[line..]).map_or(len, |i| line + i + 1);
        let text = &bytes[line..end];
        let blank = text.iter().all(u8::is_ascii_whitespace);
        let comment = is_comment(text);
        if previous_blank
            && pending.is_none()
            && line - start >= goal
            && len - line >= goal / 2
            && text.first().is_some_and(|&b| {
                b.is_ascii_alphabetic() || b"_$@#".contains(&b) || (b == b'/' && comment)
            })
        {
            pending = Some(line);
        }
        if !blank
            && !comment
            && let Some(cut) = pending.take()
            && !text[0].is_ascii_whitespace()
        {
            out.push(start..cut);
            start = cut;
        }
        previous_blank = blank;
        line = end;
    }
    out.push(start..len);
    out
}

/// A line holding only a comment, or the inside of a block comment, in any of the six languages.
fn is_comment(line: &[u8]) -> bool {
    let code = line.trim_ascii_start();
    code.starts_with(b"#")
        || code.starts_with(b"//")
        || code.starts_with(b"/*")
        || code.starts_with(b"*")
}

#[cfg(test)]
mod tests {
    use super::{Analysis, pieces, reparse_from};

    fn texts(source: &str, goal: usize) -> Vec<&str> {
        pieces(source, goal)
            .into_iter()
            .map(|r| &source[r])
            .collect()
    }

    #[test]
    fn cuts_before_top_level_lines_after_a_blank_line() {
        let src =
            "def a():\n    return 1\n\n@dec\ndef b():\n\n    return 2\n\nclass C:\n    pass\n";
        assert_eq!(
            texts(src, 8),
            [
                "def a():\n    return 1\n\n",
                "@dec\ndef b():\n\n    return 2\n\n",
                "class C:\n    pass\n"
            ]
        );
    }

    #[test]
    fn never_cuts_indented_closing_or_undecorated_lines() {
        // `}` closes a block, the indented line is inside one, `def` follows its decorator.
        let src = "x = 1\n\n}\n\n    y = 2\n\n@d\ndef f(): pass\n";
        assert_eq!(
            texts(src, 1),
            ["x = 1\n\n}\n\n    y = 2\n\n", "@d\ndef f(): pass\n"]
        );
    }

    #[test]
    fn a_comment_is_cut_before_only_when_code_in_column_0_follows_it() {
        // Python allows the comment inside the class: the method after it is indented.
        let src = "class A:\n    def f(self):\n        pass\n\n# helpers\n\n    def g(self):\n        pass\n\n# top\n// also\n\ndef h():\n    pass\n";
        assert_eq!(
            texts(src, 1),
            [
                "class A:\n    def f(self):\n        pass\n\n# helpers\n\n    def g(self):\n        pass\n\n",
                "# top\n// also\n\ndef h():\n    pass\n"
            ]
        );
    }

    #[test]
    fn a_line_starting_with_a_slash_is_a_cut_only_when_it_is_a_comment() {
        // JavaScript inserts no semicolon before `/`: the line goes on dividing `b`, and a piece
        // starting there would parse cleanly as a regex literal, without the `d` it declares.
        let src = "var a = b\n\n/c/g, d = 2\n\n// a comment\nvar e = 3\n";
        assert_eq!(
            texts(src, 1),
            ["var a = b\n\n/c/g, d = 2\n\n", "// a comment\nvar e = 3\n"]
        );
    }

    #[test]
    fn a_text_is_parsed_again_from_the_piece_before_its_first_broken_one() {
        let with_errors = |errors: &[usize]| -> Vec<Analysis> {
            errors
                .iter()
                .map(|&error_nodes| Analysis {
                    declarations: Vec::new(),
                    error_nodes,
                })
                .collect()
        };
        assert_eq!(reparse_from(&with_errors(&[0, 0, 0])), None);
        assert_eq!(reparse_from(&with_errors(&[3])), None, "not cut");
        assert_eq!(reparse_from(&with_errors(&[2, 0, 0])), Some(0));
        assert_eq!(reparse_from(&with_errors(&[0, 1, 1])), Some(0));
        assert_eq!(reparse_from(&with_errors(&[0, 0, 0, 1])), Some(2));
    }

    #[test]
    fn pieces_cover_the_text_and_respect_the_sizes() {
        let block = "function f() {\n  return 1;\n}\n\n";
        let src = block.repeat(100);
        for goal in [1, 64, 1000, 1500] {
            let ranges = pieces(&src, goal);
            assert!(ranges.len() > 1, "{goal}");
            assert_eq!(ranges.first().map(|r| r.start), Some(0));
            assert_eq!(ranges.last().map(|r| r.end), Some(src.len()));
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert!(pair[0].len() >= goal, "{goal}: {ranges:?}");
            }
            assert!(
                ranges.last().unwrap().len() >= goal / 2,
                "{goal}: {ranges:?}"
            );
        }
        assert_eq!(pieces(&src, src.len() / 2 + 1).len(), 1);
        assert_eq!(pieces("", 1).first(), Some(&(0..0)));
    }
}
