//! Case-insensitive rules that can run case-sensitively over lowercased text. Folding case is
//! about 40% of the cost of compiling the generic rules (long `(?i)` alternations of words), and
//! compiling the rules a file wakes is most of a one-file scan; lowercasing the text is one copy.
//! Shared with `build.rs`, which decides this for the embedded rules at build time.

use regex_syntax::hir::{Capture, Class, ClassBytes, ClassBytesRange, Hir, HirKind, Repetition};

/// The pattern to compile instead of `pattern` when the text it searches is ASCII-lowercased:
/// `pattern` with the `i` flag taken out of its opening flag group. `None` unless the two match
/// exactly the same (spans and groups) — that is, when nothing in `pattern` depends on case: every
/// class holds both cases of its letters, and no literal letter escapes the `i` flag.
///
/// Proof sketch: if every class is closed under case and literals hold no letters, a byte matches
/// wherever its lowercase form does, so `pattern` over a text matches as its lowercase-only form
/// does over the lowercased text; the answer is checked by comparing that form with the one of the
/// pattern without `i`, both built by the same constructors.
pub fn lowercase_form(pattern: &str) -> Option<String> {
    let plain = without_case_flag(pattern)?;
    let parse = |p: &str| super::hircode::parse(p).ok();
    let folded = lowercase_only(&parse(pattern)?, true)?;
    let unfolded = lowercase_only(&parse(&plain)?, false)?;
    (folded == unfolded).then_some(plain)
}

/// `pattern` without the `i` of an opening flag group such as `(?xi)`; `None` when there is no
/// such group or it also turns flags off.
fn without_case_flag(pattern: &str) -> Option<String> {
    let rest = pattern.strip_prefix("(?")?;
    let end = rest.find(')')?;
    let flags = &rest[..end];
    if !flags.contains('i') || !flags.bytes().all(|b| b"imsxuUR".contains(&b)) {
        return None;
    }
    let kept: String = flags.chars().filter(|&c| c != 'i').collect();
    let tail = &rest[end + 1..];
    Some(if kept.is_empty() {
        tail.to_string()
    } else {
        format!("(?{kept}){tail}")
    })
}

/// `hir` over lowercase text: every class loses its uppercase letters. With `closed`, `None` when
/// a class lacks one case of a letter it holds, or a literal holds a letter (a case-sensitive
/// part).
fn lowercase_only(hir: &Hir, closed: bool) -> Option<Hir> {
    Some(match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(lit) => {
            if closed && lit.0.iter().any(u8::is_ascii_alphabetic) {
                return None;
            }
            // A literal without `i` that holds an uppercase letter never matches lowercased text.
            if lit.0.iter().any(u8::is_ascii_uppercase) {
                return Some(Hir::fail());
            }
            Hir::literal(lit.0.clone())
        }
        HirKind::Class(class) => {
            let mut bytes = match class {
                Class::Bytes(b) => b.clone(),
                // Alternations of single ASCII characters become Unicode classes even with
                // Unicode off; anything beyond ASCII is left alone.
                Class::Unicode(u) => u.to_byte_class()?,
            };
            if closed {
                let mut folded = bytes.clone();
                folded.case_fold_simple();
                if folded != bytes {
                    return None;
                }
            }
            bytes.difference(&ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]));
            Hir::class(Class::Bytes(bytes))
        }
        HirKind::Look(look) => Hir::look(*look),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(lowercase_only(&rep.sub, closed)?),
            ..rep.clone()
        }),
        HirKind::Capture(cap) => Hir::capture(Capture {
            sub: Box::new(lowercase_only(&cap.sub, closed)?),
            ..cap.clone()
        }),
        HirKind::Concat(subs) => Hir::concat(
            subs.iter()
                .map(|h| lowercase_only(h, closed))
                .collect::<Option<_>>()?,
        ),
        HirKind::Alternation(subs) => Hir::alternation(
            subs.iter()
                .map(|h| lowercase_only(h, closed))
                .collect::<Option<_>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wholly_case_insensitive_pattern_drops_its_flag() {
        assert_eq!(
            lowercase_form(r"(?i)secret[_.\-]?key\s*=\s*([A-Za-z0-9]{8,})").as_deref(),
            Some(r"secret[_.\-]?key\s*=\s*([A-Za-z0-9]{8,})")
        );
        assert_eq!(
            lowercase_form("(?xim)^ token = (\\w+) # a comment").as_deref(),
            Some("(?xm)^ token = (\\w+) # a comment")
        );
        assert!(lowercase_form(r"(?i)key=([A-Fa-f0-9]{4})").is_some());
    }

    #[test]
    fn a_case_sensitive_part_keeps_the_pattern_as_it_is() {
        for pattern in [
            r"(?i)key=(?-i:AKIA)[0-9]{4}",
            r"(?i)key=(?-i:[a-f0-9]{32})",
            r"(?i:key)=([a-z]+)",
            r"key=([a-z]+)",
            r"(?i-x)key",
            r"(?i)key(?-i)=[A-Z]+",
            // Under `i` this class holds both cases, but without `i` it would never match
            // lowercased text.
            r"(?i)key=([A-Z]{4})",
        ] {
            assert_eq!(lowercase_form(pattern), None, "{pattern}");
        }
    }

    /// The claim itself, on texts in mixed case: the lowercase form over the lowercased text
    /// finds the same spans and groups as the pattern over the text.
    #[test]
    fn the_lowercase_form_finds_what_the_pattern_finds() {
        use regex_automata::meta::Regex;
        use regex_automata::util::syntax;
        let pattern =
            r"(?xi) \b (?:api[_.\-]?key|token) s? \s* [:=] \s* [`'\x22]? ([A-Za-z0-9_\-]{6,}) ";
        let lower = lowercase_form(pattern).expect("eligible");
        let build = |p: &str| {
            Regex::builder()
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .build(p)
                .unwrap()
        };
        let (original, lowered) = (build(pattern), build(&lower));
        let text = "API_KEY = 'AbC123xyz'\nx_token: Zz_9-QQ\nTOKENS=\"short\" apikey=AAAAAAA é";
        let spans = |re: &Regex, hay: &[u8]| -> Vec<Vec<Option<std::ops::Range<usize>>>> {
            re.captures_iter(hay)
                .map(|c| {
                    (0..c.group_len())
                        .map(|g| c.get_group(g).map(|m| m.range()))
                        .collect()
                })
                .collect()
        };
        let expected = spans(&original, text.as_bytes());
        assert!(expected.len() >= 2, "{expected:?}");
        assert_eq!(
            spans(&lowered, &text.as_bytes().to_ascii_lowercase()),
            expected
        );
    }
}
