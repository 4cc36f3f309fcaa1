//! Parsing and the declarations query: compiles `grammars/<lang>/identifiers.scm` once per
//! language, keeps one parser per thread and language, and turns query matches into
//! [`Declaration`]s by reading capture *names* only.
//!
//! Capture vocabulary (documented for query authors in `grammars/README.md`):
//! - `@name`: the identifier node that is declared;
//! - `@definition.<kind>` on the declaration node, `<kind>` one of [`Kind::as_str`] except
//!   `import`;
//! - `@import.local` / `@import.package` on an import whose source is a local module / a package;
//! - `@ignore`: a node that must never be reported, whatever other patterns say;
//! - `@_anything`, `@reference.*`, `@local.*`, `@doc`: helpers for predicates, ignored.
//!
//! When several patterns capture the same name node, the pattern that comes first in the file
//! wins, so specific patterns (`const f = () => {}` is a function) go before general ones (a
//! `const` declares a variable).

use std::cell::RefCell;
use std::fmt;

use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

use super::matcher::Matcher;
use super::{Analysis, Declaration, Kind, Lang, words};

/// How the analyzer reads one capture name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Name,
    Definition(Kind),
    ImportLocal,
    ImportPackage,
    Ignore,
    Helper,
}

impl Role {
    fn of(capture: &str) -> Result<Role, String> {
        Ok(match capture {
            "name" => Role::Name,
            "import.local" => Role::ImportLocal,
            "import.package" => Role::ImportPackage,
            "ignore" => Role::Ignore,
            "doc" => Role::Helper,
            _ if capture.starts_with('_')
                || capture.starts_with("reference.")
                || capture.starts_with("local.") =>
            {
                Role::Helper
            }
            _ => match capture
                .strip_prefix("definition.")
                .and_then(Kind::from_name)
            {
                Some(Kind::Import) | None => {
                    return Err(format!(
                        "unknown capture @{capture} (see grammars/README.md for the vocabulary)"
                    ));
                }
                Some(kind) => Role::Definition(kind),
            },
        })
    }
}

/// A language's grammar and compiled declarations query.
pub(crate) struct Compiled {
    language: tree_sitter::Language,
    engine: Engine,
    /// The role of each capture, by capture index.
    roles: Vec<Role>,
}

/// What runs the query: our matcher, or tree-sitter's engine for a query file that uses more of
/// the query language than the matcher knows (see `matcher`).
enum Engine {
    Matcher(Matcher),
    TreeSitter(Query),
}

impl Compiled {
    /// Whether our matcher runs this query (rather than tree-sitter's engine).
    #[cfg(test)]
    pub(crate) fn uses_matcher(&self) -> bool {
        matches!(self.engine, Engine::Matcher(_))
    }
}

/// A query file that does not compile against its grammar, located in the file that has the
/// mistake (inherited files are concatenated before compiling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryFileError {
    pub(crate) file: String,
    /// 1-based line in `file`, 0 when the error is about the whole query.
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for QueryFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// The query files of `lang` in compile order: inherited files first, then its own.
pub(crate) fn segments(lang: &Lang, out: &mut Vec<(String, &'static str)>, depth: usize) {
    if depth > 4 {
        return;
    }
    for parent in words::inherits(lang.identifiers, ";") {
        segments(parent, out, depth + 1);
    }
    out.push((
        format!("grammars/{}/identifiers.scm", lang.name),
        lang.identifiers,
    ));
}

/// Compiles the declarations query of `lang` against its grammar, for our matcher when it
/// supports everything the files use, for tree-sitter's engine otherwise (which also reports
/// mistakes in the files, with their line).
pub(crate) fn compile(lang: &Lang) -> Result<Compiled, QueryFileError> {
    compile_for(lang, true)
}

/// [`compile`] for tree-sitter's engine, or (`matcher`) for ours if it can.
pub(crate) fn compile_for(lang: &Lang, matcher: bool) -> Result<Compiled, QueryFileError> {
    let mut parts = Vec::new();
    segments(lang, &mut parts, 0);
    let own_file = format!("grammars/{}/identifiers.scm", lang.name);
    let locate = |row: usize| -> (String, usize) {
        let mut first = 0;
        for (file, src) in &parts {
            // Each part is followed by one '\n' in the concatenation below.
            let lines = src.lines().count() + usize::from(!src.ends_with('\n'));
            if row < first + lines {
                return (file.clone(), row - first + 1);
            }
            first += lines;
        }
        (own_file.clone(), row + 1)
    };
    let mut source = String::new();
    for (_, src) in &parts {
        source.push_str(src);
        if !src.ends_with('\n') {
            source.push('\n');
        }
    }

    let language = lang.grammar();
    let roles_of = |names: &[&str]| {
        names
            .iter()
            .map(|name| {
                Role::of(name).map_err(|message| QueryFileError {
                    file: own_file.clone(),
                    line: 0,
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let helper = |name: &str| matches!(Role::of(name), Ok(Role::Helper));
    if matcher && let Ok(m) = Matcher::compile(&language, &source, &helper) {
        let names: Vec<&str> = m.capture_names().iter().map(String::as_str).collect();
        let roles = roles_of(&names)?;
        return Ok(Compiled {
            language,
            engine: Engine::Matcher(m),
            roles,
        });
    }
    let query = Query::new(&language, &source).map_err(|e| {
        let (file, line) = locate(e.row);
        QueryFileError {
            file,
            line,
            message: format!(
                "{:?} error at column {}: {}",
                e.kind,
                e.column + 1,
                e.message
            ),
        }
    })?;
    let roles = roles_of(query.capture_names())?;
    Ok(Compiled {
        language,
        engine: Engine::TreeSitter(query),
        roles,
    })
}

impl Lang {
    pub(super) fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| match compile(self) {
            Ok(c) => c,
            // Embedded data, compiled for every language by `tests::every_query_compiles`.
            Err(e) => panic!("invalid embedded query {e}"),
        })
    }
}

thread_local! {
    /// One parser per language on this thread: `Parser` is not `Sync`, and creating one per call
    /// would cost more than parsing a small snippet.
    static PARSERS: RefCell<Vec<(&'static str, Parser)>> = const { RefCell::new(Vec::new()) };
    static CURSOR: RefCell<Option<QueryCursor>> = const { RefCell::new(None) };
}

/// Parses `source` with `lang`'s grammar, reusing this thread's parser.
fn parse(lang: &Lang, source: &str) -> Option<Tree> {
    let fresh = || -> Option<Parser> {
        // The grammar before the parser: getting it sets tree-sitter's allocator (see `alloc`).
        let language = &lang.compiled().language;
        let mut parser = Parser::new();
        parser.set_language(language).ok()?;
        Some(parser)
    };
    PARSERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut parsers) => {
            let i = match parsers.iter().position(|(name, _)| *name == lang.name) {
                Some(i) => i,
                None => {
                    parsers.push((lang.name, fresh()?));
                    parsers.len() - 1
                }
            };
            parsers[i].1.parse(source, None)
        }
        // Re-entered (cannot happen today): use a parser of our own rather than panic.
        Err(_) => fresh()?.parse(source, None),
    })
}

/// How badly a text failed to parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ErrorStats {
    /// ERROR and MISSING nodes.
    pub(crate) nodes: usize,
    /// Bytes covered by outermost ERROR nodes.
    pub(crate) bytes: usize,
}

/// Counts ERROR and MISSING nodes, descending only into subtrees that contain errors.
fn error_stats(root: Node) -> ErrorStats {
    let mut stats = ErrorStats::default();
    if !root.has_error() {
        return stats;
    }
    let mut cursor = root.walk();
    let mut error_depth = 0usize; // > 0 while inside an ERROR node
    loop {
        let node = cursor.node();
        let is_error = node.is_error();
        if is_error || node.is_missing() {
            stats.nodes += 1;
            if is_error && error_depth == 0 {
                stats.bytes += node.end_byte() - node.start_byte();
            }
        }
        if node.has_error() && cursor.goto_first_child() {
            if is_error {
                error_depth += 1;
            }
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return stats;
            }
            if cursor.node().is_error() {
                error_depth -= 1;
            }
        }
    }
}

/// Parses `source` and measures its errors only (no query): what detection compares.
pub(crate) fn parse_errors(lang: &Lang, source: &str) -> ErrorStats {
    match parse(lang, source) {
        Some(tree) => error_stats(tree.root_node()),
        None => ErrorStats {
            nodes: usize::MAX,
            bytes: source.len(),
        },
    }
}

/// One `@name` capture with what its match said about it.
struct Site {
    start: usize,
    end: usize,
    row: usize,
    column_bytes: usize,
    pattern: usize,
    kind: Kind,
    package_import: bool,
}

/// What one match says: the declaration kind and import flag from its captures, the `@ignore`d
/// nodes, and a [`Site`] for each `@name` when it declares something.
fn record<'t>(
    roles: &[Role],
    pattern: usize,
    captures: impl Iterator<Item = (usize, Node<'t>)> + Clone,
    sites: &mut Vec<Site>,
    ignored: &mut Vec<usize>,
) {
    let mut kind = None;
    let mut package_import = false;
    for (index, node) in captures.clone() {
        match roles[index] {
            Role::Definition(k) => kind = Some(k),
            Role::ImportLocal => kind = Some(Kind::Import),
            Role::ImportPackage => {
                kind = Some(Kind::Import);
                package_import = true;
            }
            Role::Ignore => ignored.push(node.start_byte()),
            Role::Name | Role::Helper => {}
        }
    }
    let Some(kind) = kind else { return };
    for (index, node) in captures {
        if roles[index] == Role::Name {
            let pos = node.start_position();
            sites.push(Site {
                start: node.start_byte(),
                end: node.end_byte(),
                row: pos.row,
                column_bytes: pos.column,
                pattern,
                kind,
                package_import,
            });
        }
    }
}

/// Runs the query over the tree: the `@name` sites of every match (unsorted, possibly
/// repeated) and the starts of `@ignore`d nodes.
fn captures(compiled: &Compiled, root: Node<'_>, source: &str) -> (Vec<Site>, Vec<usize>) {
    let mut sites: Vec<Site> = Vec::new();
    let mut ignored: Vec<usize> = Vec::new();
    let roles = &compiled.roles;
    match &compiled.engine {
        Engine::Matcher(m) => {
            m.for_each_match(root, source, &mut |pattern, caps| {
                let caps = caps.iter().map(|&(i, node)| (usize::from(i), node));
                record(roles, pattern, caps, &mut sites, &mut ignored);
            });
        }
        Engine::TreeSitter(query) => {
            let mut collect = |cursor: &mut QueryCursor| {
                let mut matches = cursor.matches(query, root, source.as_bytes());
                while let Some(m) = matches.next() {
                    let caps = m.captures().iter().map(|c| (c.index as usize, c.node));
                    record(roles, m.pattern_index, caps, &mut sites, &mut ignored);
                }
            };
            CURSOR.with(|cell| match cell.try_borrow_mut() {
                Ok(mut slot) => collect(slot.get_or_insert_with(QueryCursor::new)),
                Err(_) => collect(&mut QueryCursor::new()),
            });
        }
    }
    (sites, ignored)
}

/// How many matches the matcher completes in `source` before their predicates are checked
/// (repeats included): what its work grows with.
#[cfg(test)]
pub(crate) fn match_count(compiled: &Compiled, lang: &Lang, source: &str) -> usize {
    let (Engine::Matcher(m), Some(tree)) = (&compiled.engine, parse(lang, source)) else {
        return 0;
    };
    m.for_each_match(tree.root_node(), source, &mut |_, _| {})
}

/// `(start, end, pattern, kind, package import)` of one `@name` capture.
#[cfg(test)]
pub(crate) type RawName = (usize, usize, usize, Kind, bool);

/// What the query captures in `source` with `compiled`, normalised for comparing two engines:
/// every `@name`, sorted, and the `@ignore`d starts.
#[cfg(test)]
pub(crate) fn raw_captures(
    compiled: &Compiled,
    lang: &Lang,
    source: &str,
) -> (Vec<RawName>, Vec<usize>) {
    let Some(tree) = parse(lang, source) else {
        return Default::default();
    };
    let (sites, mut ignored) = captures(compiled, tree.root_node(), source);
    let mut out: Vec<_> = sites
        .iter()
        .map(|s| (s.start, s.end, s.pattern, s.kind, s.package_import))
        .collect();
    out.sort_unstable();
    out.dedup();
    ignored.sort_unstable();
    ignored.dedup();
    (out, ignored)
}

/// See [`Lang::analyze`].
pub(crate) fn analyze(lang: &Lang, source: &str) -> Analysis {
    let compiled = lang.compiled();
    let Some(tree) = parse(lang, source) else {
        return Analysis::default();
    };
    let root = tree.root_node();
    let error_nodes = error_stats(root).nodes;
    let (mut sites, mut ignored) = captures(compiled, root, source);
    sites.sort_by_key(|s| (s.start, s.pattern));
    sites.dedup_by_key(|s| s.start);
    ignored.sort_unstable();

    let declarations = sites
        .into_iter()
        .filter(|s| ignored.binary_search(&s.start).is_err())
        .filter_map(|s| {
            let name = source.get(s.start..s.end)?;
            // `_` and `__` discard a value; they declare nothing worth listing.
            if name.is_empty() || name.bytes().all(|b| b == b'_') {
                return None;
            }
            let line_start = s.start.checked_sub(s.column_bytes)?;
            let column = source.get(line_start..s.start)?.chars().count() + 1;
            Some(Declaration {
                name: name.to_owned(),
                kind: s.kind,
                line: s.row + 1,
                column,
                start_byte: s.start,
                mutable: !s.package_import && lang.is_mutable_name(name),
            })
        })
        .collect();

    Analysis {
        declarations,
        error_nodes,
    }
}
