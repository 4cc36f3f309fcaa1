//! OpenAI wire formats: Chat Completions (`chat.completion` objects and `chat.completion.chunk`
//! streams ending in `data: [DONE]`) and the Responses API (`response` objects and semantic event
//! streams with a `sequence_number` on every event), errors and the model list.

use serde_json::{Map, Value, json};

use super::{Reply, new_id, pieces, sse_event, tokens, unix_now};

/// A function call in a chat completion.
#[derive(Clone, Debug)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text.
    pub arguments: String,
}

const FINGERPRINT: &str = "fp_f4ke0penai";

fn chat_usage(content: Option<&str>, tool_calls: &[ToolCall]) -> Value {
    let completion = tokens(content.unwrap_or_default())
        + tool_calls
            .iter()
            .map(|t| tokens(&t.arguments))
            .sum::<usize>();
    json!({
        "prompt_tokens": 19,
        "completion_tokens": completion,
        "total_tokens": 19 + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}
    })
}

fn finish_reason(tool_calls: &[ToolCall]) -> &'static str {
    if tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    }
}

/// A complete `chat.completion` object.
pub fn chat(model: &str, content: Option<&str>, tool_calls: &[ToolCall]) -> Value {
    let mut message =
        json!({"role": "assistant", "content": content, "refusal": null, "annotations": []});
    if !tool_calls.is_empty() {
        message["tool_calls"] = tool_calls
            .iter()
            .map(|t| json!({"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}}))
            .collect();
    }
    json!({
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason(tool_calls)}],
        "usage": chat_usage(content, tool_calls),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT
    })
}

/// The same completion as `data:` chunks: a role chunk, content in small deltas, per tool call a
/// delta with id and name then its arguments in pieces, the `finish_reason` chunk, with
/// `include_usage` a usage chunk (empty `choices`; the others carry `"usage": null`), then
/// `data: [DONE]`.
pub fn chat_stream(
    model: &str,
    content: Option<&str>,
    tool_calls: &[ToolCall],
    include_usage: bool,
) -> Vec<String> {
    let (id, created) = (new_id("chatcmpl-"), unix_now());
    let chunk = |delta: Value, finish: Option<&str>| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        });
        if include_usage {
            c["usage"] = Value::Null;
        }
        format!("data: {c}\n\n")
    };
    let mut out = vec![chunk(
        json!({"role": "assistant", "content": content.map(|_| ""), "refusal": null}),
        None,
    )];
    for p in pieces(content.unwrap_or_default(), 6) {
        out.push(chunk(json!({"content": p}), None));
    }
    for (index, t) in tool_calls.iter().enumerate() {
        out.push(chunk(
            json!({"tool_calls": [{"index": index, "id": t.id, "type": "function",
                "function": {"name": t.name, "arguments": ""}}]}),
            None,
        ));
        for p in pieces(&t.arguments, 7) {
            out.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": p}}]}),
                None,
            ));
        }
    }
    out.push(chunk(json!({}), Some(finish_reason(tool_calls))));
    if include_usage {
        let last = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": [],
            "usage": chat_usage(content, tool_calls)
        });
        out.push(format!("data: {last}\n\n"));
    }
    out.push("data: [DONE]\n\n".to_owned());
    out
}

/// An API error: `{"error":{"message","type","param":null,"code":null}}`.
pub fn error(status: u16, kind: &str, message: &str) -> Reply {
    Reply::Json {
        status,
        headers: Vec::new(),
        body: json!({"error": {"message": message, "type": kind, "param": null, "code": null}}),
    }
}

/// The `GET /v1/models` list.
pub fn models() -> Value {
    let data: Vec<Value> = ["gpt-5", "gpt-5-codex", "gpt-4.1", "gpt-4o-mini"]
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_686_935_002, "owned_by": "openai"}))
        .collect();
    json!({"object": "list", "data": data})
}

/// One output item of a Responses API response.
#[derive(Clone, Debug)]
pub enum Item {
    /// An assistant message with one `output_text` part.
    Message(String),
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    /// A free-form tool call (e.g. an `apply_patch` patch).
    CustomToolCall {
        call_id: String,
        name: String,
        input: String,
    },
    Reasoning {
        encrypted_content: String,
        summary: Option<String>,
    },
}

/// The item as it appears in a finished response, with a fresh id.
fn output_item(item: &Item) -> Value {
    match item {
        Item::Message(text) => json!({
            "id": new_id("msg_"),
            "type": "message",
            "status": "completed",
            "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}],
            "role": "assistant"
        }),
        Item::FunctionCall {
            call_id,
            name,
            arguments,
        } => json!({
            "id": new_id("fc_"),
            "type": "function_call",
            "status": "completed",
            "arguments": arguments,
            "call_id": call_id,
            "name": name
        }),
        Item::CustomToolCall {
            call_id,
            name,
            input,
        } => json!({
            "id": new_id("ctc_"),
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": call_id,
            "input": input,
            "name": name
        }),
        Item::Reasoning {
            encrypted_content,
            summary,
        } => json!({
            "id": new_id("rs_"),
            "type": "reasoning",
            "encrypted_content": encrypted_content,
            "summary": summary.iter().map(|s| json!({"type": "summary_text", "text": s})).collect::<Vec<_>>()
        }),
    }
}

fn response_object(id: &str, created: u64, model: &str, status: &str, output: &[Value]) -> Value {
    let usage = if status == "completed" {
        let out: usize = output.iter().map(|o| tokens(&o.to_string())).sum();
        json!({
            "input_tokens": 36,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": out,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 36 + out
        })
    } else {
        Value::Null
    };
    json!({
        "id": id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "store": false,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
        "metadata": {}
    })
}

/// A complete `response` object, status `completed`.
pub fn response(model: &str, items: &[Item]) -> Value {
    let output: Vec<Value> = items.iter().map(output_item).collect();
    response_object(&new_id("resp_"), unix_now(), model, "completed", &output)
}

/// Numbers the events of one Responses stream.
struct Events {
    seq: u64,
    out: Vec<String>,
}

impl Events {
    /// `{"type": NAME, "sequence_number": N, ...fields}`.
    fn emit(&mut self, name: &str, fields: Value) {
        let mut data = Map::new();
        data.insert("type".into(), name.into());
        data.insert("sequence_number".into(), self.seq.into());
        if let Value::Object(fields) = fields {
            data.extend(fields);
        }
        self.out.push(sse_event(name, &Value::Object(data)));
        self.seq += 1;
    }
}

/// The same response as a Responses event stream (no `[DONE]`: it ends with
/// `response.completed`).
pub fn response_stream(model: &str, items: &[Item]) -> Vec<String> {
    let (id, created) = (new_id("resp_"), unix_now());
    let mut ev = Events {
        seq: 0,
        out: Vec::new(),
    };
    let start = response_object(&id, created, model, "in_progress", &[]);
    ev.emit("response.created", json!({"response": start}));
    ev.emit("response.in_progress", json!({"response": start}));
    let mut output = Vec::new();
    for (oi, item) in items.iter().enumerate() {
        let full = output_item(item);
        let item_id = full["id"].clone();
        let mut added = full.clone();
        if added.get("status").is_some() {
            added["status"] = "in_progress".into();
        }
        match item {
            Item::Message(text) => {
                added["content"] = json!([]);
                ev.emit(
                    "response.output_item.added",
                    json!({"output_index": oi, "item": added}),
                );
                let at = json!({"item_id": item_id, "output_index": oi, "content_index": 0});
                let with = |extra: Value| merge(&at, extra);
                ev.emit(
                    "response.content_part.added",
                    with(json!({"part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}})),
                );
                for p in pieces(text, 6) {
                    ev.emit(
                        "response.output_text.delta",
                        with(json!({"delta": p, "logprobs": []})),
                    );
                }
                ev.emit(
                    "response.output_text.done",
                    with(json!({"text": text, "logprobs": []})),
                );
                ev.emit(
                    "response.content_part.done",
                    with(json!({"part": full["content"][0]})),
                );
            }
            Item::FunctionCall { arguments, .. } => {
                added["arguments"] = "".into();
                ev.emit(
                    "response.output_item.added",
                    json!({"output_index": oi, "item": added}),
                );
                for p in pieces(arguments, 7) {
                    ev.emit(
                        "response.function_call_arguments.delta",
                        json!({"item_id": item_id, "output_index": oi, "delta": p}),
                    );
                }
                ev.emit(
                    "response.function_call_arguments.done",
                    json!({"item_id": item_id, "output_index": oi, "arguments": arguments}),
                );
            }
            Item::CustomToolCall { input, .. } => {
                added["input"] = "".into();
                ev.emit(
                    "response.output_item.added",
                    json!({"output_index": oi, "item": added}),
                );
                for p in pieces(input, 7) {
                    ev.emit(
                        "response.custom_tool_call_input.delta",
                        json!({"item_id": item_id, "output_index": oi, "delta": p}),
                    );
                }
                ev.emit(
                    "response.custom_tool_call_input.done",
                    json!({"item_id": item_id, "output_index": oi, "input": input}),
                );
            }
            Item::Reasoning { summary, .. } => {
                added["summary"] = json!([]);
                ev.emit(
                    "response.output_item.added",
                    json!({"output_index": oi, "item": added}),
                );
                if let Some(text) = summary {
                    let at = json!({"item_id": item_id, "output_index": oi, "summary_index": 0});
                    let with = |extra: Value| merge(&at, extra);
                    ev.emit(
                        "response.reasoning_summary_part.added",
                        with(json!({"part": {"type": "summary_text", "text": ""}})),
                    );
                    for p in pieces(text, 8) {
                        ev.emit(
                            "response.reasoning_summary_text.delta",
                            with(json!({"delta": p})),
                        );
                    }
                    ev.emit(
                        "response.reasoning_summary_text.done",
                        with(json!({"text": text})),
                    );
                    ev.emit(
                        "response.reasoning_summary_part.done",
                        with(json!({"part": {"type": "summary_text", "text": text}})),
                    );
                }
            }
        }
        ev.emit(
            "response.output_item.done",
            json!({"output_index": oi, "item": full}),
        );
        output.push(full);
    }
    let done = response_object(&id, created, model, "completed", &output);
    ev.emit("response.completed", json!({"response": done}));
    ev.out
}

/// `base`'s fields followed by `extra`'s.
fn merge(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    out
}

/// The `POST /v1/responses/compact` answer: the user messages of `input`, then one `compaction`
/// item, in a `response.compaction` object.
pub fn compaction(input: &[Value]) -> Value {
    let mut output: Vec<Value> = input
        .iter()
        .filter(|i| i["role"] == "user")
        .cloned()
        .collect();
    let summary = Value::Array(input.to_vec()).to_string();
    output.push(json!({
        "id": new_id("cmp_"),
        "type": "compaction",
        "encrypted_content": hex::encode(&summary)
    }));
    json!({
        "id": new_id("resp_compact_"),
        "object": "response.compaction",
        "created_at": unix_now(),
        "output": output,
        "usage": {
            "input_tokens": tokens(&summary),
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 12,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": tokens(&summary) + 12
        }
    })
}
