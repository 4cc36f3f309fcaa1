//! The official Python SDKs (`openai`, `anthropic`) against the real `pretense start`, in front of
//! the fake upstream: chat completions, Responses and Messages, whole and streamed. `.ci/run`
//! installs the SDKs and sets `PRETENSE_REQUIRE_SDK=1`, so in CI a missing SDK fails the test
//! instead of skipping it.

use std::process::Stdio;

use serde_json::Value;

use crate::proxy::{assert_clean, question};
use crate::upstream::FakeUpstream;
use crate::util::{Dir, wait_for_port};

const SCRIPT: &str = r#"
import json, os, sys
import anthropic, openai

q = sys.stdin.read()
out = {}
oa = openai.OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="sk-test", max_retries=0)
r = oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
out["chat"] = r.choices[0].message.content
s = oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}], stream=True)
out["chat_stream"] = "".join(c.choices[0].delta.content or "" for c in s if c.choices)
r = oa.responses.create(model="gpt-5-codex", input=q)
out["responses"] = r.output_text
parts = []
with oa.responses.create(model="gpt-5-codex", input=[{"role": "user", "content": [{"type": "input_text", "text": q}]}], stream=True) as st:
    for ev in st:
        if ev.type == "response.output_text.delta":
            parts.append(ev.delta)
out["responses_stream"] = "".join(parts)
an = anthropic.Anthropic(base_url=os.environ["ANTHROPIC_BASE_URL"], api_key="sk-ant-test", max_retries=0)
m = an.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": q}])
out["messages"] = m.content[0].text
with an.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": q}]) as st:
    out["messages_stream"] = "".join(st.text_stream)
print(json.dumps(out))
"#;

fn sdks_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import openai, anthropic"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread")]
async fn official_sdks_stream_through_the_proxy() {
    if !sdks_available() {
        assert!(
            std::env::var_os("PRETENSE_REQUIRE_SDK").is_none(),
            "the openai and anthropic Python SDKs are required (PRETENSE_REQUIRE_SDK is set) but cannot be imported"
        );
        eprintln!("SKIPPED: `pip install openai anthropic` to run the SDK test (.ci/run does)");
        return;
    }
    let up = FakeUpstream::start().await;
    let dir = Dir::new();
    let mut daemon = dir
        .cmd()
        .args([
            "start",
            "--port",
            "0",
            "--openai-url",
            &up.url(),
            "--anthropic-url",
            &up.url(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pretense");
    let port = wait_for_port(&mut daemon);
    let q = question();
    let py = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("python3")
            .args(["-c", SCRIPT])
            .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{port}/v1"))
            .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env_remove("OPENAI_API_KEY")
            .env_remove("ANTHROPIC_API_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run python3");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(question().as_bytes())
            .expect("write the question");
        child.wait_with_output().expect("python finished")
    })
    .await
    .expect("join");
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(
        py.status.success(),
        "SDK script failed:\n{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let got: Value = serde_json::from_slice(&py.stdout).expect("script prints JSON");
    for key in [
        "chat",
        "chat_stream",
        "responses",
        "responses_stream",
        "messages",
        "messages_stream",
    ] {
        assert_eq!(got[key], q, "{key}: the SDK got back the real names");
    }
    let received = up.received();
    assert_eq!(received.len(), 6);
    for r in &received {
        assert_clean(&r.body_str());
    }
    assert!(
        received.iter().any(|r| r
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("OpenAI/Python"))),
        "the SDKs' own headers pass through"
    );
}
