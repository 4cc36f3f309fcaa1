//! The proxy daemon (`pretense start`): speaks the Anthropic Messages API and the OpenAI Chat
//! Completions and Responses APIs on 127.0.0.1, rewrites each request with the engine before it
//! leaves the machine, and restores each answer — streamed or not — before the client sees it.
//!
//! ```text
//! client ─► server (hyper, 127.0.0.1) ─► service: guard ─► route ─► walk JSON ─► engine ─► egress check
//!        ─► upstream (hyper-util + rustls, pooled) ─► provider
//! answer ◄─ restore JSON | SSE: frame ─► per-block streaming restorer ─► re-emit   ─► audit row
//! ```

mod compact;
mod encoding;
mod endpoints;
mod error;
mod server;
mod service;
mod session;
mod signed;
mod sse;
mod stream;
mod upstream;
pub mod walk;

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};

pub use error::{Dialect, ProxyError};
pub use server::Server;

use crate::config::{Config, Route};

/// Errors of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every response body pretense sends.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Everything the daemon needs to know, resolved from config, flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    /// Required on every route when not empty.
    pub token: String,
    pub max_body_bytes: u64,
    /// Upstream base URLs, without a trailing `/v1`.
    pub anthropic: String,
    pub openai: String,
    pub routes: Vec<Route>,
    /// Each route's key, read from its `api_key_env` (marked sensitive: `Debug` hides it).
    pub route_keys: Vec<Option<http::HeaderValue>>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub ca_bundle: String,
}

impl Settings {
    /// Settings from the config file's values.
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            host: c.server.host.clone(),
            port: c.server.port,
            token: c.server.token.clone(),
            max_body_bytes: c.server.max_body_bytes,
            anthropic: base_url(&c.upstream.anthropic),
            openai: base_url(&c.upstream.openai),
            routes: c
                .routes
                .iter()
                .map(|r| Route {
                    url: base_url(&r.url),
                    ..r.clone()
                })
                .collect(),
            route_keys: c.routes.iter().map(|r| route_key(&r.api_key_env)).collect(),
            connect_timeout: Duration::from_secs(c.upstream.connect_timeout_s.max(1)),
            first_byte_timeout: Duration::from_secs(c.upstream.first_byte_timeout_s.max(1)),
            idle_timeout: Duration::from_secs(c.upstream.idle_timeout_s.max(1)),
            ca_bundle: c.upstream.ca_bundle.clone(),
        }
    }

    /// Whether the listen address is a loopback one.
    pub fn loopback_bind(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// Refuses set-ups that would expose the proxy or cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if !self.loopback_bind() && self.token.is_empty() {
            return Err(format!(
                "refusing to listen on {} without an access token: anyone who can reach it could use your \
                 provider keys and read the audit log. Set one with --token or PRETENSE_TOKEN (clients send \
                 it as the x-pretense-token header or in the base URL as /t/<token>/), or bind 127.0.0.1",
                self.host
            ));
        }
        for (name, url) in [("anthropic", &self.anthropic), ("openai", &self.openai)] {
            url.parse::<http::Uri>()
                .ok()
                .filter(|u| u.scheme().is_some() && u.host().is_some())
                .ok_or_else(|| {
                    format!("the {name} upstream URL {url:?} is not a valid http(s) URL")
                })?;
        }
        for (i, r) in self.routes.iter().enumerate() {
            r.url
                .parse::<http::Uri>()
                .ok()
                .filter(|u| u.scheme().is_some() && u.host().is_some())
                .ok_or_else(|| format!("route[{i}] url {:?} is not a valid http(s) URL", r.url))?;
            if !r.api_key_env.is_empty() && self.route_keys.get(i).is_none_or(Option::is_none) {
                return Err(format!(
                    "route[{i}] api_key_env names {}, which is not set (or not usable in a header): \
                     export it before `pretense start`",
                    r.api_key_env
                ));
            }
        }
        Ok(())
    }
}

/// `Bearer <key>` from the environment variable `var`; `None` when unnamed, unset or unusable.
fn route_key(var: &str) -> Option<http::HeaderValue> {
    if var.is_empty() {
        return None;
    }
    let key = std::env::var(var).ok().filter(|k| !k.trim().is_empty())?;
    let mut value = http::HeaderValue::from_str(&format!("Bearer {}", key.trim())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A base URL without a trailing slash or `/v1` (both are tolerated in config).
pub fn base_url(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    u.strip_suffix("/v1").unwrap_or(u).to_string()
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") || h.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_and_loopback() {
        assert_eq!(
            base_url("https://api.openai.com/v1/"),
            "https://api.openai.com"
        );
        assert_eq!(base_url("http://127.0.0.1:11434"), "http://127.0.0.1:11434");
        assert_eq!(
            base_url("https://openrouter.ai/api/v1"),
            "https://openrouter.ai/api"
        );
        for h in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "app.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "0.0.0.0",
            "example.com",
            "192.168.1.2",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn a_routes_key_comes_from_its_variable_and_stays_out_of_debug_output() {
        let mut c = Config::default();
        c.routes.push(Route {
            prefix: "r/".into(),
            url: "http://127.0.0.1:1".into(),
            // A variable every process has; one of our own would need `set_var`, which races
            // other tests' threads.
            api_key_env: "PATH".into(),
            ..Route::default()
        });
        let s = Settings::from_config(&c);
        assert!(s.validate().is_ok());
        let key = s.route_keys[0].as_ref().expect("key read");
        assert_eq!(
            key.to_str().unwrap(),
            format!("Bearer {}", std::env::var("PATH").unwrap().trim())
        );
        assert!(!format!("{s:?}").contains("Bearer"), "{s:?}");

        c.routes[0].api_key_env = "PRETENSE_TEST_VARIABLE_NOBODY_SETS".into();
        let err = Settings::from_config(&c).validate().unwrap_err();
        assert!(
            err.contains("route[0] api_key_env names PRETENSE_TEST_VARIABLE_NOBODY_SETS"),
            "{err}"
        );
    }

    #[test]
    fn non_loopback_without_token_is_refused() {
        let mut s = Settings::from_config(&Config::default());
        assert!(s.validate().is_ok());
        s.host = "0.0.0.0".into();
        assert!(s.validate().unwrap_err().contains("--token"));
        s.token = "t".into();
        assert!(s.validate().is_ok());
    }
}
