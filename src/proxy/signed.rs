//! Provider-signed content, remembered so it goes back byte-exact. The client is shown thinking
//! text (and reasoning summaries) with the real names; when it sends the block back in a later
//! turn, its signature must still verify, so pretense swaps in the exact text the provider wrote,
//! found by signature (Anthropic) or by item id or encrypted content (OpenAI reasoning). Held in
//! memory (bounded) and in the vault database, so that a conversation still verifies after the
//! daemon restarts. What is stored is the provider's own text, written from the rewritten prompt:
//! replacement names and placeholders, never a secret value pretense took out (the provider never
//! saw it).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::walk::SignedStore;
use crate::batch::BatchWriter;
use crate::mutate::vault::Vault;

/// Enough for thousands of long thinking blocks; older ones are forgotten first. A forgotten block
/// is rewritten like any text, which reproduces the provider's bytes whenever renaming does.
const MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
struct Inner {
    thinking: HashMap<String, String>,
    reasoning: HashMap<String, Value>,
    order: VecDeque<(bool, String, usize)>,
    bytes: usize,
    /// When each database key was last written, so that blocks in use keep their `last_seen`
    /// fresh (and outlive the retention period) at the cost of one write a day.
    touched: HashMap<String, std::time::Instant>,
}

/// How often a block in use refreshes its `last_seen`.
const TOUCH_EVERY: std::time::Duration = std::time::Duration::from_secs(86_400);

/// Blocks waiting to be written before new ones are only kept in memory.
const QUEUE: usize = 1024;

/// The memory (shared by all requests of the daemon).
#[derive(Default)]
pub struct SignedMemory {
    inner: Mutex<Inner>,
    store: Option<Store>,
}

/// The database copy: writes go through a thread so that SQLite never blocks a stream.
struct Store {
    vault: Arc<Vault>,
    queue: BatchWriter<(String, String)>,
}

impl SignedMemory {
    /// A memory that also keeps what it learns in `vault`, and looks there for what it lost.
    pub fn persistent(vault: Arc<Vault>) -> SignedMemory {
        let writer = vault.clone();
        let queue = BatchWriter::start("pretense-signed", QUEUE, move |batch| {
            if let Err(e) = writer.put_signed(&batch) {
                tracing::warn!("cannot store signed content ({e}); it is kept in memory only");
            }
        });
        match queue {
            Ok(queue) => SignedMemory {
                inner: Mutex::default(),
                store: Some(Store { vault, queue }),
            },
            Err(e) => {
                tracing::warn!("cannot start the signed-content writer ({e}); memory only");
                SignedMemory::default()
            }
        }
    }

    /// Waits until what was learnt so far is stored (a stopping daemon calls this).
    pub fn flush(&self, timeout: std::time::Duration) -> bool {
        self.store
            .as_ref()
            .is_none_or(|store| store.queue.flush(timeout))
    }

    fn persist(&self, key: String, body: String) {
        if self.store.is_none() {
            return;
        }
        {
            let mut inner = self.lock();
            if inner.touched.len() > 100_000 {
                inner.touched.clear();
            }
            inner.touched.insert(key.clone(), std::time::Instant::now());
        }
        if let Some(store) = &self.store
            && let Err(why) = store.queue.send((key, body))
        {
            tracing::warn!("signed content not stored ({why}): kept in memory only");
        }
    }

    fn load(&self, key: &str) -> Option<String> {
        let store = self.store.as_ref()?;
        match store.vault.signed(key) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("cannot read signed content ({e})");
                None
            }
        }
    }

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
        self.persist(format!("thinking:{signature}"), text.to_string());
        self.keep_thinking(signature, text);
    }

    fn keep_thinking(&self, signature: &str, text: &str) {
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
            if it.get("type").and_then(Value::as_str) == Some("reasoning") {
                self.remember_reasoning(it);
            }
        }
    }

    /// Remembers a reasoning item (as the provider sent it) under its id and its encrypted
    /// content: Codex sends items back without their id.
    pub fn remember_reasoning(&self, item: &Value) {
        for key in reasoning_keys(item) {
            self.persist(format!("reasoning:{key}"), item.to_string());
            self.keep_reasoning(&key, item);
        }
    }

    fn keep_reasoning(&self, id: &str, item: &Value) {
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

impl SignedMemory {
    /// Refreshes `key`'s `last_seen` if it was last written more than a day ago.
    fn touch(&self, key: String, body: impl FnOnce() -> String) {
        let stale = self
            .lock()
            .touched
            .get(&key)
            .is_none_or(|at| at.elapsed() > TOUCH_EVERY);
        if stale {
            self.persist(key, body());
        }
    }
}

impl SignedStore for SignedMemory {
    fn thinking(&self, signature: &str) -> Option<String> {
        let key = format!("thinking:{signature}");
        let hit = self.lock().thinking.get(signature).cloned();
        if let Some(t) = hit {
            self.touch(key, || t.clone());
            return Some(t);
        }
        let text = self.load(&key)?;
        // Refreshes `last_seen`, so a conversation in use outlives the retention period.
        self.persist(key, text.clone());
        self.keep_thinking(signature, &text);
        Some(text)
    }
    fn reasoning(&self, item: &Value) -> Option<Value> {
        let keys = reasoning_keys(item);
        for key in &keys {
            let hit = self.lock().reasoning.get(key).cloned();
            if let Some(v) = hit {
                self.touch(format!("reasoning:{key}"), || v.to_string());
                return Some(v);
            }
        }
        for key in keys {
            let stored = format!("reasoning:{key}");
            let Some(body) = self.load(&stored) else {
                continue;
            };
            let Ok(original) = serde_json::from_str::<Value>(&body) else {
                continue;
            };
            self.persist(stored, body);
            self.keep_reasoning(&key, &original);
            return Some(original);
        }
        None
    }
}

/// The keys a reasoning item is found by: its id, and a digest of its encrypted content.
fn reasoning_keys(item: &Value) -> Vec<String> {
    use sha2::Digest;
    let mut keys = Vec::new();
    if let Some(id) = item.get("id").and_then(Value::as_str)
        && !id.is_empty()
    {
        keys.push(format!("id:{id}"));
    }
    if let Some(enc) = item.get("encrypted_content").and_then(Value::as_str)
        && !enc.is_empty()
    {
        keys.push(format!(
            "enc:{}",
            hex::encode(sha2::Sha256::digest(enc.as_bytes()))
        ));
    }
    keys
}
