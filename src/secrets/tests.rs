//! Every rule is checked against its own examples; precision cases that no rule may report.

use super::*;

fn ids(set: &RuleSet, text: &str) -> Vec<String> {
    set.find(text.as_bytes())
        .into_iter()
        .map(|f| set.rule(f.rule).id.clone())
        .collect()
}

#[test]
fn builtin_rules_compile_and_are_well_formed() {
    let set = RuleSet::builtin();
    assert!(
        set.rules().len() >= 120,
        "expected at least 120 rules, found {}",
        set.rules().len()
    );
    let mut previous: Option<&str> = None;
    for rule in set.rules() {
        let _ = rule.compiled();
        assert!(
            rule.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && rule.id.as_bytes()[0].is_ascii_lowercase(),
            "rule id {:?} is not snake_case",
            rule.id
        );
        if let Some(p) = previous {
            assert!(
                p < rule.id.as_str(),
                "rules not sorted by id: {p:?} before {:?}",
                rule.id
            );
        }
        previous = Some(&rule.id);
        assert!(
            !rule.keywords.is_empty(),
            "rule {} has no keywords",
            rule.id
        );
        assert!(
            !rule.examples.is_empty(),
            "rule {} has no examples",
            rule.id
        );
        assert!(
            !rule.description.is_empty(),
            "rule {} has no description",
            rule.id
        );
        for k in &rule.keywords {
            assert!(
                k.len() >= 3,
                "rule {}: keyword {k:?} is too short to prefilter",
                rule.id
            );
        }
    }
}

#[test]
fn every_example_is_found_by_its_rule() {
    let set = RuleSet::builtin();
    let mut failures = Vec::new();
    for rule in set.rules() {
        for (i, template) in rule.examples.iter().enumerate() {
            for seed in 0..3u64 {
                let text = sample::expand(template, seed + i as u64 * 7)
                    .unwrap_or_else(|e| panic!("rule {}: {e}", rule.id));
                let found = ids(set, &text);
                if !found.contains(&rule.id) {
                    failures.push(format!("{}: example {text:?} found {found:?}", rule.id));
                    break;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} examples missed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_negative_example_is_found_by_any_rule() {
    let set = RuleSet::builtin();
    let mut failures = Vec::new();
    for rule in set.rules() {
        for (i, template) in rule.negative_examples.iter().enumerate() {
            let text = sample::expand(template, i as u64)
                .unwrap_or_else(|e| panic!("rule {}: {e}", rule.id));
            let found = ids(set, &text);
            if !found.is_empty() {
                failures.push(format!("{}: negative {text:?} found by {found:?}", rule.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} negatives reported:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Things developers' code is full of that are not secrets.
const CLEAN: &[(&str, &str)] = &[
    ("id = \"3f1c2b9e-8d4a-4c7b-9e21-5a6f7d8c9b0a\"", "uuid"),
    (
        "commit: 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "git sha",
    ),
    (
        "sha256 = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
        "bare hash",
    ),
    (
        "\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"",
        "lockfile integrity",
    ),
    (
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws docs example",
    ),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws docs secret example",
    ),
    ("OPENAI_API_KEY=sk-...", "elided key"),
    ("api_key = \"<your-api-key>\"", "angle placeholder"),
    ("password = \"${DB_PASSWORD}\"", "env interpolation"),
    ("password = \"changeme\"", "changeme"),
    ("token = \"xxxxxxxxxxxxxxxxxxxxxxxx\"", "x placeholder"),
    ("const apiKey = process.env.OPENAI_API_KEY;", "env read js"),
    ("api_key = os.environ[\"STRIPE_KEY\"]", "env read py"),
    ("token := os.Getenv(\"GITHUB_TOKEN\")", "env read go"),
    (
        "String secret = System.getenv(\"SECRET\");",
        "env read java",
    ),
    ("password: ${{ secrets.DB_PASSWORD }}", "actions secret ref"),
    ("const password = getPassword(user);", "call"),
    ("def check_token(token: str) -> bool:", "signature"),
    (
        "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\">",
        "base64 image",
    ),
    (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host",
        "public key",
    ),
    ("-----BEGIN PUBLIC KEY-----", "public key block"),
    ("password = PRETENSE_SECRET_1a2b3c4d", "our own placeholder"),
];

#[test]
fn common_non_secrets_are_not_reported() {
    let set = RuleSet::builtin();
    let mut failures = Vec::new();
    for (text, note) in CLEAN {
        let found = ids(set, text);
        if !found.is_empty() {
            failures.push(format!("{note}: {text:?} found by {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn allow_comments_silence_their_line_only() {
    let set = RuleSet::builtin();
    let key = sample::expand("ghp_{36}", 9).unwrap();
    for marker in [
        "// pretense:allow",
        "# gitleaks:allow",
        "# pragma: allowlist secret",
    ] {
        let text = format!("token = \"{key}\" {marker}\ntoken2 = \"{key}\"\n");
        let found = set.find(text.as_bytes());
        assert_eq!(found.len(), 1, "{marker}: {found:?}");
        assert!(found[0].span.start > text.find('\n').unwrap(), "{marker}");
    }
}

#[test]
fn span_is_the_value_inside_the_quotes() {
    let set = RuleSet::builtin();
    let key = sample::expand("ghp_{36}", 3).unwrap();
    let text = format!("const t = \"{key}\";");
    let found = set.find(text.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(&text[found[0].span.clone()], key);
}

#[test]
fn a_bad_rule_file_is_a_clear_error() {
    let err = RuleSet::parse(
        "[[rules]]\nid = \"x\"\ndescription = \"d\"\nregex = \"(\"\nseverity = \"high\"\n",
        "mine.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("mine.toml") && err.contains("\"x\"") && err.contains("regex"),
        "{err}"
    );
    let err = RuleSet::parse(
        "[[rules]]\nid = \"x\"\ndescription = \"d\"\nregex = \"a\"\nseverity = \"huge\"\n",
        "mine.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("severity"), "{err}");
}
