//! Where pretense keeps its files: the config file and the data dir (vault, audit log, naming key).
//! Flags and `PRETENSE_*` variables win over the platform defaults from `directories`.

use std::path::{Path, PathBuf};

/// Resolved locations for this run.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The config file to read.
    pub config: PathBuf,
    /// Whether the user named the config file: then it must exist.
    pub config_explicit: bool,
    /// The directory holding `pretense.db` and `key`.
    pub data_dir: PathBuf,
}

impl Paths {
    /// Resolves paths from the global options (which clap already merged with the environment).
    pub fn resolve(config: Option<&Path>, data_dir: Option<&Path>) -> Paths {
        let dirs = directories::ProjectDirs::from("dev", "pretense", "pretense");
        let config_explicit = config.is_some();
        let config = match config {
            Some(p) => p.to_path_buf(),
            None => match &dirs {
                Some(d) => d.config_dir().join("config.toml"),
                None => PathBuf::from("pretense.toml"),
            },
        };
        let data_dir = match data_dir {
            Some(p) => p.to_path_buf(),
            None => match &dirs {
                Some(d) => d.data_dir().to_path_buf(),
                None => PathBuf::from(".pretense"),
            },
        };
        Paths {
            config,
            config_explicit,
            data_dir,
        }
    }

    /// The SQLite database with the vault and the audit log.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("pretense.db")
    }

    /// The naming key (mode 0600).
    pub fn key(&self) -> PathBuf {
        self.data_dir.join("key")
    }
}
