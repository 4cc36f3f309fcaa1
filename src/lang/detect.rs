//! Language detection for code that arrives without a fence tag or a file name.
//!
//! Two stages. First, cheap textual signals, line by line (a shebang, `def x(...):`,
//! `package main`, `func (`, `import x from '...'`, `: string`, JSX tags...), score each language;
//! text with no signal is prose and is never parsed. Then the one to three best-scoring languages
//! are parsed and the one with the fewest errors wins; if even that one parses badly, the text is
//! not code. A wrong "this is code" costs more than a miss (the caller still treats prose
//! carefully), so every threshold here leans towards `None`.

use super::{LANGS, Lang, query};

/// Only this much of a long text is looked at: enough to recognise a language, and it keeps
/// detection of a pasted log or a huge file cheap.
const SAMPLE_BYTES: usize = 32 * 1024;

/// A language needs at least this many signal points to be parsed at all.
const MIN_SCORE: i32 = 3;

/// The languages detection can answer with, by table name.
const GO: &str = "go";
const JAVA: &str = "java";
const JS: &str = "javascript";
const PY: &str = "python";
const TSX: &str = "tsx";
const TS: &str = "typescript";

/// The table row of `name`, one of the consts above (`tests::detect_names_exist` checks them).
fn lang(name: &str) -> &'static Lang {
    Lang::by_name(name).unwrap_or(&LANGS[0])
}

/// Guesses the language of `text`, or `None` when it does not look like code in a language we
/// parse (prose, Markdown, JSON, logs, shell). See the module docs for the approach.
pub fn detect(text: &str) -> Option<&'static Lang> {
    let text = text.trim_start_matches('\u{feff}');
    let sample = sample(text);
    if sample.trim().is_empty() {
        return None;
    }
    if let Some(verdict) = shebang(sample) {
        return verdict;
    }
    let trimmed = sample.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('<') {
        // JSON, HTML, XML (and JSX fragments, which we give up on) start this way; code in our
        // languages does not, except a JS object literal alone, which declares nothing.
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() || !trimmed.starts_with('{')
        {
            return None;
        }
    }

    let signals = Signals::scan(sample);
    if signals.prose_lines * 2 > signals.lines || signals.bare_words * 4 > signals.lines {
        return None;
    }
    let mut candidates: Vec<(&str, i32)> = signals
        .scores()
        .into_iter()
        // A few stray signals in a long text (a TOML file, a log) do not make it code: real code
        // has one every few lines.
        .filter(|&(_, score)| score >= MIN_SCORE && score as usize * 4 >= signals.code_lines)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    // Stable: equal scores keep the order of `scores`, which lists the preferred language first.
    candidates.sort_by_key(|&(_, score)| std::cmp::Reverse(score));
    candidates.truncate(3);
    // JavaScript and TypeScript share their signals, and only a parse tells them apart: when one
    // is in, so is the other.
    for (a, b) in [(JS, TS), (TS, JS)] {
        if candidates.first().is_some_and(|&(n, _)| n == a)
            && !candidates.iter().any(|&(n, _)| n == b)
        {
            candidates.insert(1, (b, 0));
            candidates.truncate(3);
        }
    }

    // A snippet cut from a longer file often lacks its closing braces; close them so that the
    // parse judges the code, not the cut. (Python has no braces to close.)
    let closed = close_braces(sample);
    let mut best: Option<(&str, query::ErrorStats)> = None;
    for &(name, _) in &candidates {
        let text = if name == PY {
            sample
        } else {
            closed.as_deref().unwrap_or(sample)
        };
        let stats = query::parse_errors(lang(name), text);
        let better = match best {
            None => true,
            // Fewer errors wins; on a tie the higher score (earlier in `candidates`) stays.
            Some((_, b)) => (stats.nodes, stats.bytes) < (b.nodes, b.bytes),
        };
        if better {
            best = Some((name, stats));
        }
        if stats.nodes == 0 {
            // Candidates are in score order: a clean parse of the best-scoring one settles it.
            break;
        }
    }
    let (name, stats) = best?;
    let lines = signals.code_lines.max(1);
    // Real code, even a fragment, parses with at most a few local errors.
    let acceptable = stats.nodes <= 2 + lines / 10 && stats.bytes * 10 <= sample.len();
    acceptable.then(|| lang(name))
}

/// The first [`SAMPLE_BYTES`] of `text`, cut at a line end.
fn sample(text: &str) -> &str {
    if text.len() <= SAMPLE_BYTES {
        return text;
    }
    let mut end = SAMPLE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind('\n') {
        Some(nl) => &text[..nl],
        None => &text[..end],
    }
}

/// `text` with the braces it leaves open closed, or `None` when none are (or implausibly many).
fn close_braces(text: &str) -> Option<String> {
    let opens = text.bytes().filter(|&b| b == b'{').count();
    let closes = text.bytes().filter(|&b| b == b'}').count();
    let missing = opens.checked_sub(closes).filter(|&n| n > 0 && n <= 16)?;
    let mut closed = String::with_capacity(text.len() + 2 * missing);
    closed.push_str(text);
    for _ in 0..missing {
        closed.push_str("\n}");
    }
    Some(closed)
}

/// `Some(verdict)` when the text starts with a shebang: it names the interpreter outright.
fn shebang(text: &str) -> Option<Option<&'static Lang>> {
    let first = text.lines().next()?.strip_prefix("#!")?;
    let mut words = first.split_whitespace();
    let mut prog = words.next()?.rsplit('/').next()?;
    if prog == "env" {
        prog = words.find(|w| !w.starts_with('-'))?;
    }
    let prog = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    Some(match prog {
        "python" | "pypy" | "uv" => Some(lang(PY)),
        "node" | "nodejs" => Some(lang(JS)),
        "deno" | "bun" | "ts-node" | "tsx" => Some(lang(TS)),
        "go" | "gorun" => Some(lang(GO)),
        "java" | "jshell" => Some(lang(JAVA)),
        _ => None,
    })
}

/// What the line scan found.
#[derive(Debug, Default)]
struct Signals {
    python: i32,
    go: i32,
    java: i32,
    /// Shared by JavaScript, TypeScript and TSX.
    js: i32,
    /// TypeScript-only syntax (type annotations, interfaces, type aliases).
    types: i32,
    /// JSX elements.
    jsx: i32,
    /// Non-blank lines.
    lines: usize,
    /// Non-blank lines that are not comments or prose.
    code_lines: usize,
    /// Lines that read like English sentences, outside comments.
    prose_lines: usize,
    /// Lines holding one bare word: word lists, not code.
    bare_words: usize,
}

impl Signals {
    fn scan(text: &str) -> Signals {
        let mut s = Signals::default();
        for raw in text.lines() {
            let t = raw.trim();
            if t.is_empty() {
                continue;
            }
            s.lines += 1;
            if is_comment(t) {
                continue;
            }
            if is_prose(t) {
                s.prose_lines += 1;
                continue;
            }
            if !t.is_empty() && t.chars().all(|c| c.is_alphanumeric() || c == '_') {
                s.bare_words += 1;
            }
            s.code_lines += 1;
            s.line(t);
        }
        s
    }

    fn line(&mut self, t: &str) {
        let first = t.split_whitespace().next().unwrap_or("");

        // Python.
        if (t.starts_with("def ") || t.starts_with("async def ")) && t.contains('(') {
            self.python += if t.ends_with(':') { 4 } else { 1 };
        }
        if t.starts_with("class ") && t.ends_with(':') {
            self.python += 4;
        }
        if t.starts_with("from ") && t.contains(" import ") && !t.contains(['\'', '"', ';']) {
            self.python += 4;
        }
        if t.starts_with("import ") && !t.contains(['\'', '"', ';', '{', '(', '=']) {
            self.python += 2;
        }
        if matches!(
            first,
            "elif" | "except" | "except:" | "try:" | "finally:" | "else:"
        ) || t.starts_with("if __name__")
        {
            self.python += 3;
        }
        if matches!(first, "if" | "for" | "while" | "with") && t.ends_with(':') {
            self.python += 2;
        }
        if t.contains("self.") || t.starts_with("print(") {
            self.python += 1;
        }
        if is_plain_assignment(t) {
            self.python += 1;
        }
        if t.contains("lambda ") && t.contains(':') {
            self.python += 3;
        }
        if is_section_header(t) {
            // `[section]` / `[[array]]` alone on a line: TOML or INI, which Python parses cleanly.
            self.python -= 5;
        }
        if t.starts_with("\"\"\"") || t.starts_with("'''") {
            self.python += 2;
        }

        // Go.
        if let Some(rest) = t.strip_prefix("package ") {
            if rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                self.go += 4;
            } else if rest.ends_with(';') {
                self.java += 4;
            }
        }
        if t.starts_with("func (") {
            self.go += 5;
        } else if t.starts_with("func ") && t.contains('(') {
            self.go += 4;
        }
        if t == "import (" || t.starts_with("import \"") {
            self.go += 4;
        }
        if t.starts_with("type ") && (t.ends_with("struct {") || t.ends_with("interface {")) {
            self.go += 5;
        }
        if t.contains(":=") {
            self.go += 1;
        }
        if t.contains("err != nil") || t.starts_with("defer ") || t.contains("fmt.") {
            self.go += 2;
        }

        // Java.
        if t.starts_with("import ") && t.ends_with(';') && !t.contains(['\'', '"', '{']) {
            self.java += 4;
        }
        if (t.contains("public class ")
            || t.contains("public final class ")
            || t.contains("public interface ")
            || t.contains("public enum ")
            || t.contains("public record "))
            && !t.starts_with("export ")
        {
            self.java += 4;
        }
        if t.starts_with("@Override") || t.contains("System.out.") {
            self.java += 4;
        }
        if matches!(first, "public" | "private" | "protected")
            && t.contains('(')
            && !t.contains("):")
            && (t.ends_with('{') || t.ends_with(';'))
        {
            self.java += 2;
        }
        if t.contains("<>(") || t.contains("String[]") {
            self.java += 2;
        }
        if t.ends_with(';') && is_typed_local(t) {
            self.java += 2;
        }

        // JavaScript family.
        if t.starts_with("import ")
            && (t.contains(" from '") || t.contains(" from \"") || t.starts_with("import '"))
            || t.starts_with("export ")
            || t.contains("module.exports")
        {
            self.js += 4;
        }
        if matches!(first, "const" | "let") && t.contains('=') {
            self.js += 2;
        }
        if first == "var" && t.contains('=') {
            self.js += 1;
        }
        if t.contains("=>") {
            self.js += 1;
        }
        if t.starts_with("function ") || t.starts_with("async function") || t.contains("function(")
        {
            self.js += 3;
        }
        if t.contains("require(") || t.contains("console.") {
            self.js += 2;
        }
        if t.contains("===") || t.contains("!==") {
            self.js += 2;
        }

        // TypeScript-only syntax.
        for annotation in [
            ": string",
            ": number",
            ": boolean",
            ": any",
            ": void",
            ": unknown",
            ": Promise<",
            ": Record<",
            ": React.",
        ] {
            if t.contains(annotation) {
                self.types += 3;
                break;
            }
        }
        let decl = t.strip_prefix("export ").unwrap_or(t);
        if return_annotation(t) || annotated_binding(decl) {
            self.types += 3;
        }
        if (decl.starts_with("interface ") && t.ends_with('{'))
            || (decl.starts_with("type ") && t.contains(" = "))
        {
            self.types += 3;
        }
        if t.contains(" as const") || t.contains("private readonly ") || decl.starts_with("enum ") {
            self.types += 2;
        }

        // JSX.
        if t.contains("/>") || t.contains("</") || t.contains("className=") {
            self.jsx += 2;
        }
    }

    /// Each language's score, the preferred one first among equals.
    fn scores(&self) -> [(&'static str, i32); 6] {
        // Without type syntax, plain JavaScript is the better guess (TypeScript parses it too, so
        // a tie must go to JavaScript); with it, TypeScript, or TSX if there is JSX.
        let family = self.js + self.types;
        let (js, ts) = if self.types == 0 {
            (self.js + self.jsx + 1, self.js)
        } else {
            (self.js, family + 1)
        };
        let tsx = if self.jsx > 0 && family > 0 {
            family + self.jsx
        } else {
            0
        };
        let (js, ts) = if family > 0 { (js, ts) } else { (0, 0) };
        [
            (JS, js),
            (TS, ts),
            (TSX, tsx),
            (PY, self.python),
            (GO, self.go),
            (JAVA, self.java),
        ]
    }
}

/// `Type name = ...` or `Type<A, B> name = ...`: a Java (or C-family) typed local variable.
fn is_typed_local(t: &str) -> bool {
    let Some((ty, rest)) = t.split_once(' ') else {
        return false;
    };
    let base = ty.split('<').next().unwrap_or("").trim_end_matches("[]");
    let upper_start = base.starts_with(|c: char| c.is_ascii_uppercase());
    let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let Some((name, _)) = rest.split_once(" = ") else {
        return false;
    };
    upper_start && ident(base) && ident(name) && (ty.contains('<') == ty.ends_with('>'))
}

/// `): Type` after a parameter list: a TypeScript return type (Python writes `) -> Type:`).
fn return_annotation(t: &str) -> bool {
    t.match_indices("): ").any(|(i, _)| {
        t[i + 3..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '{' || c == '[')
    })
}

/// `const name: Type = ...` / `let name: Type`.
fn annotated_binding(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("const ").or_else(|| t.strip_prefix("let ")) else {
        return false;
    };
    let name_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(rest.len());
    name_end > 0 && rest[name_end..].starts_with(": ")
}

/// `name = call(...)` with no declaration keyword and no semicolon: how Python assigns. Literal
/// values do not count: `key = "value"` is how TOML and INI files look.
fn is_plain_assignment(t: &str) -> bool {
    let Some((left, right)) = t.split_once(" = ") else {
        return false;
    };
    right.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && !matches!(right, "true" | "false")
        && !right.ends_with(';')
        && !left.is_empty()
        && left.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ',' | ' ' | '(' | ')' | '[' | ']')
        })
        && !left
            .split_whitespace()
            .any(|w| matches!(w, "const" | "let" | "var"))
}

/// `[section]`, `[[array.of.tables]]`: a TOML or INI header.
fn is_section_header(t: &str) -> bool {
    let inner = t.trim_start_matches('[').trim_end_matches(']');
    t.starts_with('[')
        && t.ends_with(']')
        && !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
}

fn is_comment(t: &str) -> bool {
    t.starts_with("//")
        || t.starts_with("/*")
        || t.starts_with("* ")
        || t == "*"
        || t.starts_with("*/")
        || (t.starts_with('#') && !t.starts_with("#!"))
}

/// A line that reads like a sentence: mostly plain words, no code punctuation at the end.
fn is_prose(t: &str) -> bool {
    if t.ends_with(['{', '}', ';', '(', ',', '[', '=']) || t.contains(" = ") {
        return false;
    }
    let mut words = 0;
    let mut plain = 0;
    for w in t.split_whitespace() {
        words += 1;
        let core = w.trim_matches(|c: char| matches!(c, ',' | '.' | '!' | '?' | ':' | '"' | '\''));
        if !core.is_empty()
            && core
                .chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
        {
            plain += 1;
        }
    }
    words >= 5 && plain * 10 >= words * 8
}
