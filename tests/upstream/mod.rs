//! A fake upstream LLM provider for the proxy tests: a loopback HTTP server (HTTP/1.1 and h2c, or
//! TLS with ALPN h2/http1.1) that records every request and answers with scripted [`Reply`]s, or by
//! default with an "echo model" speaking the real wire formats of the Anthropic Messages API and
//! the OpenAI Chat Completions and Responses APIs (see [`anthropic`] and [`openai`] for builders).
//!
//! Order of answers: thinking-signature check (Anthropic requests) → queued one-shot replies
//! ([`FakeUpstream::push_reply`]) → the responder ([`FakeUpstream::set_responder`]) → the echo
//! model. Streamed bodies go through a channel, so each chunk leaves as soon as it is written;
//! a body dropped before its end (the client went away) counts in
//! [`FakeUpstream::cancelled_streams`].

#![allow(dead_code)] // each test uses a different subset

pub mod anthropic;
mod echo;
pub mod openai;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

type Responder = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;
type ResBody = BoxBody<Bytes, Infallible>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// Path with the query, if any (`/v1/messages?beta=true`).
    pub path: String,
    /// Header names in lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body exactly as received (not decoded).
    pub body: Vec<u8>,
    /// The body parsed as JSON (after gunzip when `content-encoding: gzip`), if it parses.
    pub json: Option<serde_json::Value>,
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}

/// What the fake answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A JSON body (`content-type: application/json` unless `headers` has one).
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: serde_json::Value,
    },
    /// A server-sent-event stream (`content-type: text/event-stream` unless `headers` has one).
    /// `events` are full event texts with their trailing blank line. With [`Chunking::Whole`]
    /// each event is one chunk; otherwise the concatenated events are split as asked. `gap` is
    /// the pause between chunks.
    Sse {
        status: u16,
        headers: Vec<(String, String)>,
        events: Vec<String>,
        chunking: Chunking,
        gap: Duration,
    },
    /// Bytes as given, no default content-type; chunked unless [`Chunking::Whole`].
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        chunking: Chunking,
    },
    /// Waits before answering (headers included).
    Delay(Duration, Box<Reply>),
    /// Reads the request and never answers.
    Hang,
    /// Closes the connection without a response (HTTP/2: resets the stream).
    Close,
}

impl Reply {
    /// `200` with a JSON body.
    pub fn json(body: serde_json::Value) -> Reply {
        Reply::Json {
            status: 200,
            headers: Vec::new(),
            body,
        }
    }

    /// `200` with an event stream, one chunk per event, no pause.
    pub fn sse(events: Vec<String>) -> Reply {
        Reply::Sse {
            status: 200,
            headers: Vec::new(),
            events,
            chunking: Chunking::Whole,
            gap: Duration::ZERO,
        }
    }
}

/// How a body is cut into chunks (HTTP/1.1 chunks or HTTP/2 DATA frames), each flushed alone.
#[derive(Clone, Debug)]
pub enum Chunking {
    Whole,
    /// Pieces of N bytes, cut anywhere: inside JSON strings, identifiers and UTF-8 sequences.
    Every(usize),
    /// Cut at these byte offsets.
    At(Vec<usize>),
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    /// Set by [`FakeUpstream::forget_requests`].
    forget: AtomicBool,
    queue: Mutex<VecDeque<Reply>>,
    responder: Mutex<Option<Responder>>,
    connections: AtomicUsize,
    cancelled: AtomicUsize,
}

/// The running fake; dropping it stops the server and its connections.
pub struct FakeUpstream {
    pub addr: SocketAddr,
    tls: bool,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeUpstream {
    /// Plain HTTP on `127.0.0.1:0`: HTTP/1.1, and HTTP/2 with prior knowledge.
    pub async fn start() -> FakeUpstream {
        Self::spawn(None).await
    }

    /// TLS with a fresh certificate for `localhost` and `127.0.0.1`, ALPN `h2` and `http/1.1`.
    /// Returns the PEM of the CA the client must trust. Also installs ring as the process-wide
    /// rustls provider (if none is), so that test clients can use `ClientConfig::builder()`.
    pub async fn start_tls() -> (FakeUpstream, String) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (acceptor, ca_pem) = tls_acceptor();
        (Self::spawn(Some(acceptor)).await, ca_pem)
    }

    async fn spawn(tls: Option<TlsAcceptor>) -> FakeUpstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake upstream");
        let addr = listener.local_addr().expect("fake upstream address");
        let state = Arc::new(State::default());
        FakeUpstream {
            addr,
            tls: tls.is_some(),
            task: tokio::spawn(accept_loop(listener, tls, state.clone())),
            state,
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` for TLS.
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// Every request so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.received).clone()
    }

    /// Stops recording requests: a benchmark sends thousands of 200 KB bodies, and keeping a
    /// copy of each (body and JSON) grows the process by half a megabyte per request and costs
    /// the copy on every call, direct or proxied alike.
    pub fn forget_requests(&self) {
        self.state.forget.store(true, Ordering::SeqCst);
    }

    /// Replaces the echo model (the thinking-signature check still comes first).
    pub fn set_responder(&self, f: impl Fn(&Received) -> Reply + Send + Sync + 'static) {
        *lock(&self.state.responder) = Some(Arc::new(f));
    }

    /// Queues a one-shot reply; queued replies are used first, in order.
    pub fn push_reply(&self, r: Reply) {
        lock(&self.state.queue).push_back(r);
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Streamed bodies whose client went away before their end.
    pub fn cancelled_streams(&self) -> usize {
        self.state.cancelled.load(Ordering::SeqCst)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, tls: Option<TlsAcceptor>, state: Arc<State>) {
    // Connections live in this set, so aborting the loop aborts them too.
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                // Providers flush each event at once; without this, Nagle holds small SSE writes.
                let _ = tcp.set_nodelay(true);
                state.connections.fetch_add(1, Ordering::SeqCst);
                let (tls, state) = (tls.clone(), state.clone());
                conns.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                serve(stream, state).await;
                            }
                        }
                        None => serve(tcp, state).await,
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn serve<S>(io: S, state: Arc<State>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| handle(req, state.clone()));
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Response<ResBody>, BoxError> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes().to_vec();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let gzip = headers
        .iter()
        .any(|(k, v)| k == "content-encoding" && v.eq_ignore_ascii_case("gzip"));
    let json = if gzip {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .ok()
            .and_then(|_| serde_json::from_slice(&plain).ok())
    } else {
        serde_json::from_slice(&body).ok()
    };
    let received = Received {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers,
        body,
        json,
    };
    if !state.forget.load(Ordering::SeqCst) {
        lock(&state.received).push(received.clone());
    }
    let reply = match echo::check_thinking(&received) {
        Some(rejection) => rejection,
        None => {
            let queued = lock(&state.queue).pop_front();
            let responder = lock(&state.responder).clone();
            match (queued, responder) {
                (Some(reply), _) => reply,
                (None, Some(f)) => f(&received),
                (None, None) => echo::reply(&received),
            }
        }
    };
    respond(reply, &state).await
}

async fn respond(mut reply: Reply, state: &Arc<State>) -> Result<Response<ResBody>, BoxError> {
    loop {
        return match reply {
            Reply::Delay(pause, next) => {
                tokio::time::sleep(pause).await;
                reply = *next;
                continue;
            }
            Reply::Hang => std::future::pending().await,
            Reply::Close => Err("fake upstream: closing without a response".into()),
            Reply::Json {
                status,
                headers,
                body,
            } => {
                let bytes = Bytes::from(serde_json::to_vec(&body)?);
                Ok(response(
                    status,
                    &headers,
                    Some("application/json"),
                    Full::new(bytes).boxed(),
                ))
            }
            Reply::Sse {
                status,
                headers,
                events,
                chunking,
                gap,
            } => {
                let pieces = match chunking {
                    Chunking::Whole => events.into_iter().map(Bytes::from).collect(),
                    cut => split(events.concat().into_bytes(), &cut),
                };
                let body = stream_body(pieces, gap, state);
                Ok(response(status, &headers, Some("text/event-stream"), body))
            }
            Reply::Raw {
                status,
                headers,
                body,
                chunking,
            } => {
                let body = match chunking {
                    Chunking::Whole => Full::new(Bytes::from(body)).boxed(),
                    cut => stream_body(split(body, &cut), Duration::ZERO, state),
                };
                Ok(response(status, &headers, None, body))
            }
        };
    }
}

fn response(
    status: u16,
    headers: &[(String, String)],
    content_type: Option<&str>,
    body: ResBody,
) -> Response<ResBody> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).expect("a valid HTTP status in the test's reply"));
    let has_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    if let Some(ct) = content_type.filter(|_| !has_type) {
        builder = builder.header("content-type", ct);
    }
    for (k, v) in headers {
        builder = builder.header(k, v);
    }
    builder
        .body(body)
        .expect("valid headers in the test's reply")
}

fn split(body: Vec<u8>, chunking: &Chunking) -> Vec<Bytes> {
    let body = Bytes::from(body);
    let mut cuts: Vec<usize> = match chunking {
        Chunking::Whole => Vec::new(),
        Chunking::Every(n) => (1..)
            .map(|i| i * (*n).max(1))
            .take_while(|&c| c < body.len())
            .collect(),
        Chunking::At(offsets) => offsets.clone(),
    };
    cuts.retain(|&c| c > 0 && c < body.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut start = 0;
    let mut pieces: Vec<Bytes> = cuts
        .into_iter()
        .map(|c| {
            let piece = body.slice(start..c);
            start = c;
            piece
        })
        .collect();
    pieces.push(body.slice(start..));
    pieces
}

/// A body fed by a task that writes `pieces` one by one, pausing `gap` between them.
fn stream_body(pieces: Vec<Bytes>, gap: Duration, state: &Arc<State>) -> ResBody {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        for (i, piece) in pieces.into_iter().enumerate() {
            if i > 0 && !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            if tx.send(piece).await.is_err() {
                break; // the client went away; `ChannelBody::drop` counted it
            }
        }
    });
    ChannelBody {
        rx,
        finished: false,
        state: state.clone(),
    }
    .boxed()
}

struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
    finished: bool,
    state: Arc<State>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(piece)) => Poll::Ready(Some(Ok(Frame::data(piece)))),
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for ChannelBody {
    fn drop(&mut self) {
        if !self.finished {
            self.state.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A CA and a server certificate it signed, for `localhost` and `127.0.0.1`.
fn tls_acceptor() -> (TlsAcceptor, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "pretense fake upstream CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server certificate params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .expect("server TLS config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (TlsAcceptor::from(Arc::new(config)), ca.pem())
}

// Shared by the wire-format builders.

/// `prefix` followed by 24 pseudo-random base62 characters, unique in the process.
pub(crate) fn new_id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut id = prefix.to_owned();
    for _ in 0..24 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        id.push(ALPHABET[((x >> 33) % 62) as usize] as char);
    }
    id
}

/// `s` cut into pieces of at most `n` characters (on character boundaries).
pub(crate) fn pieces(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// One SSE event: `event: NAME\ndata: JSON\n\n`.
pub(crate) fn sse_event(name: &str, data: &serde_json::Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A rough token count (4 bytes a token), at least 1.
pub(crate) fn tokens(text: &str) -> usize {
    (text.len() / 4).max(1)
}
