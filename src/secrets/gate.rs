//! Gates: for a rule whose regex is big, a small regex that matches wherever the rule could
//! (a superset of its language), so that a one-shot scan can skip the lines, and often the whole
//! rule, that cannot match before paying to compile it. The generic assignment rules take
//! milliseconds to compile and are woken by any line that mentions a token or a password; most of
//! those lines assign nothing.
//!
//! A gate is the rule's syntax tree with its costly parts widened: a long list of alternative
//! words becomes a run of the bytes those words use, at least as long as the shortest word;
//! bounded repetitions lose their upper bound; capture groups go. Every string the rule matches
//! is then matched by the gate, with the same look-arounds in the same text, so a window where the
//! gate finds nothing holds no candidate.

use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, HirKind, Repetition};

/// An alternation of this many branches or more is a word list.
const WORD_LIST: usize = 10;
/// Rules lighter than this compile fast enough without a gate.
const HEAVY: usize = 400;
/// Repetitions keep at most this minimum...
const MAX_MIN: u32 = 16;
/// ...and an upper bound only up to this.
const MAX_MAX: u32 = 8;

/// The gate of `tree`, or `None` when the rule is small or the gate would not be much smaller.
pub fn gate(tree: &Hir) -> Option<Hir> {
    let heavy = weight(tree);
    if heavy < HEAVY {
        return None;
    }
    let gate = widen(tree);
    (weight(&gate) * 4 <= heavy).then_some(gate)
}

fn widen(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Capture(cap) => widen(&cap.sub),
        HirKind::Repetition(rep) => {
            let min = rep.min.min(MAX_MIN);
            let max = rep.max.filter(|&m| m <= MAX_MAX && min == rep.min);
            Hir::repetition(Repetition {
                min,
                max,
                greedy: rep.greedy,
                sub: Box::new(widen(&rep.sub)),
            })
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(widen).collect()),
        HirKind::Alternation(subs) if subs.len() >= WORD_LIST => run_of_bytes(hir),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(widen).collect()),
    }
}

/// `[bytes]{n,}`: every byte any match of `hir` can hold, at least as many as its shortest match.
fn run_of_bytes(hir: &Hir) -> Hir {
    let mut seen = [false; 256];
    collect_bytes(hir, &mut seen);
    let bytes = ClassBytes::new(
        (0..=255u8)
            .filter(|&b| seen[usize::from(b)])
            .map(|b| ClassBytesRange::new(b, b)),
    );
    let shortest = hir.properties().minimum_len().unwrap_or(0);
    Hir::repetition(Repetition {
        min: u32::try_from(shortest).unwrap_or(MAX_MIN).min(MAX_MIN),
        max: None,
        greedy: true,
        sub: Box::new(Hir::class(Class::Bytes(bytes))),
    })
}

fn collect_bytes(hir: &Hir, seen: &mut [bool; 256]) {
    let mut range = |start: u8, end: u8| {
        seen[usize::from(start)..=usize::from(end)].fill(true);
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| range(b, b)),
        HirKind::Class(Class::Bytes(class)) => {
            class.iter().for_each(|r| range(r.start(), r.end()));
        }
        HirKind::Class(Class::Unicode(class)) => match class.to_byte_class() {
            Some(class) => class.iter().for_each(|r| range(r.start(), r.end())),
            // Beyond ASCII: any byte at all, which is still a superset.
            None => range(0, 255),
        },
        HirKind::Repetition(rep) => collect_bytes(&rep.sub, seen),
        HirKind::Capture(cap) => collect_bytes(&cap.sub, seen),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|s| collect_bytes(s, seen));
        }
    }
}

/// Roughly how many automaton states `hir` compiles to: what a gate has to save.
fn weight(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => 1,
        HirKind::Literal(lit) => lit.0.len(),
        HirKind::Capture(cap) => weight(&cap.sub),
        HirKind::Repetition(rep) => {
            let copies = rep.max.unwrap_or(rep.min).clamp(1, 1000) as usize;
            weight(&rep.sub) * copies
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().map(weight).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    fn parse(p: &str) -> Hir {
        crate::secrets::hircode::parse(p).unwrap()
    }

    fn compile(hir: &Hir) -> Regex {
        Regex::builder().build_from_hir(hir).unwrap()
    }

    const WORDS: &str = r"(?:password|passwd|secret|token|api[_.\-]?key|access[_.\-]?key|credentials?|auth|bearer|session|cookie)";

    #[test]
    fn a_gate_matches_everything_its_rule_matches() {
        let rule = format!(
            r#"(?m)^[\x20\t]*{WORDS}s?(?:[_.\-]?{WORDS})*\s*[:=]\s*["']([^"'\s]{{10,500}})["']"#
        );
        let tree = parse(&rule);
        let gate = gate(&tree).expect("a word list is worth a gate");
        let (rule, gate) = (compile(&tree), compile(&gate));
        for line in [
            r#"password = "hunter2hunter2""#,
            r#"  api-key_token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"#,
            r#"credentials_session="0123456789abcdef""#,
        ] {
            assert!(rule.is_match(line), "{line}");
            assert!(gate.is_match(line), "{line}");
        }
        // Lines that mention a word and assign nothing quoted do not get past the gate.
        for line in [
            "// the token is refreshed lazily",
            "password: string;",
            r#"throw new Error("bad token: " + why)"#,
        ] {
            assert!(!gate.is_match(line), "{line}");
        }
    }

    #[test]
    fn small_rules_get_no_gate() {
        assert!(gate(&parse(r"\b(p8e-[A-Za-z0-9]{32})\b")).is_none());
        assert!(gate(&parse(r"(?:sk|rk)_live_[A-Za-z0-9]{24,99}")).is_none());
    }
}
