//! The language layer: which languages pretense understands, and what a piece of code *declares*.
//!
//! Pure (no IO, no async). The rewrite engine asks a [`Lang`] (found by fence info string, file
//! path or [`detect`]) to [`analyze`](Lang::analyze) a piece of code, and gets back every
//! declaration site with a verdict on whether the name may be renamed (`mutable`).
//!
//! Per-language knowledge is data, not code: each language is one row of the table in this file
//! plus a folder `grammars/<lang>/` holding a tree-sitter query (`identifiers.scm`, tags-style
//! capture names) and a word list (`builtins.txt`). Rust only interprets capture *names*
//! (`@name`, `@definition.function`, `@import.local`, ...), never node kinds; see
//! `grammars/README.md` for the vocabulary and the "adding a language" checklist.

mod detect;
mod matcher;
mod pieces;
mod query;
mod walk;
mod words;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

pub use detect::detect;
pub use pieces::{piece_goal, pieces, reparse_from};

/// One language pretense can parse: its names for humans and tools, and (privately) its grammar,
/// declarations query and builtin list.
pub struct Lang {
    /// Canonical lowercase name, also the folder under `grammars/` and the fence tag we emit.
    pub name: &'static str,
    /// Other fence info strings that mean this language (lowercase).
    pub aliases: &'static [&'static str],
    /// File extensions without the dot (lowercase), used by [`from_path`].
    pub extensions: &'static [&'static str],
    /// A function rather than the grammar's `LanguageFn` so the table needs no extra dependency
    /// on `tree-sitter-language` just to name that type.
    grammar: fn() -> tree_sitter::Language,
    /// `grammars/<name>/identifiers.scm`, possibly starting with `; inherits: <lang>`.
    identifiers: &'static str,
    /// `grammars/<name>/builtins.txt`, possibly starting with `# inherits: <lang>`.
    builtins: &'static str,
    /// The compiled query, built on first use (compiling takes milliseconds; most runs touch one
    /// or two languages).
    compiled: OnceLock<query::Compiled>,
    builtin_set: OnceLock<HashSet<&'static str>>,
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lang")
            .field("name", &self.name)
            .field("aliases", &self.aliases)
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Lang {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Lang {}

/// Builds one table row; keeps the table below to one line of data per language.
macro_rules! lang {
    ($name:literal, $aliases:expr, $exts:expr, $grammar:expr) => {
        Lang {
            name: $name,
            aliases: $aliases,
            extensions: $exts,
            grammar: || $grammar.into(),
            identifiers: include_str!(concat!("../../grammars/", $name, "/identifiers.scm")),
            builtins: include_str!(concat!("../../grammars/", $name, "/builtins.txt")),
            compiled: OnceLock::new(),
            builtin_set: OnceLock::new(),
        }
    };
}

/// The language table, one row per language, sorted by name (a test enforces the order).
static LANGS: [Lang; 6] = [
    lang!("go", &["golang"], &["go"], tree_sitter_go::LANGUAGE),
    lang!("java", &[], &["java"], tree_sitter_java::LANGUAGE),
    lang!(
        "javascript",
        &[
            "js",
            "jsx",
            "mjs",
            "cjs",
            "node",
            "nodejs",
            "es6",
            "ecmascript"
        ],
        &["js", "mjs", "cjs", "jsx"],
        tree_sitter_javascript::LANGUAGE
    ),
    lang!(
        "python",
        &["py", "python3", "py3", "pyi"],
        &["py", "pyi"],
        tree_sitter_python::LANGUAGE
    ),
    lang!("tsx", &[], &["tsx"], tree_sitter_typescript::LANGUAGE_TSX),
    lang!(
        "typescript",
        &["ts", "mts", "cts"],
        &["ts", "mts", "cts"],
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT
    ),
];

/// Every language, sorted by name.
pub fn all() -> &'static [Lang] {
    &LANGS
}

/// The language a Markdown fence info string (or a user-given name) means: the canonical name or
/// an alias, case-insensitive. Only the first word counts (`ts title=a.ts`, `python {linenos}`),
/// and a leading `{.` or `.` (Pandoc attribute syntax, `{.python}`) is stripped. `None` for
/// anything we don't parse (`text`, `bash`, `json`, empty).
pub fn from_name(s: &str) -> Option<&'static Lang> {
    let s = s.trim_start();
    let s = s.strip_prefix('{').unwrap_or(s).trim_start();
    let s = s.strip_prefix('.').unwrap_or(s);
    let word = s
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}' | ':' | ';'))
        .next()
        .unwrap_or("");
    if word.is_empty() {
        return None;
    }
    LANGS.iter().find(|l| {
        l.name.eq_ignore_ascii_case(word) || l.aliases.iter().any(|a| a.eq_ignore_ascii_case(word))
    })
}

/// The language of a file, by its extension (case-insensitive). Works on `/` and `\` paths.
pub fn from_path(path: &str) -> Option<&'static Lang> {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let (stem, ext) = file.rsplit_once('.')?;
    if stem.is_empty() {
        // A dotfile such as `.ts` has no extension.
        return None;
    }
    LANGS
        .iter()
        .find(|l| l.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// True for names that reveal nothing and whose renaming would only confuse the model: the words
/// of `grammars/generic.txt` (case-insensitive, whole name, ignoring leading/trailing `_` and `$`
/// and a numeric suffix: `_data`, `item2`), and names shorter than three characters.
pub fn is_generic(name: &str) -> bool {
    words::is_generic(name)
}

/// What a declaration declares. `as_str` gives the lowercase word used in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A free function, or a variable holding a function literal.
    Function,
    /// A method of a class, interface, object literal or Go type.
    Method,
    /// A class (also a Java record, a class expression).
    Class,
    /// An interface (also a Go interface type, a Python `Protocol`).
    Interface,
    /// A type alias, Go named type, type parameter or Java annotation type.
    Type,
    /// An enum (also a Python `Enum` subclass).
    Enum,
    /// A variable binding, including destructuring and loop variables.
    Variable,
    /// A constant: enum member, Go `const`, Java `static final`, SCREAMING_CASE binding.
    Constant,
    /// A function, method, lambda or catch parameter.
    Parameter,
    /// A class or struct field (also Python `self.x = ...`, TS parameter properties).
    Field,
    /// A property of an interface or type literal, or a key of an object literal.
    Property,
    /// A module or namespace (TS namespace, Go package, last segment of a Java package).
    Module,
    /// An imported name; mutable only when it comes from the user's own (local) code.
    Import,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 13] = [
        Kind::Function,
        Kind::Method,
        Kind::Class,
        Kind::Interface,
        Kind::Type,
        Kind::Enum,
        Kind::Variable,
        Kind::Constant,
        Kind::Parameter,
        Kind::Field,
        Kind::Property,
        Kind::Module,
        Kind::Import,
    ];

    /// The lowercase name used in reports and in `@definition.<kind>` captures.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Method => "method",
            Kind::Class => "class",
            Kind::Interface => "interface",
            Kind::Type => "type",
            Kind::Enum => "enum",
            Kind::Variable => "variable",
            Kind::Constant => "constant",
            Kind::Parameter => "parameter",
            Kind::Field => "field",
            Kind::Property => "property",
            Kind::Module => "module",
            Kind::Import => "import",
        }
    }

    /// The kind named by `s` (as returned by [`Kind::as_str`]).
    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place where the code declares (or imports) a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The name exactly as written.
    pub name: String,
    /// What the name declares.
    pub kind: Kind,
    /// 1-based line of the name.
    pub line: usize,
    /// 1-based column of the name, in characters (not bytes), like scan reports.
    pub column: usize,
    /// Byte offset of the name in the analyzed source, for precise rewriting.
    pub start_byte: usize,
    /// Whether pretense may rename it: declared here or imported from a local module, and not a
    /// builtin, not generic, ASCII-only, at least three characters, not a `__dunder__`.
    pub mutable: bool,
}

/// What [`Lang::analyze`] found in a piece of code.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Declarations in source order, one entry per declaration site (a name node that several
    /// query patterns match is reported once, by the first pattern in the file).
    pub declarations: Vec<Declaration>,
    /// ERROR and MISSING nodes in the tree: 0 for code that parses cleanly. Callers may distrust
    /// the declarations of a text with many errors (it is probably not this language).
    pub error_nodes: usize,
}

impl Lang {
    /// The tree-sitter grammar. Ask for it before making a `tree_sitter::Parser`: the first
    /// call sets tree-sitter's allocator (see `alloc`).
    pub fn grammar(&self) -> tree_sitter::Language {
        crate::alloc::tree_sitter_on_mimalloc();
        (self.grammar)()
    }

    /// Parses `source` and runs this language's declarations query over it. Callable from many
    /// threads at once (parsers are per thread, the query is shared).
    pub fn analyze(&self, source: &str) -> Analysis {
        query::analyze(self, source)
    }

    /// [`Lang::analyze`] on every core, for one long text analysed alone (a file named on the
    /// command line, `POST /scan`): the text is cut in [`pieces`] parsed side by side, and their
    /// declarations are placed back in the whole text. If a piece has a syntax error (a cut
    /// inside a multi-line string or block) the text is parsed again from the piece before it on
    /// (see [`reparse_from`]). Tests compare the answer with the whole parse's on every fixture
    /// and on code with syntax errors. Texts that already share the cores gain nothing from it.
    pub fn analyze_on_every_core(&self, source: &str) -> Analysis {
        pieces::analyze_on_every_core(self, source)
    }

    /// Compiles the declarations query now rather than on first use.
    pub fn prepare(&self) {
        self.compiled();
    }

    /// True for keywords, builtin types and functions, and the common standard-library and
    /// framework names of this language (`grammars/<lang>/builtins.txt`). Case-sensitive.
    pub fn is_builtin(&self, name: &str) -> bool {
        self.builtin_set
            .get_or_init(|| words::builtins(self))
            .contains(name)
    }

    /// True when a name declared in this language may be renamed (see [`Declaration::mutable`]);
    /// the import rule aside, the verdict depends on the name alone.
    pub fn is_mutable_name(&self, name: &str) -> bool {
        name.is_ascii()
            && name.len() >= 3
            && !is_dunder(name)
            && !is_generic(name)
            && !self.is_builtin(name)
    }

    fn by_name(name: &str) -> Option<&'static Lang> {
        LANGS.iter().find(|l| l.name == name)
    }
}

/// `__init__`, `__name__`: Python's protocol names, never the user's own.
fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}
