//! Restoring streamed answers event by event. Each content block (Anthropic) or choice field and
//! tool call (OpenAI) gets its own streaming [`Restorer`], so a name split across events comes out
//! whole, tool-call JSON stays parseable (restored values are JSON-escaped), and nothing waits for
//! more than the few bytes that could still begin a replacement. Held bytes come out at the end of
//! their block: in a delta event of the block's own type, just before the block closes.
//!
//! Events pretense does not change are forwarded byte for byte; framing, order, pings, usage and
//! the terminal events are preserved.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::session::Sessions;
use super::signed::SignedMemory;
use super::sse::{self, Event};
use super::walk::restore_value;
use crate::mutate::restore::{Escape, Layers, Restorer};

/// A stream transformation: events in, bytes out.
pub trait Transform: Send {
    fn event(&mut self, ev: Event, out: &mut Vec<u8>);
    /// The upstream ended (cleanly or not): flush whatever is held.
    fn finish(&mut self, out: &mut Vec<u8>);
}

type R = Restorer<Arc<Layers>>;

/// An event's JSON data and its `type`; `None` for events without JSON (forwarded as they are).
fn event_json(ev: &Event) -> Option<(Value, String)> {
    let data: Value = serde_json::from_str(ev.data.as_deref()?).ok()?;
    let ty = data
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Some((data, ty))
}

/// Restores every string of a JSON value with a one-shot restorer.
pub fn restore_json(lookup: &Arc<Layers>, v: &mut Value) -> bool {
    let mut changed = false;
    restore_value(v, &mut |s: &mut String, json_text: bool| {
        if s.is_empty() {
            return;
        }
        let escape = if json_text {
            Escape::Json
        } else {
            Escape::None
        };
        let mut r = Restorer::new(lookup.clone(), escape);
        let out = r.restore_all(s);
        if out != *s {
            *s = out;
            changed = true;
        }
    });
    changed
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Json,
    Thinking,
    Other,
}

impl Kind {
    fn delta(self) -> Option<(&'static str, &'static str)> {
        match self {
            Kind::Text => Some(("text_delta", "text")),
            Kind::Json => Some(("input_json_delta", "partial_json")),
            Kind::Thinking => Some(("thinking_delta", "thinking")),
            Kind::Other => None,
        }
    }
}

struct Block {
    kind: Kind,
    restorer: R,
    /// The provider's own thinking text, remembered under the block's signature.
    provider_thinking: String,
}

/// Anthropic Messages streams.
pub struct AnthropicStream {
    lookup: Arc<Layers>,
    signed: Arc<SignedMemory>,
    blocks: BTreeMap<u64, Block>,
    last: Option<Event>,
}

impl AnthropicStream {
    pub fn new(lookup: Arc<Layers>, signed: Arc<SignedMemory>) -> Self {
        AnthropicStream {
            lookup,
            signed,
            blocks: BTreeMap::new(),
            last: None,
        }
    }

    fn flush_block(&mut self, index: u64, out: &mut Vec<u8>) {
        let Some(block) = self.blocks.get_mut(&index) else {
            return;
        };
        let held = block.restorer.finish();
        if held.is_empty() {
            return;
        }
        if let Some((ty, field)) = block.kind.delta() {
            let data = json!({"type": "content_block_delta", "index": index, "delta": {"type": ty, field: held}});
            out.extend(sse::build(
                self.last.as_ref(),
                Some("content_block_delta"),
                &data.to_string(),
            ));
        }
    }
}

impl Transform for AnthropicStream {
    fn event(&mut self, ev: Event, out: &mut Vec<u8>) {
        let Some((mut data, ty)) = event_json(&ev) else {
            out.extend_from_slice(&ev.raw);
            return;
        };
        let index = data.get("index").and_then(Value::as_u64);
        match (ty.as_str(), index) {
            ("content_block_start", Some(i)) => {
                let block_ty = data
                    .pointer("/content_block/type")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let kind = match block_ty {
                    "text" => Kind::Text,
                    "tool_use" | "server_tool_use" | "mcp_tool_use" => Kind::Json,
                    "thinking" => Kind::Thinking,
                    _ => Kind::Other,
                };
                let escape = if kind == Kind::Json {
                    Escape::Json
                } else {
                    Escape::None
                };
                let provider_thinking = data
                    .pointer("/content_block/thinking")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                self.blocks.insert(
                    i,
                    Block {
                        kind,
                        restorer: Restorer::new(self.lookup.clone(), escape),
                        provider_thinking,
                    },
                );
                let changed = data
                    .get_mut("content_block")
                    .is_some_and(|b| restore_json(&self.lookup, b));
                emit(&ev, &data, changed, out);
            }
            ("content_block_delta", Some(i)) => {
                let delta_ty = data
                    .pointer("/delta/type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if delta_ty == "signature_delta" {
                    // The thinking text is complete: flush it before the signature, and remember
                    // the provider's bytes under the signature for the next turn.
                    self.flush_block(i, out);
                    if let (Some(block), Some(sig)) = (
                        self.blocks.get(&i),
                        data.pointer("/delta/signature").and_then(Value::as_str),
                    ) {
                        self.signed.remember_thinking(sig, &block.provider_thinking);
                    }
                    out.extend_from_slice(&ev.raw);
                    self.last = Some(ev);
                    return;
                }
                let field = match delta_ty.as_str() {
                    "text_delta" => "text",
                    "input_json_delta" => "partial_json",
                    "thinking_delta" => "thinking",
                    _ => {
                        let changed = data
                            .get_mut("delta")
                            .is_some_and(|d| restore_json(&self.lookup, d));
                        emit(&ev, &data, changed, out);
                        self.last = Some(ev);
                        return;
                    }
                };
                let Some(block) = self.blocks.get_mut(&i) else {
                    out.extend_from_slice(&ev.raw);
                    return;
                };
                // A block type this proxy does not know yet takes its kind from its deltas, so
                // its held bytes are flushed in the right delta and JSON is escaped as JSON.
                if block.kind == Kind::Other {
                    let (kind, escape) = match field {
                        "partial_json" => (Kind::Json, Escape::Json),
                        "thinking" => (Kind::Thinking, Escape::None),
                        _ => (Kind::Text, Escape::None),
                    };
                    block.kind = kind;
                    block.restorer = Restorer::new(self.lookup.clone(), escape);
                }
                let piece = data
                    .pointer(&format!("/delta/{field}"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if field == "thinking" {
                    block.provider_thinking.push_str(&piece);
                }
                let restored = block.restorer.push(&piece);
                if restored == piece {
                    out.extend_from_slice(&ev.raw);
                } else if !restored.is_empty() {
                    data["delta"][field] = Value::String(restored);
                    out.extend(ev.with_data(&data.to_string()));
                }
                // Empty: everything is held back for now; the event is dropped, its text follows.
                self.last = Some(ev);
            }
            ("content_block_stop", Some(i)) => {
                self.flush_block(i, out);
                self.blocks.remove(&i);
                out.extend_from_slice(&ev.raw);
            }
            ("message_stop", _) => {
                let open: Vec<u64> = self.blocks.keys().copied().collect();
                for i in open {
                    self.flush_block(i, out);
                }
                self.blocks.clear();
                out.extend_from_slice(&ev.raw);
            }
            ("ping", _) => out.extend_from_slice(&ev.raw),
            _ => {
                let changed = restore_json(&self.lookup, &mut data);
                emit(&ev, &data, changed, out);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        let open: Vec<u64> = self.blocks.keys().copied().collect();
        for i in open {
            self.flush_block(i, out);
        }
        self.blocks.clear();
    }
}

fn emit(ev: &Event, data: &Value, changed: bool, out: &mut Vec<u8>) {
    if changed {
        out.extend(ev.with_data(&data.to_string()));
    } else {
        out.extend_from_slice(&ev.raw);
    }
}

/// Which streamed field of an OpenAI choice a restorer serves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ChatField {
    Content,
    Reasoning(&'static str),
    Refusal,
    ToolArguments(u64),
    /// A custom (free-form) tool call's input, such as an apply_patch patch.
    ToolInput(u64),
}

/// OpenAI Chat Completions streams (also Anthropic's and local models' OpenAI-compatible ones).
pub struct ChatStream {
    lookup: Arc<Layers>,
    restorers: BTreeMap<(u64, ChatField), R>,
    last: Option<(Event, Value)>,
}

impl ChatStream {
    pub fn new(lookup: Arc<Layers>) -> Self {
        ChatStream {
            lookup,
            restorers: BTreeMap::new(),
            last: None,
        }
    }

    fn restorer(&mut self, choice: u64, field: ChatField) -> &mut R {
        let escape = if matches!(field, ChatField::ToolArguments(_)) {
            Escape::Json
        } else {
            Escape::None
        };
        let lookup = self.lookup.clone();
        self.restorers
            .entry((choice, field))
            .or_insert_with(|| Restorer::new(lookup, escape))
    }

    /// Flushes a choice's restorers into its `delta` (the finish chunk carries the tail).
    fn flush_into(&mut self, choice: u64, delta: &mut serde_json::Map<String, Value>) -> bool {
        let keys: Vec<(u64, ChatField)> = self
            .restorers
            .keys()
            .filter(|k| k.0 == choice)
            .cloned()
            .collect();
        let mut changed = false;
        for key in keys {
            let Some(mut r) = self.restorers.remove(&key) else {
                continue;
            };
            let held = r.finish();
            if held.is_empty() {
                continue;
            }
            changed = true;
            match key.1 {
                ChatField::Content => append(delta, "content", &held),
                ChatField::Reasoning(name) => append(delta, name, &held),
                ChatField::Refusal => append(delta, "refusal", &held),
                ChatField::ToolInput(ti) => append_tool(delta, ti, "custom", "input", &held),
                ChatField::ToolArguments(ti) => {
                    append_tool(delta, ti, "function", "arguments", &held)
                }
            }
        }
        changed
    }
}

/// Appends `tail` to `tool_calls[index = ti].<object>.<field>` of `delta`, adding the call.
fn append_tool(
    delta: &mut serde_json::Map<String, Value>,
    ti: u64,
    object: &str,
    field: &str,
    tail: &str,
) {
    let calls = delta.entry("tool_calls").or_insert_with(|| json!([]));
    let Value::Array(calls) = calls else {
        return;
    };
    match calls
        .iter_mut()
        .find(|c| c.get("index").and_then(Value::as_u64) == Some(ti))
    {
        Some(c) => {
            let prev = c
                .get(object)
                .and_then(|o| o.get(field))
                .and_then(Value::as_str)
                .unwrap_or("");
            c[object][field] = Value::String(format!("{prev}{tail}"));
        }
        None => {
            let mut inner = serde_json::Map::new();
            inner.insert(field.to_string(), Value::String(tail.to_string()));
            let mut call = serde_json::Map::new();
            call.insert("index".into(), Value::from(ti));
            call.insert(object.to_string(), Value::Object(inner));
            calls.push(Value::Object(call));
        }
    }
}

fn append(delta: &mut serde_json::Map<String, Value>, field: &str, tail: &str) {
    let prev = delta
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    delta.insert(field.to_string(), Value::String(prev + tail));
}

impl Transform for ChatStream {
    fn event(&mut self, ev: Event, out: &mut Vec<u8>) {
        let Some(d) = ev.data.as_deref() else {
            out.extend_from_slice(&ev.raw);
            return;
        };
        if d.trim() == "[DONE]" {
            self.finish(out);
            out.extend_from_slice(&ev.raw);
            return;
        }
        let Ok(mut data) = serde_json::from_str::<Value>(d) else {
            out.extend_from_slice(&ev.raw);
            return;
        };
        let mut changed = false;
        let choices = data
            .get_mut("choices")
            .and_then(Value::as_array_mut)
            .map(std::mem::take);
        if let Some(mut choices) = choices {
            for c in choices.iter_mut() {
                let ci = c.get("index").and_then(Value::as_u64).unwrap_or(0);
                let finished = c.get("finish_reason").is_some_and(|f| !f.is_null());
                if let Some(Value::Object(delta)) = c.get_mut("delta") {
                    for (name, field) in [
                        ("content", ChatField::Content),
                        (
                            "reasoning_content",
                            ChatField::Reasoning("reasoning_content"),
                        ),
                        ("reasoning", ChatField::Reasoning("reasoning")),
                        ("refusal", ChatField::Refusal),
                    ] {
                        if let Some(Value::String(s)) = delta.get_mut(name) {
                            let restored = self.restorer(ci, field).push(s);
                            if restored != *s {
                                *s = restored;
                                changed = true;
                            }
                        }
                    }
                    if let Some(Value::Array(calls)) = delta.get_mut("tool_calls") {
                        for call in calls.iter_mut() {
                            let ti = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                            if let Some(name) = call.pointer_mut("/function/name") {
                                changed |= restore_json(&self.lookup, name);
                            }
                            if let Some(Value::String(args)) =
                                call.pointer_mut("/function/arguments")
                            {
                                let restored =
                                    self.restorer(ci, ChatField::ToolArguments(ti)).push(args);
                                if restored != *args {
                                    *args = restored;
                                    changed = true;
                                }
                            }
                            if let Some(name) = call.pointer_mut("/custom/name") {
                                changed |= restore_json(&self.lookup, name);
                            }
                            if let Some(Value::String(input)) = call.pointer_mut("/custom/input") {
                                let restored =
                                    self.restorer(ci, ChatField::ToolInput(ti)).push(input);
                                if restored != *input {
                                    *input = restored;
                                    changed = true;
                                }
                            }
                        }
                    }
                    if finished {
                        changed |= self.flush_into(ci, delta);
                    }
                } else if finished {
                    let mut delta = serde_json::Map::new();
                    if self.flush_into(ci, &mut delta) {
                        c["delta"] = Value::Object(delta);
                        changed = true;
                    }
                }
                if let Some(m) = c.get_mut("message") {
                    changed |= restore_json(&self.lookup, m);
                }
            }
            data["choices"] = Value::Array(choices);
        }
        emit(&ev, &data, changed, out);
        self.last = Some((ev, data));
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.restorers.is_empty() {
            return;
        }
        let choices: Vec<u64> = {
            let mut c: Vec<u64> = self.restorers.keys().map(|k| k.0).collect();
            c.dedup();
            c
        };
        let template = self
            .last
            .as_ref()
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| json!({}));
        for ci in choices {
            let mut delta = serde_json::Map::new();
            if !self.flush_into(ci, &mut delta) {
                continue;
            }
            let mut chunk = json!({
                "id": template.get("id").cloned().unwrap_or(Value::Null),
                "object": template.get("object").cloned().unwrap_or_else(|| json!("chat.completion.chunk")),
                "created": template.get("created").cloned().unwrap_or(Value::Null),
                "model": template.get("model").cloned().unwrap_or(Value::Null),
                "choices": [{"index": ci, "delta": Value::Object(delta), "finish_reason": null}],
            });
            if let Some(obj) = chunk.as_object_mut() {
                obj.retain(|_, v| !v.is_null());
            }
            out.extend(sse::build(
                self.last.as_ref().map(|(e, _)| e),
                None,
                &chunk.to_string(),
            ));
        }
    }
}

/// OpenAI Responses streams (Codex, the newest SDKs). Deltas are restored per item and part; the
/// `.done` events that repeat the whole text are restored in one piece, after any held tail has
/// gone out as one more delta. Injected deltas shift later `sequence_number`s so they stay
/// strictly increasing.
pub struct ResponsesStream {
    lookup: Arc<Layers>,
    signed: Arc<SignedMemory>,
    /// Where to note the response id, so a `previous_response_id` turn keeps the session.
    session: Option<(Arc<Sessions>, String)>,
    restorers: BTreeMap<(String, u64, &'static str), R>,
    /// How many events pretense has injected so far.
    shift: u64,
    last: Option<Event>,
}

/// The streamed fields: (delta event, done event, field holding the delta, field holding the whole
/// text at done, restorer kind, JSON escaping).
const RESPONSES_FIELDS: &[(&str, &str, &str, &str, Escape)] = &[
    (
        "response.output_text.delta",
        "response.output_text.done",
        "delta",
        "text",
        Escape::None,
    ),
    (
        "response.refusal.delta",
        "response.refusal.done",
        "delta",
        "refusal",
        Escape::None,
    ),
    (
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "delta",
        "arguments",
        Escape::Json,
    ),
    (
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "delta",
        "input",
        Escape::None,
    ),
    (
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "delta",
        "text",
        Escape::None,
    ),
    (
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "delta",
        "text",
        Escape::None,
    ),
];

impl ResponsesStream {
    pub fn new(lookup: Arc<Layers>, signed: Arc<SignedMemory>) -> Self {
        ResponsesStream {
            lookup,
            signed,
            session: None,
            restorers: BTreeMap::new(),
            shift: 0,
            last: None,
        }
    }

    /// Notes the answer's response id as belonging to `session`.
    pub fn in_session(mut self, sessions: Arc<Sessions>, session: String) -> Self {
        self.session = Some((sessions, session));
        self
    }

    fn key(data: &Value, kind: &'static str) -> (String, u64, &'static str) {
        let item = data
            .get("item_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let part = data
            .get("content_index")
            .or_else(|| data.get("summary_index"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        (item, part, kind)
    }

    fn renumber(&self, data: &mut Value) -> bool {
        if self.shift == 0 {
            return false;
        }
        match data.get("sequence_number").and_then(Value::as_u64) {
            Some(n) => {
                data["sequence_number"] = Value::from(n + self.shift);
                true
            }
            None => false,
        }
    }

    fn remember(&self, v: &Value) {
        let output = v.pointer("/response/output").and_then(Value::as_array);
        self.signed.remember_reasoning_items(
            v.get("item")
                .into_iter()
                .chain(output.into_iter().flatten()),
        );
    }
}

impl Transform for ResponsesStream {
    fn event(&mut self, ev: Event, out: &mut Vec<u8>) {
        let Some((mut data, ty)) = event_json(&ev) else {
            out.extend_from_slice(&ev.raw);
            return;
        };
        if let Some(&(delta_ty, _, field, _, escape)) = RESPONSES_FIELDS.iter().find(|f| f.0 == ty)
        {
            let key = Self::key(&data, delta_ty);
            let lookup = self.lookup.clone();
            let r = self
                .restorers
                .entry(key)
                .or_insert_with(|| Restorer::new(lookup, escape));
            let piece = data
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let restored = r.push(&piece);
            let renumbered = self.renumber(&mut data);
            if restored == piece && !renumbered {
                out.extend_from_slice(&ev.raw);
            } else {
                data[field] = Value::String(restored);
                out.extend(ev.with_data(&data.to_string()));
            }
            self.last = Some(ev);
            return;
        }
        if let Some(&(delta_ty, _, field, _, _)) = RESPONSES_FIELDS.iter().find(|f| f.1 == ty) {
            // Flush the held tail as one more delta, numbered just before this event.
            let key = Self::key(&data, delta_ty);
            if let Some(mut r) = self.restorers.remove(&key) {
                let held = r.finish();
                if !held.is_empty() {
                    let mut delta = serde_json::Map::new();
                    delta.insert("type".into(), Value::String(delta_ty.into()));
                    for k in ["item_id", "output_index", "content_index", "summary_index"] {
                        if let Some(v) = data.get(k) {
                            delta.insert(k.into(), v.clone());
                        }
                    }
                    delta.insert(field.into(), Value::String(held));
                    if let Some(n) = data.get("sequence_number").and_then(Value::as_u64) {
                        delta.insert("sequence_number".into(), Value::from(n + self.shift));
                    }
                    self.shift += 1;
                    let name = ev.name.as_deref().map(|_| delta_ty);
                    out.extend(sse::build(
                        Some(&ev),
                        name,
                        &Value::Object(delta).to_string(),
                    ));
                }
            }
        }
        if ty == "response.created"
            && let Some((sessions, session)) = &self.session
            && let Some(id) = data.pointer("/response/id").and_then(Value::as_str)
        {
            sessions.remember_response(id, session);
        }
        if matches!(
            ty.as_str(),
            "response.output_item.done"
                | "response.completed"
                | "response.incomplete"
                | "response.failed"
        ) {
            self.remember(&data);
        }
        let renumbered = self.renumber(&mut data);
        let restored = restore_json(&self.lookup, &mut data);
        emit(&ev, &data, renumbered || restored, out);
        self.last = Some(ev);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        let keys: Vec<(String, u64, &'static str)> = self.restorers.keys().cloned().collect();
        for key in keys {
            let Some(mut r) = self.restorers.remove(&key) else {
                continue;
            };
            let held = r.finish();
            if held.is_empty() {
                continue;
            }
            let data = json!({"type": key.2, "item_id": key.0, "delta": held});
            let name = self
                .last
                .as_ref()
                .and_then(|e| e.name.as_ref())
                .map(|_| key.2);
            out.extend(sse::build(self.last.as_ref(), name, &data.to_string()));
        }
    }
}
