//! Provider-signed content, remembered so it goes back byte-exact. The client is shown thinking
//! text (and reasoning summaries) with the real names; when it sends the block back in a later
//! turn, its signature must still verify, so pretense swaps in the exact text the provider wrote,
//! found by signature (Anthropic) or item id (OpenAI reasoning). In memory only, bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use super::walk::SignedStore;

/// Enough for thousands of long thinking blocks; older ones are forgotten first. A forgotten block
/// is rewritten like any text, which reproduces the provider's bytes whenever renaming does.
const MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
struct Inner {
    thinking: HashMap<String, String>,
    reasoning: HashMap<String, Value>,
    order: VecDeque<(bool, String, usize)>,
    bytes: usize,
}

/// The memory (shared by all requests of the daemon).
#[derive(Default)]
pub struct SignedMemory {
    inner: Mutex<Inner>,
}

impl SignedMemory {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn evict(inner: &mut Inner) {
        while inner.bytes > MAX_BYTES {
            let Some((thinking, key, size)) = inner.order.pop_front() else {
                break;
            };
            if thinking {
                inner.thinking.remove(&key);
            } else {
                inner.reasoning.remove(&key);
            }
            inner.bytes -= size;
        }
    }

    /// Remembers the provider's thinking text under its signature.
    pub fn remember_thinking(&self, signature: &str, text: &str) {
        if signature.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let size = signature.len() + text.len();
        if inner
            .thinking
            .insert(signature.to_string(), text.to_string())
            .is_none()
        {
            inner.order.push_back((true, signature.to_string(), size));
            inner.bytes += size;
            Self::evict(&mut inner);
        }
    }

    /// Remembers every reasoning item among `items` (Responses output items).
    pub fn remember_reasoning_items<'a>(&self, items: impl IntoIterator<Item = &'a Value>) {
        for it in items {
            if it.get("type").and_then(Value::as_str) == Some("reasoning")
                && let Some(id) = it.get("id").and_then(Value::as_str)
            {
                self.remember_reasoning(id, it);
            }
        }
    }

    /// Remembers a reasoning item (as the provider sent it) under its id.
    pub fn remember_reasoning(&self, id: &str, item: &Value) {
        if id.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let size = id.len() + item.to_string().len();
        if inner
            .reasoning
            .insert(id.to_string(), item.clone())
            .is_none()
        {
            inner.order.push_back((false, id.to_string(), size));
            inner.bytes += size;
            Self::evict(&mut inner);
        }
    }
}

impl SignedStore for SignedMemory {
    fn thinking(&self, signature: &str) -> Option<String> {
        self.lock().thinking.get(signature).cloned()
    }
    fn reasoning(&self, id: &str) -> Option<Value> {
        self.lock().reasoning.get(id).cloned()
    }
}
