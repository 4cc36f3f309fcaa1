//! Terminal styling: whether to colour, and the few ANSI styles pretense uses. Colour is on for a
//! terminal unless `NO_COLOR` is set or `--color never`; `--color always` forces it.

use std::io::IsTerminal;

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether output written to stdout should carry ANSI colour codes.
    pub fn stdout_enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// A style that renders to nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn path(&self, t: &str) -> String {
        self.wrap("35", t)
    }
    pub fn number(&self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    pub fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    pub fn severity(&self, sev: crate::secrets::Severity) -> String {
        use crate::secrets::Severity::*;
        let code = match sev {
            Critical => "1;31",
            High => "31",
            Medium => "33",
            Low => "36",
        };
        self.wrap(code, sev.as_str())
    }
}
