//! Anthropic Messages API wire format: full messages, event streams (`message_start`,
//! `content_block_start` / `content_block_delta` / `content_block_stop`, `ping`, `message_delta`,
//! `message_stop`), errors, the model list, and thinking signatures that the fake can verify.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::{Reply, lock, new_id, pieces, sse_event, tokens};

/// One content block of an assistant message.
#[derive(Clone, Debug)]
pub enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// Signed with [`sign`].
    Thinking {
        thinking: String,
    },
    /// Its `data` is remembered as issued; the fake rejects `redacted_thinking` it never issued.
    RedactedThinking {
        data: String,
    },
}

const SIGNING_KEY: &[u8] = b"pretense fake upstream: thinking signature key";

/// Every `redacted_thinking` payload the builders handed out (process-wide).
static ISSUED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The signature of a thinking text: hex HMAC-SHA256 with a fixed test key.
pub fn sign(thinking: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(SIGNING_KEY).expect("HMAC takes any key");
    mac.update(thinking.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a builder issued this `redacted_thinking` data.
pub fn was_issued(data: &str) -> bool {
    lock(&ISSUED).contains(data)
}

fn issue(data: &str) {
    lock(&ISSUED).insert(data.to_owned());
}

fn full_block(block: &Block) -> Value {
    match block {
        Block::Text(text) => json!({"type": "text", "text": text}),
        Block::ToolUse { id, name, input } => {
            json!({"type": "tool_use", "id": id, "name": name, "input": input})
        }
        Block::Thinking { thinking } => {
            json!({"type": "thinking", "thinking": thinking, "signature": sign(thinking)})
        }
        Block::RedactedThinking { data } => {
            issue(data);
            json!({"type": "redacted_thinking", "data": data})
        }
    }
}

fn stop_reason(blocks: &[Block]) -> &'static str {
    if blocks.iter().any(|b| matches!(b, Block::ToolUse { .. })) {
        "tool_use"
    } else {
        "end_turn"
    }
}

fn output_tokens(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| tokens(&full_block(b).to_string()))
        .sum()
}

const INPUT_TOKENS: usize = 25;

/// A complete non-streaming Messages response.
pub fn message(model: &str, blocks: &[Block]) -> Value {
    let content: Vec<Value> = blocks.iter().map(full_block).collect();
    json!({
        "id": new_id("msg_01"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(blocks),
        "stop_sequence": null,
        "usage": {
            "input_tokens": INPUT_TOKENS,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens(blocks),
            "service_tier": "standard"
        }
    })
}

/// The same message as an event stream: text in deltas of a few characters, tool input as
/// `input_json_delta` pieces (the first one empty, as the API sends), thinking as
/// `thinking_delta` pieces then one `signature_delta`; a `ping` after the first block start.
pub fn stream(model: &str, blocks: &[Block]) -> Vec<String> {
    let mut events = vec![sse_event(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": new_id("msg_01"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {
                "input_tokens": INPUT_TOKENS,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 1,
                "service_tier": "standard"
            }
        }}),
    )];
    let ping = || sse_event("ping", &json!({"type": "ping"}));
    for (index, block) in blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match block {
            Block::Text(text) => (
                json!({"type": "text", "text": ""}),
                pieces(text, 6)
                    .into_iter()
                    .map(|p| json!({"type": "text_delta", "text": p}))
                    .collect(),
            ),
            Block::ToolUse { id, name, input } => (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                std::iter::once(String::new())
                    .chain(pieces(&input.to_string(), 7))
                    .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                    .collect(),
            ),
            Block::Thinking { thinking } => (
                json!({"type": "thinking", "thinking": "", "signature": ""}),
                pieces(thinking, 8)
                    .into_iter()
                    .map(|p| json!({"type": "thinking_delta", "thinking": p}))
                    .chain([json!({"type": "signature_delta", "signature": sign(thinking)})])
                    .collect(),
            ),
            Block::RedactedThinking { .. } => (full_block(block), Vec::new()),
        };
        events.push(sse_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        if index == 0 {
            events.push(ping());
        }
        for delta in deltas {
            events.push(sse_event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
        events.push(sse_event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    if blocks.is_empty() {
        events.push(ping());
    }
    events.push(sse_event(
        "message_delta",
        &json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(blocks), "stop_sequence": null},
            "usage": {"output_tokens": output_tokens(blocks)}
        }),
    ));
    events.push(sse_event("message_stop", &json!({"type": "message_stop"})));
    events
}

/// An API error: `{"type":"error","error":{"type":KIND,"message":...},"request_id":...}`.
pub fn error(status: u16, kind: &str, message: &str) -> Reply {
    Reply::Json {
        status,
        headers: Vec::new(),
        body: json!({
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": new_id("req_011")
        }),
    }
}

/// The `GET /v1/models` list.
pub fn models() -> Value {
    let models = [
        (
            "claude-sonnet-4-5-20250929",
            "Claude Sonnet 4.5",
            "2025-09-29T00:00:00Z",
        ),
        (
            "claude-opus-4-1-20250805",
            "Claude Opus 4.1",
            "2025-08-05T00:00:00Z",
        ),
        (
            "claude-haiku-4-5-20251001",
            "Claude Haiku 4.5",
            "2025-10-01T00:00:00Z",
        ),
    ];
    let data: Vec<Value> = models
        .iter()
        .map(|(id, name, created)| {
            json!({"type": "model", "id": id, "display_name": name, "created_at": created})
        })
        .collect();
    json!({
        "data": data,
        "has_more": false,
        "first_id": models[0].0,
        "last_id": models[models.len() - 1].0
    })
}
