//! The proxy end to end, in process: a real pretense server on an ephemeral port in front of the
//! fake upstream, driven over HTTP. Each test asserts what the upstream received (no declared
//! name, no secret) and what the client got back (the originals, valid JSON, intact events).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use pretense::config::Config;
use pretense::mutate::{Engine, NamingKey, Vault};
use pretense::proxy::{Server, Settings};

use crate::connect_proxy::ConnectProxy;
use crate::upstream::{Chunking, FakeUpstream, Reply, anthropic, openai};
use crate::util::fake;

/// TypeScript whose declared names must never reach the upstream.
pub(crate) const CODE: &str = "```ts\nexport class LedgerReconciler {\n  async reconcileLedgerEntries(accountNumber: string): Promise<number> {\n    const pendingSettlements = await fetchSettlements(accountNumber);\n    return pendingSettlements.length;\n  }\n}\n```\n";
pub(crate) const DECLARED: &[&str] = &[
    "LedgerReconciler",
    "reconcileLedgerEntries",
    "accountNumber",
    "pendingSettlements",
];

pub(crate) fn question() -> String {
    format!("{CODE}\nWhy does reconcileLedgerEntries() return 0 for LedgerReconciler?")
}

pub(crate) struct Harness {
    server: Option<Server>,
    pub(crate) url: String,
    pub(crate) upstream: FakeUpstream,
    _data: tempfile::TempDir,
}

impl Harness {
    pub(crate) async fn start(tweak: impl FnOnce(&mut Config)) -> Harness {
        Self::start_with(FakeUpstream::start().await, tweak).await
    }

    pub(crate) async fn start_with(
        upstream: FakeUpstream,
        tweak: impl FnOnce(&mut Config),
    ) -> Harness {
        let data = tempfile::tempdir().expect("temp data dir");
        Self::start_in(upstream, data, tweak).await
    }

    /// Stops the daemon and starts a new one on the same data dir and upstream, as a user
    /// restarting `pretense start` would.
    pub(crate) async fn restart(mut self) -> Harness {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        Self::start_in(self.upstream, self._data, |_| {}).await
    }

    async fn start_in(
        upstream: FakeUpstream,
        data: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
    ) -> Harness {
        let mut config = Config::default();
        config.server.port = 0;
        config.upstream.anthropic = upstream.url();
        config.upstream.openai = upstream.url();
        config.upstream.first_byte_timeout_s = 5;
        config.upstream.idle_timeout_s = 5;
        tweak(&mut config);
        let vault = Arc::new(Vault::open(&data.path().join("pretense.db")).expect("vault"));
        let key = NamingKey::load_or_create(&data.path().join("key")).expect("key");
        let engine = Arc::new(Engine::new(&config, key, vault).expect("engine"));
        let scanner = Arc::new(pretense::scan::Scanner::new(&config).expect("scanner"));
        let server = Server::start(Settings::from_config(&config), engine, scanner)
            .await
            .expect("start proxy");
        let url = format!("http://127.0.0.1:{}", server.addr().port());
        Harness {
            server: Some(server),
            url,
            upstream,
            _data: data,
        }
    }

    /// The daemon's data dir (vault, audit log, key).
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// The last request the upstream received, as text.
    pub(crate) fn last_body(&self) -> String {
        self.upstream
            .received()
            .last()
            .expect("upstream got a request")
            .body_str()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// `GET /audit?<query>` once `total` rows are there (the audit writer is asynchronous).
async fn audit_page(h: &Harness, query: &str, total: u64) -> Value {
    let mut v = Value::Null;
    for _ in 0..100 {
        v = send(&h.url, "GET", &format!("/audit?{query}"), &[], vec![])
            .await
            .json();
        if v["total"] == total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(v["total"], total, "{v}");
    v
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The `data:` payloads of an event stream, parsed (except `[DONE]`).
    pub(crate) fn events(&self) -> Vec<Value> {
        self.text()
            .split("\n\n")
            .filter_map(|ev| ev.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter(|d| *d != "[DONE]")
            .map(|d| {
                serde_json::from_str(d).unwrap_or_else(|e| panic!("bad event data {d:?}: {e}"))
            })
            .collect()
    }
}

pub(crate) async fn send(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut b = Request::builder()
        .method(method)
        .uri(format!("{url}{path}"));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = client
        .request(b.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("proxy answers");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub(crate) async fn post(h: &Harness, path: &str, body: Value) -> Answer {
    send(
        &h.url,
        "POST",
        path,
        &[
            ("content-type", "application/json"),
            ("anthropic-version", "2023-06-01"),
            ("x-api-key", "sk-test"),
        ],
        body.to_string().into_bytes(),
    )
    .await
}

/// `q` as the one user message of an Anthropic request.
async fn ask(h: &Harness, q: &str) -> Answer {
    post(
        h,
        "/v1/messages",
        json!({"model": "claude-x", "max_tokens": 9, "messages": [{"role": "user", "content": q}]}),
    )
    .await
}

pub(crate) fn assert_clean(upstream_body: &str) {
    for name in DECLARED {
        assert!(
            !upstream_body.contains(name),
            "{name} reached the upstream:\n{upstream_body}"
        );
    }
}

/// Replacement names (zq-words) in a text, in order of appearance.
pub(crate) fn replacements(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"[Zz][Qq][A-Za-z]+").expect("regex");
    let mut out: Vec<String> = re.find_iter(text).map(|m| m.as_str().to_string()).collect();
    out.dedup();
    out
}

/// The first secret placeholder in a text.
fn secret_placeholder(text: &str) -> String {
    let at = text.find("PRETENSE_SECRET_").expect("a secret placeholder");
    text[at..at + "PRETENSE_SECRET_".len() + 8].to_string()
}

fn last_user_text(v: &Value) -> String {
    let m = v["messages"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or(Value::Null);
    match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_whole_answer_round_trip() {
    let h = Harness::start(|_| {}).await;
    let q = question();
    let a = post(&h, "/v1/messages?beta=true", json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": q}]})).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let got = h.upstream.received();
    let req = got.last().unwrap();
    assert_eq!(req.path, "/v1/messages?beta=true", "query string kept");
    assert_eq!(
        req.header("x-api-key"),
        Some("sk-test"),
        "auth passes untouched"
    );
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.header("accept-encoding"), Some("identity"));
    assert_clean(&req.body_str());
    let v = a.json();
    assert_eq!(
        v["content"][0]["text"], q,
        "the echo comes back with the real names"
    );
    let mutations: u64 = a.headers["x-pretense-mutations"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(mutations >= 4, "{mutations}");
    assert_eq!(v["x-pretense-mutations"], mutations);
    let session = a.headers["x-pretense-session"].to_str().unwrap();
    assert!(
        session.starts_with("sess_") && session.len() == 17,
        "{session}"
    );
    assert_eq!(v["x-pretense-session"], session);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_stream_restores_names_split_at_every_chunk_size() {
    let h = Harness::start(|_| {}).await;
    let q = question();
    for n in [1usize, 2, 3, 5, 7, 13, 64] {
        h.upstream.set_responder(move |r| {
            let text = last_user_text(r.json.as_ref().expect("json request"));
            Reply::Sse {
                status: 200,
                headers: vec![("content-type".into(), "text/event-stream".into())],
                events: anthropic::stream("claude-x", &[anthropic::Block::Text(text)]),
                chunking: Chunking::Every(n),
                gap: Duration::ZERO,
            }
        });
        let a = post(&h, "/v1/messages", json!({"model": "claude-x", "max_tokens": 9, "stream": true, "messages": [{"role": "user", "content": q}]})).await;
        assert_eq!(a.status, 200);
        assert_clean(&h.last_body());
        let events = a.events();
        let text: String = events
            .iter()
            .filter(|e| e["type"] == "content_block_delta")
            .filter_map(|e| e["delta"]["text"].as_str())
            .collect();
        assert_eq!(text, q, "chunks of {n} bytes");
        let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(types.first(), Some(&"message_start"));
        assert_eq!(types.last(), Some(&"message_stop"));
        assert!(
            types.contains(&"ping") && types.contains(&"message_delta"),
            "{types:?}"
        );
        let stop = types
            .iter()
            .position(|t| *t == "content_block_stop")
            .unwrap();
        assert!(
            types[..stop]
                .iter()
                .filter(|t| **t == "content_block_delta")
                .count()
                >= 1
        );
        assert!(
            types[stop + 1..]
                .iter()
                .all(|t| *t != "content_block_delta"),
            "no delta after its block closed"
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_use_input_is_restored_in_partial_json_and_whole() {
    let h = Harness::start(|_| {}).await;
    let secret = fake("ghp_{36}", 41);
    let q = format!(
        "{CODE}\nThe token is \"{secret}\". Edit src/ledger.ts and rename reconcileLedgerEntries."
    );
    for stream in [true, false] {
        h.upstream.set_responder(move |r| {
            let body = r.body_str();
            let names = replacements(&body);
            let placeholder = secret_placeholder(&body);
            let input = json!({"file_path": "src/ledger.ts", "old_string": names.join(" "), "new_string": format!("token = \"{placeholder}\"\n{}Async", names[1])});
            let blocks = [anthropic::Block::Text("Editing.".into()), anthropic::Block::ToolUse { id: "toolu_1".into(), name: "Edit".into(), input }];
            if stream {
                Reply::Sse {
                    status: 200,
                    headers: vec![("content-type".into(), "text/event-stream".into())],
                    events: anthropic::stream("claude-x", &blocks),
                    chunking: Chunking::Every(3),
                    gap: Duration::ZERO,
                }
            } else {
                Reply::Json { status: 200, headers: vec![], body: anthropic::message("claude-x", &blocks) }
            }
        });
        let a = post(&h, "/v1/messages", json!({"model": "claude-x", "max_tokens": 9, "stream": stream, "messages": [{"role": "user", "content": q}]})).await;
        assert_eq!(a.status, 200, "{}", a.text());
        let upstream = h.last_body();
        assert_clean(&upstream);
        assert!(
            !upstream.contains(&secret),
            "the secret reached the upstream"
        );
        let input: Value = if stream {
            let partial: String = a
                .events()
                .iter()
                .filter_map(|e| e["delta"]["partial_json"].as_str().map(String::from))
                .collect();
            serde_json::from_str(&partial)
                .unwrap_or_else(|e| panic!("partial JSON does not parse ({e}): {partial}"))
        } else {
            a.json()["content"][1]["input"].clone()
        };
        let old = input["old_string"].as_str().unwrap();
        for name in ["LedgerReconciler", "reconcileLedgerEntries"] {
            assert!(old.contains(name), "stream={stream}: {old}");
        }
        assert_eq!(
            input["new_string"],
            format!("token = \"{secret}\"\nreconcileLedgerEntriesAsync"),
            "stream={stream}"
        );
        assert_eq!(input["file_path"], "src/ledger.ts");
    }
    h.stop().await;
}

/// The next turn: the client sends the thinking block back as it saw it (the fake upstream checks
/// its signature).
async fn send_thinking_back(h: &Harness, q: &str, thinking: &str, signature: &str) -> Answer {
    h.upstream.set_responder(|_| Reply::Json {
        status: 200,
        headers: vec![],
        body: anthropic::message("claude-x", &[anthropic::Block::Text("ok".into())]),
    });
    let next = json!({"model": "claude-x", "max_tokens": 9, "messages": [
        {"role": "user", "content": q},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": thinking, "signature": signature}, {"type": "text", "text": "Answer."}]},
        {"role": "user", "content": "go on"}
    ]});
    post(h, "/v1/messages", next).await
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_thinking_goes_back_byte_exact_in_the_next_turn() {
    let h = Harness::start(|_| {}).await;
    let q = question();
    for stream in [true, false] {
        h.upstream.set_responder(move |r| {
            let names = replacements(&r.body_str());
            let thinking = format!(
                "The user asks about {}; {} looks at {}.",
                names[1], names[0], names[2]
            );
            let blocks = [
                anthropic::Block::Thinking { thinking },
                anthropic::Block::Text("Answer.".into()),
            ];
            if stream {
                Reply::Sse {
                    status: 200,
                    headers: vec![("content-type".into(), "text/event-stream".into())],
                    events: anthropic::stream("claude-x", &blocks),
                    chunking: Chunking::Every(4),
                    gap: Duration::ZERO,
                }
            } else {
                Reply::Json {
                    status: 200,
                    headers: vec![],
                    body: anthropic::message("claude-x", &blocks),
                }
            }
        });
        let a = post(&h, "/v1/messages", json!({"model": "claude-x", "max_tokens": 9, "stream": stream, "messages": [{"role": "user", "content": q}]})).await;
        assert_eq!(a.status, 200, "{}", a.text());
        let (thinking, signature) = if stream {
            let ev = a.events();
            let t: String = ev
                .iter()
                .filter_map(|e| e["delta"]["thinking"].as_str().map(String::from))
                .collect();
            let s = ev
                .iter()
                .find_map(|e| e["delta"]["signature"].as_str().map(String::from))
                .expect("signature");
            (t, s)
        } else {
            let v = a.json();
            (
                v["content"][0]["thinking"].as_str().unwrap().to_string(),
                v["content"][0]["signature"].as_str().unwrap().to_string(),
            )
        };
        assert!(
            thinking.contains("reconcileLedgerEntries") || thinking.contains("LedgerReconciler"),
            "the client sees real names: {thinking}"
        );
        let a = send_thinking_back(&h, &q, &thinking, &signature).await;
        assert_eq!(
            a.status,
            200,
            "signature must verify upstream (stream={stream}): {}",
            a.text()
        );
        assert_clean(&h.last_body());
    }
    h.stop().await;
}

/// The provider may write an original name itself (it guessed it, or the user typed it where
/// pretense could not see it). Restoring leaves it, rewriting would rename it: only the
/// provider's own bytes verify, and a restarted daemon must still have them.
#[tokio::test(flavor = "multi_thread")]
async fn signed_thinking_survives_a_daemon_restart() {
    let h = Harness::start(|_| {}).await;
    let q = question();
    h.upstream.set_responder(|r| {
        let names = replacements(&r.body_str());
        let thinking = format!("{} is probably reconcileLedgerEntries.", names[0]);
        Reply::Json {
            status: 200,
            headers: vec![],
            body: anthropic::message(
                "claude-x",
                &[
                    anthropic::Block::Thinking { thinking },
                    anthropic::Block::Text("Answer.".into()),
                ],
            ),
        }
    });
    let a = ask(&h, &q).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    let thinking = v["content"][0]["thinking"].as_str().unwrap().to_string();
    let signature = v["content"][0]["signature"].as_str().unwrap().to_string();
    assert!(!thinking.contains("zq"), "restored: {thinking}");
    let h = h.restart().await;
    let a = send_thinking_back(&h, &q, &thinking, &signature).await;
    assert_eq!(
        a.status,
        200,
        "signature must verify after a restart: {}",
        a.text()
    );
    // `vault clear` forgets it too.
    let vault = Vault::open(&h.data_dir().join("pretense.db")).unwrap();
    let stored: i64 = vault
        .with_conn(|c| c.query_row("SELECT count(*) FROM signed", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, 1);
    vault.clear().unwrap();
    let stored: i64 = vault
        .with_conn(|c| c.query_row("SELECT count(*) FROM signed", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, 0);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_chat_round_trip_with_streamed_tool_calls() {
    let h = Harness::start(|_| {}).await;
    let q = question();
    // Whole answer: the echo model.
    let a = post(&h, "/v1/chat/completions", json!({"model": "gpt-4o", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": q}]})).await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_clean(&h.last_body());
    assert_eq!(a.json()["choices"][0]["message"]["content"], q);
    // Streamed content and tool-call arguments, in tiny chunks.
    h.upstream.set_responder(|r| {
        let names = replacements(&r.body_str());
        let args = json!({"path": "src/ledger.ts", "symbol": names[1]}).to_string();
        Reply::Sse {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            events: openai::chat_stream(
                "gpt-4o",
                Some(&format!("Look at {}.", names[0])),
                &[openai::ToolCall {
                    id: "call_1".into(),
                    name: "read_symbol".into(),
                    arguments: args,
                }],
                true,
            ),
            chunking: Chunking::Every(2),
            gap: Duration::ZERO,
        }
    });
    let a = post(&h, "/v1/chat/completions", json!({"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": q}]})).await;
    assert_eq!(a.status, 200);
    assert_clean(&h.last_body());
    let events = a.events();
    let content: String = events
        .iter()
        .filter_map(|e| {
            e["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect();
    assert_eq!(content, "Look at LedgerReconciler.");
    let args: String = events
        .iter()
        .filter_map(|e| {
            e["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(String::from)
        })
        .collect();
    let args: Value = serde_json::from_str(&args)
        .unwrap_or_else(|e| panic!("arguments do not parse ({e}): {args}"));
    assert_eq!(args["symbol"], "reconcileLedgerEntries");
    assert!(
        a.text().trim_end().ends_with("data: [DONE]"),
        "[DONE] stays last"
    );
    assert!(
        events.iter().any(|e| e["usage"].is_object()),
        "usage chunk kept"
    );

    // Cut off mid-arguments (max_tokens) right after a name: the restorer still holds it when the
    // finish chunk comes, and that chunk carries it out, restored, in the right tool call.
    h.upstream.set_responder(|r| {
        let names = replacements(&r.body_str());
        Reply::sse(openai::chat_stream(
            "gpt-4o",
            None,
            &[openai::ToolCall {
                id: "call_2".into(),
                name: "read_symbol".into(),
                arguments: format!("{{\"symbol\": \"{}", names[1]),
            }],
            false,
        ))
    });
    let a = post(
        &h,
        "/v1/chat/completions",
        json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": q}]}),
    )
    .await;
    let args: String = a
        .events()
        .iter()
        .filter_map(|e| {
            e["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(String::from)
        })
        .collect();
    assert_eq!(args, "{\"symbol\": \"reconcileLedgerEntries");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_routing_by_model_prefix() {
    let anthropic_up = FakeUpstream::start().await;
    let local = FakeUpstream::start().await;
    let router = FakeUpstream::start().await;
    let mine = FakeUpstream::start().await;
    let (local_url, router_url, mine_url) = (local.url(), router.url(), mine.url());
    let anthropic_url = anthropic_up.url();
    let h = Harness::start(move |c| {
        c.upstream.anthropic = anthropic_url;
        c.routes.push(pretense::config::Route {
            prefix: "ollama/".into(),
            url: format!("{local_url}/v1"),
            strip_prefix: true,
            ..Default::default()
        });
        // A key of its own, from the environment: PATH, which every process has (a variable
        // of this test's own would need `set_var`, which races the other tests' threads).
        c.routes.push(pretense::config::Route {
            prefix: "router/".into(),
            url: router_url,
            api_key_env: "PATH".into(),
            ..Default::default()
        });
        c.routes.push(pretense::config::Route {
            prefix: "mine/".into(),
            url: mine_url,
            forward_auth: true,
            ..Default::default()
        });
    })
    .await;
    let client_key = "Bearer sk-client-key-for-openai";
    let own_key = format!("Bearer {}", std::env::var("PATH").expect("PATH").trim());
    for (model, who, expected_auth) in [
        ("claude-haiku-4-5", "anthropic", Some(client_key)),
        ("ollama/llama3", "local", None),
        ("router/some-model", "router", Some(own_key.as_str())),
        ("mine/model", "mine", Some(client_key)),
        ("gpt-4o", "openai", Some(client_key)),
    ] {
        let a = send(
            &h.url,
            "POST",
            "/v1/chat/completions",
            &[
                ("content-type", "application/json"),
                ("authorization", client_key),
                ("x-api-key", "sk-client-x-api-key"),
                ("openai-organization", "org-client"),
                ("openai-project", "proj-client"),
                ("cookie", "session=client"),
            ],
            json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(a.status, 200, "{model}: {}", a.text());
        let (up, expected_model) = match who {
            "anthropic" => (&anthropic_up, model),
            "local" => (&local, "llama3"),
            "router" => (&router, model),
            "mine" => (&mine, model),
            _ => (&h.upstream, model),
        };
        let got = up.received();
        let last = got
            .last()
            .unwrap_or_else(|| panic!("{model} went to {who}"));
        assert_eq!(last.path, "/v1/chat/completions");
        assert_eq!(last.json.as_ref().unwrap()["model"], expected_model);
        // The client's OpenAI credentials reach a route only when it forwards them.
        assert_eq!(last.header("authorization"), expected_auth, "{model}");
        for name in [
            "x-api-key",
            "openai-organization",
            "openai-project",
            "cookie",
        ] {
            let got = last.header(name);
            let forwarded = expected_auth == Some(client_key);
            assert_eq!(got.is_some(), forwarded, "{model} {name}: {got:?}");
        }
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_come_back_in_the_clients_api_format() {
    let h = Harness::start(|c| c.server.max_body_bytes = 64 * 1024).await;
    // Malformed JSON.
    let a = send(
        &h.url,
        "POST",
        "/v1/messages",
        &[("content-type", "application/json")],
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["type"], "error");
    assert_eq!(a.json()["error"]["type"], "invalid_request_error");
    let a = send(
        &h.url,
        "POST",
        "/v1/chat/completions",
        &[],
        b"[1,2".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    // Too large.
    let big = json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(100_000)}]});
    let a = post(&h, "/v1/messages", big).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.json()["error"]["type"], "request_too_large");
    // Unknown path.
    let a = send(&h.url, "POST", "/v1/embeddings", &[], b"{}".to_vec()).await;
    assert_eq!(a.status, 404);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/embeddings")
    );
    // An upstream error passes through with its status and rate-limit headers, restored.
    h.upstream.set_responder(|r| {
        let names = replacements(&r.body_str());
        let mut reply = anthropic::error(
            429,
            "rate_limit_error",
            &format!("slow down on {}", names[0]),
        );
        if let Reply::Json { headers, .. } = &mut reply {
            headers.push(("anthropic-ratelimit-requests-remaining".into(), "0".into()));
            headers.push(("request-id".into(), "req_123".into()));
        }
        reply
    });
    let a = post(
        &h,
        "/v1/messages",
        json!({"model": "m", "messages": [{"role": "user", "content": question()}]}),
    )
    .await;
    assert_eq!(a.status, 429);
    assert_eq!(a.headers["anthropic-ratelimit-requests-remaining"], "0");
    assert_eq!(a.headers["request-id"], "req_123");
    assert_eq!(
        a.json()["error"]["message"],
        "slow down on LedgerReconciler"
    );
    // The path decides the format, whatever the headers (an SDK may send anthropic-version).
    let a = send(
        &h.url,
        "POST",
        "/v1/responses",
        &[("anthropic-version", "2023-06-01")],
        b"{oops".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(
        a.json().get("type").is_none(),
        "OpenAI format: {}",
        a.text()
    );
    assert_eq!(a.json()["error"]["type"], "invalid_request_error");
    // Nothing was forwarded for the refused requests: only the 429 one reached the upstream.
    assert_eq!(h.upstream.received().len(), 1);
    // Refusals are audited too, with their status.
    let v = audit_page(&h, "per_page=50", 5).await;
    let mut statuses: Vec<u64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    statuses.sort();
    assert_eq!(statuses, [400, 400, 400, 413, 429]);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_and_slow_upstreams() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = Harness::start(move |c| {
        c.upstream.openai = format!("http://127.0.0.1:{closed}");
        c.upstream.first_byte_timeout_s = 1;
    })
    .await;
    let a = post(
        &h,
        "/v1/chat/completions",
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(a.status, 502, "{}", a.text());
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach openai"),
        "{}",
        a.text()
    );
    h.upstream.push_reply(Reply::Delay(
        Duration::from_secs(3),
        Box::new(Reply::Json {
            status: 200,
            headers: vec![],
            body: json!({}),
        }),
    ));
    // A streamed request: its first byte is due early (a whole answer may take minutes).
    let a = post(
        &h,
        "/v1/messages",
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(a.status, 504, "{}", a.text());
    assert_eq!(a.json()["error"]["type"], "timeout_error");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn block_policy_refuses_and_names_rule_and_place() {
    let h = Harness::start(|c| c.secrets.policy = pretense::config::SecretPolicy::Block).await;
    let secret = fake("ghp_{36}", 42);
    let a = post(&h, "/v1/messages", json!({"model": "m", "messages": [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}, {"role": "user", "content": format!("line one\nGH={secret}\n")}]})).await;
    assert_eq!(a.status, 400, "{}", a.text());
    let msg = a.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("github_pat") && msg.contains("messages[2].content") && msg.contains("line 2"),
        "{msg}"
    );
    assert!(!msg.contains(&secret));
    assert!(h.upstream.received().is_empty(), "nothing forwarded");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn egress_check_refuses_a_name_in_a_field_that_cannot_be_rewritten() {
    let h = Harness::start(|_| {}).await;
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": CODE},
        {"type": "image_url", "image_url": {"url": "https://cdn.example/LedgerReconciler.png"}}
    ]}]});
    let a = post(&h, "/v1/chat/completions", body).await;
    assert_eq!(a.status, 500, "{}", a.text());
    let msg = a.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("messages[0].content[1].image_url.url") && msg.contains("identifier"),
        "{msg}"
    );
    assert!(!msg.contains("LedgerReconciler"));
    assert!(h.upstream.received().is_empty(), "refused, not forwarded");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_disconnect_mid_stream_closes_the_upstream_stream() {
    let h = Harness::start(|_| {}).await;
    let mut events = anthropic::stream(
        "claude-x",
        &[anthropic::Block::Text(
            "first words then a long pause".into(),
        )],
    );
    events.truncate(4);
    h.upstream.push_reply(Reply::Sse {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        events: events
            .into_iter()
            .chain(std::iter::repeat_n(
                "event: ping\ndata: {\"type\": \"ping\"}\n\n".to_string(),
                20,
            ))
            .collect(),
        chunking: Chunking::Whole,
        gap: Duration::from_millis(300),
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = Request::post(format!("{}/v1/messages", h.url))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]})
                .to_string(),
        )))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let mut body = resp.into_body();
    // The first bytes arrive while the upstream is still streaming: nothing waits for the end.
    let first = tokio::time::timeout(Duration::from_secs(4), body.frame())
        .await
        .expect("first frame before the stream ends");
    assert!(first.is_some());
    drop(body);
    drop(client);
    let mut cancelled = 0;
    for _ in 0..50 {
        cancelled = h.upstream.cancelled_streams();
        if cancelled > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cancelled, 1, "the upstream stream was closed");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compressed_request_bodies_are_decoded_and_rewritten() {
    use std::io::Write;
    let h = Harness::start(|_| {}).await;
    let body =
        json!({"model": "gpt-5-codex", "messages": [{"role": "user", "content": question()}]})
            .to_string();
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(body.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let zst = ruzstd::encoding::compress_to_vec(
        body.as_bytes(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let br = {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(body.as_bytes()).unwrap();
        }
        out
    };
    for (enc, data) in [("gzip", gz), ("zstd", zst), ("br", br)] {
        let a = send(
            &h.url,
            "POST",
            "/v1/chat/completions",
            &[
                ("content-type", "application/json"),
                ("content-encoding", enc),
            ],
            data,
        )
        .await;
        assert_eq!(a.status, 200, "{enc}: {}", a.text());
        let got = h.upstream.received();
        let last = got.last().unwrap();
        assert_eq!(last.header("content-encoding"), None, "sent on decoded");
        assert_clean(&last.body_str());
        assert_eq!(
            a.json()["choices"][0]["message"]["content"],
            question(),
            "{enc}"
        );
    }
    let before = h.upstream.received().len();
    let a = send(
        &h.url,
        "POST",
        "/v1/chat/completions",
        &[("content-encoding", "compress")],
        b"xx".to_vec(),
    )
    .await;
    assert_eq!(a.status, 415);
    assert_eq!(
        h.upstream.received().len(),
        before,
        "never forwarded unread"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn access_guards_host_origin_and_token() {
    let h = Harness::start(|c| c.server.token = "s3cret-token".into()).await;
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        .to_string()
        .into_bytes();
    // No token: refused, except a minimal /health.
    let a = send(&h.url, "POST", "/v1/messages", &[], body.clone()).await;
    assert_eq!(a.status, 401);
    let a = send(&h.url, "GET", "/health", &[], vec![]).await;
    assert_eq!(
        a.json().as_object().unwrap().len(),
        1,
        "only the status without a token: {}",
        a.text()
    );
    // Header or path prefix.
    let a = send(
        &h.url,
        "POST",
        "/v1/messages",
        &[("x-pretense-token", "s3cret-token")],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let a = send(
        &h.url,
        "POST",
        "/t/s3cret-token/v1/messages",
        &[],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(
        h.upstream.received().last().unwrap().path,
        "/v1/messages",
        "prefix stripped"
    );
    assert_eq!(
        h.upstream
            .received()
            .last()
            .unwrap()
            .header("x-pretense-token"),
        None,
        "token not forwarded"
    );
    let a = send(&h.url, "POST", "/t/wrong/v1/messages", &[], body.clone()).await;
    assert_eq!(a.status, 401);
    // DNS rebinding: a page that resolves its own name to 127.0.0.1 cannot know the token.
    let a = send(
        &h.url,
        "POST",
        "/v1/messages",
        &[("host", "attacker.example:9339")],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.text());
    // A tunnel (cloudflared, ngrok) sends its public name as Host, with the token in the path.
    let a = send(
        &h.url,
        "POST",
        "/t/s3cret-token/v1/messages",
        &[("host", "quiet-fox.trycloudflare.com")],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    // Browser origins are refused even with the token.
    let a = send(
        &h.url,
        "GET",
        "/audit",
        &[
            ("origin", "https://attacker.example"),
            ("x-pretense-token", "s3cret-token"),
        ],
        vec![],
    )
    .await;
    assert_eq!(a.status, 403);
    assert!(
        a.headers.get("access-control-allow-origin").is_none(),
        "no CORS headers"
    );
    let a = send(
        &h.url,
        "GET",
        "/audit",
        &[
            ("origin", "http://localhost:3000"),
            ("x-pretense-token", "s3cret-token"),
        ],
        vec![],
    )
    .await;
    assert_eq!(a.status, 200);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn own_endpoints_health_scan_audit_models_and_probes() {
    // A route to a port nothing listens on: reported, but the others keep the status "ok".
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = Harness::start(move |c| {
        c.routes.push(pretense::config::Route {
            prefix: "dead/".into(),
            url: format!("http://127.0.0.1:{closed}/v1"),
            strip_prefix: true,
            ..Default::default()
        })
    })
    .await;
    let a = send(&h.url, "GET", "/health", &[], vec![]).await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["proxy"]["anthropic"], "connected");
    assert_eq!(v["proxy"]["routes"]["dead/"], "unreachable", "{v}");
    assert!(
        v["uptime"].is_u64() && v["mutations_processed"].is_u64() && v["secrets_blocked"].is_u64()
    );

    let secret = fake("sk_live_{24}", 43);
    let a = send(&h.url, "POST", "/scan", &[], json!({"content": format!("const apiKey = \"{secret}\";\nfunction getUserToken() {{ return apiKey; }}\n"), "filename": "auth.ts"}).to_string().into_bytes()).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!(v["secrets"][0]["line"], 1);
    assert_eq!(v["secrets"][0]["severity"], "critical");
    assert!(!a.text().contains(&secret), "no value in the report");
    let ident = v["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "getUserToken")
        .expect("getUserToken listed");
    assert_eq!(ident["kind"], "function");
    assert_eq!(ident["mutable"], true);
    assert!(v["summary"]["risk_score"].as_u64().unwrap() >= 90);
    assert!(h.upstream.received().is_empty(), "scan forwards nothing");

    // A proxied request, then its audit row.
    post(&h, "/v1/messages", json!({"model": "claude-x", "messages": [{"role": "user", "content": format!("{CODE} key {secret}")}]})).await;
    let v = audit_page(&h, "page=1&per_page=10", 1).await;
    assert_eq!(v["per_page"], 10);
    let e = &v["entries"][0];
    assert!(e["id"].as_str().unwrap().starts_with("aud_"));
    assert_eq!(e["endpoint"], "/v1/messages");
    assert_eq!(e["provider"], "anthropic");
    assert_eq!(e["model"], "claude-x");
    assert_eq!(e["secrets_blocked"], 1);
    assert_eq!(e["secret_rules"], json!(["stripe_secret_key"]));
    assert!(e["mutations"].as_u64().unwrap() >= 4);
    assert!(
        !v.to_string().contains("LedgerReconciler"),
        "no original names in the audit log"
    );

    // Probes and pass-throughs.
    let a = send(&h.url, "HEAD", "/", &[], vec![]).await;
    assert_eq!(a.status, 200);
    let a = send(
        &h.url,
        "GET",
        "/v1/models",
        &[("anthropic-version", "2023-06-01")],
        vec![],
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(
        a.json()["data"].is_array() && a.json().get("has_more").is_some(),
        "Anthropic's list shape: {}",
        a.text()
    );
    let a = send(&h.url, "GET", "/v1/models", &[], vec![]).await;
    assert_eq!(a.json()["object"], "list", "OpenAI's list shape");
    let a = post(
        &h,
        "/v1/messages/count_tokens",
        json!({"model": "claude-x", "messages": [{"role": "user", "content": question()}]}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.json()["input_tokens"].is_u64());
    assert_clean(&h.last_body());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rewriting_is_deterministic_and_passes_unknown_things_through() {
    let h = Harness::start(|_| {}).await;
    let body = json!({
        "model": "claude-x",
        "max_tokens": 5,
        "system": [{"type": "text", "text": "You review LedgerReconciler code."}],
        "messages": [
            {"role": "user", "content": question()},
            {"role": "system", "content": "an injected system message about reconcileLedgerEntries"},
            {"role": "user", "content": [{"type": "future_block", "note": "accountNumber inside", "score": 1.5}]}
        ],
        "unknown_top_level": {"deep": ["pendingSettlements"]},
        "metadata": {"user_id": "u-1"}
    });
    post(&h, "/v1/messages", body.clone()).await;
    let first = h.last_body();
    post(&h, "/v1/messages", body.clone()).await;
    assert_eq!(
        h.last_body(),
        first,
        "same history, same bytes (prompt caches keep hitting)"
    );
    assert_clean(&first);
    let sent: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(sent["messages"][1]["role"], "system", "unknown roles pass");
    assert_eq!(sent["messages"][2]["content"][0]["type"], "future_block");
    assert_eq!(sent["messages"][2]["content"][0]["score"], 1.5);
    assert!(
        sent["messages"][2]["content"][0]["note"]
            .as_str()
            .unwrap()
            .ends_with(" inside")
    );
    assert_eq!(sent["max_tokens"], 5);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_upstream_with_ca_bundle_and_https_proxy() {
    let (up, pem) = FakeUpstream::start_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let ca_path = ca.to_string_lossy().into_owned();
    let h = Harness::start_with(up, move |c| c.upstream.ca_bundle = ca_path).await;
    let a = post(
        &h,
        "/v1/messages",
        json!({"model": "m", "messages": [{"role": "user", "content": question()}]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["content"][0]["text"], question());
    h.stop().await;

    // Without the bundle the self-signed certificate is refused.
    let (up, _) = FakeUpstream::start_tls().await;
    let h = Harness::start_with(up, |_| {}).await;
    let a = post(
        &h,
        "/v1/messages",
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(a.status, 502, "{}", a.text());
    h.stop().await;
}

/// `HTTPS_PROXY` is read from the environment at start-up, so this runs the real binary.
#[tokio::test(flavor = "multi_thread")]
async fn https_proxy_environment_is_honoured() {
    let (up, pem) = FakeUpstream::start_tls().await;
    let proxy = ConnectProxy::start().await;
    let dir = crate::util::Dir::new();
    dir.create("ca.pem", pem);
    dir.create(
        "c.toml",
        format!(
            "[upstream]\nca_bundle = \"{}\"\n",
            dir.join("ca.pem").display()
        ),
    );
    let mut child = dir
        .cmd()
        .args([
            "--config",
            "c.toml",
            "start",
            "--port",
            "0",
            "--anthropic-url",
            &up.url(),
        ])
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port = crate::util::wait_for_port(&mut child);
    let a = send(
        &format!("http://127.0.0.1:{port}"),
        "POST",
        "/v1/messages",
        &[("content-type", "application/json")],
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
            .to_string()
            .into_bytes(),
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(
        proxy.tunnels() >= 1,
        "the request went through the CONNECT proxy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_stream_ends_after_the_idle_timeout_with_what_arrived() {
    let h = Harness::start(|c| c.upstream.idle_timeout_s = 1).await;
    let events = anthropic::stream(
        "claude-x",
        &[anthropic::Block::Text("partial answer here".into())],
    );
    h.upstream.push_reply(Reply::Sse {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        events,
        chunking: Chunking::Whole,
        // Far longer than the idle timeout: the stream stalls after the first event.
        gap: Duration::from_secs(30),
    });
    let a = tokio::time::timeout(
        Duration::from_secs(20),
        post(
            &h,
            "/v1/messages",
            json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
        ),
    )
    .await
    .expect("the proxy ends the stalled stream");
    assert_eq!(a.status, 200);
    let events = a.events();
    assert_eq!(
        events.first().map(|e| e["type"].clone()),
        Some(json!("message_start"))
    );
    assert!(!a.text().contains("message_stop"), "the rest never came");
    let last = events.last().unwrap();
    assert_eq!(
        last["type"], "error",
        "the client learns the answer is incomplete"
    );
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("idle_timeout_s"),
        "{last}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http2_clients_are_served() {
    let h = Harness::start(|_| {}).await;
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let req = Request::post(format!("{}/v1/messages", h.url))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            json!({"model": "m", "messages": [{"role": "user", "content": question()}]})
                .to_string(),
        )))
        .unwrap();
    let resp = client.request(req).await.expect("h2c request");
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["content"][0]["text"], question());
    assert_clean(&h.last_body());
    h.stop().await;
}

/// Another process holds the vault's write lock (a `pretense redact` of a big file, say): a
/// request does not wait for it. It goes out rewritten and comes back restored, and the names it
/// learned reach the vault once the lock is released.
#[tokio::test(flavor = "multi_thread")]
async fn a_locked_vault_does_not_hold_up_a_request() {
    let h = Harness::start(|_| {}).await;
    let holder = Vault::open(&h.data_dir().join("pretense.db")).unwrap();
    holder
        .with_conn(|c| c.execute_batch("BEGIN IMMEDIATE"))
        .unwrap();
    let q = question();
    // Were the request writing the vault itself, it would wait out the busy timeout (10 s) and
    // fail, this test's transaction still open.
    let a = ask(&h, &q).await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_clean(&h.last_body());
    assert_eq!(a.json()["content"][0]["text"], q);
    let stored = |v: &Vault| {
        v.list(None)
            .unwrap()
            .iter()
            .any(|e| e.display() == "LedgerReconciler")
    };
    assert!(!stored(&holder), "nothing written while the lock is held");
    holder.with_conn(|c| c.execute_batch("ROLLBACK")).unwrap();
    let mut written = false;
    for _ in 0..400 {
        if stored(&holder) {
            written = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        written,
        "the names reach the vault once the lock is released"
    );
    h.stop().await;
}
