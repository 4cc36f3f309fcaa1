//! Walking request and response JSON: which strings carry user or tool text (and get rewritten),
//! which are API vocabulary or opaque provider data (and are left alone), and the exhaustive egress
//! walk that proves no replaced original is left anywhere in the outgoing request.
//!
//! The rewrite walk is explicit about the structure each API defines and rewrites every string of
//! anything it does not know (new fields, block types, roles), so unknown text is never forwarded
//! as is. Object keys are API field names and stay, except inside free-form data — tool inputs and
//! the property names of tool schemas — where the model will echo them back and restore renames
//! them again.

use std::collections::HashMap;

use serde_json::Value;

/// Which API a body belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Anthropic,
    OpenAiChat,
    OpenAiResponses,
}

/// Values of these keys are identifiers, enums or opaque provider data: never rewritten.
const OPAQUE: &[&str] = &[
    "id",
    "type",
    "role",
    "model",
    "signature",
    "data",
    "media_type",
    "cache_control",
    "tool_use_id",
    "tool_call_id",
    "call_id",
    "item_id",
    "encrypted_content",
    "file_id",
    "file_data",
    "image_url",
    "url",
    "previous_response_id",
    "prompt_cache_key",
    "safety_identifier",
    "status",
    "object",
    "stop_reason",
    "finish_reason",
    "service_tier",
    "reasoning_effort",
    "effort",
    "format",
    "detail",
    // Credentials meant for the provider to call a hosted MCP server or connector with.
    "authorization_token",
    "authorization",
    "headers",
    "server_url",
];

/// Whether the value under key `k` carries no user text. `format` is a JSON-schema keyword or a
/// response format when it is a string, but a custom tool's grammar (with its `definition`) when
/// it is an object.
fn opaque(k: &str, v: &Value) -> bool {
    OPAQUE.contains(&k) && !(k == "format" && v.is_object())
}

/// Top-level request parameters: API options, not text (`include: ["reasoning.encrypted_content"]`
/// must reach OpenAI as written even when the user's code declares `reasoning`).
const ROOT_OPTIONS: &[&str] = &[
    "include",
    "truncation",
    "reasoning",
    "verbosity",
    "modalities",
    "conversation",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_output_tokens",
    "max_completion_tokens",
    "parallel_tool_calls",
    "seed",
    "logprobs",
    "top_logprobs",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "audio",
    "thinking",
    "container",
    "context_management",
    "background",
    "user",
    "mcp_servers",
];

/// Whether a top-level key holds an API option rather than text. `tool_choice` is an option when
/// it is a word (`"auto"`, `"required"`); as an object it names a tool, which is rewritten.
fn root_option(key: &str, value: &Value) -> bool {
    ROOT_OPTIONS.contains(&key) || (key == "tool_choice" && value.is_string())
}

/// Keys in a tool input that name the file a tool result will hold.
const PATH_KEYS: &[&str] = &[
    "file_path",
    "path",
    "filePath",
    "filename",
    "file",
    "notebook_path",
    "target_file",
    "relative_workspace_path",
];

/// Provider-signed content the client sends back: the exact bytes the provider produced, by key.
pub trait SignedStore {
    /// Anthropic thinking text by signature.
    fn thinking(&self, signature: &str) -> Option<String>;
    /// A Responses reasoning item as the provider sent it, found by the id or the encrypted
    /// content of `item` (the item as the client sends it back).
    fn reasoning(&self, item: &Value) -> Option<Value>;
}

/// Calls `f(text, path_hint)` on every rewritable string of a request, in a fixed order.
pub fn visit_request(
    api: Api,
    root: &mut Value,
    signed: &dyn SignedStore,
    f: &mut dyn FnMut(&mut String, Option<&str>),
) {
    let mut w = Walker {
        f,
        signed,
        paths: HashMap::new(),
    };
    match api {
        Api::Anthropic => w.anthropic(root),
        Api::OpenAiChat => w.chat(root),
        Api::OpenAiResponses => w.responses(root),
    }
}

struct Walker<'a> {
    f: &'a mut dyn FnMut(&mut String, Option<&str>),
    signed: &'a dyn SignedStore,
    /// Tool call id → the file path its input named.
    paths: HashMap<String, String>,
}

fn path_in(input: &Value) -> Option<String> {
    let obj = input.as_object()?;
    PATH_KEYS
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

fn path_in_arguments(arguments: &str) -> Option<String> {
    serde_json::from_str::<Value>(arguments)
        .ok()
        .as_ref()
        .and_then(path_in)
}

impl Walker<'_> {
    fn text(&mut self, v: &mut Value, hint: Option<&str>) {
        if let Value::String(s) = v {
            (self.f)(s, hint);
        } else {
            self.generic(v);
        }
    }

    /// Every string except opaque ones; keys stay.
    fn generic(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => (self.f)(s, None),
            Value::Array(a) => a.iter_mut().for_each(|x| self.generic(x)),
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if !opaque(k, x) {
                        self.generic(x);
                    }
                }
            }
            _ => {}
        }
    }

    /// Free-form data (tool inputs): keys and every string.
    fn free(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => (self.f)(s, None),
            Value::Array(a) => a.iter_mut().for_each(|x| self.free(x)),
            Value::Object(m) => {
                for (mut k, mut x) in std::mem::take(m) {
                    (self.f)(&mut k, None);
                    self.free(&mut x);
                    m.insert(k, x);
                }
            }
            _ => {}
        }
    }

    /// A JSON schema: descriptions and property names, not keywords.
    fn schema(&mut self, v: &mut Value) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| self.schema(x)),
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match k.as_str() {
                        "properties" | "patternProperties" | "$defs" | "definitions" => {
                            if let Value::Object(props) = x {
                                for (mut name, mut sub) in std::mem::take(props) {
                                    (self.f)(&mut name, None);
                                    self.schema(&mut sub);
                                    props.insert(name, sub);
                                }
                            }
                        }
                        "description" | "title" => self.text(x, None),
                        "required" | "enum" | "examples" | "default" | "const" => self.free(x),
                        "$ref" => self.text(x, None),
                        "type" | "format" | "$schema" | "$id" | "pattern" => {}
                        _ => self.schema(x),
                    }
                }
            }
            _ => {}
        }
    }

    // ---- Anthropic Messages ----

    fn anthropic(&mut self, root: &mut Value) {
        if let Some(messages) = root.get("messages").and_then(Value::as_array) {
            for m in messages {
                for b in m
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if matches!(
                        b.get("type").and_then(Value::as_str),
                        Some("tool_use" | "server_tool_use")
                    ) && let (Some(id), Some(p)) = (
                        b.get("id").and_then(Value::as_str),
                        b.get("input").and_then(path_in),
                    ) {
                        self.paths.insert(id.to_string(), p);
                    }
                }
            }
        }
        let Value::Object(root) = root else {
            return self.generic(root);
        };
        for (k, v) in root.iter_mut() {
            match k.as_str() {
                k if root_option(k, v) => {}
                "system" => self.anthropic_content(v, None),
                "output_format" => self.schema_holder(v),
                "messages" if v.is_array() => {
                    for m in v.as_array_mut().into_iter().flatten() {
                        let Value::Object(m) = m else {
                            self.generic(m);
                            continue;
                        };
                        for (mk, mv) in m.iter_mut() {
                            match mk.as_str() {
                                "content" => self.anthropic_content(mv, None),
                                k if opaque(k, mv) => {}
                                _ => self.generic(mv),
                            }
                        }
                    }
                }
                "tools" => self.tools(v),
                k if opaque(k, v) => {}
                _ => self.generic(v),
            }
        }
    }

    fn anthropic_content(&mut self, v: &mut Value, hint: Option<&str>) {
        match v {
            Value::String(s) => (self.f)(s, hint),
            Value::Array(blocks) => {
                for b in blocks {
                    self.anthropic_block(b, hint);
                }
            }
            _ => self.generic(v),
        }
    }

    fn anthropic_block(&mut self, b: &mut Value, hint: Option<&str>) {
        let ty = b
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Value::Object(m) = b else {
            return self.generic(b);
        };
        match ty.as_str() {
            "text" => {
                for (k, v) in m.iter_mut() {
                    match k.as_str() {
                        "text" => self.text(v, hint),
                        k if opaque(k, v) => {}
                        _ => self.generic(v),
                    }
                }
            }
            "image" | "redacted_thinking" => {}
            "document" => {
                let text_source = m
                    .get("source")
                    .and_then(|s| s.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                for (k, v) in m.iter_mut() {
                    match (k.as_str(), text_source.as_deref()) {
                        ("source", Some("text")) => {
                            if let Some(d) = v.get_mut("data") {
                                self.text(d, hint);
                            }
                        }
                        ("source", Some("content")) => {
                            if let Some(c) = v.get_mut("content") {
                                self.anthropic_content(c, hint);
                            }
                        }
                        ("source", _) => {}
                        (k, _) if opaque(k, v) => {}
                        _ => self.generic(v),
                    }
                }
            }
            "tool_use" | "server_tool_use" => {
                for (k, v) in m.iter_mut() {
                    match k.as_str() {
                        "name" => self.text(v, None),
                        "input" => self.free(v),
                        k if opaque(k, v) => {}
                        _ => self.generic(v),
                    }
                }
            }
            "tool_result" => {
                let path = m
                    .get("tool_use_id")
                    .and_then(Value::as_str)
                    .and_then(|id| self.paths.get(id).cloned());
                for (k, v) in m.iter_mut() {
                    match k.as_str() {
                        "content" => self.anthropic_content(v, path.as_deref()),
                        k if opaque(k, v) => {}
                        _ => self.generic(v),
                    }
                }
            }
            "thinking" => {
                let known = m
                    .get("signature")
                    .and_then(Value::as_str)
                    .and_then(|s| self.signed.thinking(s));
                match known {
                    // The provider's exact text: its signature must verify.
                    Some(original) => {
                        m.insert("thinking".into(), Value::String(original));
                    }
                    None => {
                        if let Some(t) = m.get_mut("thinking") {
                            self.text(t, None);
                        }
                    }
                }
            }
            _ => self.generic(b),
        }
    }

    /// Tool definitions of all three APIs: names, descriptions, schemas.
    fn tools(&mut self, v: &mut Value) {
        let Value::Array(tools) = v else {
            return self.generic(v);
        };
        for t in tools {
            let Value::Object(m) = t else {
                self.generic(t);
                continue;
            };
            for (k, x) in m.iter_mut() {
                match k.as_str() {
                    "name" | "description" => self.text(x, None),
                    "input_schema" | "parameters" | "schema" => self.schema(x),
                    "function" => {
                        if let Value::Object(f) = x {
                            for (fk, fx) in f.iter_mut() {
                                match fk.as_str() {
                                    "name" | "description" => self.text(fx, None),
                                    "parameters" => self.schema(fx),
                                    k if opaque(k, fx) => {}
                                    _ => self.generic(fx),
                                }
                            }
                        }
                    }
                    k if opaque(k, x) => {}
                    _ => self.generic(x),
                }
            }
        }
    }

    // ---- OpenAI Chat Completions ----

    fn chat(&mut self, root: &mut Value) {
        for m in root
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for tc in m
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = tc.get("id").and_then(Value::as_str);
                let args = tc.pointer("/function/arguments").and_then(Value::as_str);
                if let (Some(id), Some(p)) = (id, args.and_then(path_in_arguments)) {
                    self.paths.insert(id.to_string(), p);
                }
            }
        }
        let Value::Object(root) = root else {
            return self.generic(root);
        };
        for (k, v) in root.iter_mut() {
            match k.as_str() {
                k if root_option(k, v) => {}
                "messages" if v.is_array() => {
                    for m in v.as_array_mut().into_iter().flatten() {
                        let path = m
                            .get("tool_call_id")
                            .and_then(Value::as_str)
                            .and_then(|id| self.paths.get(id).cloned());
                        let Value::Object(m) = m else {
                            self.generic(m);
                            continue;
                        };
                        for (mk, mv) in m.iter_mut() {
                            match mk.as_str() {
                                "content" => self.chat_content(mv, path.as_deref()),
                                // function and custom tool calls alike: names, JSON arguments,
                                // free-form input.
                                "tool_calls" => self.generic(mv),
                                k if opaque(k, mv) => {}
                                _ => self.generic(mv),
                            }
                        }
                    }
                }
                "tools" | "functions" => self.tools(v),
                "response_format" => {
                    if let Some(js) = v.get_mut("json_schema") {
                        self.schema_holder(js);
                    }
                }
                k if opaque(k, v) => {}
                _ => self.generic(v),
            }
        }
    }

    fn schema_holder(&mut self, v: &mut Value) {
        let Value::Object(m) = v else { return };
        for (k, x) in m.iter_mut() {
            match k.as_str() {
                "schema" => self.schema(x),
                k if opaque(k, x) => {}
                _ => self.generic(x),
            }
        }
    }

    fn chat_content(&mut self, v: &mut Value, hint: Option<&str>) {
        match v {
            Value::String(s) => (self.f)(s, hint),
            Value::Array(parts) => {
                for p in parts {
                    let ty = p
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    match ty.as_str() {
                        "text" | "input_text" | "output_text" => {
                            let Value::Object(part) = p else { continue };
                            for (pk, pv) in part.iter_mut() {
                                match pk.as_str() {
                                    "text" => self.text(pv, hint),
                                    k if opaque(k, pv) => {}
                                    _ => self.generic(pv),
                                }
                            }
                        }
                        "image_url" | "input_image" | "input_audio" => {}
                        _ => self.generic(p),
                    }
                }
            }
            _ => self.generic(v),
        }
    }

    // ---- OpenAI Responses ----

    fn responses(&mut self, root: &mut Value) {
        for it in root
            .get("input")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if it.get("type").and_then(Value::as_str) == Some("function_call")
                && let (Some(id), Some(p)) = (
                    it.get("call_id").and_then(Value::as_str),
                    it.get("arguments")
                        .and_then(Value::as_str)
                        .and_then(path_in_arguments),
                )
            {
                self.paths.insert(id.to_string(), p);
            }
        }
        let Value::Object(root) = root else {
            return self.generic(root);
        };
        for (k, v) in root.iter_mut() {
            match k.as_str() {
                k if root_option(k, v) => {}
                "instructions" => self.text(v, None),
                "input" => match v {
                    Value::String(s) => (self.f)(s, None),
                    Value::Array(items) => {
                        for it in items {
                            self.response_item(it);
                        }
                    }
                    _ => self.generic(v),
                },
                "tools" => self.tools(v),
                "text" => {
                    if let Some(f) = v.get_mut("format") {
                        self.schema_holder(f);
                    }
                }
                k if opaque(k, v) => {}
                _ => self.generic(v),
            }
        }
    }

    fn response_item(&mut self, it: &mut Value) {
        let ty = it
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message")
            .to_string();
        match ty.as_str() {
            "message" => {
                let Value::Object(m) = it else { return };
                for (k, v) in m.iter_mut() {
                    match k.as_str() {
                        "content" => self.chat_content(v, None),
                        k if opaque(k, v) => {}
                        _ => self.generic(v),
                    }
                }
            }
            "function_call_output" | "custom_tool_call_output" | "local_shell_call_output" => {
                let path = it
                    .get("call_id")
                    .and_then(Value::as_str)
                    .and_then(|id| self.paths.get(id).cloned());
                if let Some(o) = it.get_mut("output") {
                    match o {
                        Value::String(s) => (self.f)(s, path.as_deref()),
                        _ => self.chat_content(o, path.as_deref()),
                    }
                }
            }
            "reasoning" => {
                // The provider's value of every field the client sent; no field added (an id the
                // client left out must stay out: with `store: false` it resolves to nothing
                // upstream). Text the provider did not send is rewritten like any text.
                let original = self.signed.reasoning(it);
                if let Value::Object(m) = it {
                    for (k, v) in m.iter_mut() {
                        match original.as_ref().and_then(|o| o.get(k)) {
                            Some(o) => *v = o.clone(),
                            None if matches!(k.as_str(), "summary" | "content") => self.generic(v),
                            None => {}
                        }
                    }
                }
            }
            "item_reference" => {}
            // function_call (name, arguments as JSON text), custom_tool_call (name, input as free
            // text such as an apply_patch patch), local_shell_call and anything new.
            _ => self.generic(it),
        }
    }
}

/// Restores an answer's JSON in place: every string value and key except opaque provider data.
/// `f` is told whether the string is itself JSON text (tool-call `arguments`), where restored
/// values must be JSON-escaped.
pub fn restore_value(v: &mut Value, f: &mut dyn FnMut(&mut String, bool)) {
    restore_inner(v, false, f)
}

fn restore_inner(v: &mut Value, json_text: bool, f: &mut dyn FnMut(&mut String, bool)) {
    match v {
        Value::String(s) => f(s, json_text),
        Value::Array(a) => a.iter_mut().for_each(|x| restore_inner(x, false, f)),
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (mut k, mut x) in old {
                if !matches!(
                    k.as_str(),
                    "signature" | "encrypted_content" | "data" | "id" | "call_id" | "item_id"
                ) {
                    f(&mut k, false);
                    let json_text = k == "arguments" || k == "partial_json";
                    restore_inner(&mut x, json_text, f);
                }
                m.insert(k, x);
            }
        }
        _ => {}
    }
}

/// Calls `check(text, json_path)` on every string of an outgoing request except API vocabulary
/// (keys outside free-form data, enum values) and opaque or signed provider data. Returns the
/// first path `check` flags.
pub fn egress(
    root: &Value,
    signed: &dyn SignedStore,
    check: &mut dyn FnMut(&str) -> bool,
) -> Option<String> {
    let mut path = Vec::new();
    egress_walk(root, false, signed, &mut path, check)
}

fn egress_walk(
    v: &Value,
    free: bool,
    signed: &dyn SignedStore,
    path: &mut Vec<String>,
    check: &mut dyn FnMut(&str) -> bool,
) -> Option<String> {
    match v {
        Value::String(s) => check(s).then(|| render_path(path)),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(format!("[{i}]"));
                let r = egress_walk(x, free, signed, path, check);
                path.pop();
                if r.is_some() {
                    return r;
                }
            }
            None
        }
        Value::Object(m) => {
            // Inside free-form data (a tool's input) every string was rewritten, whatever its key
            // or its object's type: every string is searched.
            let ty = m.get("type").and_then(Value::as_str).filter(|_| !free);
            // Provider-signed content the client sent back verbatim is the provider's own text.
            if ty == Some("thinking")
                && m.get("signature")
                    .and_then(Value::as_str)
                    .and_then(|s| signed.thinking(s))
                    .is_some_and(|t| m.get("thinking").and_then(Value::as_str) == Some(t.as_str()))
            {
                return None;
            }
            if ty == Some("redacted_thinking") || ty == Some("image") {
                return None;
            }
            // A reasoning item's fields that are the provider's own bytes are not searched.
            let provider_item = if ty == Some("reasoning") {
                signed.reasoning(v)
            } else {
                None
            };
            for (k, x) in m {
                if path.is_empty() && root_option(k, x) {
                    continue;
                }
                if provider_item.as_ref().and_then(|o| o.get(k)) == Some(x) {
                    continue;
                }
                // Free-form keys may be the very name or secret looked for: paths never show them.
                path.push(if free {
                    ".{key}".to_string()
                } else {
                    format!(".{k}")
                });
                let r = if free && check(k) {
                    Some(render_path(path))
                } else {
                    let opaque = match k.as_str() {
                        _ if free => false,
                        "data" => ty != Some("text"),
                        "url" | "image_url" => {
                            x.as_str().is_some_and(|u| u.starts_with("data:"))
                                || x.get("url")
                                    .and_then(Value::as_str)
                                    .is_some_and(|u| u.starts_with("data:"))
                        }
                        k => opaque(k, x) && k != "url" && k != "image_url",
                    };
                    if opaque {
                        None
                    } else {
                        let child_free = free
                            || (k == "input" && matches!(ty, Some("tool_use" | "server_tool_use")))
                            || matches!(
                                k.as_str(),
                                "properties" | "patternProperties" | "$defs" | "definitions"
                            );
                        egress_walk(x, child_free, signed, path, check)
                    }
                };
                path.pop();
                if r.is_some() {
                    return r;
                }
            }
            None
        }
        _ => None,
    }
}

fn render_path(path: &[String]) -> String {
    let s: String = path.concat();
    s.strip_prefix('.').map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct NoSigned;
    impl SignedStore for NoSigned {
        fn thinking(&self, _: &str) -> Option<String> {
            None
        }
        fn reasoning(&self, _: &Value) -> Option<Value> {
            None
        }
    }

    fn collect(api: Api, mut v: Value) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        visit_request(api, &mut v, &NoSigned, &mut |s, hint| {
            out.push((s.clone(), hint.map(String::from)))
        });
        out
    }

    #[test]
    fn anthropic_slots_and_hints() {
        let req = json!({
            "model": "claude-x",
            "system": [{"type": "text", "text": "SYS", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": "Q1"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "/src/a.py", "limitCount": 5}},
                    {"type": "thinking", "thinking": "T", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "opaque"}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "     1\tdef f(): pass"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "DOC"}, "title": "TITLE"},
                    {"type": "brand_new_block", "payload": {"words": "NEW"}}
                ]}
            ],
            "tools": [{"name": "get_ledger", "description": "DESC", "input_schema": {"type": "object", "properties": {"ledgerId": {"type": "string", "description": "PD"}}, "required": ["ledgerId"]}}],
            "metadata": {"user_id": "u1"}
        });
        let got = collect(Api::Anthropic, req);
        let texts: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            texts,
            [
                "SYS",
                "Q1",
                "Read",
                "file_path",
                "/src/a.py",
                "limitCount",
                "T",
                "     1\tdef f(): pass",
                "DOC",
                "TITLE",
                "NEW",
                "get_ledger",
                "DESC",
                "ledgerId",
                "PD",
                "ledgerId",
                "u1"
            ]
        );
        let hint = got.iter().find(|(s, _)| s.starts_with("     1")).unwrap();
        assert_eq!(hint.1.as_deref(), Some("/src/a.py"));
    }

    #[test]
    fn chat_and_responses_slots() {
        let chat = json!({
            "model": "gpt-x",
            "messages": [
                {"role": "system", "content": "S"},
                {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\":\"a.go\"}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "package main"},
                {"role": "user", "content": [{"type": "text", "text": "U"}, {"type": "image_url", "image_url": {"url": "data:x"}}]}
            ],
            "tools": [{"type": "function", "function": {"name": "read_file", "description": "D", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}]
        });
        let got = collect(Api::OpenAiChat, chat);
        let texts: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            texts,
            [
                "S",
                "read_file",
                "{\"path\":\"a.go\"}",
                "package main",
                "U",
                "read_file",
                "D",
                "path"
            ]
        );
        assert_eq!(got[3].1.as_deref(), Some("a.go"));

        let resp = json!({
            "model": "gpt-x",
            "instructions": "I",
            "previous_response_id": "resp_1",
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "U"}]},
                {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{\"path\":\"x.ts\"}"},
                {"type": "function_call_output", "call_id": "c1", "output": "OUT"},
                {"type": "custom_tool_call", "call_id": "c2", "name": "apply_patch", "input": "*** Begin Patch"},
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "SUM"}], "encrypted_content": "ENC"}
            ],
            "tools": [{"type": "custom", "name": "apply_patch", "description": "P"}]
        });
        let got = collect(Api::OpenAiResponses, resp);
        let texts: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            texts,
            [
                "I",
                "U",
                "shell",
                "{\"path\":\"x.ts\"}",
                "OUT",
                "apply_patch",
                "*** Begin Patch",
                "SUM",
                "apply_patch",
                "P"
            ]
        );
        assert_eq!(got[4].1.as_deref(), Some("x.ts"));
    }

    #[test]
    fn a_custom_tool_grammar_is_text_but_a_schema_format_is_not() {
        let req = json!({
            "model": "gpt-5-codex",
            "tools": [{"type": "custom", "name": "apply_patch", "description": "Patch files",
                       "format": {"type": "grammar", "syntax": "lark", "definition": "start: settle_ledger"}},
                      {"type": "function", "name": "f", "parameters": {"type": "object",
                       "properties": {"when": {"type": "string", "format": "date-time"}}}}],
        });
        let texts: Vec<String> = collect(Api::OpenAiResponses, req.clone())
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert!(
            texts.contains(&"start: settle_ledger".to_string()),
            "{texts:?}"
        );
        assert!(!texts.contains(&"date-time".to_string()), "{texts:?}");
        let path = egress(&req, &NoSigned, &mut |s| s.contains("settle_ledger"));
        assert_eq!(path.as_deref(), Some("tools[0].format.definition"));
    }

    #[test]
    fn egress_names_the_path_and_skips_vocabulary() {
        let v = json!({
            "model": "tool_use",
            "messages": [{"role": "user", "content": [
                {"type": "tool_use", "id": "x", "name": "n", "input": {"secretKey": 1}},
                {"type": "image", "source": {"data": "LEAK"}},
                {"type": "text", "text": "fine"}
            ]}],
            "max_tokens": 5
        });
        let mut check = |s: &str| s == "secretKey" || s == "LEAK" || s == "tool_use";
        assert_eq!(
            egress(&v, &NoSigned, &mut check).as_deref(),
            Some("messages[0].content[0].input.{key}")
        );
        // Inside a tool's input the rewrite covered every string, images and data included.
        let v = json!({"messages": [{"role": "assistant", "content": [
            {"type": "tool_use", "id": "x", "name": "n", "input": {"blob": {"type": "image", "data": "LEAK"}}}
        ]}]});
        let mut check = |s: &str| s == "LEAK";
        assert_eq!(
            egress(&v, &NoSigned, &mut check).as_deref(),
            Some("messages[0].content[0].input.{key}.{key}")
        );
        let v = json!({"messages": [{"role": "user", "content": "a LEAK here"}]});
        let mut check = |s: &str| s.contains("LEAK");
        assert_eq!(
            egress(&v, &NoSigned, &mut check).as_deref(),
            Some("messages[0].content")
        );
    }
}
