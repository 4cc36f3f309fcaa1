//! Runs a declarations query (`grammars/<lang>/identifiers.scm`) over a syntax tree without
//! tree-sitter's query engine, which the query files stay written for.
//!
//! Why: tree-sitter's `QueryCursor` keeps a state machine that asks the tree cursor for a
//! node's field, its later siblings and its supertypes at every node, and it cost more than
//! the parse itself (4.5 M instructions for 5 KB of TypeScript, against 1.4 M for walking the
//! same tree); compiling the TypeScript query took 0.15 s, which every CLI run that lists
//! identifiers paid. The files use a small part of the query language, which this module
//! compiles into plain patterns. One walk reads every node once (its kind, field, and links to
//! its first child and next sibling: see `walk`); then only the nodes whose kind roots a pattern
//! are matched, by trying their children in order along those links.
//!
//! Supported: `(kind …)`, `(_)`, `_`, `"anonymous"`, `field:` prefixes, `!field`, `[…]`
//! alternations (also at the root), the `.` anchor, captures, and the predicates `#eq?`,
//! `#not-eq?` (against a string), `#match?`, `#not-match?`, `#any-of?` and `#not-any-of?`.
//! Anything else (quantifiers, supertypes, grouped siblings, other predicates, a few
//! combinations tree-sitter reads in its own way) makes [`Matcher::compile`] fail, and the
//! caller falls back to tree-sitter's engine.
//!
//! It follows tree-sitter's rules: an anchor skips only anonymous nodes, and is forgotten when
//! a predicate follows it; a wildcard never matches an ERROR node; a predicate must hold for
//! every node its capture holds in the match (so also when it holds none). A step that binds no
//! capture the caller reads (only helpers that predicates test, or none) is only tested for
//! existence, at its first place when what follows it is not anchored to it, its predicates
//! checked where its nodes are bound: enumerating its ways to match would repeat the same
//! match, which cost cubic time with repeatable modifiers (`static static final final`) and
//! quadratic time with a module string in many fragments or many base classes. Beyond that it reports
//! every way a pattern matches, where tree-sitter's engine prunes a few: it does not try a later
//! sibling in a field when the grammar says none can follow (error recovery sometimes builds
//! such siblings), and it drops a partial match whose captures another one holds. With our
//! query files the captures differ only in trees with syntax errors, where the matcher captures
//! a few more (which can also mean an extra `@ignore`, or an earlier pattern's kind for a
//! name). `lang::tests` runs both engines over every fixture, the fixtures cut off and broken,
//! fixture lines spliced at random, and short texts for each feature.

use std::collections::HashMap;

use regex::Regex;
use tree_sitter::{Language, Node};

use super::walk::{self, NONE, Visited, children};

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
    /// Whether it or anything in it binds a capture the caller reads (not a helper). One that
    /// does not is only tested for existence: enumerating its ways to match would repeat the
    /// same match (`(modifiers "static" "final")` matches in static × final ways, `source:
    /// (string (string_fragment) @_src)` in as many ways as the string has fragments).
    binds: bool,
    /// The predicates on the helper captures of this step, checked on its node when the step is
    /// only tested for existence. tree-sitter's rule (every node of the capture must pass) is
    /// a test of each node on its own, so checking it where the node is bound is exact.
    tests: Vec<Predicate>,
}

impl Step {
    /// Sets `binds` and `tests` here and below; adds every capture bound here and below to
    /// `out`.
    fn settle(
        &mut self,
        helper: &dyn Fn(u16) -> bool,
        predicates: &[Predicate],
        out: &mut Vec<u16>,
    ) -> bool {
        let mut binds = self.captures.iter().any(|&c| !helper(c));
        out.extend(&self.captures);
        self.tests = predicates
            .iter()
            .filter(|p| helper(p.capture) && self.captures.contains(&p.capture))
            .cloned()
            .collect();
        match &mut self.elem {
            Elem::Named { steps, .. } | Elem::Alt(steps) => {
                for step in steps {
                    binds |= step.settle(helper, predicates, out);
                }
            }
            Elem::Anon { .. } => {}
        }
        self.binds = binds;
        binds
    }
}

#[derive(Debug, Clone)]
enum Test {
    Eq(String),
    Match(Regex),
    AnyOf(Vec<String>),
}

#[derive(Debug, Clone)]
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
    /// `helper` tells the captures whose nodes the caller never reads (those only predicates
    /// use): the matcher need not tell apart the matches that differ only in them.
    pub(crate) fn compile(
        language: &Language,
        source: &str,
        helper: &dyn Fn(&str) -> bool,
    ) -> Result<Matcher, Unsupported> {
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
            let mut root = Step {
                field: None,
                elem,
                captures,
                immediate: false,
                last: false,
                binds: true,
                tests: Vec::new(),
            };
            let predicates = std::mem::take(&mut p.predicates);
            let names = &p.capture_names;
            let is_helper = |c: u16| helper(&names[usize::from(c)]);
            let mut bound = Vec::new();
            root.settle(&is_helper, &predicates, &mut bound);
            if let Some(unbound) = predicates.iter().find(|q| !bound.contains(&q.capture)) {
                let name = &p.capture_names[usize::from(unbound.capture)];
                return Err(p.unsupported(at, &format!("a predicate on @{name}, not captured")));
            }
            patterns.push(Pattern { root, predicates });
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
    /// order and may repeat. Returns how many matches were complete before their predicates
    /// were checked: what the work grows with.
    pub(crate) fn for_each_match<'t>(
        &self,
        root: Node<'t>,
        source: &str,
        on_match: &mut dyn FnMut(usize, &[Capture<'t>]),
    ) -> usize {
        let mut run = Run {
            source,
            nodes: walk::read(root),
            bound: Vec::new(),
            known: Default::default(),
            complete: 0,
        };
        for i in 0..run.nodes.len() {
            if let Some(roots) = self.roots.get(usize::from(run.nodes[i].kind))
                && !roots.is_empty()
            {
                self.try_roots(i as u32, roots, &mut run, on_match);
            }
        }
        run.complete
    }

    fn try_roots<'s, 't>(
        &self,
        at: u32,
        roots: &[Root],
        run: &mut Run<'s, 't>,
        on_match: &mut dyn FnMut(usize, &[Capture<'t>]),
    ) {
        let node = run.nodes[at as usize].node();
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
            if !run.known.is_empty() {
                run.known.clear();
            }
            let mark = run.bound.len();
            push_captures(run, outer, node);
            if root.alternative.is_some() {
                push_captures(run, &step.captures, node);
            }
            let index = root.pattern as usize;
            match_children(steps, negated, at, run, &mut |run: &mut Run<'s, 't>| {
                run.complete += 1;
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

/// The state of one walk: the text, the tree's nodes, and the captures bound so far on the
/// path being tried.
struct Run<'s, 't> {
    source: &'s str,
    nodes: Vec<Visited<'t>>,
    bound: Vec<Capture<'t>>,
    /// [`exists_step`]'s answers during one pattern's match at one node, by step and node: a
    /// step after one that binds is tested again for each of its bindings (`source:` after
    /// each imported name).
    known: rustc_hash::FxHashMap<(usize, u32), bool>,
    /// Matches complete before their predicates were checked.
    complete: usize,
}

impl Run<'_, '_> {
    fn exists(&mut self, step: &Step, at: u32) -> bool {
        if matches!(step.elem, Elem::Anon { .. }) {
            return exists_step(step, at, &self.nodes, self.source);
        }
        let key = (std::ptr::from_ref(step) as usize, at);
        if let Some(&known) = self.known.get(&key) {
            return known;
        }
        let answer = exists_step(step, at, &self.nodes, self.source);
        self.known.insert(key, answer);
        answer
    }
}

type Then<'a, 's, 't> = &'a mut dyn FnMut(&mut Run<'s, 't>);

fn push_captures<'t>(run: &mut Run<'_, 't>, captures: &[u16], node: Node<'t>) {
    run.bound.extend(captures.iter().map(|&c| (c, node)));
}

/// Whether a child of `parent` is in one of `fields` (a `!field` fails then).
fn has_any_field(nodes: &[Visited<'_>], parent: u32, fields: &[u16]) -> bool {
    !fields.is_empty()
        && children(nodes, parent).any(|k| {
            nodes[k as usize]
                .field()
                .is_some_and(|f| fields.contains(&f))
        })
}

/// Matches `steps` against the children of `parent` and calls `then` once per way they match.
fn match_children<'s, 't>(
    steps: &[Step],
    negated: &[u16],
    parent: u32,
    run: &mut Run<'s, 't>,
    then: Then<'_, 's, 't>,
) {
    if has_any_field(&run.nodes, parent, negated) {
        return;
    }
    let first = run.nodes[parent as usize].first_child;
    match_from(steps, first, run, then);
}

/// Matches `steps` against `from` and its later siblings.
fn match_from<'s, 't>(steps: &[Step], from: u32, run: &mut Run<'s, 't>, then: Then<'_, 's, 't>) {
    let Some((step, rest)) = steps.split_first() else {
        then(run);
        return;
    };
    // After a step that binds nothing, the rest of the pattern has the most room after its
    // first match, unless the rest is anchored to it.
    let first_only = !step.binds && !rest.first().is_some_and(|s| s.immediate);
    let mut j = from;
    while j != NONE {
        let kid = run.nodes[j as usize];
        if !step.last || !kid.later_named {
            if step.binds {
                match_step(step, j, run, &mut |run: &mut Run<'s, 't>| {
                    match_from(rest, kid.next_sibling, run, then)
                });
            } else if run.exists(step, j) {
                match_from(rest, kid.next_sibling, run, then);
                if first_only {
                    return;
                }
            }
        }
        if step.immediate && kid.named {
            break;
        }
        j = kid.next_sibling;
    }
}

/// Whether `steps` match `from` and its later siblings in at least one way.
fn exists_from(steps: &[Step], from: u32, nodes: &[Visited<'_>], source: &str) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return true;
    };
    let first_only = !rest.first().is_some_and(|s| s.immediate);
    let mut j = from;
    while j != NONE {
        let kid = &nodes[j as usize];
        if (!step.last || !kid.later_named) && exists_step(step, j, nodes, source) {
            if exists_from(rest, kid.next_sibling, nodes, source) {
                return true;
            }
            if first_only {
                return false;
            }
        }
        if step.immediate && kid.named {
            break;
        }
        j = kid.next_sibling;
    }
    false
}

/// Whether `step` matches the node at `at` in at least one way.
fn exists_step(step: &Step, at: u32, nodes: &[Visited<'_>], source: &str) -> bool {
    let kid = &nodes[at as usize];
    if !fits(step, kid) || !step.tests.iter().all(|p| passes(p, kid.node(), source)) {
        return false;
    }
    match &step.elem {
        Elem::Anon { .. } => true,
        Elem::Named { steps, negated, .. } => {
            !has_any_field(nodes, at, negated) && exists_from(steps, kid.first_child, nodes, source)
        }
        Elem::Alt(alternatives) => alternatives
            .iter()
            .any(|a| exists_step(a, at, nodes, source)),
    }
}

/// Whether the node is in `step`'s field and of its kind (an alternation's kinds are its
/// alternatives' to check).
fn fits(step: &Step, kid: &Visited<'_>) -> bool {
    if step.field.is_some() && step.field != kid.field() {
        return false;
    }
    match &step.elem {
        Elem::Anon { kind: Some(k) } | Elem::Named { kind: Some(k), .. } => kid.kind == *k,
        Elem::Anon { kind: None } => !kid.node().is_error(),
        Elem::Named { kind: None, .. } => kid.named && !kid.node().is_error(),
        Elem::Alt(_) => true,
    }
}

fn match_step<'s, 't>(step: &Step, at: u32, run: &mut Run<'s, 't>, then: Then<'_, 's, 't>) {
    let kid = run.nodes[at as usize];
    if !fits(step, &kid) {
        return;
    }
    let node = kid.node();
    let mut bind_then = |run: &mut Run<'s, 't>| {
        let mark = run.bound.len();
        push_captures(run, &step.captures, node);
        then(run);
        run.bound.truncate(mark);
    };
    match &step.elem {
        Elem::Anon { .. } => bind_then(run),
        Elem::Named { steps, negated, .. } => {
            if steps.is_empty() && negated.is_empty() {
                bind_then(run);
            } else {
                match_children(steps, negated, at, run, &mut bind_then);
            }
        }
        Elem::Alt(alternatives) => {
            for alt in alternatives {
                match_step(alt, at, run, &mut bind_then);
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
        .all(|(_, node)| passes(p, *node, source))
}

/// Whether one node bound to the predicate's capture passes it.
fn passes(p: &Predicate, node: Node<'_>, source: &str) -> bool {
    let text = source.get(node.byte_range()).unwrap_or("");
    let yes = match &p.test {
        Test::Eq(s) => text == s,
        Test::Match(re) => re.is_match(text),
        Test::AnyOf(values) => values.iter().any(|v| v == text),
    };
    yes == p.positive
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
        // No node has a supertype's kind: tree-sitter matches its subtypes instead.
        if self.language.node_kind_is_supertype(id) {
            return Err(self.unsupported(at, &format!("supertype {name:?}")));
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
                '\n' => return Err(self.unsupported(at, "a line end inside a string")),
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
        if let (Some(_), Elem::Alt(alternatives)) = (field, &elem)
            && alternatives.iter().any(|a| a.field.is_some())
        {
            // tree-sitter lets the outer field replace the inner ones.
            return Err(self.unsupported(at, "fields both on an alternation and inside it"));
        }
        let captures = self.captures()?;
        Ok(Step {
            field,
            elem,
            captures,
            immediate,
            last: false,
            binds: true,
            tests: Vec::new(),
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
                    if anchor {
                        return Err(self.unsupported(at, "two anchors in a row"));
                    }
                    self.pos += 1;
                    anchor = true;
                }
                Some(b'!') => {
                    if anchor {
                        return Err(self.unsupported(at, "an anchor before !field"));
                    }
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
                    // tree-sitter forgets an anchor that a predicate follows.
                    anchor = false;
                }
                _ => {
                    let step = self.step(anchor)?;
                    // tree-sitter reads `_ . (x)` as "nothing at all between them", anonymous
                    // nodes included; not worth a rule of its own here.
                    if step.immediate
                        && matches!(
                            steps.last(),
                            Some(Step {
                                elem: Elem::Anon { kind: None },
                                ..
                            })
                        )
                    {
                        return Err(self.unsupported(at, "an anchor after _"));
                    }
                    steps.push(step);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn javascript() -> Language {
        crate::alloc::tree_sitter_on_mimalloc();
        tree_sitter_javascript::LANGUAGE.into()
    }

    #[test]
    fn what_the_matcher_does_not_read_is_left_to_tree_sitter() {
        let js = javascript();
        for (query, why) in [
            ("(identifier)* @name", "quantifiers"),
            ("((identifier) (identifier)) @name", "expected a node kind"),
            // A single node grouped with its predicates: tags queries do it, ours do not.
            (
                "((identifier) @name (#eq? @name \"a\"))",
                "expected a node kind",
            ),
            ("(expression/identifier) @name", "supertypes"),
            // A supertype names no node: tree-sitter matches its subtypes.
            ("(parenthesized_expression (expression) @name)", "supertype"),
            ("(_ (identifier) @name)", "wildcard"),
            ("(arguments _ . (identifier) @name)", "anchor after _"),
            (
                "(variable_declarator name: [value: (identifier) @name])",
                "fields both",
            ),
            ("(arguments . . (identifier) @name)", "two anchors"),
            ("(arguments . !name (identifier) @name)", "before !field"),
            (
                "(arguments (identifier) @name (#eq? @name \"a\nb\"))",
                "line end",
            ),
            (
                "(arguments (identifier) @name (#eq? @other \"a\"))",
                "not captured",
            ),
            (
                "(arguments (identifier) @name (#set! kind \"x\"))",
                "directives",
            ),
            (
                "(arguments (identifier) @name (#eq? @name @name))",
                "other than strings",
            ),
            (
                "(arguments (identifier) @name (#is? @name))",
                "predicate #is?",
            ),
            ("(no_such_node) @name", "unknown node kind"),
            (
                "(identifier no_such_field: (identifier)) @name",
                "unknown field",
            ),
            ("\"no such token\" @name", "must start with"),
        ] {
            let err = Matcher::compile(&js, query, &|_| false).err();
            assert!(
                err.as_ref().is_some_and(|e| e.what.contains(why)),
                "{query}: {err:?}, expected {why:?}"
            );
        }
        let m = Matcher::compile(
            &js,
            "; a comment\n[(identifier) (number)] @a (arguments . (_) @b .) (import_statement !name \"import\" source: _ @c)\n(arguments (identifier) @d (#any-of? @d \"x\" \"y\") (#not-match? @d \"^z\"))",
            &|_| false,
        )
        .expect("supported");
        assert_eq!(m.capture_names(), ["a", "b", "c", "d"]);
        assert_eq!(m.patterns.len(), 4);
    }
}
