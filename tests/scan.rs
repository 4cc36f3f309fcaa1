//! `pretense scan` on the real binary: formats, exit codes, the walker's rules, `--staged`,
//! `--baseline`, allowlists and awkward files.

use sha2::{Digest, Sha256};

use crate::eqnice;
use crate::util::{Dir, code, fake, stderr, stdout};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

fn secret_types(v: &serde_json::Value) -> Vec<String> {
    v["secrets"]
        .as_array()
        .expect("secrets array")
        .iter()
        .map(|s| s["type"].as_str().expect("type").to_string())
        .collect()
}

#[test]
fn json_report_has_the_contract_fields() {
    let dir = Dir::new();
    let pat = fake("ghp_{36}", 1);
    let aws = fake("AKIA{16:upper}", 2);
    dir.create(
        "src/config.ts",
        format!("// config\nexport const gh = \"{pat}\";\n\nconst aws = {{ id: \"{aws}\" }};\n"),
    );
    let out = dir.run(&["scan", "--format", "json", "src"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    let secrets = v["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "{v:#}");
    let gh = &secrets[0];
    assert_eq!(gh["file"], "src/config.ts");
    assert_eq!(gh["line"], 2);
    assert_eq!(gh["column"], 20, "1-based character column of the value");
    assert_eq!(gh["type"], "github_pat");
    assert_eq!(gh["severity"], "critical");
    let mut h = Sha256::new();
    h.update(format!("github_pat|src/config.ts|{pat}").as_bytes());
    assert_eq!(gh["fingerprint"], hex::encode(&h.finalize()[..8]));
    assert_eq!(secrets[1]["type"], "aws_access_key_id");
    assert_eq!(secrets[1]["line"], 4);
    // The value itself never appears in any output.
    assert!(!stdout(&out).contains(&pat) && !stdout(&out).contains(&aws));
    let summary = &v["summary"];
    assert_eq!(summary["files_scanned"], 1);
    assert_eq!(summary["secrets_found"], 2);
    assert_eq!(summary["files_skipped"], 0);
    assert!(summary["bytes_scanned"].as_u64().unwrap() > 50);
    assert!(summary["risk_score"].as_u64().unwrap() >= 90);
    assert!(v["identifiers"].is_array());
}

#[test]
fn text_report_lines_and_summary() {
    let dir = Dir::new();
    let pat = fake("ghp_{36}", 3);
    dir.create("a.env", format!("GITHUB_TOKEN={pat}\n"));
    let out = dir.run(&["scan", "--color", "never", "a.env"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let first = text.lines().next().unwrap();
    eqnice!(
        format!("a.env:1:14  github_pat  critical  ghp_{}", "*".repeat(16)),
        first
    );
    let summary = text.lines().nth(1).unwrap();
    assert!(
        summary.starts_with("1 secret in 1 file (1 critical)"),
        "{summary}"
    );
    assert!(summary.contains("1 file scanned"), "{summary}");
    assert!(!text.contains(&pat[4..]), "value must be masked");
    assert!(!text.contains('\x1b'), "no colour with --color never");
}

#[test]
fn color_always_colours_and_no_color_is_honoured() {
    let dir = Dir::new();
    dir.create("a.env", format!("GITHUB_TOKEN={}\n", fake("ghp_{36}", 4)));
    let out = dir.run(&["scan", "--color", "always", "a.env"]);
    assert!(stdout(&out).contains("\x1b["), "{}", stdout(&out));
    // NO_COLOR is set by the harness: auto stays plain even though `always` would colour.
    let out = dir.run(&["scan", "a.env"]);
    assert!(!stdout(&out).contains("\x1b["));
}

#[test]
fn sarif_is_valid_2_1_0() {
    let dir = Dir::new();
    dir.create("k.py", format!("API = \"{}\"\n", fake("sk_live_{24}", 5)));
    let out = dir.run(&["scan", "--format", "sarif", "k.py"]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "pretense");
    let result = &run["results"][0];
    let rule_id = result["ruleId"].as_str().unwrap();
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], rule_id);
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "k.py");
    assert_eq!(loc["region"]["startLine"], 1);
    assert_eq!(loc["region"]["startColumn"], 8);
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["partialFingerprints"]["pretense/v1"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    // Paths are URIs: percent-encoded when relative, file:// when absolute.
    let spaced = dir.create(
        "dir one/k #2.py",
        format!("API = \"{}\"\n", fake("sk_live_{24}", 6)),
    );
    let out = dir.run(&["scan", "--format", "sarif", "dir one"]);
    let uri = |v: &serde_json::Value| {
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(uri(&json(&out)), "dir%20one/k%20%232.py");
    let out = dir.run(&["scan", "--format", "sarif", spaced.to_str().unwrap()]);
    let abs = uri(&json(&out));
    assert!(abs.starts_with("file:///"), "{abs}");
    assert!(abs.ends_with("/dir%20one/k%20%232.py"), "{abs}");
}

#[test]
fn exit_codes() {
    let dir = Dir::new();
    dir.create("clean.ts", "export const answer = 42;\n");
    let out = dir.run(&["scan", "clean.ts"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("no secrets found"));

    // Below the threshold: reported but exit 0.
    dir.create(
        "medium.ts",
        format!("const dbPassword = \"{}\";\n", fake("{24}", 6)),
    );
    let out = dir.run(&["scan", "--fail-on", "critical", "medium.ts"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("generic_secret_assignment"));
    let out = dir.run(&["scan", "medium.ts"]);
    assert_eq!(code(&out), 1);
    let out = dir.run(&["scan", "--fail-on", "never", "medium.ts"]);
    assert_eq!(code(&out), 0);

    // A missing path is an error (2) ...
    let out = dir.run(&["scan", "nope.ts"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("nope.ts"), "{}", stderr(&out));
    // ... unless a finding wins (1), and the scan still covers the other paths.
    let out = dir.run(&["scan", "nope.ts", "medium.ts"]);
    assert_eq!(code(&out), 1);

    // Usage errors are 2.
    let out = dir.run(&["scan", "--format", "yaml"]);
    assert_eq!(code(&out), 2);
    let out = dir.run(&["scan", "--staged", "x"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let locked = dir.create("locked.ts", "const a = 1;\n");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        // Running as root: permissions do not stop reads, so there is nothing to test.
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::remove_file(&locked).unwrap();
        std::os::unix::fs::symlink(dir.join("missing-target"), dir.join("locked.ts")).unwrap();
    }
    dir.create("b.env", format!("TOKEN={}\n", fake("ghp_{36}", 7)));
    let out = dir.run(&["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(secret_types(&v), ["github_pat"], "{v:#}");
    // A finding outranks the error in the exit code.
    assert_eq!(code(&out), 1);
    let out = dir.run(&["scan", "--format", "json", "locked.ts"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("locked.ts"), "{}", stderr(&out));
}

#[test]
fn walker_scans_hidden_files_respects_gitignore_and_skips_dot_git() {
    let dir = Dir::new();
    dir.git_init();
    let k = |s| fake("ghp_{36}", s);
    dir.create(".env", format!("GITHUB_TOKEN={}\n", k(10)));
    dir.create(
        ".github/workflows/ci.yml",
        format!("env:\n  GH: {}\n", k(11)),
    );
    dir.create(".gitignore", "ignored/\n*.log\n");
    dir.create("ignored/secret.ts", format!("const t = \"{}\";\n", k(12)));
    dir.create("debug.log", format!("token {}\n", k(13)));
    dir.create(".git/hooks/leak.sample", format!("{}\n", k(14)));
    let out = dir.run(&["scan", "--format", "json"]);
    let v = json(&out);
    let mut files: Vec<&str> = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, [".env", ".github/workflows/ci.yml"], "{v:#}");
    // An explicitly named ignored file is scanned.
    let out = dir.run(&["scan", "--format", "json", "debug.log"]);
    assert_eq!(secret_types(&json(&out)), ["github_pat"]);
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let dir = Dir::new();
    let mut bin = vec![0u8, 1, 2, 3];
    bin.extend_from_slice(fake("ghp_{36}", 15).as_bytes());
    dir.create("blob.bin", &bin);
    dir.create(
        "big.txt",
        format!("{}\n{}", "x".repeat(5000), fake("ghp_{36}", 16)),
    );
    dir.create("ok.txt", "nothing here\n");
    let out = dir.run(&["scan", "--format", "json", "--max-file-bytes", "4096"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["summary"]["files_skipped"], 2, "{v:#}");
    assert_eq!(v["summary"]["files_scanned"], 1);
}

#[test]
fn invalid_utf8_is_scanned_with_character_columns() {
    let dir = Dir::new();
    let mut data = b"caf\xc3\xa9 \xff\xfe token=".to_vec();
    let pat = fake("ghp_{36}", 17);
    data.extend_from_slice(pat.as_bytes());
    data.push(b'\n');
    dir.create("latin.txt", &data);
    let out = dir.run(&["scan", "--format", "json", "latin.txt"]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    assert_eq!(v["secrets"][0]["type"], "github_pat");
    // "café " is 5 characters, then 2 invalid bytes, then " token=" (7): the value starts at 15.
    assert_eq!(v["secrets"][0]["column"], 15);
}

#[test]
fn stdin_is_scanned_as_dash() {
    let dir = Dir::new();
    let input = format!("export NPM_TOKEN={}\n", fake("npm_{36}", 18));
    let out = dir.run_stdin(&["scan", "--format", "json", "-"], input.as_bytes());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["secrets"][0]["file"], "-");
    assert_eq!(v["secrets"][0]["type"], "npm_access_token");
}

#[test]
fn allow_comments_silence_findings() {
    let dir = Dir::new();
    let k = |s| fake("ghp_{36}", s);
    dir.create(
        "a.py",
        format!(
            "A = \"{}\"  # pretense:allow\nB = \"{}\"  # gitleaks:allow\nC = \"{}\"  # pragma: allowlist secret\nD = \"{}\"\n",
            k(20),
            k(21),
            k(22),
            k(23)
        ),
    );
    let out = dir.run(&["scan", "--format", "json", "a.py"]);
    let v = json(&out);
    assert_eq!(v["secrets"].as_array().unwrap().len(), 1);
    assert_eq!(v["secrets"][0]["line"], 4);
}

#[test]
fn config_allowlists_by_path_rule_and_value() {
    let dir = Dir::new();
    let gh = fake("ghp_{36}", 24);
    let aws = fake("AKIA{16:upper}", 25);
    dir.create("fixtures/keys.txt", format!("{gh}\n"));
    dir.create(
        "src/a.ts",
        format!("const a = \"{aws}\";\nconst b = \"{gh}\";\n"),
    );
    dir.create(
        "pretense.toml",
        format!(
            "[secrets]\nallow_paths = [\"fixtures/**\"]\nallow_rules = [\"aws_access_key_id\"]\nallow_values = [\"^{}\"]\n",
            &gh[..10]
        ),
    );
    let out = dir.run(&["--config", "pretense.toml", "scan", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // Without the config all three are found.
    let out = dir.run(&["scan", "--format", "json"]);
    assert_eq!(json(&out)["secrets"].as_array().unwrap().len(), 3);
}

#[test]
fn baseline_ignores_known_findings_even_when_lines_move() {
    let dir = Dir::new();
    let old = fake("ghp_{36}", 26);
    dir.create("app.ts", format!("const t = \"{old}\";\n"));
    let out = dir.run(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 1);
    dir.create("baseline.json", &out.stdout);

    dir.create("app.ts", format!("// moved\n\n\nconst t = \"{old}\";\n"));
    let out = dir.run(&[
        "scan",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        "app.ts",
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    let new = fake("xoxb-{10:digit}-{12:digit}-{24}", 27);
    dir.create(
        "app.ts",
        format!("const t = \"{old}\";\nconst s = \"{new}\";\n"),
    );
    let out = dir.run(&[
        "scan",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        "app.ts",
    ]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    assert_eq!(secret_types(&v), ["slack_bot_token"], "{v:#}");

    dir.create("bad.json", "not json");
    let out = dir.run(&["scan", "--baseline", "bad.json", "app.ts"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

#[test]
fn staged_scans_the_index_not_the_working_tree() {
    let dir = Dir::new();
    dir.git_init();
    let secret = fake("ghp_{36}", 28);
    dir.create("README.md", "hello\n");
    assert!(dir.git(&["add", "README.md"]).status.success());
    // Nothing staged with a secret yet; an unstaged secret in the working tree is not reported.
    dir.create("README.md", format!("hello {secret}\n"));
    let out = dir.run(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 0, "{} {}", stdout(&out), stderr(&out));
    assert_eq!(json(&out)["summary"]["files_scanned"], 1);

    // Staged, then removed from the working tree: still reported, with the repository path.
    dir.create("src/deep/k.ts", format!("export const k = \"{secret}\";\n"));
    assert!(dir.git(&["add", "src/deep/k.ts"]).status.success());
    dir.create("src/deep/k.ts", "export const k = process.env.K;\n");
    let out = dir.run(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["secrets"][0]["file"], "src/deep/k.ts");
    assert_eq!(v["secrets"][0]["line"], 1);

    // From a subdirectory, paths stay repository paths.
    let out = dir
        .cmd()
        .current_dir(dir.join("src"))
        .args(["scan", "--staged", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["secrets"][0]["file"], "src/deep/k.ts");
}

/// Many files named on the command line (as CI passes `git ls-files`) are scanned one per thread:
/// the report holds every file's secrets, skips and errors, as a walk of the same files does.
#[test]
fn many_named_files_report_what_a_walk_of_them_reports() {
    let dir = Dir::new();
    let mut named = Vec::new();
    for i in 0..60 {
        let path = format!("src/m{i:02}.ts");
        let body = if i % 7 == 0 {
            format!("export const t{i} = \"{}\";\n", fake("ghp_{36}", 100 + i))
        } else {
            format!("export const n{i} = {i};\n")
        };
        dir.create(&path, body);
        named.push(path);
    }
    let mut big = "x".repeat(5000);
    big.push_str(&fake("ghp_{36}", 99));
    dir.create("src/big.txt", big);
    dir.create("src/blob.bin", [0u8, 1, 2, 3]);
    named.extend(["src/big.txt".to_string(), "src/blob.bin".to_string()]);

    let scan = |paths: &[&str]| {
        let mut args = vec!["scan", "--format", "json", "--max-file-bytes", "4096"];
        args.extend_from_slice(paths);
        dir.run(&args)
    };
    let walked = scan(&["src"]);
    let mut paths: Vec<&str> = named.iter().map(String::as_str).collect();
    paths.push("src/missing.ts");
    for threads in ["1", "4"] {
        let mut with = vec!["--threads", threads];
        with.extend_from_slice(&paths);
        let out = scan(&with);
        assert_eq!(code(&out), 1, "secrets found: {}", stderr(&out));
        assert!(stderr(&out).contains("src/missing.ts"), "{}", stderr(&out));
        let (v, w) = (json(&out), json(&walked));
        assert_eq!(v["secrets"], w["secrets"], "{threads} threads");
        assert_eq!(v["secrets"].as_array().unwrap().len(), 9);
        assert_eq!(v["summary"]["files_scanned"], 60);
        assert_eq!(v["summary"]["files_skipped"], 2);
        assert_eq!(w["summary"]["files_scanned"], 60);
    }
}

/// Staged blobs are read from git while earlier ones are scanned; one over `--max-file-bytes` is
/// skipped (and never read into memory), the others all reported, with one thread or several.
#[test]
fn staged_files_are_all_scanned_and_oversized_ones_skipped() {
    let dir = Dir::new();
    dir.git_init();
    for i in 0..30 {
        let body = if i % 5 == 0 {
            format!("k{i} = \"{}\"\n", fake("ghp_{36}", 200 + i))
        } else {
            format!("n{i} = {i}\n")
        };
        dir.create(&format!("pkg/f{i:02}.py"), body);
    }
    let mut big = "x".repeat(5000);
    big.push_str(&fake("ghp_{36}", 299));
    dir.create("pkg/big.txt", big);
    assert!(dir.git(&["add", "pkg"]).status.success());
    for threads in ["1", "3"] {
        let out = dir.run(&[
            "scan",
            "--staged",
            "--format",
            "json",
            "--max-file-bytes",
            "4096",
            "--threads",
            threads,
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let v = json(&out);
        let files: Vec<&str> = v["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["file"].as_str().unwrap())
            .collect();
        assert_eq!(
            files,
            [
                "pkg/f00.py",
                "pkg/f05.py",
                "pkg/f10.py",
                "pkg/f15.py",
                "pkg/f20.py",
                "pkg/f25.py"
            ],
            "{threads} threads"
        );
        assert_eq!(v["summary"]["files_scanned"], 30);
        assert_eq!(v["summary"]["files_skipped"], 1);
    }
}

/// A staged entry git cannot read (its object is missing) is an error naming the file, also when
/// git still has more blobs to write than a pipe holds: the scan must not wait on it forever.
#[test]
fn an_unreadable_staged_blob_is_an_error_not_a_hang() {
    let dir = Dir::new();
    dir.git_init();
    for i in 0..40 {
        dir.create(
            &format!("b/f{i:02}.txt"),
            format!("{i} {}\n", "y".repeat(27_000)),
        );
    }
    assert!(dir.git(&["add", "b"]).status.success());
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let added = dir.git(&[
        "update-index",
        "--add",
        "--info-only",
        "--cacheinfo",
        &format!("100644,{missing},a_missing.txt"),
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let mut child = dir
        .cmd()
        .args(["scan", "--staged"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A guard, not a speed check: the scan takes well under a second; a hang never ends.
    let since = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if since.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("pretense scan --staged hung on an unreadable blob");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("a_missing.txt"), "{}", stderr(&out));
}

#[test]
fn staged_outside_a_repository_is_an_error() {
    let dir = Dir::new();
    let out = dir
        .cmd()
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["scan", "--staged"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("git repository"), "{}", stderr(&out));
}

#[test]
fn hook_install_blocks_a_commit_with_a_secret() {
    let dir = Dir::new();
    dir.git_init();
    let out = dir.run(&["hook", "install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let hook = dir.read(".git/hooks/pre-commit");
    assert!(hook.contains("scan --staged"), "{hook}");

    dir.create("ok.txt", "fine\n");
    dir.git(&["add", "ok.txt"]);
    let commit = dir.git(&["commit", "-q", "-m", "ok"]);
    assert!(commit.status.success(), "{}", stderr(&commit));

    dir.create(
        "leak.ts",
        format!("const k = \"{}\";\n", fake("ghp_{36}", 29)),
    );
    dir.git(&["add", "leak.ts"]);
    let commit = dir.git(&["commit", "-q", "-m", "leak"]);
    assert!(!commit.status.success(), "the hook must block the commit");
    // git sends a hook's stdout to its own stderr.
    assert!(
        stderr(&commit).contains("github_pat"),
        "{}",
        stderr(&commit)
    );

    // Reinstalling our own hook is fine; a foreign hook is kept unless --force.
    assert_eq!(code(&dir.run(&["hook", "install"])), 0);
    dir.create(".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    let out = dir.run(&["hook", "install"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(dir.read(".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n");
    assert_eq!(code(&dir.run(&["hook", "install", "--force"])), 0);
    assert!(dir.read(".git/hooks/pre-commit").contains("pretense:hook"));
    assert_eq!(code(&dir.run(&["hook", "uninstall"])), 0);
    assert!(!dir.join(".git/hooks/pre-commit").exists());
}

#[test]
fn identifiers_are_listed_for_single_files_and_with_the_flag() {
    let dir = Dir::new();
    dir.create(
        "src/auth.ts",
        "import { Injectable } from \"@nestjs/common\";\nexport function getUserToken(accountId: string) {\n  const data = accountId;\n  return data;\n}\n",
    );
    let out = dir.run(&["scan", "--format", "json", "src/auth.ts"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    let ids = v["identifiers"].as_array().unwrap();
    let find = |n: &str| {
        ids.iter()
            .find(|i| i["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing: {v:#}"))
    };
    assert_eq!(find("getUserToken")["kind"], "function");
    assert_eq!(find("getUserToken")["mutable"], true);
    assert_eq!(find("getUserToken")["line"], 2);
    assert_eq!(find("getUserToken")["file"], "src/auth.ts");
    assert_eq!(find("accountId")["kind"], "parameter");
    assert_eq!(find("data")["mutable"], false, "generic names stay");
    assert_eq!(find("Injectable")["mutable"], false, "package imports stay");
    assert_eq!(v["summary"]["identifiers_found"], ids.len());
    assert_eq!(
        v["summary"]["risk_score"], 0,
        "identifiers never count as risk"
    );
    // Directory scans stay secrets-only unless asked.
    let out = dir.run(&["scan", "--format", "json", "src"]);
    assert!(json(&out)["identifiers"].as_array().unwrap().is_empty());
    let out = dir.run(&["scan", "--format", "json", "--identifiers", "src"]);
    assert!(!json(&out)["identifiers"].as_array().unwrap().is_empty());
    // The never list marks a name as not mutable.
    dir.create("c.toml", "[identifiers]\nnever = [\"getUserToken\"]\n");
    let out = dir.run(&[
        "--config",
        "c.toml",
        "scan",
        "--format",
        "json",
        "src/auth.ts",
    ]);
    let v = json(&out);
    let gut = v["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "getUserToken")
        .unwrap()
        .clone();
    assert_eq!(gut["mutable"], false);
}

#[test]
fn a_long_file_named_alone_lists_what_a_directory_walk_lists() {
    // Named alone, a long file is parsed in pieces on every core; in a walk, whole.
    let dir = Dir::new();
    let source: String = (0..60)
        .map(|i| {
            format!(
                "class LedgerEntry{i}:\n    def settle_amount_{i}(self, amount_due):\n        return amount_due\n\n\ndef reconcile_batch_{i}(rows):\n    total_{i} = len(rows)\n    return total_{i}\n\n\n"
            )
        })
        .collect();
    dir.create("src/ledger.py", &source);
    let listed = |args: &[&str]| -> Vec<(String, String, u64)> {
        let out = dir.run(args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let mut ids: Vec<(String, String, u64)> = json(&out)["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["name"].as_str().unwrap().to_string(),
                    i["kind"].as_str().unwrap().to_string(),
                    i["line"].as_u64().unwrap(),
                )
            })
            .collect();
        ids.sort();
        ids
    };
    let alone = listed(&["scan", "--format", "json", "src/ledger.py"]);
    let walked = listed(&["scan", "--format", "json", "--identifiers", "src"]);
    assert_eq!(alone, walked);
    assert!(
        alone.contains(&("reconcile_batch_59".into(), "function".into(), 596)),
        "{alone:?}"
    );
    assert!(
        alone.contains(&("settle_amount_59".into(), "method".into(), 592)),
        "{alone:?}"
    );
}

#[test]
fn public_by_design_keys_only_when_asked() {
    let dir = Dir::new();
    let key = fake("pk_live_{24}", 8);
    dir.create("checkout.ts", format!("const stripe = Stripe('{key}');\n"));
    let out = dir.run(&["scan", "--format", "json", "checkout.ts"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["secrets"], serde_json::json!([]));
    let out = dir.run(&[
        "scan",
        "--format",
        "json",
        "--include-public",
        "checkout.ts",
    ]);
    let v = json(&out);
    assert_eq!(v["secrets"][0]["type"], "stripe_publishable_key", "{v}");
    assert_eq!(v["secrets"][0]["severity"], "low");
    // Never replaced: a public key is not a secret to take out of a prompt.
    let out = dir.run(&["redact", "checkout.ts"]);
    assert!(stdout(&out).contains(&key), "{}", stdout(&out));
}
