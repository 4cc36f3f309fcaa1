//! Self-tests of the fake upstream (`tests/upstream`): the wire-format builders produce valid,
//! self-consistent JSON and SSE, and the server (HTTP/1.1, h2c, TLS) echoes, checks thinking
//! signatures, streams in chunks, hangs, closes, and counts connections and cancelled streams.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use crate::upstream::anthropic::{self, Block};
use crate::upstream::openai::{self, Item, ToolCall};
use crate::upstream::{Chunking, FakeUpstream, Reply};

type Plain = Client<HttpConnector, Full<Bytes>>;

fn http1() -> Plain {
    Client::builder(TokioExecutor::new()).build_http()
}

fn h2c() -> Plain {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

struct Resp {
    status: u16,
    version: hyper::Version,
    content_type: String,
    frames: Vec<Bytes>,
}

impl Resp {
    fn bytes(&self) -> Vec<u8> {
        self.frames.concat()
    }
    fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("UTF-8 body")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes()).expect("JSON body")
    }
}

async fn call<C>(
    client: &Client<C, Full<Bytes>>,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let resp = client.request(req).await.expect("response from the fake");
    let (status, version) = (resp.status().as_u16(), resp.version());
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .unwrap_or_default();
    let mut body = resp.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("body frame").into_data() {
            frames.push(data);
        }
    }
    Resp {
        status,
        version,
        content_type,
        frames,
    }
}

async fn post<C>(client: &Client<C, Full<Bytes>>, url: String, body: &Value) -> Resp
where
    C: Connect + Clone + Send + Sync + 'static,
{
    call(
        client,
        "POST",
        &url,
        &[("content-type", "application/json")],
        &body.to_string(),
    )
    .await
}

/// Parses an SSE text into `(event name, data)`; every `data:` must be JSON or `[DONE]`, every
/// event must end with a blank line, and a named event's data must carry that `type`.
fn parse_sse(text: &str) -> Vec<(Option<String>, Value)> {
    assert!(
        text.ends_with("\n\n"),
        "SSE text ends with a blank line: {text:?}"
    );
    let mut out = Vec::new();
    for event in text.split("\n\n").filter(|e| !e.is_empty()) {
        let mut name = None;
        let mut data = None;
        for line in event.lines() {
            if let Some(n) = line.strip_prefix("event: ") {
                name = Some(n.to_owned());
            } else if let Some(d) = line.strip_prefix("data: ") {
                data = Some(if d == "[DONE]" {
                    Value::String("[DONE]".into())
                } else {
                    serde_json::from_str(d).unwrap_or_else(|e| panic!("data is JSON ({e}): {d}"))
                });
            } else {
                panic!("unexpected SSE line {line:?}");
            }
        }
        let data = data.expect("every event has data");
        if let Some(n) = &name {
            assert_eq!(data["type"], n.as_str(), "event name matches data type");
        }
        out.push((name, data));
    }
    out
}

fn of_type<'a>(events: &'a [(Option<String>, Value)], name: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|(n, d)| n.as_deref() == Some(name) || d["type"] == name)
        .map(|(_, d)| d)
        .collect()
}

const LONG: &str =
    "fn compute_invoice_total(order: &Order) -> Money { order.lines.iter().sum() } // ünïcödé";

#[test]
fn anthropic_builders() {
    let input =
        json!({"path": "src/billing/invoice.rs", "pattern": "compute_invoice_total", "n": [1, 2]});
    let blocks = [
        Block::Thinking {
            thinking: format!("Let me think about {LONG}"),
        },
        Block::RedactedThinking {
            data: "EmwKAhgBEgy3va3pzix/LafPsn4a".into(),
        },
        Block::Text(LONG.into()),
        Block::ToolUse {
            id: "toolu_01A".into(),
            name: "grep".into(),
            input: input.clone(),
        },
    ];
    let m = anthropic::message("claude-x", &blocks);
    assert_eq!(m["type"], "message");
    assert_eq!(m["role"], "assistant");
    assert_eq!(m["model"], "claude-x");
    assert_eq!(m["stop_reason"], "tool_use");
    assert!(m["id"].as_str().expect("id").starts_with("msg_"));
    assert_eq!(
        m["content"][0]["signature"],
        anthropic::sign(&format!("Let me think about {LONG}"))
    );
    assert_eq!(m["content"][1]["data"], "EmwKAhgBEgy3va3pzix/LafPsn4a");
    assert_eq!(m["content"][3]["input"], input);
    assert!(m["usage"]["output_tokens"].as_u64().expect("usage") > 0);
    assert_eq!(
        anthropic::message("m", &[Block::Text("hi".into())])["stop_reason"],
        "end_turn"
    );

    let events = parse_sse(&anthropic::stream("claude-x", &blocks).concat());
    let names: Vec<&str> = events
        .iter()
        .map(|(n, _)| n.as_deref().expect("named"))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    assert!(names.contains(&"ping"));
    assert_eq!(of_type(&events, "content_block_start").len(), 4);
    assert_eq!(of_type(&events, "content_block_stop").len(), 4);
    let deltas = |index: usize, kind: &str, field: &str| -> Vec<String> {
        of_type(&events, "content_block_delta")
            .into_iter()
            .filter(|d| d["index"] == index && d["delta"]["type"] == kind)
            .map(|d| d["delta"][field].as_str().expect("delta string").to_owned())
            .collect()
    };
    let thinking = deltas(0, "thinking_delta", "thinking");
    assert!(thinking.len() > 2);
    assert_eq!(thinking.concat(), format!("Let me think about {LONG}"));
    assert_eq!(
        deltas(0, "signature_delta", "signature"),
        [anthropic::sign(&thinking.concat())]
    );
    assert_eq!(
        of_type(&events, "content_block_start")[1]["content_block"]["data"],
        "EmwKAhgBEgy3va3pzix/LafPsn4a"
    );
    let text = deltas(2, "text_delta", "text");
    assert!(text.len() > 3, "text comes in several deltas");
    assert_eq!(text.concat(), LONG);
    let partial = deltas(3, "input_json_delta", "partial_json");
    assert!(partial.len() > 3, "input comes in several pieces");
    assert_eq!(
        partial[0], "",
        "the first partial_json is empty, as the API sends it"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&partial.concat()).expect("input JSON"),
        input
    );
    let tool_start = &of_type(&events, "content_block_start")[3]["content_block"];
    assert_eq!(tool_start["input"], json!({}));
    assert_eq!(tool_start["name"], "grep");
    let delta = of_type(&events, "message_delta")[0];
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");

    let Reply::Json { status, body, .. } = anthropic::error(529, "overloaded_error", "Overloaded")
    else {
        panic!("error is JSON")
    };
    assert_eq!(status, 529);
    assert_eq!(body["type"], "error");
    assert_eq!(
        body["error"],
        json!({"type": "overloaded_error", "message": "Overloaded"})
    );
    assert_ne!(anthropic::sign("a"), anthropic::sign("b"));
    assert!(anthropic::models()["data"][0]["type"] == "model");
}

#[test]
fn openai_chat_builders() {
    let calls = [
        ToolCall {
            id: "call_1".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"src/lib.rs","limit":200}"#.into(),
        },
        ToolCall {
            id: "call_2".into(),
            name: "grep".into(),
            arguments: r#"{"pattern":"compute_invoice_total"}"#.into(),
        },
    ];
    let c = openai::chat("gpt-x", Some(LONG), &calls);
    assert_eq!(c["object"], "chat.completion");
    assert_eq!(c["choices"][0]["message"]["content"], LONG);
    assert_eq!(
        c["choices"][0]["message"]["tool_calls"][1]["function"]["name"],
        "grep"
    );
    assert_eq!(c["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        openai::chat("m", None, &[])["choices"][0]["message"]["content"],
        Value::Null
    );

    let chunks = openai::chat_stream("gpt-x", Some(LONG), &calls, true);
    assert!(
        chunks
            .iter()
            .all(|c| c.starts_with("data: ") && c.ends_with("\n\n"))
    );
    let events = parse_sse(&chunks.concat());
    assert_eq!(events.last().map(|(_, d)| d), Some(&json!("[DONE]")));
    let data: Vec<&Value> = events[..events.len() - 1].iter().map(|(_, d)| d).collect();
    assert!(data.iter().all(|d| d["object"] == "chat.completion.chunk"));
    assert_eq!(data[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = data
        .iter()
        .filter_map(|d| d["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, LONG);
    assert!(
        data.iter()
            .filter(|d| d["choices"][0]["delta"]["content"].is_string())
            .count()
            > 3
    );
    for (i, call) in calls.iter().enumerate() {
        let parts: Vec<&Value> = data
            .iter()
            .filter_map(|d| d["choices"][0]["delta"]["tool_calls"].as_array())
            .flatten()
            .filter(|t| t["index"] == i)
            .collect();
        assert_eq!(parts[0]["id"], call.id.as_str());
        assert_eq!(parts[0]["function"]["name"], call.name.as_str());
        assert!(parts[1..].iter().all(|t| t.get("id").is_none()));
        assert!(parts.len() > 3);
        let args: String = parts
            .iter()
            .filter_map(|t| t["function"]["arguments"].as_str())
            .collect();
        assert_eq!(args, call.arguments);
    }
    let finish = data[data.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(finish["usage"], Value::Null);
    let usage = data[data.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().expect("usage") > 0);
    let no_usage = parse_sse(&openai::chat_stream("m", Some("hi"), &[], false).concat());
    assert!(no_usage.iter().all(|(_, d)| d.get("usage").is_none()));

    let Reply::Json { status, body, .. } = openai::error(401, "invalid_request_error", "bad key")
    else {
        panic!("error is JSON")
    };
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": {"message": "bad key", "type": "invalid_request_error", "param": null, "code": null}})
    );
    assert_eq!(openai::models()["object"], "list");
}

#[test]
fn openai_responses_builders() {
    let patch = "*** Begin Patch\n*** Update File: src/invoice.rs\n@@\n-fn compute_invoice_total()\n+fn compute_invoice_sum()\n*** End Patch\n";
    let items = [
        Item::Reasoning {
            encrypted_content: "gAAAAB-opaque".into(),
            summary: Some("Planning the rename of compute_invoice_total".into()),
        },
        Item::Message(LONG.into()),
        Item::FunctionCall {
            call_id: "call_9".into(),
            name: "shell".into(),
            arguments: r#"{"command":["rg","compute_invoice_total"]}"#.into(),
        },
        Item::CustomToolCall {
            call_id: "call_10".into(),
            name: "apply_patch".into(),
            input: patch.into(),
        },
    ];
    let r = openai::response("gpt-x", &items);
    assert_eq!(r["object"], "response");
    assert_eq!(r["status"], "completed");
    assert!(r["id"].as_str().expect("id").starts_with("resp_"));
    let types: Vec<&str> = r["output"]
        .as_array()
        .expect("output")
        .iter()
        .map(|o| o["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        ["reasoning", "message", "function_call", "custom_tool_call"]
    );
    assert_eq!(r["output"][1]["content"][0]["text"], LONG);
    assert_eq!(r["output"][3]["input"], patch);
    assert_eq!(
        r["output"][0]["summary"][0]["text"],
        "Planning the rename of compute_invoice_total"
    );

    let events = parse_sse(&openai::response_stream("gpt-x", &items).concat());
    let seqs: Vec<u64> = events
        .iter()
        .map(|(_, d)| d["sequence_number"].as_u64().expect("sequence_number"))
        .collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    let names: Vec<&str> = events
        .iter()
        .map(|(n, _)| n.as_deref().expect("named"))
        .collect();
    assert_eq!(&names[..2], ["response.created", "response.in_progress"]);
    assert_eq!(names.last(), Some(&"response.completed"));
    for expected in [
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
        "response.function_call_arguments.done",
        "response.custom_tool_call_input.done",
        "response.reasoning_summary_text.done",
        "response.output_item.done",
    ] {
        assert!(names.contains(&expected), "{expected} is emitted");
    }
    let joined = |name: &str, index: usize| -> (usize, String) {
        let d = of_type(&events, name);
        let d: Vec<&Value> = d
            .into_iter()
            .filter(|d| d["output_index"] == index)
            .collect();
        (
            d.len(),
            d.iter()
                .map(|d| d["delta"].as_str().expect("delta"))
                .collect(),
        )
    };
    let (n, text) = joined("response.output_text.delta", 1);
    assert!(n > 3);
    assert_eq!(text, LONG);
    let text_delta = of_type(&events, "response.output_text.delta")[0];
    for field in [
        "item_id",
        "output_index",
        "content_index",
        "delta",
        "logprobs",
    ] {
        assert!(
            text_delta.get(field).is_some(),
            "output_text.delta has {field}"
        );
    }
    let (n, args) = joined("response.function_call_arguments.delta", 2);
    assert!(n > 3);
    assert_eq!(args, r#"{"command":["rg","compute_invoice_total"]}"#);
    let (n, input) = joined("response.custom_tool_call_input.delta", 3);
    assert!(n > 3);
    assert_eq!(input, patch);
    assert_eq!(
        joined("response.reasoning_summary_text.delta", 0).1,
        "Planning the rename of compute_invoice_total"
    );
    let done: Vec<&Value> = of_type(&events, "response.output_item.done")
        .into_iter()
        .map(|d| &d["item"])
        .collect();
    let completed = &of_type(&events, "response.completed")[0]["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(
        completed["output"]
            .as_array()
            .expect("output")
            .iter()
            .collect::<Vec<_>>(),
        done
    );
    for d in of_type(&events, "response.output_text.delta") {
        assert_eq!(d["item_id"], done[1]["id"], "deltas name their item");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_model_over_http1_and_h2c() {
    let up = FakeUpstream::start().await;
    for (client, version) in [
        (http1(), hyper::Version::HTTP_11),
        (h2c(), hyper::Version::HTTP_2),
    ] {
        let url = |p: &str| format!("{}{p}", up.url());
        let messages = json!({"model": "claude-q", "max_tokens": 10, "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "from tool; "},
                                         {"type": "text", "text": "echo compute_invoice_total"}]}]});
        let r = post(&client, url("/v1/messages"), &messages).await;
        assert_eq!((r.status, r.version), (200, version));
        assert_eq!(
            r.json()["content"],
            json!([{"type": "text", "text": "from tool; echo compute_invoice_total"}])
        );
        assert_eq!(r.json()["model"], "claude-q");

        let mut streamed = messages.clone();
        streamed["stream"] = json!(true);
        let r = post(&client, url("/v1/messages?beta=true"), &streamed).await;
        assert!(r.content_type.starts_with("text/event-stream"));
        let events = parse_sse(&r.text());
        let text: String = of_type(&events, "content_block_delta")
            .iter()
            .map(|d| d["delta"]["text"].as_str().expect("text"))
            .collect();
        assert_eq!(text, "from tool; echo compute_invoice_total");

        let r = post(&client, url("/v1/messages/count_tokens"), &messages).await;
        assert_eq!(r.json()["input_tokens"], messages.to_string().len() / 4);

        let chat = json!({"model": "gpt-q", "messages": [{"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "hello "}, {"type": "text", "text": "there"}]}]});
        let r = post(&client, url("/v1/chat/completions"), &chat).await;
        assert_eq!(r.json()["choices"][0]["message"]["content"], "hello there");
        let mut streamed = chat.clone();
        streamed["stream"] = json!(true);
        streamed["stream_options"] = json!({"include_usage": true});
        let events = parse_sse(
            &post(&client, url("/v1/chat/completions"), &streamed)
                .await
                .text(),
        );
        let content: String = events
            .iter()
            .filter_map(|(_, d)| d["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(content, "hello there");
        assert!(
            events[events.len() - 2].1["usage"].is_object(),
            "include_usage honoured"
        );

        let resp = json!({"model": "gpt-r", "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "old"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say compute_invoice_total"}]}]});
        let r = post(&client, url("/v1/responses"), &resp).await;
        assert_eq!(
            r.json()["output"][0]["content"][0]["text"],
            "say compute_invoice_total"
        );
        let r = post(
            &client,
            url("/v1/responses"),
            &json!({"model": "m", "input": "plain", "stream": true}),
        )
        .await;
        let events = parse_sse(&r.text());
        let text: String = of_type(&events, "response.output_text.delta")
            .iter()
            .map(|d| d["delta"].as_str().expect("delta"))
            .collect();
        assert_eq!(text, "plain");
        let r = post(&client, url("/v1/responses/compact"), &resp).await;
        assert_eq!(r.json()["object"], "response.compaction");
        assert_eq!(r.json()["output"][1], resp["input"][1]);
        assert_eq!(r.json()["output"][2]["type"], "compaction");

        let r = call(
            &client,
            "GET",
            &url("/v1/models"),
            &[("anthropic-version", "2023-06-01")],
            "",
        )
        .await;
        assert_eq!(r.json()["data"][0]["type"], "model");
        let r = call(&client, "GET", &url("/v1/models"), &[], "").await;
        assert_eq!(r.json()["object"], "list");
        let r = call(&client, "GET", &url("/nope"), &[], "").await;
        assert_eq!(r.status, 404);
        assert!(r.json()["error"]["message"].is_string());

        let r = call(&client, "POST", &url("/v1/messages"), &[], "{not json").await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["type"], "invalid_request_error");
        let r = call(
            &client,
            "POST",
            &url("/v1/chat/completions"),
            &[],
            "{not json",
        )
        .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["param"], Value::Null);
    }
    let got = up.received();
    assert_eq!(got[1].path, "/v1/messages?beta=true");
    assert_eq!(got[1].method, "POST");
    assert_eq!(got[1].header("Content-Type"), Some("application/json"));
    assert_eq!(got[0].json.as_ref().expect("json")["model"], "claude-q");
    assert!(
        got.iter()
            .any(|r| r.json.is_none() && r.body_str() == "{not json")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn thinking_signatures_are_checked() {
    let up = FakeUpstream::start().await;
    let client = http1();
    let issued = anthropic::message(
        "m",
        &[Block::RedactedThinking {
            data: "Eo8BCkYIBRgCKkDredacted".into(),
        }],
    );
    let request = |thinking: Value| {
        json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [thinking, {"type": "text", "text": "a"}]},
            {"role": "user", "content": "again"}]})
    };
    let good = json!({"type": "thinking", "thinking": "about compute_invoice_total", "signature": anthropic::sign("about compute_invoice_total")});
    let renamed = json!({"type": "thinking", "thinking": "about fn_a1b2", "signature": anthropic::sign("about compute_invoice_total")});
    let r = post(&client, format!("{}/v1/messages", up.url()), &request(good)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["content"][0]["text"], "again");
    let r = post(
        &client,
        format!("{}/v1/messages", up.url()),
        &request(issued["content"][0].clone()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    up.set_responder(|_| Reply::json(json!({"from": "responder"})));
    for (bad, kind) in [
        (renamed, "`thinking`"),
        (
            json!({"type": "redacted_thinking", "data": "never issued"}),
            "`redacted_thinking`",
        ),
    ] {
        for path in ["/v1/messages", "/v1/messages/count_tokens"] {
            let r = post(
                &client,
                format!("{}{path}", up.url()),
                &request(bad.clone()),
            )
            .await;
            assert_eq!(r.status, 400);
            assert_eq!(r.json()["type"], "error");
            assert_eq!(r.json()["error"]["type"], "invalid_request_error");
            let message = r.json()["error"]["message"]
                .as_str()
                .expect("message")
                .to_owned();
            assert!(
                message.starts_with("messages.1.content.0: Invalid `"),
                "{message}"
            );
            assert!(message.ends_with(&format!("in {kind} block")), "{message}");
        }
    }
    let r = post(
        &client,
        format!("{}/v1/messages", up.url()),
        &request(json!({"type": "text", "text": "x"})),
    )
    .await;
    assert_eq!(r.json(), json!({"from": "responder"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_replies_come_before_the_responder() {
    let up = FakeUpstream::start().await;
    let client = http1();
    up.push_reply(Reply::json(json!({"n": 1})));
    up.push_reply(openai::error(429, "rate_limit_error", "slow down"));
    up.set_responder(|r| Reply::Json {
        status: 201,
        headers: vec![("x-seen".into(), r.path.clone())],
        body: json!({"n": "r"}),
    });
    let url = format!("{}/v1/chat/completions", up.url());
    assert_eq!(
        post(&client, url.clone(), &json!({})).await.json(),
        json!({"n": 1})
    );
    let r = post(&client, url.clone(), &json!({})).await;
    assert_eq!(
        (r.status, r.json()["error"]["message"].as_str()),
        (429, Some("slow down"))
    );
    let r = post(&client, url.clone(), &json!({})).await;
    assert_eq!((r.status, r.json()), (201, json!({"n": "r"})));
    assert_eq!(up.received().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fake_that_forgets_requests_still_answers_them() {
    let up = FakeUpstream::start().await;
    let client = http1();
    let url = format!("{}/v1/chat/completions", up.url());
    post(
        &client,
        url.clone(),
        &json!({"model": "gpt-x", "messages": []}),
    )
    .await;
    up.forget_requests();
    let r = post(&client, url, &json!({"model": "gpt-x", "messages": []})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["object"], "chat.completion");
    assert_eq!(
        up.received().len(),
        1,
        "only the request before forget_requests is kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chunking_delivers_the_same_bytes() {
    let up = FakeUpstream::start().await;
    let events = anthropic::stream("m", &[Block::Text(LONG.into())]);
    let whole = events.concat();
    for client in [http1(), h2c()] {
        up.push_reply(Reply::Sse {
            status: 200,
            headers: vec![("x-test".into(), "1".into())],
            events: events.clone(),
            chunking: Chunking::Every(7),
            gap: Duration::from_millis(2),
        });
        let r = post(&client, format!("{}/v1/messages", up.url()), &json!({})).await;
        assert_eq!(r.text(), whole);
        assert!(
            r.frames.len() > whole.len() / 7 / 2,
            "arrives in many pieces: {}",
            r.frames.len()
        );
        assert!(r.frames.iter().all(|f| f.len() <= 7));

        up.push_reply(Reply::Raw {
            status: 200,
            headers: vec![],
            body: whole.clone().into_bytes(),
            chunking: Chunking::At(vec![3, 40, 41]),
        });
        let r = post(&client, format!("{}/x", up.url()), &json!({})).await;
        assert_eq!(r.bytes(), whole.as_bytes());
        assert_eq!(r.content_type, "");
    }
    // Each SSE event is its own chunk by default, sent as soon as written.
    up.push_reply(Reply::Sse {
        status: 200,
        headers: vec![],
        events: events.clone(),
        chunking: Chunking::Whole,
        gap: Duration::from_millis(300),
    });
    let started = std::time::Instant::now();
    let req = Request::post(format!("{}/v1/messages", up.url()))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let mut body = http1().request(req).await.expect("response").into_body();
    let first = body
        .frame()
        .await
        .expect("a frame")
        .expect("frame")
        .into_data()
        .expect("data");
    assert_eq!(first, events[0].as_bytes());
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "the first event is not held back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_with_h2_and_http1() {
    let (up, pem) = FakeUpstream::start_tls().await;
    assert!(up.url().starts_with("https://localhost:"));
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_bytes()) {
        roots
            .add(cert.expect("PEM certificate"))
            .expect("trusted root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let h2 = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config.clone())
        .https_only()
        .enable_http1()
        .enable_http2()
        .build();
    let h1 = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "over tls"}]});
    let r = post(
        &Client::builder(TokioExecutor::new()).build(h2),
        format!("{}/v1/chat/completions", up.url()),
        &body,
    )
    .await;
    assert_eq!((r.status, r.version), (200, hyper::Version::HTTP_2));
    assert_eq!(r.json()["choices"][0]["message"]["content"], "over tls");
    let ip_url = format!("https://127.0.0.1:{}/v1/chat/completions", up.addr.port());
    let r = post(
        &Client::builder(TokioExecutor::new()).build(h1),
        ip_url,
        &body,
    )
    .await;
    assert_eq!((r.status, r.version), (200, hyper::Version::HTTP_11));
    assert_eq!(up.connections(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn hang_close_and_delay() {
    let up = FakeUpstream::start().await;
    let client = http1();
    let req = || {
        Request::post(format!("{}/v1/messages", up.url()))
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("request")
    };
    up.push_reply(Reply::Hang);
    let hung = tokio::time::timeout(Duration::from_millis(300), client.request(req())).await;
    assert!(hung.is_err(), "Hang does not answer");
    assert_eq!(up.received().len(), 1, "the hung request was read");

    up.push_reply(Reply::Close);
    assert!(
        client.request(req()).await.is_err(),
        "Close answers nothing"
    );

    up.push_reply(Reply::Delay(
        Duration::from_millis(200),
        Box::new(Reply::json(json!({"late": true}))),
    ));
    let started = std::time::Instant::now();
    let r = client.request(req()).await.expect("delayed response");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_and_cancelled_streams_are_counted() {
    let up = FakeUpstream::start().await;
    // One kept-alive HTTP/1.1 connection carries three requests.
    let tcp = tokio::net::TcpStream::connect(up.addr)
        .await
        .expect("connect");
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    for _ in 0..3 {
        send.ready().await.expect("connection ready");
        let req = Request::post("/v1/chat/completions")
            .header("host", up.addr.to_string())
            .body(Full::new(Bytes::from_static(b"{\"messages\": []}")))
            .expect("request");
        let resp = send.send_request(req).await.expect("response");
        assert_eq!(resp.status(), 200);
        resp.into_body().collect().await.expect("body");
    }
    assert_eq!(up.connections(), 1, "a pooled client reuses its connection");
    let streamed =
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": LONG}]});
    post(&h2c(), format!("{}/v1/messages", up.url()), &streamed).await;
    assert_eq!(up.connections(), 2);
    assert_eq!(
        up.cancelled_streams(),
        0,
        "streams read to the end are not cancelled"
    );

    for client in [http1(), h2c()] {
        let before = up.cancelled_streams();
        up.push_reply(Reply::Sse {
            status: 200,
            headers: vec![],
            events: anthropic::stream("m", &[Block::Text(LONG.into())]),
            chunking: Chunking::Whole,
            gap: Duration::from_millis(50),
        });
        let req = Request::post(format!("{}/v1/messages", up.url()))
            .body(Full::new(Bytes::new()))
            .expect("request");
        let mut body = client.request(req).await.expect("response").into_body();
        body.frame().await.expect("first frame").expect("frame");
        drop(body);
        drop(client);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while up.cancelled_streams() == before && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(up.cancelled_streams(), before + 1, "the disconnect is seen");
    }
}
