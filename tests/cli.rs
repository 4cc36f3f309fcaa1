//! The command line itself: version, global options, config errors, `pretense config`, completions.

use crate::util::{Dir, code, stderr, stdout};

#[test]
fn version_and_help() {
    let dir = Dir::new();
    let out = dir.run(&["--version"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out).trim(),
        format!("pretense {}", env!("CARGO_PKG_VERSION"))
    );
    let out = dir.run(&["--help"]);
    assert_eq!(code(&out), 0);
    for cmd in ["scan", "completions", "hook", "config"] {
        assert!(stdout(&out).contains(cmd), "help lists {cmd}");
    }
    let out = dir.run(&["frobnicate"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn global_options_work_before_and_after_the_subcommand() {
    let dir = Dir::new();
    dir.create("c.toml", "[scan]\nmax_file_bytes = 7\n");
    for args in [
        &["--config", "c.toml", "config"][..],
        &["config", "--config", "c.toml"][..],
    ] {
        let out = dir.run(args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(
            stdout(&out).contains("max_file_bytes = 7"),
            "{}",
            stdout(&out)
        );
    }
    let data = dir.join("mydata");
    let out = dir.run(&["config", "--paths", "--data-dir", data.to_str().unwrap()]);
    assert!(
        stdout(&out).contains(&*data.to_string_lossy()),
        "{}",
        stdout(&out)
    );
}

#[test]
fn config_defaults_without_a_file_and_env_overrides() {
    let dir = Dir::new();
    let out = dir.run(&["config"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("not found: using defaults"), "{text}");
    assert!(text.contains("port = 9339"), "{text}");
    assert!(text.contains("policy = \"redact\""), "{text}");
    // The harness points PRETENSE_DATA_DIR at the private home.
    assert!(text.contains(&*dir.data_dir().to_string_lossy()), "{text}");

    dir.create("env.toml", "[server]\nport = 9400\n");
    let out = dir
        .cmd()
        .env("PRETENSE_CONFIG", dir.join("env.toml"))
        .arg("config")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("port = 9400"), "{}", stdout(&out));
}

#[test]
fn malformed_config_names_file_line_and_key() {
    let dir = Dir::new();
    dir.create("bad.toml", "[server]\nport = 9339\nprot = 1\n");
    let out = dir.run(&["--config", "bad.toml", "scan", "."]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.starts_with("pretense: "), "{err}");
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("prot"), "{err}");

    dir.create("syntax.toml", "[server\nport = 1\n");
    let out = dir.run(&["--config", "syntax.toml", "config"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));

    let out = dir.run(&["--config", "missing.toml", "config"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("missing.toml"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "said once: {err}");
}

#[test]
fn completions_are_fresh() {
    let dir = Dir::new();
    let root = env!("CARGO_MANIFEST_DIR");
    for (shell, file) in [
        ("bash", "pretense.bash"),
        ("zsh", "_pretense"),
        ("fish", "pretense.fish"),
        ("powershell", "_pretense.ps1"),
        ("elvish", "pretense.elv"),
    ] {
        let out = dir.run(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        assert!(out.stdout.len() > 200, "{shell} script too short");
        let committed = std::fs::read(format!("{root}/completions/{file}"))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}"));
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run `./completions/generate.sh` and commit the result"
        );
    }
}

#[test]
fn completions_survive_a_closed_pipe() {
    let dir = Dir::new();
    let mut child = dir
        .cmd()
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.code() == Some(0),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn install_script_installs_binary_and_completions_idempotently() {
    let dir = Dir::new();
    let root = env!("CARGO_MANIFEST_DIR");
    let prefix = dir.join("prefix");
    let run = |shell: &str| {
        std::process::Command::new("sh")
            .arg(format!("{root}/install.sh"))
            .args(["--prefix", prefix.to_str().unwrap(), "--shell", shell])
            .env("HOME", dir.home())
            .env("XDG_DATA_HOME", dir.home().join("share"))
            .env("XDG_CONFIG_HOME", dir.home().join("config"))
            .env("PRETENSE_BINARY", env!("CARGO_BIN_EXE_pretense"))
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = run("bash");
        assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("installed"), "{}", stdout(&out));
    }
    let installed = prefix.join("bin/pretense");
    let out = std::process::Command::new(&installed)
        .arg("--version")
        .output()
        .unwrap();
    assert!(stdout(&out).starts_with("pretense "));
    let bash = std::fs::read(
        dir.home()
            .join("share/bash-completion/completions/pretense"),
    )
    .unwrap();
    assert_eq!(
        bash,
        std::fs::read(format!("{root}/completions/pretense.bash")).unwrap()
    );
    assert_eq!(code(&run("fish")), 0);
    assert!(
        dir.home()
            .join("config/fish/completions/pretense.fish")
            .exists()
    );
    assert_eq!(code(&run("zsh")), 0);
    assert!(
        dir.home()
            .join("share/zsh/site-functions/_pretense")
            .exists()
    );
}

#[test]
fn install_script_explains_a_missing_cargo() {
    let dir = Dir::new();
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("/bin/sh")
        .arg(format!("{root}/install.sh"))
        .args(["--prefix", dir.join("p").to_str().unwrap()])
        .env("HOME", dir.home())
        .env("PATH", "/usr/bin:/bin")
        .env_remove("PRETENSE_BINARY")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("cargo was not found"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("rustup.rs"), "{}", stderr(&out));
    assert!(!dir.join("p/bin/pretense").exists());
}
