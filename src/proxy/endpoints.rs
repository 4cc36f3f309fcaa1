//! pretense's own endpoints: `GET /health`, `GET /` (client probes), `GET /audit`, `POST /scan`.
//! Shapes follow the API reference (`pretense-api-reference.txt`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::error::ProxyError;
use super::service::State;
use super::{Body, full};
use crate::audit;

/// How long a reachability result stands before /health probes again: keeps /health cheap and
/// never hammers the providers.
const FRESH: Duration = Duration::from_secs(30);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Upstream reachability, from real requests and occasional TCP probes.
#[derive(Default)]
pub struct Health {
    /// By upstream base URL.
    seen: Mutex<HashMap<String, (bool, Instant)>>,
}

impl Health {
    /// Records the outcome of a real request to the upstream at `base`.
    pub fn note(&self, base: &str, ok: bool) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(base.to_string(), (ok, Instant::now()));
    }

    fn fresh(&self, base: &str) -> Option<bool> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(base)
            .filter(|(_, at)| at.elapsed() < FRESH)
            .map(|(ok, _)| *ok)
    }

    async fn reachable(&self, base: &str) -> bool {
        if let Some(ok) = self.fresh(base) {
            return ok;
        }
        let ok = probe(base).await;
        self.note(base, ok);
        ok
    }
}

/// A TCP connect to the upstream (or to the proxy that would carry it).
async fn probe(base: &str) -> bool {
    let Ok(uri) = base.parse::<http::Uri>() else {
        return false;
    };
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_env();
    let target = matcher
        .intercept(&uri)
        .map(|p| p.uri().clone())
        .unwrap_or(uri);
    let Some(host) = target.host() else {
        return false;
    };
    let port = target
        .port_u16()
        .unwrap_or(if target.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    matches!(
        tokio::time::timeout(
            PROBE_TIMEOUT,
            tokio::net::TcpStream::connect((host.as_str(), port))
        )
        .await,
        Ok(Ok(_))
    )
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(full(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /health`.
pub async fn health(state: &State, authorized: bool) -> Response<Body> {
    let s = &state.settings;
    let (anthropic, openai, routes) = tokio::join!(
        state.health.reachable(&s.anthropic),
        state.health.reachable(&s.openai),
        futures_util::future::join_all(s.routes.iter().map(|r| state.health.reachable(&r.url)))
    );
    let any = anthropic || openai || routes.iter().any(|&ok| ok);
    let status = if any { "ok" } else { "unreachable" };
    let code = if any {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !authorized {
        return json_response(code, &json!({ "status": status }));
    }
    let label = |ok: bool| if ok { "connected" } else { "unreachable" };
    let mut proxy = json!({ "anthropic": label(anthropic), "openai": label(openai) });
    if !s.routes.is_empty() {
        proxy["routes"] = s
            .routes
            .iter()
            .zip(&routes)
            .map(|(r, &ok)| (r.prefix.clone(), Value::from(label(ok))))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    json_response(
        code,
        &json!({
            "status": status,
            "version": env!("CARGO_PKG_VERSION"),
            "uptime": state.started.elapsed().as_secs(),
            "mutations_processed": state.mutations.load(Ordering::Relaxed),
            "secrets_blocked": state.secrets.load(Ordering::Relaxed),
            "proxy": proxy,
            "audit_failures": state.audit.failures.load(Ordering::Relaxed),
        }),
    )
}

/// `GET /` and `HEAD /`: clients probe the base URL before using it.
pub fn root(head: bool) -> Response<Body> {
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from_static(b"pretense is running\n")
    };
    let mut r = Response::new(full(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// `GET /audit?page=&per_page=&session=&since=`.
pub fn audit(state: &State, query: Option<&str>) -> Result<Response<Body>, ProxyError> {
    let mut q = audit::Query {
        page: 1,
        per_page: 50,
        ..Default::default()
    };
    for (k, v) in form_pairs(query.unwrap_or("")) {
        match k.as_str() {
            "page" => {
                q.page = v.parse().map_err(|_| {
                    ProxyError::bad_request(format!("page must be a number, got {v:?}"))
                })?
            }
            "per_page" => {
                q.per_page = v
                    .parse::<u64>()
                    .map_err(|_| {
                        ProxyError::bad_request(format!("per_page must be a number, got {v:?}"))
                    })?
                    .clamp(1, 500)
            }
            "session" => q.session = Some(v),
            "since" => q.since = Some(audit::parse_since(&v).map_err(ProxyError::bad_request)?),
            _ => {}
        }
    }
    q.page = q.page.max(1);
    let (entries, total) =
        audit::query(state.engine.vault(), &q).map_err(|e| ProxyError::internal(e.to_string()))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "entries": entries, "total": total, "page": q.page, "per_page": q.per_page }),
    ))
}

fn form_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(v) => {
                    out.push(v);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `POST /scan` with `{ content, filename?, language? }`: the report, nothing stored or forwarded.
pub async fn scan(state: &State, req: Request<Incoming>) -> Result<Response<Body>, ProxyError> {
    let limit = state.settings.max_body_bytes;
    let body = http_body_util::Limited::new(req.into_body(), limit as usize)
        .collect()
        .await
        .map_err(|_| ProxyError::too_large(limit))?
        .to_bytes();
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        ProxyError::bad_request(format!(
            "body must be JSON {{\"content\": ..., \"filename\"?: ..., \"language\"?: ...}}: {e}"
        ))
    })?;
    let content = v
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| ProxyError::bad_request("\"content\" (a string) is required"))?;
    let filename = v.get("filename").and_then(Value::as_str).unwrap_or("-");
    let lang = match v.get("language").and_then(Value::as_str) {
        Some(l) => Some(crate::lang::from_name(l).ok_or_else(|| {
            ProxyError::bad_request(format!(
                "unknown language {l:?}; use typescript, tsx, javascript, python, go or java"
            ))
        })?),
        None => None,
    };
    // Parsing is CPU work, on every core for a long text: not on a thread that serves requests.
    let (scanner, filename, content) = (
        state.scanner.clone(),
        filename.to_string(),
        content.to_string(),
    );
    let report = tokio::task::spawn_blocking(move || {
        crate::scan::report_for_text(&scanner, &filename, content.as_bytes(), lang, true)
    })
    .await
    .map_err(|e| ProxyError::internal(format!("the scan failed: {e}")))?;
    let v = serde_json::to_value(&report).map_err(|e| ProxyError::internal(e.to_string()))?;
    Ok(json_response(StatusCode::OK, &v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings() {
        let p = form_pairs("page=2&per_page=10&session=sess_a%20b&since=24h");
        assert_eq!(p[0], ("page".into(), "2".into()));
        assert_eq!(p[2], ("session".into(), "sess_a b".into()));
        assert_eq!(percent_decode("100%"), "100%");
    }
}
