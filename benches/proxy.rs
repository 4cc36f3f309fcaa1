//! Proxy overhead against direct calls to the fake upstream (the same one the tests use): added
//! median latency for 10 KB, 80 KB (a Claude Code turn: tool definitions plus code) and 200 KB of
//! fresh code, for a 200 KB history seen before plus 2 KB of new text (early in a session and 200
//! turns later), the added time to the first streamed byte, and requests per second with 32
//! concurrent clients.
//! Run with `cargo bench --bench proxy`.
//!
//! For a profiler, `PRETENSE_BENCH_LOOP=fresh` (10 KB of fresh code) or `=history` (the seen
//! history plus 2 KB) sends only that request, a few hundred times (`PRETENSE_BENCH_TURNS` to
//! choose), and prints nothing. Two runs that differ only in the count give a profiler the cost
//! of the turns alone.

#[path = "corpus.rs"]
mod corpus;
#[path = "../tests/upstream/mod.rs"]
#[allow(unused_imports)]
mod upstream;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use pretense::config::Config;
use pretense::mutate::{Engine, NamingKey, Vault};
use pretense::proxy::{Server, Settings};

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn post(client: &HttpClient, url: &str, body: &[u8]) -> (Duration, Duration) {
    let start = Instant::now();
    let req = hyper::Request::post(format!("{url}/v1/messages"))
        .header("content-type", "application/json")
        .header("anthropic-version", "2023-06-01")
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("request");
    let resp = client.request(req).await.expect("answer");
    assert!(resp.status().is_success(), "status {}", resp.status());
    let mut body = resp.into_body();
    let mut first = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("frame");
        if first.is_none() && frame.data_ref().is_some_and(|d| !d.is_empty()) {
            first = Some(start.elapsed());
        }
    }
    let total = start.elapsed();
    (first.unwrap_or(total), total)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// A request with `code_bytes` of code never seen before (a new seed every call).
fn fresh_request(seed: u64, code_bytes: usize, stream: bool, tools: bool) -> Vec<u8> {
    let mut rng = corpus::Rng(seed);
    let half = code_bytes / 2;
    let text = format!(
        "Review this:\n```ts\n{}\n```\n```python\n{}\n```\nWhat breaks?",
        corpus::typescript(&mut rng, half),
        corpus::python(&mut rng, half)
    );
    let mut body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    });
    if tools {
        body["system"] = json!([{"type": "text", "text": "You are a coding agent. ".repeat(600)}]);
        body["tools"] = Value::Array(
            (0..25)
                .map(|i| {
                    json!({
                        "name": format!("Tool{i}"),
                        "description": "Reads or edits files in the workspace; use absolute paths. ".repeat(20),
                        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string", "description": "absolute path"}, "content": {"type": "string"}}, "required": ["file_path"]}
                    })
                })
                .collect(),
        );
    }
    serde_json::to_vec(&body).expect("json")
}

/// A proxy with a vault of its own in a new temporary data dir, and its URL.
async fn start_proxy(up: &upstream::FakeUpstream) -> (Server, String, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    config.server.port = 0;
    config.upstream.anthropic = up.url();
    let engine = Arc::new(
        Engine::new(
            &config,
            NamingKey::from_bytes([5; 32]),
            Arc::new(Vault::open(&data.path().join("pretense.db")).expect("vault")),
        )
        .expect("engine"),
    );
    pretense::secrets::RuleSet::builtin().prepare_for_bulk();
    let scanner = Arc::new(pretense::scan::Scanner::new(&config).expect("scanner"));
    let server = Server::start(Settings::from_config(&config), engine, scanner)
        .await
        .expect("proxy");
    let url = format!("http://127.0.0.1:{}", server.addr().port());
    (server, url, data)
}

/// Requests per row, each way: this machine's speed drifts by half within minutes, and a median
/// of 15 moved with it.
const SAMPLES: u64 = 31;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let up = upstream::FakeUpstream::start().await;
    up.forget_requests();
    // A short answer: the overhead measured is the request's rewrite, not echoing 200 KB back.
    up.set_responder(|r| {
        let stream = r
            .json
            .as_ref()
            .and_then(|j| j["stream"].as_bool())
            .unwrap_or(false);
        let blocks = [upstream::anthropic::Block::Text("Looks fine.".into())];
        if stream {
            upstream::Reply::sse(upstream::anthropic::stream("claude-x", &blocks))
        } else {
            upstream::Reply::json(upstream::anthropic::message("claude-x", &blocks))
        }
    });
    let (server, proxy, _data) = start_proxy(&up).await;
    let direct = up.url();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

    // Warm both paths (connections, compiled queries and rules).
    for i in 0..3 {
        let b = fresh_request(1000 + i, 10_000, false, false);
        post(&client, &direct, &b).await;
        post(&client, &proxy, &b).await;
    }

    let only = std::env::var("PRETENSE_BENCH_LOOP").ok();
    let turns = |default: u64| {
        std::env::var("PRETENSE_BENCH_TURNS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    if only.as_deref() == Some("fresh") {
        for i in 0..turns(400) {
            let b = fresh_request(5000 + i, 10_000, false, false);
            post(&client, &proxy, &b).await;
        }
        return;
    }
    if only.is_none() {
        println!("case                          direct     proxied    added");
    }
    for (label, bytes, tools) in [
        ("10 KB fresh code", 10_000, false),
        ("80 KB Claude Code turn", 40_000, true),
        ("200 KB fresh code", 200_000, false),
    ] {
        if only.is_some() {
            continue;
        }
        let (mut d, mut p) = (Vec::new(), Vec::new());
        for i in 0..SAMPLES {
            let b = fresh_request(2000 + i * 7 + bytes as u64, bytes, false, tools);
            d.push(post(&client, &direct, &b).await.1);
            let b = fresh_request(3000 + i * 7 + bytes as u64, bytes, false, tools);
            p.push(post(&client, &proxy, &b).await.1);
        }
        let (d, p) = (median(d), median(p));
        let size = fresh_request(0, bytes, false, tools).len();
        println!(
            "{label:<22} ({:>3} KB)  {:>6.2} ms  {:>6.2} ms  {:>6.2} ms",
            size / 1000,
            d.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3,
            (p.saturating_sub(d)).as_secs_f64() * 1e3
        );
    }

    // An agent's next turn: the 200 KB history again plus 2 KB of new text. On a proxy of its
    // own: a vault that already knew the generated code's names from the cases above would spare
    // the turns the work that new names cause (matching them again in the history).
    let (history_server, history_proxy, _history_data) = start_proxy(&up).await;
    let history = {
        let mut rng = corpus::Rng(77);
        (0..20)
            .map(|i| {
                let role = if i % 2 == 0 { "user" } else { "assistant" };
                json!({"role": role, "content": format!("```ts\n{}\n```", corpus::typescript(&mut rng, 10_000))})
            })
            .collect::<Vec<_>>()
    };
    let turn = |extra: u64| {
        let mut messages = history.clone();
        let mut rng = corpus::Rng(500 + extra);
        messages.push(json!({"role": "user", "content": format!("```python\n{}\n```", corpus::python(&mut rng, 2_000))}));
        serde_json::to_vec(&json!({"model": "claude-x", "max_tokens": 10, "messages": messages}))
            .expect("json")
    };
    post(&client, &history_proxy, &turn(0)).await;
    if only.as_deref() == Some("history") {
        for i in 1..turns(300) {
            post(&client, &history_proxy, &turn(i)).await;
        }
        return;
    }
    // The same turn early in a session, and after 200 turns that each declared new names (the
    // vault grows, and every turn's names can occur in the history).
    for (label, from) in [("", 1), (" (turn 200)", 216)] {
        for i in 1 + SAMPLES..from {
            post(&client, &history_proxy, &turn(i)).await;
        }
        let (mut d, mut p) = (Vec::new(), Vec::new());
        for i in from..from + SAMPLES {
            let b = turn(i);
            d.push(post(&client, &direct, &b).await.1);
            p.push(post(&client, &history_proxy, &b).await.1);
        }
        let (d, p) = (median(d), median(p));
        println!(
            "{:<32}{:>6.2} ms  {:>6.2} ms  {:>6.2} ms",
            format!("200 KB seen history + 2 KB{label}"),
            d.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3,
            (p.saturating_sub(d)).as_secs_f64() * 1e3
        );
    }

    history_server.shutdown().await;

    // Time to the first streamed byte, for a small prompt already seen.
    let b = fresh_request(9, 2_000, true, false);
    post(&client, &proxy, &b).await;
    let (mut d, mut p) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        d.push(post(&client, &direct, &b).await.0);
        p.push(post(&client, &proxy, &b).await.0);
    }
    let (d, p) = (median(d), median(p));
    println!(
        "stream: time to first byte      {:>6.2} ms  {:>6.2} ms  {:>6.2} ms",
        d.as_secs_f64() * 1e3,
        p.as_secs_f64() * 1e3,
        (p.saturating_sub(d)).as_secs_f64() * 1e3
    );

    // Small requests from 32 concurrent clients for 3 seconds.
    for (label, url) in [("direct", direct.clone()), ("proxied", proxy.clone())] {
        let small = Arc::new(serde_json::to_vec(&json!({"model": "claude-x", "max_tokens": 5, "messages": [{"role": "user", "content": "What does getUserToken() return?"}]})).expect("json"));
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (client, url, small) = (client.clone(), url.clone(), small.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    post(&client, &url, &small).await;
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("task");
        }
        println!(
            "32 clients, small requests: {label:<8} {:>7.0} requests/s",
            total as f64 / 3.0
        );
    }
    eprintln!("upstream connections: {}", up.connections());
    server.shutdown().await;
}
