//! The fake's default behaviour, an "echo model": it answers each API with the text of the last
//! user message, in that API's format (streamed when the request asks), and checks thinking
//! signatures on Anthropic requests the way the real API does.

use std::time::Duration;

use serde_json::{Value, json};

use super::anthropic::{self, Block};
use super::openai::{self, Item};
use super::{Chunking, Received, Reply};

/// A 400 for the first `thinking` block whose signature is not [`anthropic::sign`] of its text,
/// or `redacted_thinking` block whose data was never issued (Anthropic message requests only).
pub(super) fn check_thinking(r: &Received) -> Option<Reply> {
    if r.method != "POST" || !matches!(r.route(), "/v1/messages" | "/v1/messages/count_tokens") {
        return None;
    }
    let messages = r.json.as_ref()?.get("messages")?.as_array()?;
    for (i, m) in messages.iter().enumerate() {
        let Some(blocks) = m.get("content").and_then(Value::as_array) else {
            continue;
        };
        for (j, b) in blocks.iter().enumerate() {
            let problem = match b["type"].as_str() {
                Some("thinking") => match (b["thinking"].as_str(), b["signature"].as_str()) {
                    (Some(t), Some(s)) if s == anthropic::sign(t) => continue,
                    _ => "Invalid `signature` in `thinking` block",
                },
                Some("redacted_thinking") => match b["data"].as_str() {
                    Some(d) if anthropic::was_issued(d) => continue,
                    _ => "Invalid `data` in `redacted_thinking` block",
                },
                _ => continue,
            };
            let message = format!("messages.{i}.content.{j}: {problem}");
            return Some(anthropic::error(400, "invalid_request_error", &message));
        }
    }
    None
}

fn sse(events: Vec<String>) -> Reply {
    Reply::Sse {
        status: 200,
        headers: Vec::new(),
        events,
        chunking: Chunking::Whole,
        gap: Duration::ZERO,
    }
}

/// The echo model's answer to `r`.
pub(super) fn reply(r: &Received) -> Reply {
    let anthropic_style =
        r.header("anthropic-version").is_some() || r.route().starts_with("/v1/messages");
    let bad_json = |what: &str| {
        let message = format!("{what}: the request body is not valid JSON");
        if anthropic_style {
            anthropic::error(400, "invalid_request_error", &message)
        } else {
            openai::error(400, "invalid_request_error", &message)
        }
    };
    let json = r.json.as_ref();
    let stream = json.is_some_and(|j| j["stream"] == true);
    let model = |default: &str| {
        json.and_then(|j| j["model"].as_str())
            .unwrap_or(default)
            .to_owned()
    };
    match (r.method.as_str(), r.route()) {
        ("GET", "/v1/models") if anthropic_style => Reply::json(anthropic::models()),
        ("GET", "/v1/models") => Reply::json(openai::models()),
        ("POST", "/v1/messages/count_tokens") => match json {
            Some(_) => Reply::json(json!({"input_tokens": r.body.len() / 4})),
            None => bad_json("count_tokens"),
        },
        ("POST", "/v1/messages") => {
            let Some(j) = json else {
                return bad_json("messages");
            };
            let text = last_user(&j["messages"], |m| m["role"] == "user")
                .map(anthropic_text)
                .unwrap_or_default();
            let (model, blocks) = (model("claude-sonnet-4-5-20250929"), [Block::Text(text)]);
            if stream {
                sse(anthropic::stream(&model, &blocks))
            } else {
                Reply::json(anthropic::message(&model, &blocks))
            }
        }
        ("POST", "/v1/chat/completions") => {
            let Some(j) = json else {
                return bad_json("chat");
            };
            let text = last_user(&j["messages"], |m| m["role"] == "user")
                .map(openai_text)
                .unwrap_or_default();
            let model = model("gpt-4o-mini");
            if stream {
                let usage = j["stream_options"]["include_usage"] == true;
                sse(openai::chat_stream(&model, Some(&text), &[], usage))
            } else {
                Reply::json(openai::chat(&model, Some(&text), &[]))
            }
        }
        ("POST", "/v1/responses") => {
            let Some(j) = json else {
                return bad_json("responses");
            };
            let text = match &j["input"] {
                Value::String(s) => s.clone(),
                items => last_user(items, |i| i["role"] == "user")
                    .map(openai_text)
                    .unwrap_or_default(),
            };
            let (model, items) = (model("gpt-5"), [Item::Message(text)]);
            if stream {
                sse(openai::response_stream(&model, &items))
            } else {
                Reply::json(openai::response(&model, &items))
            }
        }
        ("POST", "/v1/responses/compact") => {
            let Some(j) = json else {
                return bad_json("compact");
            };
            let input = match &j["input"] {
                Value::String(s) => vec![json!({"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": s}]})],
                Value::Array(items) => items.clone(),
                _ => Vec::new(),
            };
            Reply::json(openai::compaction(&input))
        }
        (method, path) => {
            let message = format!("no route for {method} {path} in the fake upstream");
            if anthropic_style {
                anthropic::error(404, "not_found_error", &message)
            } else {
                openai::error(404, "invalid_request_error", &message)
            }
        }
    }
}

/// The content of the last element of `list` that `is_user`.
fn last_user(list: &Value, is_user: impl Fn(&Value) -> bool) -> Option<&Value> {
    list.as_array()?
        .iter()
        .rev()
        .find(|m| is_user(m))
        .map(|m| &m["content"])
}

/// Anthropic content: a string, or `text` blocks and `tool_result` contents, concatenated.
fn anthropic_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| match b["type"].as_str() {
                Some("text") => b["text"].as_str().unwrap_or_default().to_owned(),
                Some("tool_result") => anthropic_text(&b["content"]),
                _ => String::new(),
            })
            .collect(),
        _ => String::new(),
    }
}

/// OpenAI content: a string, or its `text` / `input_text` parts, concatenated.
fn openai_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|p| matches!(p["type"].as_str(), Some("text" | "input_text")))
            .filter_map(|p| p["text"].as_str())
            .collect(),
        _ => String::new(),
    }
}
