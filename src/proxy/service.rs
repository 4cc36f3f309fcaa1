//! One request through the proxy: guard (Host, Origin, token) → route → read and decode the body
//! → rewrite every text with the engine → egress check → upstream → restore the answer (JSON or
//! SSE) → audit row. Every failure becomes an error response in the client's API format here, and a
//! request that cannot be rewritten is refused, never forwarded as is.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::Value;

use super::error::{Dialect, ProxyError};
use super::session::Sessions;
use super::signed::SignedMemory;
use super::sse::Framer;
use super::stream::{AnthropicStream, ChatStream, Transform, restore_json};
use super::walk::{self, Api};
use super::{Body, BoxError, Settings, full, upstream};
use super::{compact, encoding};
use crate::audit::{self, Event};
use crate::batch::BatchWriter;
use crate::mutate::{Engine, Error as EngineError, Input, PendingWrite, Redaction};

/// Shared by every request of the daemon.
pub struct State {
    pub settings: Settings,
    pub engine: Arc<Engine>,
    pub client: upstream::Client,
    pub audit: audit::Writer,
    pub signed: Arc<SignedMemory>,
    /// Stores what each request learned in the vault, off the requests' path: a request hands
    /// its write over once its body is rewritten and goes upstream without waiting for it.
    pub learned: BatchWriter<PendingWrite>,
    pub sessions: Arc<Sessions>,
    pub started: Instant,
    pub mutations: AtomicU64,
    pub secrets: AtomicU64,
    pub health: super::endpoints::Health,
    /// For `POST /scan`, with the config's allowlists.
    pub scanner: Arc<crate::scan::Scanner>,
}

impl State {
    pub fn new(
        settings: Settings,
        engine: Arc<Engine>,
        scanner: Arc<crate::scan::Scanner>,
    ) -> anyhow::Result<State> {
        let client = upstream::build(settings.connect_timeout, &settings.ca_bundle)?;
        // The audit writer checkpoints the WAL, so that no request's commit has to.
        if let Err(e) = engine.vault().defer_checkpoints() {
            tracing::warn!("WAL checkpoints stay on SQLite's default: {e}");
        }
        let audit = audit::Writer::start(engine.vault().clone())
            .map_err(|e| anyhow::anyhow!("cannot start the audit writer thread: {e}"))?;
        let signed = Arc::new(SignedMemory::persistent(engine.vault().clone()));
        let vault = engine.vault().clone();
        let learned = BatchWriter::start("pretense-vault", LEARNED_QUEUE, move |writes| {
            for write in writes {
                store_learned(write);
            }
            // The writes added layers to the vault's memory: merged here, off the requests' path.
            if vault.unsettled() {
                vault.settle();
            }
        })
        .map_err(|e| anyhow::anyhow!("cannot start the vault writer thread: {e}"))?;
        Ok(State {
            health: super::endpoints::Health::default(),
            settings,
            engine,
            client,
            audit,
            signed,
            learned,
            sessions: Arc::new(Sessions::default()),
            started: Instant::now(),
            mutations: AtomicU64::new(0),
            secrets: AtomicU64::new(0),
            scanner,
        })
    }
}

impl State {
    /// Writes out what the background writers still hold (audit rows, signed content), so that a
    /// stopped daemon loses nothing it had answered.
    pub fn flush(&self) {
        let wait = Duration::from_secs(5);
        if !self.audit.flush(wait) {
            tracing::warn!("shutdown: audit rows may not all be written");
        }
        if !self.signed.flush(wait) {
            tracing::warn!("shutdown: signed content may not all be stored");
        }
        if !self.learned.flush(wait) {
            tracing::warn!("shutdown: names the last requests learned may not all be stored");
        }
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and ones pretense sets itself.
const DROP_REQUEST: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
    "accept-encoding",
    "x-pretense-token",
    "x-pretense-session",
];

const DROP_RESPONSE: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
];

/// The entry point for every request.
pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<Body> {
    let dialect = dialect_of(req.uri().path(), req.headers());
    let started = Instant::now();
    let method = req.method().clone();
    // Never log the access token of a /t/<token>/ path.
    let path_for_log = match req.uri().path().strip_prefix("/t/") {
        Some(rest) => format!("/t/…/{}", rest.split_once('/').map_or("", |(_, tail)| tail)),
        None => req.uri().path().to_string(),
    };
    // Proxied API calls log their own line (with model, mutations, session) when they end.
    let proxied = method == Method::POST && PROXIED.iter().any(|p| path_for_log.ends_with(p));
    let resp = match route(state.clone(), req).await {
        Ok(r) => r,
        Err(e) => {
            match e.source {
                super::error::Source::Internal => {
                    tracing::error!("{method} {path_for_log}: {}", e.message)
                }
                _ if !e.logged => tracing::info!("{method} {path_for_log}: {}", e.message),
                _ => {}
            }
            return e.response(dialect);
        }
    };
    if !proxied {
        tracing::info!(
            "{method} {path_for_log} → {} in {}ms from {remote}",
            resp.status().as_u16(),
            started.elapsed().as_millis()
        );
    }
    resp
}

/// The API paths whose requests are rewritten, forwarded and audited.
const PROXIED: &[&str] = &[
    "/v1/messages",
    "/v1/messages/count_tokens",
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/responses/compact",
];

fn dialect_of(path: &str, headers: &HeaderMap) -> Dialect {
    // The path decides when it names an API; elsewhere (`/v1/models`, our own routes) the
    // client's headers tell which one it speaks.
    if path.contains("/v1/messages") {
        Dialect::Anthropic
    } else if path.contains("/v1/chat/") || path.contains("/v1/responses") {
        Dialect::OpenAi
    } else if headers.contains_key("anthropic-version") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    }
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn host_of(value: &str) -> &str {
    // "[::1]:9339" → "[::1]", "localhost:9339" → "localhost"
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    value.rsplit_once(':').map_or(value, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            value
        }
    })
}

async fn route(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, ProxyError> {
    let s = &state.settings;
    // Browsers send Origin; coding tools do not. A page on another origin must never drive the
    // proxy (or read the audit log) through the user's browser.
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let o = origin.to_str().unwrap_or("");
        let host = o.split("://").nth(1).map(host_of).unwrap_or("");
        if !super::is_loopback_host(host) {
            return Err(ProxyError::forbidden(format!(
                "requests from web origin {o:?} are refused; pretense serves local tools only"
            )));
        }
    }

    // Token: header, or a /t/<token>/ prefix for clients that can only set a base URL.
    let mut path = req.uri().path().to_string();
    let mut token_ok = s.token.is_empty();
    if let Some(rest) = path.strip_prefix("/t/") {
        let (tok, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if !s.token.is_empty() && same(tok.as_bytes(), s.token.as_bytes()) {
            token_ok = true;
        }
        path = format!("/{tail}");
    }
    if let Some(h) = req.headers().get("x-pretense-token")
        && !s.token.is_empty()
        && same(h.as_bytes(), s.token.as_bytes())
    {
        token_ok = true;
    }

    // DNS rebinding: a hostile page resolving its own name to 127.0.0.1 still sends its Host,
    // but cannot know the token. So a request that presents the configured token passes whatever
    // its Host (a tunnel such as cloudflared sends its public name); others must address
    // localhost.
    let presented = token_ok && !s.token.is_empty();
    if !presented && (s.loopback_bind() || s.token.is_empty()) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or("");
        if !super::is_loopback_host(host_of(host)) {
            return Err(ProxyError::forbidden(format!(
                "Host {host:?} is not a loopback name; pretense answers only requests addressed to localhost or 127.0.0.1"
            )));
        }
    }

    let method = req.method().clone();
    if method == Method::GET && path == "/health" {
        return Ok(super::endpoints::health(&state, token_ok).await);
    }
    if !token_ok {
        return Err(ProxyError::unauthorized(
            "this pretense requires an access token: send it as the x-pretense-token header or put /t/<token>/ in the base URL",
        ));
    }
    match (method.clone(), path.as_str()) {
        (Method::GET | Method::HEAD, "/") => Ok(super::endpoints::root(method == Method::HEAD)),
        (Method::GET, "/audit") => {
            // SQLite blocks: off the async workers.
            let query = req.uri().query().map(str::to_string);
            let st = state.clone();
            tokio::task::spawn_blocking(move || super::endpoints::audit(&st, query.as_deref()))
                .await
                .map_err(|e| ProxyError::internal(format!("the audit query failed: {e}")))?
        }
        (Method::POST, "/scan") => super::endpoints::scan(&state, req).await,
        (Method::POST, "/v1/messages") => proxy(state, req, Api::Anthropic, &path, false).await,
        (Method::POST, "/v1/messages/count_tokens") => {
            proxy(state, req, Api::Anthropic, &path, true).await
        }
        (Method::POST, "/v1/chat/completions") => {
            proxy(state, req, Api::OpenAiChat, &path, false).await
        }
        (Method::GET, "/v1/responses") if is_websocket(req.headers()) => Ok(upgrade_required()),
        (Method::POST, "/v1/responses") if is_websocket(req.headers()) => Ok(upgrade_required()),
        (Method::POST, "/v1/responses" | "/v1/responses/compact") => {
            proxy(state, req, Api::OpenAiResponses, &path, false).await
        }
        (Method::GET, p) if p == "/v1/models" || p.starts_with("/v1/models/") => {
            models(state, req, &path).await
        }
        (_, p) if p.starts_with("/v1/") => Err(ProxyError::not_found(format!(
            "pretense does not proxy {method} {p}: only /v1/messages, /v1/messages/count_tokens, /v1/chat/completions, /v1/responses and /v1/models go through it"
        ))),
        _ => Err(ProxyError::not_found(format!(
            "no route for {method} {path}"
        ))),
    }
}

fn is_websocket(h: &HeaderMap) -> bool {
    h.get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Codex tries a WebSocket on /v1/responses first; refusing at once makes it fall back to HTTP.
fn upgrade_required() -> Response<Body> {
    let body = serde_json::json!({"error": {"message": "pretense: WebSocket transport is not supported; use HTTP (clients fall back automatically)", "type": "invalid_request_error", "param": null, "code": "websocket_not_supported"}});
    let mut r = Response::new(full(body.to_string()));
    *r.status_mut() = StatusCode::UPGRADE_REQUIRED;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Where a request goes.
struct Target {
    provider: &'static str,
    base: String,
    /// A model name to send instead (a route with `strip_prefix`).
    model: Option<String>,
    /// What a route sends for credentials; `None` for the built-in providers, which get the
    /// client's.
    credentials: Option<RouteCredentials>,
}

/// The credentials a `[[route]]` gets.
enum RouteCredentials {
    /// The client's, as sent (`forward_auth`).
    Client,
    /// Its own key (`api_key_env`), or none: never the client's, which are meant for OpenAI.
    Own(Option<HeaderValue>),
}

/// Headers that carry a client's credentials or account for a provider.
const CREDENTIALS: &[&str] = &[
    "authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "openai-organization",
    "openai-project",
    "chatgpt-account-id",
    "cookie",
];

fn target(s: &Settings, api: Api, model: &str) -> Target {
    if api != Api::Anthropic {
        for (i, r) in s.routes.iter().enumerate() {
            if model.starts_with(&r.prefix) {
                return Target {
                    provider: "custom",
                    base: r.url.clone(),
                    model: r.strip_prefix.then(|| model[r.prefix.len()..].to_string()),
                    credentials: Some(if r.forward_auth {
                        RouteCredentials::Client
                    } else {
                        RouteCredentials::Own(s.route_keys.get(i).cloned().flatten())
                    }),
                };
            }
        }
    }
    match api {
        Api::Anthropic => Target {
            provider: "anthropic",
            base: s.anthropic.clone(),
            model: None,
            credentials: None,
        },
        Api::OpenAiChat if model.starts_with("claude") => Target {
            provider: "anthropic",
            base: s.anthropic.clone(),
            model: None,
            credentials: None,
        },
        _ => Target {
            provider: "openai",
            base: s.openai.clone(),
            model: None,
            credentials: None,
        },
    }
}

async fn read_body(
    state: &State,
    req: Request<Incoming>,
) -> Result<(http::request::Parts, Vec<u8>), ProxyError> {
    let limit = state.settings.max_body_bytes;
    let (parts, body) = req.into_parts();
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        return Err(ProxyError::too_large(limit));
    }
    let collected = http_body_util::Limited::new(body, limit as usize)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ProxyError::too_large(limit)
            } else {
                ProxyError::bad_request(format!("could not read the request body: {e}"))
            }
        })?;
    let bytes = collected.to_bytes().to_vec();
    let encoding = parts
        .headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = encoding::decode(encoding.as_deref(), bytes, limit)?;
    Ok((parts, body))
}

/// What one proxied request records, finished when the answer is complete.
struct Record {
    state: Arc<State>,
    event: Event,
    started: Instant,
    done: bool,
}

impl Record {
    /// Records `e` as the request's outcome and hands it back.
    fn fail(&mut self, mut e: ProxyError) -> ProxyError {
        self.finish(e.status.as_u16(), &e.message);
        e.logged = true;
        e
    }

    fn finish(&mut self, status: u16, error: &str) {
        if self.done {
            return;
        }
        self.done = true;
        self.event.status = status;
        self.event.duration_ms = self.started.elapsed().as_millis() as u64;
        if !error.is_empty() {
            self.event.error = error.to_string();
        }
        let e = &self.event;
        tracing::info!(
            "{} {} model={} → {} in {}ms mutations={} secrets={} tool={} session={}{}",
            if e.streaming { "stream" } else { "POST" },
            e.endpoint,
            e.model,
            e.status,
            e.duration_ms,
            e.mutations,
            e.secrets_blocked,
            e.tool,
            e.session,
            if e.error.is_empty() {
                String::new()
            } else {
                format!(" error=\"{}\"", e.error)
            }
        );
        self.state.audit.record(self.event.clone());
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        // The client went away mid-stream: the row still lands.
        self.finish(499, "client disconnected before the answer ended");
    }
}

async fn proxy(
    state: Arc<State>,
    req: Request<Incoming>,
    api: Api,
    path: &str,
    count_tokens: bool,
) -> Result<Response<Body>, ProxyError> {
    let started = Instant::now();
    let query = req.uri().query().map(str::to_string);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Recorded from here on, refusals included: the audit log shows what was turned away too.
    let mut record = Record {
        state: state.clone(),
        event: Event {
            id: String::new(),
            timestamp: audit::now_rfc3339(),
            session: String::new(),
            endpoint: path.to_string(),
            provider: String::new(),
            model: String::new(),
            tool: audit::tool_from_user_agent(user_agent.as_deref()).to_string(),
            streaming: false,
            status: 0,
            duration_ms: 0,
            mutations: 0,
            secrets_blocked: 0,
            secret_rules: Vec::new(),
            pii: 0,
            error: String::new(),
        },
        started,
        done: false,
    };
    let (parts, raw) = read_body(&state, req).await.map_err(|e| record.fail(e))?;
    // Code to parse is split over the cores: wake a helper now, while the body is decoded.
    let warm = (raw.len() >= crate::mutate::PARALLEL_MIN_BYTES).then(crate::parallel::warm);
    let body: Value = serde_json::from_slice(&raw).map_err(|e| {
        record.fail(ProxyError::bad_request(format!(
            "request body is not valid JSON ({e}); nothing was forwarded"
        )))
    })?;
    if !body.is_object() {
        return Err(record.fail(ProxyError::bad_request(
            "request body must be a JSON object; nothing was forwarded",
        )));
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let streaming = !count_tokens && body.get("stream").and_then(Value::as_bool) == Some(true);
    let session = state.sessions.of(&state.engine, &parts.headers, api, &body);
    let target = target(&state.settings, api, &model);
    record.event.session = session.clone();
    record.event.provider = target.provider.to_string();
    record.event.model = model.clone();
    record.event.streaming = streaming;

    let engine = state.engine.clone();
    let signed = state.signed.clone();
    let rewritten = cpu_work(move || {
        let rewritten = rewrite(&engine, &signed, api, body);
        drop(warm);
        rewritten
    })
    .await
    .map_err(|e| {
        record.fail(ProxyError::internal(format!(
            "the rewrite task failed: {e}"
        )))
    })?;
    let rewrite_took = started.elapsed();
    let (rewritten, pending) = match rewritten {
        Ok((body, redaction, pending)) => (Ok((body, redaction)), pending),
        Err(e) => (Err(e), None),
    };
    // Storing the names this request learned, and merging the vault's layers, is not this
    // request's work: it does not wait for SQLite, nor for another process's lock on the vault
    // (see `Engine::redact_then_store_later`).
    if let Some(write) = pending {
        if let Err(why) = state.learned.send(write) {
            // They stay in the vault's memory, unstored: renamed until the daemon stops.
            tracing::warn!("the names this request learned were not stored in the vault: {why}");
        }
    } else if state.engine.vault().unsettled() {
        let engine = state.engine.clone();
        tokio::task::spawn_blocking(move || engine.vault().settle());
    }
    let (mut body, redaction) = match rewritten {
        Ok(r) => r,
        Err(e) => {
            if let RewriteError::Blocked { rules, .. } = &e {
                record.event.secrets_blocked = rules.len() as u64;
                record.event.secret_rules = dedup(rules.clone());
                state
                    .secrets
                    .fetch_add(rules.len() as u64, Ordering::Relaxed);
            }
            let err = e.into_proxy_error();
            return Err(record.fail(err));
        }
    };
    record.event.mutations = redaction.mutations() as u64;
    record.event.secrets_blocked = redaction.secret_count() as u64;
    record.event.secret_rules = dedup(redaction.secrets.iter().map(|h| h.rule.clone()).collect());
    record.event.pii = redaction.pii as u64;
    state
        .mutations
        .fetch_add(redaction.mutations() as u64, Ordering::Relaxed);
    state
        .secrets
        .fetch_add(redaction.secret_count() as u64, Ordering::Relaxed);

    if let Some(m) = &target.model
        && let Some(obj) = body.as_object_mut()
    {
        obj.insert("model".into(), Value::String(m.clone()));
    }
    // Replacement names are about as long as the originals: the body keeps its size.
    let expected = raw.len() + raw.len() / 16 + 256;
    let out = compact::to_vec_with(&body, expected, &|s| redaction.encoded(s));

    // Upstream.
    let uri = format!(
        "{}{}{}",
        target.base,
        path,
        query.map(|q| format!("?{q}")).unwrap_or_default()
    );
    let mut builder = Request::builder().method(Method::POST).uri(&uri);
    let own_credentials = match &target.credentials {
        Some(RouteCredentials::Own(key)) => Some(key),
        Some(RouteCredentials::Client) | None => None,
    };
    for (name, value) in parts.headers.iter() {
        let credential = own_credentials.is_some() && CREDENTIALS.contains(&name.as_str());
        if !DROP_REQUEST.contains(&name.as_str()) && !credential {
            builder = builder.header(name, value);
        }
    }
    if let Some(Some(key)) = own_credentials {
        builder = builder.header(header::AUTHORIZATION, key.clone());
    }
    builder = builder
        .header(header::ACCEPT_ENCODING, "identity")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, out.len());
    let upstream_req = builder.body(full(out)).map_err(|e| {
        record.fail(ProxyError::internal(format!(
            "cannot build the upstream request for {uri}: {e}"
        )))
    })?;
    // A whole (non-streamed) answer only starts once the model has finished: wait as long as the
    // SDKs do (10 minutes) unless the config asks for more.
    let answer_timeout = if streaming {
        state.settings.first_byte_timeout
    } else {
        state
            .settings
            .first_byte_timeout
            .max(Duration::from_secs(600))
    };
    let sent_at = Instant::now();
    let resp = match tokio::time::timeout(answer_timeout, state.client.request(upstream_req)).await
    {
        Err(_) => {
            let e = ProxyError::gateway_timeout(format!(
                "{} did not answer within {}s (first_byte_timeout_s)",
                target.provider,
                answer_timeout.as_secs()
            ));
            state.health.note(&target.base, false);
            return Err(record.fail(e));
        }
        Ok(Err(e)) => {
            let host = uri.split('/').nth(2).unwrap_or("").to_string();
            let e = ProxyError::bad_gateway(format!(
                "cannot reach {} at {host}: {}",
                target.provider,
                error_chain(&e)
            ));
            state.health.note(&target.base, false);
            return Err(record.fail(e));
        }
        Ok(Ok(r)) => r,
    };
    state.health.note(&target.base, true);
    tracing::debug!(
        "{path}: read+rewrite {rewrite_took:?}, upstream headers after {:?}",
        sent_at.elapsed()
    );
    let status = resp.status();
    let (rparts, rbody) = resp.into_parts();
    let is_sse = rparts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));

    let mut headers = HeaderMap::new();
    for (name, value) in rparts.headers.iter() {
        if !DROP_RESPONSE.contains(&name.as_str()) {
            headers.append(name, value.clone());
        }
    }
    if let Ok(v) = HeaderValue::from_str(&redaction.mutations().to_string()) {
        headers.insert("x-pretense-mutations", v);
    }
    if let Ok(v) = HeaderValue::from_str(&session) {
        headers.insert("x-pretense-session", v);
    }
    let lookup = Arc::new(state.engine.lookup(Some(&redaction)));

    if is_sse {
        if rparts.headers.contains_key(header::CONTENT_ENCODING) {
            let e = ProxyError::bad_gateway(
                "the upstream sent a compressed event stream although pretense asked for identity; it cannot be restored",
            );
            return Err(record.fail(e));
        }
        let transform: Box<dyn Transform> = match api {
            Api::Anthropic => Box::new(AnthropicStream::new(lookup, state.signed.clone())),
            Api::OpenAiChat => Box::new(ChatStream::new(lookup)),
            Api::OpenAiResponses => Box::new(
                super::stream::ResponsesStream::new(lookup, state.signed.clone())
                    .in_session(state.sessions.clone(), session.clone()),
            ),
        };
        record.event.status = status.as_u16();
        let body = restore_stream(
            rbody,
            transform,
            state.settings.idle_timeout,
            record,
            status.as_u16(),
            api,
        );
        let mut r = Response::new(body);
        *r.status_mut() = status;
        *r.headers_mut() = headers;
        return Ok(r);
    }

    // Whole answers.
    let bytes = match collect_with_idle(rbody, state.settings.idle_timeout).await {
        Ok(b) => b,
        Err(e) => {
            return Err(record.fail(e));
        }
    };
    let encoding = rparts
        .headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let bytes = match encoding::decode(encoding, bytes.to_vec(), 1 << 30) {
        Ok(b) => b,
        Err(e) => {
            let e = ProxyError::bad_gateway(format!(
                "cannot decode the upstream answer: {}",
                e.message
            ));
            return Err(record.fail(e));
        }
    };
    let out = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => {
            remember_signed(&state.signed, api, &v);
            if api == Api::OpenAiResponses
                && let Some(id) = v.get("id").and_then(Value::as_str)
            {
                state.sessions.remember_response(id, &session);
            }
            restore_json(&lookup, &mut v);
            if status.is_success()
                && !count_tokens
                && let Some(obj) = v.as_object_mut()
            {
                obj.insert(
                    "x-pretense-mutations".into(),
                    Value::from(redaction.mutations()),
                );
                obj.insert("x-pretense-session".into(), Value::String(session.clone()));
            }
            compact::to_vec(&v)
        }
        // Not JSON (an HTML error page from a gateway): restore it as text.
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            state.engine.restore(Some(&redaction), &text).into_bytes()
        }
    };
    record.finish(
        status.as_u16(),
        if status.is_success() {
            ""
        } else {
            "upstream error"
        },
    );
    let mut r = Response::new(full(out));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    Ok(r)
}

/// Runs a request's CPU work (parsing is most of it) where it blocks no other task.
///
/// On a multi-threaded runtime that is this thread, handing its other tasks to another worker
/// (`block_in_place`): a blocking-pool thread would first have to wake up, and this task's
/// worker again afterwards, which cost ~0.2 ms per request (README, Benchmarks). A runtime with
/// one thread (an embedder's) gets the blocking pool.
async fn cpu_work<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, &'static str> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    // A panic's message may quote the request's text: it reaches neither the client nor the log.
    const PANICKED: &str = "it panicked (a pretense bug); nothing was forwarded";
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)))
            .map_err(|_| PANICKED)
    } else {
        tokio::task::spawn_blocking(work).await.map_err(|e| {
            if e.is_panic() {
                PANICKED
            } else {
                "pretense is shutting down; nothing was forwarded"
            }
        })
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Provider-signed content of a whole answer, remembered before names are restored in it.
fn remember_signed(signed: &SignedMemory, api: Api, v: &Value) {
    match api {
        Api::Anthropic => {
            for b in v
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if b.get("type").and_then(Value::as_str) == Some("thinking")
                    && let (Some(sig), Some(t)) = (
                        b.get("signature").and_then(Value::as_str),
                        b.get("thinking").and_then(Value::as_str),
                    )
                {
                    signed.remember_thinking(sig, t);
                }
            }
        }
        Api::OpenAiResponses => {
            signed.remember_reasoning_items(
                v.get("output")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
        Api::OpenAiChat => {}
    }
}

enum RewriteError {
    Blocked { rules: Vec<String>, message: String },
    Egress { kind: &'static str, path: String },
    Invalid(String),
    Engine(String),
}

impl RewriteError {
    fn into_proxy_error(self) -> ProxyError {
        match self {
            RewriteError::Blocked { message, .. } => ProxyError::bad_request(message),
            RewriteError::Egress { kind, path } => ProxyError::internal(format!(
                "refused to send the request: a replaced {kind} survived rewriting at {path}; nothing was forwarded (this is a pretense bug, please report it)"
            )),
            RewriteError::Invalid(m) => ProxyError::internal(m),
            RewriteError::Engine(m) => ProxyError::internal(format!(
                "cannot rewrite the request ({m}); nothing was forwarded"
            )),
        }
    }
}

/// Requests whose vault writes may wait in line (each a few rows, written in well under a
/// millisecond; the queue fills only if SQLite is stuck behind another process's lock).
const LEARNED_QUEUE: usize = 1024;

/// Stores what a request learned, after it left; a failure is logged (the names stay in the
/// vault's memory, renamed until the daemon stops).
fn store_learned(write: PendingWrite) {
    match write.store() {
        Ok(stored) if stored.changed > 0 => tracing::debug!(
            "another writer stored {} of the {} names or values this request learned first; \
             later requests use its replacements",
            stored.changed,
            stored.entries
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(
            "the vault could not store what a request learned: {e}; the request went out \
             rewritten, and its names are renamed until pretense stops (a restarted daemon \
             learns them again from code that declares them)"
        ),
    }
}

/// Rewrites every text of the request; then proves nothing replaced is left.
fn rewrite(
    engine: &Engine,
    signed: &SignedMemory,
    api: Api,
    mut body: Value,
) -> Result<(Value, Redaction, Option<PendingWrite>), RewriteError> {
    let mut slots: Vec<(String, Option<String>)> = Vec::new();
    walk::visit_request(api, &mut body, signed, &mut |s, hint| {
        slots.push((s.clone(), hint.map(str::to_string)))
    });
    let inputs: Vec<Input<'_>> = slots
        .iter()
        .map(|(text, path)| Input {
            text: text.as_bytes(),
            lang: None,
            path: path.as_deref(),
        })
        .collect();
    // The vault stores the names the request learned off its path (see `State::learned`).
    let (redaction, checked, pending) = match engine
        .redact_then_store_later(&inputs, |r| put_back_and_check(api, &mut body, signed, r))
    {
        Ok(r) => r,
        Err(EngineError::Blocked(hits)) => {
            let mut places = Vec::new();
            for h in &hits {
                let text = &slots[h.input].0;
                let path = walk::egress(&body, signed, &mut |s| s == text)
                    .unwrap_or_else(|| "the request".into());
                places.push(format!("{} in {path} line {}", h.rule, h.line));
            }
            places.dedup();
            return Err(RewriteError::Blocked {
                rules: hits.iter().map(|h| h.rule.clone()).collect(),
                message: format!(
                    "request refused: it contains secrets and the secrets policy is \"block\": {}. Remove them, or allow them in [secrets] of the pretense config",
                    places.join("; ")
                ),
            });
        }
        Err(e) => return Err(RewriteError::Engine(e.to_string())),
    };
    checked?;
    Ok((body, redaction, pending))
}

/// Puts the rewritten texts into the body, in the order `visit_request` found them, and runs the
/// egress check on the result.
fn put_back_and_check(
    api: Api,
    body: &mut Value,
    signed: &SignedMemory,
    redaction: &mut Redaction,
) -> Result<(), RewriteError> {
    let mut texts = Vec::with_capacity(redaction.texts.len());
    for t in std::mem::take(&mut redaction.texts) {
        texts.push(String::from_utf8(t).map_err(|_| {
            RewriteError::Invalid(
                "a rewritten text is not valid UTF-8; nothing was forwarded".into(),
            )
        })?);
    }
    let mut i = 0;
    walk::visit_request(api, body, signed, &mut |s, _| {
        if let Some(t) = texts.get_mut(i) {
            std::mem::swap(s, t);
        }
        i += 1;
    });
    if i != texts.len() {
        return Err(RewriteError::Invalid(
            "the request changed shape while being rewritten; nothing was forwarded".into(),
        ));
    }
    let mut kind = None;
    let survivor = walk::egress(body, signed, &mut |s| {
        kind = redaction.egress_violation(s);
        kind.is_some()
    });
    if let (Some(path), Some(kind)) = (survivor, kind) {
        return Err(RewriteError::Egress { kind, path });
    }
    redaction.mark_egress_passed();
    Ok(())
}

async fn collect_with_idle(mut body: Incoming, idle: Duration) -> Result<Bytes, ProxyError> {
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => {
                return Err(ProxyError::gateway_timeout(format!(
                    "the upstream stopped sending for {}s (idle_timeout_s)",
                    idle.as_secs()
                )));
            }
            Ok(None) => return Ok(Bytes::from(out)),
            Ok(Some(Err(e))) => {
                return Err(ProxyError::bad_gateway(format!(
                    "the upstream answer broke off: {e}"
                )));
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(d) = frame.into_data() {
                    out.extend_from_slice(&d);
                }
            }
        }
    }
}

struct StreamState {
    api: Api,
    body: Incoming,
    framer: Framer,
    transform: Box<dyn Transform>,
    idle: Duration,
    record: Record,
    status: u16,
}

/// An error event in `api`'s streaming format (Anthropic `error` events, OpenAI error chunks).
fn stream_error(api: Api, message: &str) -> Vec<u8> {
    let message = format!("pretense: {message}");
    let (name, data) = match api {
        Api::Anthropic => (
            Some("error"),
            serde_json::json!({"type": "error", "error": {"type": "timeout_error", "message": message}}),
        ),
        Api::OpenAiChat => (
            None,
            serde_json::json!({"error": {"message": message, "type": "timeout", "param": null, "code": "upstream_stream_interrupted"}}),
        ),
        Api::OpenAiResponses => (
            Some("error"),
            serde_json::json!({"type": "error", "code": "upstream_stream_interrupted", "message": message, "param": null}),
        ),
    };
    let mut out = Vec::new();
    if let Some(n) = name {
        out.extend_from_slice(format!("event: {n}\n").as_bytes());
    }
    out.extend_from_slice(format!("data: {data}\n\n").as_bytes());
    out
}

/// The restored event stream. Dropping it (the client went away) drops the upstream body, which
/// closes the upstream stream; the audit row is written either way.
fn restore_stream(
    body: Incoming,
    transform: Box<dyn Transform>,
    idle: Duration,
    record: Record,
    status: u16,
    api: Api,
) -> Body {
    let st = StreamState {
        api,
        body,
        framer: Framer::default(),
        transform,
        idle,
        record,
        status,
    };
    let stream = futures_util::stream::unfold(Some(st), |st| async move {
        let mut st = st?;
        loop {
            let mut out = Vec::new();
            match tokio::time::timeout(st.idle, st.body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        for ev in st.framer.push(&data) {
                            st.transform.event(ev, &mut out);
                        }
                    }
                    if out.is_empty() {
                        continue;
                    }
                    return Some((
                        Ok::<_, BoxError>(http_body::Frame::data(Bytes::from(out))),
                        Some(st),
                    ));
                }
                end => {
                    let error = match end {
                        Err(_) => format!(
                            "the upstream stream stalled for {}s (idle_timeout_s)",
                            st.idle.as_secs()
                        ),
                        Ok(Some(Err(e))) => format!("the upstream stream broke off: {e}"),
                        _ => String::new(),
                    };
                    if let Some(ev) = st.framer.finish() {
                        st.transform.event(ev, &mut out);
                    }
                    st.transform.finish(&mut out);
                    if !error.is_empty() {
                        // Tell the client the answer is incomplete, in its API's own terms.
                        out.extend(stream_error(st.api, &error));
                    }
                    let status = st.status;
                    st.record.finish(status, &error);
                    if out.is_empty() {
                        return None;
                    }
                    return Some((Ok(http_body::Frame::data(Bytes::from(out))), None));
                }
            }
        }
    });
    http_body_util::StreamBody::new(stream).boxed_unsync()
}

/// `GET /v1/models`: Anthropic's list when the client speaks Anthropic, OpenAI's otherwise.
async fn models(
    state: Arc<State>,
    req: Request<Incoming>,
    path: &str,
) -> Result<Response<Body>, ProxyError> {
    let anthropic = req.headers().contains_key("anthropic-version");
    let (provider, base) = if anthropic {
        ("anthropic", state.settings.anthropic.clone())
    } else {
        ("openai", state.settings.openai.clone())
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let uri = format!("{base}{path}{query}");
    let mut builder = Request::builder().method(Method::GET).uri(&uri);
    for (name, value) in req.headers().iter() {
        if !DROP_REQUEST.contains(&name.as_str()) {
            builder = builder.header(name, value);
        }
    }
    let upstream_req = builder
        .header(header::ACCEPT_ENCODING, "identity")
        .body(full(Bytes::new()))
        .map_err(|e| ProxyError::internal(e.to_string()))?;
    let resp = match tokio::time::timeout(
        state.settings.first_byte_timeout,
        state.client.request(upstream_req),
    )
    .await
    {
        Err(_) => {
            return Err(ProxyError::gateway_timeout(format!(
                "{provider} did not answer in time"
            )));
        }
        Ok(Err(e)) => {
            state.health.note(&base, false);
            return Err(ProxyError::bad_gateway(format!(
                "cannot reach {provider}: {}",
                error_chain(&e)
            )));
        }
        Ok(Ok(r)) => r,
    };
    state.health.note(&base, true);
    let (parts, body) = resp.into_parts();
    let bytes = collect_with_idle(body, state.settings.idle_timeout).await?;
    let mut r = Response::new(full(bytes));
    *r.status_mut() = parts.status;
    for (name, value) in parts.headers.iter() {
        if !DROP_RESPONSE.contains(&name.as_str()) {
            r.headers_mut().append(name, value.clone());
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::cpu_work;

    /// The rewrite's work runs on either kind of runtime, and a panic in it becomes an error
    /// that does not quote the panic (whose message may hold the request's text).
    async fn runs_and_keeps_panics_quiet() {
        assert_eq!(cpu_work(|| 6 * 7).await, Ok(42));
        let e = cpu_work(|| -> u8 { panic!("ghp_0123456789abcdefghijklmnopqrstuvwxyz") })
            .await
            .unwrap_err();
        assert!(e.contains("panicked") && !e.contains("ghp_"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn on_a_multi_thread_runtime() {
        runs_and_keeps_panics_quiet().await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn on_a_one_thread_runtime() {
        runs_and_keeps_panics_quiet().await;
    }
}
