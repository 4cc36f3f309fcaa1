//! `config.toml`: the user's settings, with every key optional and defaults that work with no file at
//! all. Parsed strictly (unknown keys are errors) so that a typo never silently disables a protection.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Default port: the one the API reference and every client example in the README use.
pub const DEFAULT_PORT: u16 = 9339;
/// 32 MiB: above the largest prompts agents send (Claude Code turns with many files reach a few MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// 10 MiB: larger files are almost always generated or vendored, and scanning them slows pre-commit hooks.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Everything that can go wrong while loading the config file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// toml's message already names the line, the column and the offending key.
    #[error("invalid config file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("invalid config file {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// The whole configuration; mirrors the sample in the README section "Configuration".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: Server,
    pub upstream: Upstream,
    #[serde(rename = "route", skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    pub secrets: Secrets,
    pub identifiers: Identifiers,
    pub pii: Pii,
    #[serde(rename = "dictionary", skip_serializing_if = "Vec::is_empty")]
    pub dictionary: Vec<DictionaryTerm>,
    pub scan: Scan,
    pub vault: Vault,
}

/// `[server]`: where the proxy listens and who may talk to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Server {
    pub host: String,
    pub port: u16,
    /// When set, every route requires it (header `x-pretense-token` or path prefix `/t/<token>/`).
    pub token: String,
    pub max_body_bytes: u64,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            token: String::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// `[upstream]`: the providers requests are forwarded to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Upstream {
    pub anthropic: String,
    pub openai: String,
    pub connect_timeout_s: u64,
    /// Generous because reasoning models think for a long time before their first byte.
    pub first_byte_timeout_s: u64,
    pub idle_timeout_s: u64,
    /// Extra PEM roots for TLS-inspecting corporate networks.
    pub ca_bundle: String,
}

impl Default for Upstream {
    fn default() -> Self {
        Upstream {
            anthropic: "https://api.anthropic.com".into(),
            openai: "https://api.openai.com".into(),
            connect_timeout_s: 10,
            first_byte_timeout_s: 120,
            idle_timeout_s: 300,
            ca_bundle: String::new(),
        }
    }
}

/// `[[route]]`: a model prefix sent to another OpenAI-compatible endpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Route {
    pub prefix: String,
    pub url: String,
    pub strip_prefix: bool,
    /// The environment variable that holds this endpoint's API key, sent as
    /// `Authorization: Bearer`. The client's own credentials, meant for OpenAI, never go to a
    /// route unless `forward_auth` says so.
    pub api_key_env: String,
    /// Send the client's credentials on (when the key the client holds is this endpoint's).
    pub forward_auth: bool,
}

/// What happens to a request that carries a secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretPolicy {
    /// Replace the value with a placeholder upstream; put it back in the answer.
    #[default]
    Redact,
    /// Refuse the request, naming rule and location.
    Block,
}

/// `[secrets]`: policy and allowlists.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Secrets {
    pub policy: SecretPolicy,
    /// Path globs whose findings are ignored (fixtures, vendored test data).
    pub allow_paths: Vec<String>,
    /// Rule ids that are never reported.
    pub allow_rules: Vec<String>,
    /// Regexes; a secret value matching one is not reported.
    pub allow_values: Vec<String>,
}

/// `[identifiers]`: overrides of the renaming policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Identifiers {
    /// Names always renamed, even when generic or not declared in the text.
    pub always: Vec<String>,
    /// Names never renamed.
    pub never: Vec<String>,
}

/// `[pii]`: which personal-data categories are replaced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pii {
    pub email: bool,
    pub ip: bool,
    pub phone: bool,
    pub card: bool,
    pub iban: bool,
}

impl Default for Pii {
    fn default() -> Self {
        Pii {
            email: true,
            ip: true,
            phone: true,
            card: true,
            iban: true,
        }
    }
}

/// `[[dictionary]]`: a term (codename, customer, internal host) always replaced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DictionaryTerm {
    pub term: String,
    pub case_sensitive: bool,
    pub whole_word: bool,
}

impl Default for DictionaryTerm {
    fn default() -> Self {
        DictionaryTerm {
            term: String::new(),
            case_sensitive: false,
            whole_word: true,
        }
    }
}

/// `[scan]`: limits for `pretense scan`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scan {
    pub max_file_bytes: u64,
}

impl Default for Scan {
    fn default() -> Self {
        Scan {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// `[vault]`: how long learned names are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vault {
    pub retention_days: u32,
}

impl Default for Vault {
    fn default() -> Self {
        Vault { retention_days: 90 }
    }
}

impl Config {
    /// Parses `text` as the content of `path` (the path only names the file in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let config: Config = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(&e, text),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Loads `path`. With `required == false` a missing file means the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Config, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(source) => Err(Error::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Checks what serde cannot: regexes compile, globs parse, routes make sense.
    fn validate(&self, path: &Path) -> Result<(), Error> {
        let invalid = |message: String| Error::Invalid {
            path: path.to_path_buf(),
            message,
        };
        for (i, pattern) in self.secrets.allow_values.iter().enumerate() {
            regex::Regex::new(pattern).map_err(|e| {
                invalid(format!(
                    "secrets.allow_values[{i}] is not a valid regex: {e}"
                ))
            })?;
        }
        for (i, glob) in self.secrets.allow_paths.iter().enumerate() {
            globset::Glob::new(glob).map_err(|e| {
                invalid(format!("secrets.allow_paths[{i}] is not a valid glob: {e}"))
            })?;
        }
        for (i, term) in self.dictionary.iter().enumerate() {
            if term.term.trim().is_empty() {
                return Err(invalid(format!("dictionary[{i}].term is empty")));
            }
        }
        for (i, route) in self.routes.iter().enumerate() {
            if route.prefix.is_empty() {
                return Err(invalid(format!("route[{i}].prefix is empty")));
            }
            if !route.api_key_env.is_empty() && route.forward_auth {
                return Err(invalid(format!(
                    "route[{i}] sets both api_key_env and forward_auth: choose the key it gets"
                )));
            }
            if !(route.url.starts_with("http://") || route.url.starts_with("https://")) {
                return Err(invalid(format!(
                    "route[{i}].url must start with http:// or https://, got {:?}",
                    route.url
                )));
            }
        }
        for (name, url) in [
            ("upstream.anthropic", &self.upstream.anthropic),
            ("upstream.openai", &self.upstream.openai),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(format!(
                    "{name} must start with http:// or https://, got {url:?}"
                )));
            }
        }
        Ok(())
    }

    /// The effective config as TOML, for `pretense config`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

/// "line 3, column 1, key `prot`: unknown field ..." — without toml's quoted source line or the
/// offending value: a config file can hold the access token, and errors end up in terminals and CI
/// logs.
fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let message = mask_values(e.message().trim());
    let Some(span) = e.span() else {
        return message;
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'))
        .filter(|k| !k.is_empty() && !k.starts_with('['))
        .map(|k| format!(", key `{k}`"))
        .unwrap_or_default();
    format!("line {line}, column {column}{key}: {message}")
}

/// Masks the value serde quotes in "invalid type: string \"…\"" style messages.
fn mask_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("invalid ") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        // "invalid type: integer `12345`, expected" / "invalid value: string \"x\", expected"
        let end = tail.find(", expected").unwrap_or(tail.len());
        let clause = &tail[..end];
        match clause.find(['`', '"']) {
            Some(q) => {
                out.push_str(&clause[..q]);
                out.push_str("(value hidden)");
            }
            None => out.push_str(clause),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_echo_values() {
        let err = Config::parse("[server]\ntoken = 12345\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("key `token`"),
            "{err}"
        );
        assert!(!err.contains("12345"), "{err}");
        let err = Config::parse(
            "[server]\nport = \"sk-live-secretish\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("key `port`") && !err.contains("secretish"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_defaults() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(c.server.port, DEFAULT_PORT);
        assert_eq!(c.server.host, "127.0.0.1");
        assert_eq!(c.secrets.policy, SecretPolicy::Redact);
        assert!(c.pii.email && c.pii.iban);
        assert_eq!(c.vault.retention_days, 90);
    }

    #[test]
    fn design_sample_parses() {
        let text = r#"
[server]
host = "127.0.0.1"
port = 9400
token = ""
max_body_bytes = 1000
[upstream]
anthropic = "http://127.0.0.1:1"
[[route]]
prefix = "ollama/"
url = "http://127.0.0.1:11434"
strip_prefix = true
[secrets]
policy = "block"
allow_paths = ["tests/**"]
[identifiers]
never = ["Foo"]
[[dictionary]]
term = "Project Falcon"
[scan]
max_file_bytes = 5
"#;
        let c = Config::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(c.server.port, 9400);
        assert_eq!(c.secrets.policy, SecretPolicy::Block);
        assert_eq!(c.routes[0].prefix, "ollama/");
        assert!(c.routes[0].strip_prefix);
        assert!(!c.dictionary[0].case_sensitive);
        assert!(c.dictionary[0].whole_word);
        // Round trip through the printed form.
        let again = Config::parse(&c.to_toml(), Path::new("c.toml")).unwrap();
        assert_eq!(again.routes[0].url, "http://127.0.0.1:11434");
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = Config::parse("[server]\nport = 1\nprot = 2\n", Path::new("/x/c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/x/c.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn wrong_type_names_line() {
        let err = Config::parse("[server]\nport = \"x\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_regex_and_route_are_errors() {
        let error = |toml: &str| {
            Config::parse(toml, Path::new("c.toml"))
                .unwrap_err()
                .to_string()
        };
        let err = error("[secrets]\nallow_values = [\"(\"]\n");
        assert!(err.contains("allow_values[0]"), "{err}");
        let err = error("[[route]]\nprefix = \"x/\"\nurl = \"ftp://h\"\n");
        assert!(err.contains("route[0].url"), "{err}");
        let err = error(
            "[[route]]\nprefix = \"x/\"\nurl = \"http://h\"\napi_key_env = \"K\"\nforward_auth = true\n",
        );
        assert!(err.contains("both api_key_env and forward_auth"), "{err}");
    }
}
