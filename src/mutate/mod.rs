//! The rewrite engine: renames the identifiers a text's code declares, replaces secrets, PII and
//! dictionary terms with placeholders, and restores everything in answers (streamed or not).

pub mod dictionary;
pub mod naming;
pub mod pii;
pub mod rename;
pub mod restore;
pub mod vault;
pub mod words;
