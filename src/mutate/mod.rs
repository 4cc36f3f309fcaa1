//! The rewrite engine: renames the identifiers a text's code declares, replaces secrets, PII and
//! dictionary terms with placeholders, and restores everything in answers (streamed or not).

mod checkpoint;
pub mod dictionary;
mod engine;
pub mod naming;
pub mod pii;
pub mod rename;
pub mod restore;
pub mod segment;
pub mod vault;
pub mod words;

pub use checkpoint::Checkpoint;
pub use engine::{
    Engine, Error, Input, PARALLEL_MIN_BYTES, PendingWrite, Redaction, SecretHit, SecretMemory,
    Stored,
};
pub use naming::NamingKey;
pub use restore::{Escape, Mapping, Restorer};
pub use vault::Vault;
