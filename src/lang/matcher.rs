//! Runs a declarations query (`grammars/<lang>/identifiers.scm`) over a syntax tree without
//! tree-sitter's query engine, which the query files stay written for.
//!
//! Why: tree-sitter's `QueryCursor` keeps a state machine that asks the tree cursor for a
//! node's field, its later siblings and its supertypes at every node, and it cost more than
//! the parse itself (4.5 M instructions for 5 KB of TypeScript, against 1.4 M for walking the
//! same tree); compiling the TypeScript query took 0.15 s, which every CLI run that lists
//! identifiers paid. The files use a small part of the query language, which this module
//! compiles into plain patterns: one walk visits every node once, and only the nodes whose kind
//! roots a pattern are matched, by trying their children in order.
//!
//! Supported: `(kind …)`, `(_)`, `_`, `"anonymous"`, `field:` prefixes, `!field`, `[…]`
//! alternations (also at the root), the `.` anchor, captures, and the predicates `#eq?`,
//! `#not-eq?` (against a string), `#match?`, `#not-match?`, `#any-of?` and `#not-any-of?`.
//! Anything else (quantifiers, supertypes, grouped siblings, other predicates) makes
//! [`Matcher::compile`] fail, and the caller falls back to tree-sitter's engine.
//!
//! It follows tree-sitter's rules: an anchor skips only anonymous nodes, a wildcard never
//! matches an ERROR node, a predicate must hold for every node its capture holds in the match.
//! It reports every way a pattern matches, where tree-sitter's engine prunes a few: it does not
//! try a later sibling in a field when the grammar says none can follow (error recovery
//! sometimes builds such siblings), and it drops a partial match whose captures another one
//! holds. With our query files the two differ only in trees with syntax errors, and there the
//! matcher finds a few more names, never fewer. `lang::tests` runs both engines over every
//! fixture, the fixtures cut off and broken, fixture lines spliced at random, and short texts
//! for each feature.

use std::collections::HashMap;

use regex::Regex;
use tree_sitter::{Language, Node, TreeCursor};

/// Why a query file cannot be run by this module (the caller then uses tree-sitter's engine,
/// which reports real mistakes with their line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported {
    /// Byte offset in the query source.
    pub(crate) at: usize,
    pub(crate) what: String,
}

/// What one element of a pattern matches.
#[derive(Debug, Clone)]
enum Elem {
    /// `(kind children…)`; `kind` is `None` for `(_)`, any named node.
    Named {
        kind: Option<u16>,
        steps: Vec<Step>,
        /// `!field`: the node has no child in that field.
        negated: Vec<u16>,
    },
    /// `"text"`, an anonymous node; `None` for `_`, any node.
    Anon { kind: Option<u16> },
    /// `[a b …]`: any of the alternatives, each with its own field and captures.
    Alt(Vec<Step>),
}

/// One element of a pattern as a child of its parent's element.
#[derive(Debug, Clone)]
struct Step {
    field: Option<u16>,
    elem: Elem,
    captures: Vec<u16>,
    /// `.` before it: no named sibling may be skipped to reach it (before the first child: it
    /// is the first named child).
    immediate: bool,
    /// `.` after it, the last child: no named sibling follows it.
    last: bool,
}

#[derive(Debug)]
enum Test {
    Eq(String),
    Match(Regex),
    AnyOf(Vec<String>),
}

#[derive(Debug)]
struct Predicate {
    capture: u16,
    test: Test,
    /// False for the `not-` forms.
    positive: bool,
}

#[derive(Debug)]
struct Pattern {
    root: Step,
    predicates: Vec<Predicate>,
}

/// Where a pattern may start: its index, and for a root alternation, which alternative.
#[derive(Debug, Clone, Copy)]
struct Root {
    pattern: u32,
    alternative: Option<u32>,
}

/// A compiled declarations query.
#[derive(Debug)]
pub(crate) struct Matcher {
    patterns: Vec<Pattern>,
    capture_names: Vec<String>,
    /// The patterns rooted at each node kind, by kind id, in pattern order.
    roots: Vec<Vec<Root>>,
}

/// One capture of a match: its index in [`Matcher::capture_names`] and the node.
pub(crate) type Capture<'t> = (u16, Node<'t>);

impl Matcher {
    /// Compiles `source` (the query files of a language, concatenated) against `language`.
    pub(crate) fn compile(language: &Language, source: &str) -> Result<Matcher, Unsupported> {
        let mut p = Parser {
            src: source.as_bytes(),
            text: source,
            pos: 0,
            language,
            kinds: HashMap::new(),
            capture_names: Vec::new(),
            predicates: Vec::new(),
        };
        let mut patterns = Vec::new();
        loop {
            p.skip_blank();
            if p.pos >= p.src.len() {
                break;
            }
            let at = p.pos;
            let elem = match p.peek() {
                Some(b'(') | Some(b'[') => p.elem()?,
                _ => return Err(p.unsupported(at, "a pattern must start with ( or [")),
            };
            let captures = p.captures()?;
            patterns.push(Pattern {
                root: Step {
                    field: None,
                    elem,
                    captures,
                    immediate: false,
                    last: false,
                },
                predicates: std::mem::take(&mut p.predicates),
            });
        }

        let mut roots: Vec<Vec<Root>> = vec![Vec::new(); language.node_kind_count()];
        for (i, pattern) in patterns.iter().enumerate() {
            let pattern_index = i as u32;
            let mut add = |kind: Option<u16>, alternative: Option<u32>| {
                let slot = kind
                    .map(usize::from)
                    .and_then(|k| roots.get_mut(k))
                    .ok_or_else(|| Unsupported {
                        at: 0,
                        what: format!("pattern {i} has a wildcard or unknown root"),
                    })?;
                slot.push(Root {
                    pattern: pattern_index,
                    alternative,
                });
                Ok(())
            };
            match &pattern.root.elem {
                Elem::Named { kind, .. } => add(*kind, None)?,
                Elem::Alt(alternatives) => {
                    for (a, alt) in alternatives.iter().enumerate() {
                        let Elem::Named { kind, .. } = &alt.elem else {
                            return Err(Unsupported {
                                at: 0,
                                what: format!("pattern {i}: a root alternative must be a node"),
                            });
                        };
                        if alt.field.is_some() {
                            return Err(Unsupported {
                                at: 0,
                                what: format!("pattern {i}: a root alternative has a field"),
                            });
                        }
                        add(*kind, Some(a as u32))?;
                    }
                }
                Elem::Anon { .. } => unreachable!("parsed from ( or ["),
            }
        }
        Ok(Matcher {
            patterns,
            capture_names: p.capture_names,
            roots,
        })
    }

    /// Capture names by index, as in the query source.
    pub(crate) fn capture_names(&self) -> &[String] {
        &self.capture_names
    }

    /// Calls `on_match(pattern, captures)` for every way a pattern matches in the tree under
    /// `root` whose predicates hold; `source` is the parsed text. Matches come in no particular
    /// order and may repeat.
    pub(crate) fn for_each_match<'t>(
        &self,
        root: Node<'t>,
        source: &str,
        on_match: &mut dyn FnMut(usize, &[Capture<'t>]),
    ) {
        let mut run = Run {
            source,
            cursor: root.walk(),
            bound: Vec::new(),
        };
        let mut walk = root.walk();
        loop {
            let node = walk.node();
            if let Some(roots) = self.roots.get(usize::from(node.kind_id()))
                && !roots.is_empty()
            {
                self.try_roots(node, roots, &mut run, on_match);
            }
            if walk.goto_first_child() {
                continue;
            }
            loop {
                if walk.goto_next_sibling() {
                    break;
                }
                if !walk.goto_parent() {
                    return;
                }
            }
        }
    }

    fn try_roots<'s, 't>(
        &self,
        node: Node<'t>,
        roots: &[Root],
        run: &mut Run<'s, 't>,
        on_match: &mut dyn FnMut(usize, &[Capture<'t>]),
    ) {
        // The node's children, read once for all the patterns rooted at its kind.
        let mut kids: Option<Vec<Kid<'t>>> = None;
        for root in roots {
            let pattern = &self.patterns[root.pattern as usize];
            let outer = &pattern.root.captures;
            let step = match (root.alternative, &pattern.root.elem) {
                (Some(a), Elem::Alt(alternatives)) => &alternatives[a as usize],
                _ => &pattern.root,
            };
            let Elem::Named { steps, negated, .. } = &step.elem else {
                continue;
            };
            let mark = run.bound.len();
            push_captures(run, outer, node);
            if root.alternative.is_some() {
                push_captures(run, &step.captures, node);
            }
            let kids = kids.get_or_insert_with(|| read_kids(&mut run.cursor, node));
            let index = root.pattern as usize;
            match_children(steps, negated, kids, run, &mut |run: &mut Run<'s, 't>| {
                if pattern
                    .predicates
                    .iter()
                    .all(|p| holds(p, &run.bound, run.source))
                {
                    on_match(index, &run.bound);
                }
            });
            run.bound.truncate(mark);
        }
    }
}

/// The state of one walk: the text, a cursor to read children with, and the captures bound so
/// far on the path being tried.
struct Run<'s, 't> {
    source: &'s str,
    cursor: TreeCursor<'t>,
    bound: Vec<Capture<'t>>,
}

/// A child node with the field it is in.
#[derive(Clone, Copy)]
struct Kid<'t> {
    node: Node<'t>,
    field: Option<u16>,
    named: bool,
}

type Then<'a, 's, 't> = &'a mut dyn FnMut(&mut Run<'s, 't>);

fn read_kids<'t>(cursor: &mut TreeCursor<'t>, node: Node<'t>) -> Vec<Kid<'t>> {
    let mut kids = Vec::new();
    cursor.reset(node);
    if cursor.goto_first_child() {
        loop {
            let node = cursor.node();
            kids.push(Kid {
                node,
                field: cursor.field_id().map(|f| f.get()),
                named: node.is_named(),
            });
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    kids
}

fn push_captures<'t>(run: &mut Run<'_, 't>, captures: &[u16], node: Node<'t>) {
    run.bound.extend(captures.iter().map(|&c| (c, node)));
}

/// Matches `steps` against `kids` (a node's children) and calls `then` once per way they match.
fn match_children<'s, 't>(
    steps: &[Step],
    negated: &[u16],
    kids: &[Kid<'t>],
    run: &mut Run<'s, 't>,
    then: Then<'_, 's, 't>,
) {
    if negated
        .iter()
        .any(|&f| kids.iter().any(|k| k.field == Some(f)))
    {
        return;
    }
    match_from(steps, kids, 0, run, then);
}

fn match_from<'s, 't>(
    steps: &[Step],
    kids: &[Kid<'t>],
    from: usize,
    run: &mut Run<'s, 't>,
    then: Then<'_, 's, 't>,
) {
    let Some((step, rest)) = steps.split_first() else {
        then(run);
        return;
    };
    for (j, kid) in kids.iter().enumerate().skip(from) {
        if !step.last || !kids[j + 1..].iter().any(|k| k.named) {
            match_step(step, kid, run, &mut |run: &mut Run<'s, 't>| {
                match_from(rest, kids, j + 1, run, then)
            });
        }
        if step.immediate && kid.named {
            break;
        }
    }
}

fn match_step<'s, 't>(step: &Step, kid: &Kid<'t>, run: &mut Run<'s, 't>, then: Then<'_, 's, 't>) {
    if step.field.is_some() && step.field != kid.field {
        return;
    }
    let node = kid.node;
    let mut bind_then = |run: &mut Run<'s, 't>| {
        let mark = run.bound.len();
        push_captures(run, &step.captures, node);
        then(run);
        run.bound.truncate(mark);
    };
    match &step.elem {
        Elem::Anon { kind } => {
            let ok = match kind {
                Some(k) => node.kind_id() == *k,
                None => !node.is_error(),
            };
            if ok {
                bind_then(run);
            }
        }
        Elem::Named {
            kind,
            steps,
            negated,
        } => {
            let ok = match kind {
                Some(k) => node.kind_id() == *k,
                None => kid.named && !node.is_error(),
            };
            if !ok {
                return;
            }
            if steps.is_empty() && negated.is_empty() {
                bind_then(run);
            } else {
                let kids = read_kids(&mut run.cursor, node);
                match_children(steps, negated, &kids, run, &mut bind_then);
            }
        }
        Elem::Alt(alternatives) => {
            for alt in alternatives {
                match_step(alt, kid, run, &mut bind_then);
            }
        }
    }
}

/// tree-sitter's rule: the predicate holds for every node bound to its capture (and so when
/// there is none).
fn holds(p: &Predicate, bound: &[Capture<'_>], source: &str) -> bool {
    bound
        .iter()
        .filter(|(c, _)| *c == p.capture)
        .all(|(_, node)| {
            let text = source.get(node.byte_range()).unwrap_or("");
            let yes = match &p.test {
                Test::Eq(s) => text == s,
                Test::Match(re) => re.is_match(text),
                Test::AnyOf(values) => values.iter().any(|v| v == text),
            };
            yes == p.positive
        })
}

/// A recursive-descent reader of the query language's subset.
struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    language: &'a Language,
    kinds: HashMap<(String, bool), u16>,
    capture_names: Vec<String>,
    /// The predicates of the pattern being read, wherever they are in it.
    predicates: Vec<Predicate>,
}

impl Parser<'_> {
    fn unsupported(&self, at: usize, what: &str) -> Unsupported {
        Unsupported {
            at,
            what: what.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c == b';' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.pos += 1;
                }
            } else if c.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), Unsupported> {
        self.skip_blank();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unsupported(self.pos, &format!("expected {:?}", c as char)))
        }
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn kind(&mut self, name: &str, named: bool, at: usize) -> Result<u16, Unsupported> {
        let key = (name.to_string(), named);
        if let Some(&id) = self.kinds.get(&key) {
            return Ok(id);
        }
        let id = self.language.id_for_node_kind(name, named);
        if id == 0 {
            return Err(self.unsupported(at, &format!("unknown node kind {name:?}")));
        }
        self.kinds.insert(key, id);
        Ok(id)
    }

    fn field(&mut self, name: &str, at: usize) -> Result<u16, Unsupported> {
        self.language
            .field_id_for_name(name)
            .map(|f| f.get())
            .ok_or_else(|| self.unsupported(at, &format!("unknown field {name:?}")))
    }

    fn capture_index(&mut self, name: &str) -> u16 {
        match self.capture_names.iter().position(|n| n == name) {
            Some(i) => i as u16,
            None => {
                self.capture_names.push(name.to_string());
                (self.capture_names.len() - 1) as u16
            }
        }
    }

    /// `@a @b …` after an element; a quantifier there is not supported.
    fn captures(&mut self) -> Result<Vec<u16>, Unsupported> {
        let mut out = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                Some(b'@') => {
                    self.pos += 1;
                    let at = self.pos;
                    let name = self.word().to_string();
                    if name.is_empty() {
                        return Err(self.unsupported(at, "empty capture name"));
                    }
                    out.push(self.capture_index(&name));
                }
                Some(b'*' | b'+' | b'?') => {
                    return Err(self.unsupported(self.pos, "quantifiers"));
                }
                _ => return Ok(out),
            }
        }
    }

    fn string(&mut self) -> Result<String, Unsupported> {
        let at = self.pos;
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(self.unsupported(at, "unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.unsupported(at, "unterminated string"));
                    };
                    self.pos += 1;
                    out.push(match e {
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'0' => '\0',
                        b'\\' => '\\',
                        b'"' => '"',
                        _ => return Err(self.unsupported(self.pos, "string escape")),
                    });
                }
                c => out.push(c),
            }
        }
    }

    /// One element: `(…)`, `[…]`, `"…"` or `_`.
    fn elem(&mut self) -> Result<Elem, Unsupported> {
        self.skip_blank();
        let at = self.pos;
        match self.peek() {
            Some(b'(') => {
                self.pos += 1;
                self.skip_blank();
                let at = self.pos;
                let name = self.word().to_string();
                let kind = match name.as_str() {
                    "" => return Err(self.unsupported(at, "expected a node kind")),
                    "_" => None,
                    "ERROR" | "MISSING" => return Err(self.unsupported(at, "ERROR / MISSING")),
                    _ if self.peek() == Some(b'/') => {
                        return Err(self.unsupported(at, "supertypes"));
                    }
                    _ => Some(self.kind(&name, true, at)?),
                };
                let (steps, negated) = self.children()?;
                Ok(Elem::Named {
                    kind,
                    steps,
                    negated,
                })
            }
            Some(b'[') => {
                self.pos += 1;
                let mut alternatives = Vec::new();
                loop {
                    self.skip_blank();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        None => return Err(self.unsupported(at, "unclosed [")),
                        _ => alternatives.push(self.step(false)?),
                    }
                }
                if alternatives.is_empty() {
                    return Err(self.unsupported(at, "empty alternation"));
                }
                Ok(Elem::Alt(alternatives))
            }
            Some(b'"') => {
                let text = self.string()?;
                Ok(Elem::Anon {
                    kind: Some(self.kind(&text, false, at)?),
                })
            }
            Some(b'_') => {
                self.pos += 1;
                Ok(Elem::Anon { kind: None })
            }
            _ => Err(self.unsupported(at, "expected (, [, \" or _")),
        }
    }

    /// `[field:] elem @captures…`.
    fn step(&mut self, immediate: bool) -> Result<Step, Unsupported> {
        self.skip_blank();
        let at = self.pos;
        let mut field = None;
        if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            let name = self.word().to_string();
            if self.peek() != Some(b':') {
                return Err(self.unsupported(at, "expected field:"));
            }
            self.pos += 1;
            field = Some(self.field(&name, at)?);
        }
        let elem = self.elem()?;
        let captures = self.captures()?;
        Ok(Step {
            field,
            elem,
            captures,
            immediate,
            last: false,
        })
    }

    /// The children of a `(kind …)` up to its `)`: steps, `!field`s, anchors and predicates.
    fn children(&mut self) -> Result<(Vec<Step>, Vec<u16>), Unsupported> {
        let mut steps: Vec<Step> = Vec::new();
        let mut negated = Vec::new();
        let mut anchor = false;
        loop {
            self.skip_blank();
            let at = self.pos;
            match self.peek() {
                None => return Err(self.unsupported(at, "unclosed (")),
                Some(b')') => {
                    self.pos += 1;
                    if anchor {
                        match steps.last_mut() {
                            Some(step) => step.last = true,
                            None => return Err(self.unsupported(at, "anchor without a child")),
                        }
                    }
                    return Ok((steps, negated));
                }
                Some(b'.') => {
                    self.pos += 1;
                    anchor = true;
                }
                Some(b'!') => {
                    self.pos += 1;
                    let at = self.pos;
                    let name = self.word().to_string();
                    negated.push(self.field(&name, at)?);
                }
                Some(b'(')
                    if self.src[self.pos + 1..]
                        .iter()
                        .find(|c| !c.is_ascii_whitespace())
                        == Some(&b'#') =>
                {
                    self.predicate()?;
                }
                _ => {
                    steps.push(self.step(anchor)?);
                    anchor = false;
                }
            }
        }
    }

    /// `(#name? @capture "arg"…)`, added to the current pattern.
    fn predicate(&mut self) -> Result<(), Unsupported> {
        let at = self.pos;
        self.expect(b'(')?;
        self.expect(b'#')?;
        let name = self.word().to_string();
        if self.peek() == Some(b'?') {
            self.pos += 1;
        } else {
            return Err(self.unsupported(at, "directives (#set! …)"));
        }
        self.expect(b'@')?;
        let capture_name = self.word().to_string();
        let capture = self.capture_index(&capture_name);
        let mut args = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                Some(b'"') => args.push(self.string()?),
                _ => {
                    return Err(
                        self.unsupported(self.pos, "predicate arguments other than strings")
                    );
                }
            }
        }
        let (positive, base) = match name.strip_prefix("not-") {
            Some(base) => (false, base),
            None => (true, name.as_str()),
        };
        let test = match (base, args.len()) {
            ("eq", 1) => Test::Eq(args.remove(0)),
            ("match", 1) => Test::Match(
                Regex::new(&args[0]).map_err(|_| self.unsupported(at, "invalid regex"))?,
            ),
            ("any-of", n) if n >= 1 => Test::AnyOf(args),
            _ => return Err(self.unsupported(at, &format!("predicate #{name}?"))),
        };
        self.predicates.push(Predicate {
            capture,
            test,
            positive,
        });
        Ok(())
    }
}
