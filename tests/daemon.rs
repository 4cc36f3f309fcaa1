//! `pretense start` as a user runs it: the real binary, its start-up errors and its shutdown.

use std::process::Stdio;
use std::time::Duration;

use crate::util::{Dir, code, stderr, wait_for_port};

#[test]
fn start_serves_and_stops_cleanly_on_sigterm() {
    let dir = Dir::new();
    let mut child = dir
        .cmd()
        .args([
            "start",
            "--port",
            "0",
            "--anthropic-url",
            "http://127.0.0.1:9",
            "--openai-url",
            "http://127.0.0.1:9",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let port = wait_for_port(&mut child);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("listening");
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    assert!(resp.contains("\"status\""), "{resp}");
    // Both upstreams are unreachable here: /health says so with 503.
    assert!(resp.starts_with("HTTP/1.1 503"), "{resp}");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = status.expect("pretense exits after SIGTERM");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn port_in_use_is_a_clear_error() {
    let dir = Dir::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = dir.run(&["start", "--port", &port]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("already in use") && err.contains(&port),
        "{err}"
    );
}

#[test]
fn non_loopback_bind_needs_a_token_and_bad_routes_are_errors() {
    let dir = Dir::new();
    let out = dir.run(&["start", "--host", "0.0.0.0", "--port", "0"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--token"), "{}", stderr(&out));
    dir.create(
        "bad.toml",
        "[[route]]\nprefix = \"ollama/\"\nurl = \"localhost:11434\"\n",
    );
    let out = dir.run(&["--config", "bad.toml", "start", "--port", "0"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("route[0].url"), "{}", stderr(&out));
}
