//! `pretense redact`, `restore`, `vault` and `audit` on the real binary.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::util::{Dir, code, fake, stderr, stdout};

const TS: &str = "import { Router } from \"express\";\nimport { loadTenantQuota } from \"./quota\";\n\n// reconcileInvoiceBatch must run before closeBillingPeriod\nexport async function reconcileInvoiceBatch(tenantAccountId: string): Promise<number> {\n  const pendingInvoiceCount = await loadTenantQuota(tenantAccountId);\n  console.log(\"reconcileInvoiceBatch done\", pendingInvoiceCount);\n  return pendingInvoiceCount;\n}\n";
const DECLARED: &[&str] = &[
    "reconcileInvoiceBatch",
    "tenantAccountId",
    "pendingInvoiceCount",
    "loadTenantQuota",
];

#[test]
fn redact_then_restore_is_the_identity() {
    let dir = Dir::new();
    dir.create("src/billing.ts", TS);
    let out = dir.run(&["redact", "src/billing.ts"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let redacted = stdout(&out);
    for name in DECLARED {
        assert!(!redacted.contains(name), "{name} survived:\n{redacted}");
    }
    for kept in [
        "express",
        "Router",
        "console.log",
        "Promise<number>",
        "closeBillingPeriod",
        "./quota",
    ] {
        assert!(redacted.contains(kept), "{kept} must stay:\n{redacted}");
    }
    let back = dir.run_stdin(&["restore", "-"], redacted.as_bytes());
    assert_eq!(code(&back), 0, "{}", stderr(&back));
    assert_eq!(stdout(&back), TS);
    // Deterministic: the same file redacts to the same bytes.
    assert_eq!(stdout(&dir.run(&["redact", "src/billing.ts"])), redacted);
}

#[test]
fn redact_json_reports_counts_and_session() {
    let dir = Dir::new();
    dir.create("a.ts", TS);
    let out = dir.run(&[
        "redact",
        "a.ts",
        "--format",
        "json",
        "--session",
        "sess_mine",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["session"], "sess_mine");
    assert_eq!(v["mutations"], 4);
    assert_eq!(v["secrets"], 0);
    assert_eq!(
        v["identifiers"],
        json!({"function": 1, "import": 1, "parameter": 1, "variable": 1})
    );
    assert!(
        !v["text"]
            .as_str()
            .unwrap()
            .contains("reconcileInvoiceBatch")
    );
    let out = dir.run(&["redact", "a.ts", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let s = v["session"].as_str().unwrap();
    assert!(s.starts_with("sess_") && s.len() == 17, "{s}");
}

#[test]
fn secrets_are_replaced_never_stored_and_not_restorable_by_the_cli() {
    let dir = Dir::new();
    let key = fake("ghp_{36}", 61);
    dir.create(
        "cfg.py",
        format!("GITHUB_TOKEN = \"{key}\"\nowner_email = \"dana@northwind-logistics.io\"\n"),
    );
    let out = dir.run(&["redact", "cfg.py"]);
    assert_eq!(code(&out), 0);
    let redacted = stdout(&out);
    assert!(!redacted.contains(&key));
    assert!(
        redacted.contains(" = \"PRETENSE_SECRET_"),
        "inside the same quotes: {redacted}"
    );
    assert!(
        !redacted.contains("GITHUB_TOKEN"),
        "a declared constant: {redacted}"
    );
    assert!(redacted.contains("PRETENSE_EMAIL_"), "{redacted}");
    assert!(stderr(&out).contains("secret"), "{}", stderr(&out));
    // Nothing on disk holds the value.
    for entry in walk(dir.data_dir()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            memchr::memmem::find(&bytes, key.as_bytes()).is_none(),
            "{} holds the secret",
            entry.display()
        );
    }
    let back = dir.run_stdin(&["restore", "-"], redacted.as_bytes());
    let restored = stdout(&back);
    assert!(
        restored.contains("PRETENSE_SECRET_"),
        "secret placeholders stay"
    );
    assert!(
        restored.contains("dana@northwind-logistics.io"),
        "PII comes back from the vault"
    );
    assert!(
        stderr(&back).contains("1 secret placeholder"),
        "{}",
        stderr(&back)
    );
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn block_policy_and_bad_arguments() {
    let dir = Dir::new();
    let key = fake("xoxb-{10:digit}-{12:digit}-{24}", 62);
    dir.create("c.toml", "[secrets]\npolicy = \"block\"\n");
    dir.create("bot.js", format!("// bot\nconst slack = \"{key}\";\n"));
    let out = dir.run(&["--config", "c.toml", "redact", "bot.js"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).is_empty(), "nothing printed");
    let err = stderr(&out);
    assert!(err.contains("slack_bot_token at line 2"), "{err}");
    assert!(!err.contains(&key));
    let out = dir.run(&["redact", "bot.js", "--lang", "cobol"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("typescript"), "{}", stderr(&out));
    let out = dir.run(&["redact", "missing.ts"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.ts"), "{}", stderr(&out));
}

#[test]
fn invalid_utf8_round_trips_byte_for_byte() {
    let dir = Dir::new();
    let mut data =
        b"def settle_merchant_batch(amount):\n    # caf\xe9 \xff\n    return amount\n".to_vec();
    data.extend_from_slice(b"settle_merchant_batch(3)\n");
    dir.create("legacy.py", &data);
    let out = dir.run(&["redact", "legacy.py"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(memchr::memmem::find(&out.stdout, b"settle_merchant_batch").is_none());
    let back = dir.run_stdin(&["restore"], &out.stdout);
    assert!(back.stdout == data, "round trip differs");
}

#[test]
fn vault_list_forget_clear() {
    let dir = Dir::new();
    dir.create("a.ts", TS);
    dir.create("note.txt", "mail dana@northwind-logistics.io\n");
    assert_eq!(code(&dir.run(&["redact", "a.ts"])), 0);
    assert_eq!(code(&dir.run(&["redact", "note.txt"])), 0);
    let out = dir.run(&["vault", "list"]);
    assert_eq!(code(&out), 0);
    let table = stdout(&out);
    assert!(table.starts_with("KIND"), "{table}");
    assert!(
        table.contains("reconcileInvoiceBatch") && table.contains("function"),
        "{table}"
    );
    let out = dir.run(&["vault", "list", "--kind", "pii", "--format", "json"]);
    let rows: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["kind"], "email");
    assert!(
        rows[0]["replacement"]
            .as_str()
            .unwrap()
            .starts_with("PRETENSE_EMAIL_")
    );
    let redacted = stdout(&dir.run(&["redact", "a.ts"]));
    // Forget one name (in another casing): restore no longer knows it.
    let out = dir.run(&["vault", "forget", "RECONCILE_INVOICE_BATCH"]);
    assert_eq!(stdout(&out).trim(), "forgot 1 entry");
    let back = stdout(&dir.run_stdin(&["restore"], redacted.as_bytes()));
    assert!(
        !back.contains("reconcileInvoiceBatch") && back.contains("tenantAccountId"),
        "{back}"
    );
    let out = dir.run(&["vault", "forget", "neverSeenThis"]);
    assert_eq!(code(&out), 1, "nothing to forget");
    let out = dir.run(&["vault", "clear"]);
    assert!(stdout(&out).starts_with("removed "), "{}", stdout(&out));
    let out = dir.run(&["vault", "list", "--format", "json"]);
    assert_eq!(stdout(&out).trim(), "[]");
    // The vault and the key are private to the user.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.data_dir().join("key")), 0o600);
    assert_eq!(mode(dir.data_dir().join("pretense.db")), 0o600);
    assert_eq!(mode(dir.data_dir()), 0o700);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_command_reads_what_the_proxy_wrote() {
    let h = crate::proxy::Harness::start(|_| {}).await;
    for ua in ["claude-cli/2.0.0 (external, cli)", "OpenAI/Python 1.0"] {
        let body = json!({"model": "claude-x", "messages": [{"role": "user", "content": crate::proxy::question()}]});
        crate::proxy::send(
            &h.url,
            "POST",
            "/v1/messages",
            &[
                ("content-type", "application/json"),
                ("user-agent", ua),
                ("x-pretense-session", "sess_audit"),
            ],
            body.to_string().into_bytes(),
        )
        .await;
    }
    let data = h.data_dir().to_path_buf();
    let dir = Dir::new();
    let run = |args: &[&str]| {
        let mut full = vec!["--data-dir", data.to_str().unwrap()];
        full.extend_from_slice(args);
        dir.run(&full)
    };
    let mut v = Value::Null;
    for _ in 0..50 {
        v = serde_json::from_str(&stdout(&run(&["audit", "--format", "json"]))).unwrap();
        if v["total"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(v["entries"][0]["tool"], "openai-sdk");
    assert_eq!(v["entries"][1]["tool"], "claude-code");
    assert_eq!(v["entries"][0]["session"], "sess_audit");
    let csv = stdout(&run(&["audit", "--format", "csv", "--limit", "1"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].starts_with("id,timestamp,session,endpoint"),
        "{csv}"
    );
    let table = stdout(&run(&["audit", "--since", "1h"]));
    assert!(
        table.starts_with("ID") && table.contains("claude-code"),
        "{table}"
    );
    let none = serde_json::from_str::<Value>(&stdout(&run(&[
        "audit",
        "--session",
        "sess_other",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(none["total"], 0);
    let bad = run(&["audit", "--since", "yesterday"]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("24h"), "{}", stderr(&bad));
    h.stop().await;
}

/// The daemon and CLI runs may start together on an empty data dir: none fails, and all share
/// one naming key (the same input gets the same replacements).
#[test]
fn processes_starting_together_on_a_new_data_dir_agree() {
    use std::io::Write;
    for _ in 0..3 {
        let d = Dir::new();
        let children: Vec<_> = (0..6)
            .map(|_| {
                let mut child = d
                    .cmd()
                    .args(["redact", "--lang", "typescript"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn pretense");
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(
                        b"export function settleLedgerBatch(ledgerRows) { return ledgerRows; }\n",
                    )
                    .unwrap();
                child
            })
            .collect();
        let outputs: Vec<String> = children
            .into_iter()
            .map(|c| {
                let o = c.wait_with_output().unwrap();
                assert_eq!(code(&o), 0, "{}", stderr(&o));
                stdout(&o)
            })
            .collect();
        assert!(!outputs[0].contains("settleLedgerBatch"), "{}", outputs[0]);
        assert!(outputs.iter().all(|o| *o == outputs[0]), "{outputs:#?}");
    }
}
