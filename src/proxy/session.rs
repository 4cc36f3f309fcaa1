//! Which conversation a request belongs to. The client may name it (`x-pretense-session`);
//! otherwise it is derived (keyed hash) from the words the conversation opened with — only the
//! texts, so markers that move from turn to turn (`cache_control`) do not split it — and a
//! Responses turn that continues a stored response (`previous_response_id`) takes that
//! response's session.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use hyper::HeaderMap;
use serde_json::Value;
use twox_hash::XxHash3_128;

use super::walk::Api;
use crate::mutate::Engine;

/// Response ids remembered; the oldest are forgotten first.
const MAX_RESPONSES: usize = 100_000;

#[derive(Default)]
struct Inner {
    by_response: HashMap<String, String>,
    order: VecDeque<String>,
}

/// The daemon's memory of response ids → sessions.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that the Responses answer `response_id` belongs to `session`.
    pub fn remember_response(&self, response_id: &str, session: &str) {
        if response_id.is_empty() {
            return;
        }
        let mut inner = self.lock();
        if inner
            .by_response
            .insert(response_id.to_string(), session.to_string())
            .is_none()
        {
            inner.order.push_back(response_id.to_string());
            if inner.order.len() > MAX_RESPONSES
                && let Some(old) = inner.order.pop_front()
            {
                inner.by_response.remove(&old);
            }
        }
    }

    /// The session of a request.
    pub fn of(&self, engine: &Engine, headers: &HeaderMap, api: Api, body: &Value) -> String {
        if let Some(s) = headers
            .get("x-pretense-session")
            .and_then(|v| v.to_str().ok())
            && !s.is_empty()
        {
            return s.to_string();
        }
        if api == Api::OpenAiResponses
            && let Some(prev) = body.get("previous_response_id").and_then(Value::as_str)
            && let Some(s) = self.lock().by_response.get(prev)
        {
            return s.clone();
        }
        engine.key().session(&opening(api, body))
    }
}

/// A digest of the texts a conversation opened with: its system prompt and first user message.
/// The first message can be a whole file, read again on every turn: XXH3 reads it fast, and the
/// keyed MAC then runs over 16 bytes only.
fn opening(api: Api, body: &Value) -> [u8; 16] {
    let mut out = XxHash3_128::new();
    let system = match api {
        Api::Anthropic => body.get("system"),
        Api::OpenAiChat => None,
        Api::OpenAiResponses => body.get("instructions"),
    };
    if let Some(s) = system {
        texts(s, &mut out);
    }
    let list = match api {
        Api::OpenAiResponses => body.get("input"),
        _ => body.get("messages"),
    };
    match list {
        Some(Value::Array(items)) => {
            if api == Api::OpenAiChat {
                for m in items.iter().take_while(|m| {
                    matches!(
                        m.get("role").and_then(Value::as_str),
                        Some("system" | "developer")
                    )
                }) {
                    texts(m, &mut out);
                }
            }
            if let Some(u) = items
                .iter()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            {
                texts(u, &mut out);
            }
        }
        Some(other) => texts(other, &mut out),
        None => {}
    }
    out.finish_128().to_le_bytes()
}

/// Every string under `v` except object keys and cache markers, each followed by a separator.
fn texts(v: &Value, out: &mut XxHash3_128) {
    match v {
        Value::String(s) => {
            out.write(s.as_bytes());
            out.write(b"\x1f");
        }
        Value::Array(items) => items.iter().for_each(|i| texts(i, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| *k != "cache_control")
            .for_each(|(_, i)| texts(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moving_cache_markers_do_not_change_the_opening() {
        let first = json!({"system": "Be terse.", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}]}
        ]});
        let later = json!({"system": "Be terse.", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hello"}]},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": [{"type": "text", "text": "more", "cache_control": {"type": "ephemeral"}}]}
        ]});
        let other = json!({"system": "Be terse.", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "goodbye"}]}
        ]});
        assert_eq!(
            opening(Api::Anthropic, &first),
            opening(Api::Anthropic, &later)
        );
        assert_ne!(
            opening(Api::Anthropic, &first),
            opening(Api::Anthropic, &other)
        );
    }
}
