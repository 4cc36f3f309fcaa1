//! The OpenAI Responses API (Codex, the newest SDKs) through the proxy: requests rewritten wherever
//! user or tool text can be, answers restored in text deltas, function-call arguments, free-form
//! tool input and reasoning summaries, with reasoning items byte-exact in both directions.

use std::time::Duration;

use serde_json::{Value, json};

use crate::proxy::{CODE, Harness, assert_clean, post, question, replacements, send};
use crate::upstream::{Chunking, Reply, openai};
use crate::util::fake;

fn sse(events: Vec<String>, n: usize) -> Reply {
    Reply::Sse {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        events,
        chunking: Chunking::Every(n),
        gap: Duration::ZERO,
    }
}

/// A Codex-like request: instructions, tools, and a history with a function call whose output is
/// a file, a free-form apply_patch call, and the user's question.
fn codex_request(stream: bool, extra_input: &[Value]) -> Value {
    let mut input = vec![
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": question()}]}),
        json!({"type": "function_call", "call_id": "call_1", "name": "read_file", "arguments": "{\"path\":\"src/ledger.ts\"}"}),
        json!({"type": "function_call_output", "call_id": "call_1", "output": "export function settleLedgerBatch(batchId: string) {\n  return batchId;\n}\n"}),
        json!({"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": "*** Begin Patch\n*** Update File: src/ledger.ts\n-reconcileLedgerEntries()\n+settleLedgerBatch()\n*** End Patch"}),
        json!({"type": "custom_tool_call_output", "call_id": "call_2", "output": "Done! settleLedgerBatch patched"}),
    ];
    input.extend(extra_input.iter().cloned());
    json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex. The repository defines LedgerReconciler.",
        "input": input,
        "tools": [
            {"type": "function", "name": "read_file", "description": "Read a file", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
            {"type": "custom", "name": "apply_patch", "description": "Apply a patch", "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}}
        ],
        "stream": stream,
        "store": false,
        "include": ["reasoning.encrypted_content"]
    })
}

/// What the fake model answers: text, a function call and a patch that use the renamed names it
/// saw, plus a reasoning item.
fn answer_items(body: &str) -> (Vec<openai::Item>, String) {
    // The instructions come first: names[0] stands for LedgerReconciler.
    let names = replacements(body);
    let settle = body
        .split("export function ")
        .nth(1)
        .and_then(|rest| rest.split('(').next())
        .expect("the tool output's function")
        .to_string();
    let placeholder = body
        .find("PRETENSE_SECRET_")
        .map(|at| body[at..at + 24].to_string());
    let items = vec![
        openai::Item::Reasoning {
            encrypted_content: "gAAAAABencrypted-opaque-bytes==".into(),
            // The provider may write an original name itself (a guess): restoring leaves it,
            // rewriting would rename it, so only its own bytes go back unchanged.
            summary: Some(format!(
                "Looking at {} and {settle}, i.e. LedgerReconciler.",
                names[0]
            )),
        },
        openai::Item::Message(format!("Call {settle}() after {}.", names[0])),
        openai::Item::FunctionCall {
            call_id: "call_9".into(),
            name: "read_file".into(),
            arguments: json!({"path": "src/ledger.ts", "symbol": settle, "token": placeholder})
                .to_string(),
        },
        openai::Item::CustomToolCall {
            call_id: "call_10".into(),
            name: "apply_patch".into(),
            input: format!(
                "*** Begin Patch\n*** Update File: src/ledger.ts\n-{settle}()\n+{settle}Async()\n*** End Patch"
            ),
        },
    ];
    (items, settle)
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_whole_answer_round_trip() {
    let h = Harness::start(|_| {}).await;
    h.upstream.set_responder(|r| {
        Reply::json(openai::response(
            "gpt-5-codex",
            &answer_items(&r.body_str()).0,
        ))
    });
    let a = post(&h, "/v1/responses", codex_request(false, &[])).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let up = h.last_body();
    assert_clean(&up);
    assert!(
        !up.contains("settleLedgerBatch"),
        "function_call_output and patches are rewritten"
    );
    assert!(
        up.contains("gpt-5-codex") && up.contains("\"store\":false"),
        "other fields pass"
    );
    let v = a.json();
    let out = v["output"].as_array().unwrap();
    assert_eq!(
        out[1]["content"][0]["text"],
        "Call settleLedgerBatch() after LedgerReconciler."
    );
    let args: Value = serde_json::from_str(out[2]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args["symbol"], "settleLedgerBatch");
    assert_eq!(
        out[3]["input"],
        "*** Begin Patch\n*** Update File: src/ledger.ts\n-settleLedgerBatch()\n+settleLedgerBatchAsync()\n*** End Patch"
    );
    assert_eq!(
        out[0]["encrypted_content"], "gAAAAABencrypted-opaque-bytes==",
        "byte-exact"
    );
    assert_eq!(
        out[0]["summary"][0]["text"],
        "Looking at LedgerReconciler and settleLedgerBatch, i.e. LedgerReconciler."
    );
    assert!(v["x-pretense-mutations"].as_u64().unwrap() >= 5);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_stream_restores_every_kind_of_delta_at_any_split() {
    let h = Harness::start(|_| {}).await;
    let secret = fake("ghp_{36}", 51);
    let extra = [
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": format!("token: {secret}")}]}),
    ];
    for n in [1usize, 3, 7, 64] {
        h.upstream.set_responder(move |r| {
            sse(
                openai::response_stream("gpt-5-codex", &answer_items(&r.body_str()).0),
                n,
            )
        });
        let a = post(&h, "/v1/responses", codex_request(true, &extra)).await;
        assert_eq!(a.status, 200, "{}", a.text());
        let up = h.last_body();
        assert_clean(&up);
        assert!(!up.contains(&secret));
        let events = a.events();
        let of = |t: &str| -> Vec<&Value> { events.iter().filter(|e| e["type"] == t).collect() };
        let text: String = of("response.output_text.delta")
            .iter()
            .filter_map(|e| e["delta"].as_str())
            .collect();
        assert_eq!(
            text, "Call settleLedgerBatch() after LedgerReconciler.",
            "split {n}"
        );
        assert_eq!(of("response.output_text.done")[0]["text"], text);
        let args: String = of("response.function_call_arguments.delta")
            .iter()
            .filter_map(|e| e["delta"].as_str())
            .collect();
        let parsed: Value = serde_json::from_str(&args)
            .unwrap_or_else(|e| panic!("split {n}: arguments do not parse ({e}): {args}"));
        assert_eq!(parsed["symbol"], "settleLedgerBatch");
        assert_eq!(
            parsed["token"],
            secret.as_str(),
            "the secret comes back inside the JSON"
        );
        assert_eq!(
            of("response.function_call_arguments.done")[0]["arguments"]
                .as_str()
                .map(|s| serde_json::from_str::<Value>(s).unwrap()),
            Some(parsed)
        );
        let patch: String = of("response.custom_tool_call_input.delta")
            .iter()
            .filter_map(|e| e["delta"].as_str())
            .collect();
        assert!(
            patch.contains("-settleLedgerBatch()\n+settleLedgerBatchAsync()"),
            "split {n}: {patch}"
        );
        let summary = of("response.output_item.done")
            .iter()
            .find(|e| e["item"]["type"] == "reasoning")
            .map(|e| e["item"].clone())
            .unwrap();
        assert_eq!(
            summary["encrypted_content"],
            "gAAAAABencrypted-opaque-bytes=="
        );
        let seqs: Vec<u64> = events
            .iter()
            .filter_map(|e| e["sequence_number"].as_u64())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] > w[0]),
            "sequence numbers increase: {seqs:?}"
        );
        assert_eq!(events.last().unwrap()["type"], "response.completed");
        let completed = &events.last().unwrap()["response"]["output"];
        assert_eq!(completed[1]["content"][0]["text"], text);
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reasoning_items_go_back_byte_exact_and_previous_response_id_keeps_names() {
    let h = Harness::start(|_| {}).await;
    h.upstream.set_responder(|r| {
        Reply::json(openai::response(
            "gpt-5-codex",
            &answer_items(&r.body_str()).0,
        ))
    });
    let a = post(&h, "/v1/responses", codex_request(false, &[])).await;
    let first_upstream = h.last_body();
    let first_session = a.headers["x-pretense-session"].clone();
    let first_id = a.json()["id"].as_str().unwrap().to_string();
    let out = a.json()["output"].clone();
    assert!(
        out[0].to_string().contains("LedgerReconciler"),
        "the client sees real names"
    );
    // What the provider wrote in its summary, with the names it knew: the replacements.
    let provider_summary = match &answer_items(&first_upstream).0[0] {
        openai::Item::Reasoning { summary, .. } => summary.clone().unwrap(),
        _ => unreachable!("the first item is the reasoning"),
    };
    // Next turn: Codex sends the reasoning item back as it saw it, and relies on
    // previous_response_id for the rest; prose mentions the names without any code.
    let next = json!({
        "model": "gpt-5-codex",
        "previous_response_id": first_id,
        "input": [
            out[0].clone(),
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Now make LedgerReconciler call settleLedgerBatch twice."}]}
        ]
    });
    h.upstream.set_responder(|_| {
        Reply::json(openai::response(
            "gpt-5-codex",
            &[openai::Item::Message("ok".into())],
        ))
    });
    let a = post(&h, "/v1/responses", next).await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(
        a.headers["x-pretense-session"], first_session,
        "a previous_response_id turn stays in its conversation's session"
    );
    let sent: Value = serde_json::from_str(&h.last_body()).unwrap();
    assert_eq!(sent["previous_response_id"], first_id.as_str());
    let item = &sent["input"][0];
    assert_eq!(item["encrypted_content"], "gAAAAABencrypted-opaque-bytes==");
    assert_eq!(
        item["summary"][0]["text"], provider_summary,
        "the provider's own text went back"
    );
    let prose = sent["input"][1]["content"][0]["text"].as_str().unwrap();
    assert!(
        !prose.contains("LedgerReconciler") && !prose.contains("settleLedgerBatch"),
        "{prose}"
    );
    for name in replacements(prose) {
        assert!(
            first_upstream.contains(&name),
            "{name} is the same replacement as in the first turn"
        );
    }

    // Codex leaves the id out (with `store: false` it would resolve to nothing): found by its
    // encrypted content, sent back as the provider wrote it, and no id added.
    let mut without_id = out[0].clone();
    without_id.as_object_mut().unwrap().remove("id");
    assert!(without_id.get("content").is_none(), "{without_id}");
    // A field the provider did not send is the client's text: rewritten like any other.
    without_id["content"] =
        json!([{"type": "reasoning_text", "text": "LedgerReconciler looks fine."}]);
    let a = post(&h, "/v1/responses", json!({"model": "gpt-5-codex", "store": false, "input": [
        without_id,
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go on"}]}
    ]}))
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let sent: Value = serde_json::from_str(&h.last_body()).unwrap();
    let item = &sent["input"][0];
    assert_eq!(item["summary"][0]["text"], provider_summary);
    assert!(item.get("id").is_none(), "no id added: {item}");
    let text = item["content"][0]["text"].as_str().unwrap();
    assert!(!text.contains("LedgerReconciler"), "{text}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_websocket_zstd_and_audit() {
    let h = Harness::start(|_| {}).await;
    // Compact is rewritten like any Responses request.
    let a = post(&h, "/v1/responses/compact", json!({"model": "gpt-5-codex", "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": CODE}]}]})).await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_clean(&h.last_body());
    assert_eq!(
        h.upstream.received().last().unwrap().path,
        "/v1/responses/compact"
    );
    assert!(
        a.text().contains("LedgerReconciler"),
        "restored: {}",
        a.text()
    );

    // Codex tries a WebSocket first: refused at once, so it falls back to HTTP.
    let before = h.upstream.received().len();
    let a = send(
        &h.url,
        "GET",
        "/v1/responses",
        &[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        vec![],
    )
    .await;
    assert_eq!(a.status, 426);
    assert_eq!(h.upstream.received().len(), before, "nothing forwarded");

    // zstd bodies, as Codex sends them.
    let body = codex_request(false, &[]).to_string();
    let zst = ruzstd::encoding::compress_to_vec(
        body.as_bytes(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let a = send(
        &h.url,
        "POST",
        "/v1/responses",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "zstd"),
            ("user-agent", "codex_cli_rs/0.60.1"),
        ],
        zst,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_clean(&h.last_body());

    // Audit rows cover the route.
    let mut v = Value::Null;
    for _ in 0..50 {
        v = send(&h.url, "GET", "/audit", &[], vec![]).await.json();
        if v["total"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(v["total"], 2, "{v}");
    let latest = &v["entries"][0];
    assert_eq!(latest["endpoint"], "/v1/responses");
    assert_eq!(latest["provider"], "openai");
    assert_eq!(latest["tool"], "codex");
    assert!(latest["mutations"].as_u64().unwrap() >= 4);
    h.stop().await;
}
