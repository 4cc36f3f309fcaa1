//! Every rule is checked against its own examples; precision cases that no rule may report.

use super::*;

fn ids(set: &RuleSet, text: &str) -> Vec<&'static str> {
    set.find(text.as_bytes())
        .into_iter()
        .map(|f| set.rule(f.rule).id)
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
        for search in [Search::Lines, Search::Bulk, Search::Short] {
            // Panics if the pattern (or its lowercase form's tree) does not compile.
            rule.compiled(search);
        }
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
                p < rule.id,
                "rules not sorted by id: {p:?} before {:?}",
                rule.id
            );
        }
        previous = Some(rule.id);
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
        for k in rule.keywords {
            assert!(
                k.len() >= 3,
                "rule {}: keyword {k:?} is too short to prefilter",
                rule.id
            );
        }
    }
    // Allowlists compile on first use; compile them all here so that a bad one fails this test.
    let mut distinct: Vec<*const Allowlist> = Vec::new();
    for list in set
        .global_allow
        .iter()
        .chain(set.rules().iter().filter_map(|r| r.allowlist.as_ref()))
    {
        let _ = list.is_match(b"");
        if !distinct.contains(&(*list as *const Allowlist)) {
            distinct.push(*list);
        }
    }
    assert!(
        distinct.len() < set.rules().iter().filter(|r| r.allowlist.is_some()).count(),
        "rules with the same allowlist should share one"
    );
}

#[test]
fn an_allowlist_keeps_each_pattern_s_flags_and_anchors() {
    let set = RuleSet::parse(
        r#"
[[rules]]
id = "k"
description = "d"
regex = 'key=([a-z0-9]+)'
keywords = ["KEY="]
severity = "high"
stopwords = ["TEST"]
allowlist = ['^zero$', '(?i)SAMPLE', """(?x)
  dummy # a comment at the very end"""]
"#,
        "mine.toml",
    )
    .unwrap();
    assert!(ids(&set, "key=zero").is_empty());
    assert_eq!(
        ids(&set, "key=azero"),
        ["k"],
        "the anchors apply to their own pattern"
    );
    assert!(ids(&set, "key=mysample1").is_empty());
    assert!(ids(&set, "key=dummy2").is_empty());
    assert!(
        ids(&set, "key=mytest9").is_empty(),
        "stopwords match in any case"
    );
    assert_eq!(ids(&set, "key=abc123"), ["k"]);
}

/// The quick prefilter is case-sensitive over a lowercased copy of the text, the bulk one is
/// ASCII-case-insensitive over the text itself: both wake a rule whatever the case on either side.
#[test]
fn keywords_match_in_any_case_with_either_prefilter() {
    let src = r#"
[[rules]]
id = "k"
description = "d"
regex = '(?i)secret_key=([a-z0-9]{6,})'
keywords = ["Secret_Key="]
severity = "high"
"#;
    let quick = RuleSet::parse(src, "mine.toml").unwrap();
    let bulk = RuleSet::parse(src, "mine.toml").unwrap();
    bulk.prepare_for_bulk();
    for text in [
        "SECRET_KEY=abc123",
        "secret_key=abc123",
        "x = 1\nSeCrEt_KeY=abc123 # é",
    ] {
        for set in [&quick, &bulk] {
            let found = set.find(text.as_bytes());
            assert_eq!(found.len(), 1, "{text:?}");
            assert_eq!(&text.as_bytes()[found[0].span.clone()], b"abc123");
        }
    }
}

/// `build.rs` stores each embedded rule's syntax tree and its gate's, and picks its lowercase
/// form: what compiles must be the tree of the pattern the rule runs.
#[test]
fn embedded_rules_compile_from_the_tree_of_their_pattern() {
    let mut lowercase = 0;
    for rule in RuleSet::builtin().rules() {
        let code = rule.tree.unwrap_or_else(|| panic!("{}: no tree", rule.id));
        let tree = hircode::decode(code).unwrap_or_else(|| panic!("{}: bad tree", rule.id));
        let parsed = hircode::parse(rule.source()).unwrap();
        assert_eq!(tree, parsed, "{}", rule.id);
        assert_eq!(
            rule.gate_tree.and_then(hircode::decode),
            gate::gate(&parsed),
            "{}: gate",
            rule.id
        );
        assert_eq!(
            rule.lowercase.map(str::to_string),
            casefold::lowercase_form(rule.regex_src),
            "{}",
            rule.id
        );
        lowercase += usize::from(rule.lowercase.is_some());
    }
    assert!(lowercase >= 5, "the generic rules run in lowercase form");
}

/// A gate must match wherever its rule does: every example of a rule gets through its gate, in
/// the form the rule searches.
#[test]
fn every_example_gets_through_its_rule_s_gate() {
    let mut gated = Vec::new();
    for rule in RuleSet::builtin().rules() {
        let Some(gate) = rule.gate() else { continue };
        gated.push(rule.id);
        for (i, template) in rule.examples.iter().enumerate() {
            for seed in 0..3u64 {
                let text = sample::expand(template, seed + i as u64 * 7).unwrap();
                let hay = match rule.lowercase {
                    Some(_) => text.to_ascii_lowercase(),
                    None => text.clone(),
                };
                assert!(gate.is_match(hay.as_bytes()), "{}: {text:?}", rule.id);
            }
        }
    }
    for id in [
        "generic_secret_assignment",
        "generic_secret_env",
        "generic_secret_yaml",
    ] {
        assert!(gated.contains(&id), "{id} has no gate; gated: {gated:?}");
    }
}

#[test]
fn every_example_is_found_by_its_rule() {
    let failures = missed_examples(RuleSet::builtin());
    assert!(
        failures.is_empty(),
        "{} examples missed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Directory scans and the daemon compile rules for long texts and use another prefilter; the
/// run-time loader must read the file as `build.rs` did.
#[test]
fn bulk_mode_and_the_run_time_loader_find_the_same() {
    let set = RuleSet::parse(include_str!("../../rules/secrets.toml"), "secrets.toml").unwrap();
    set.prepare_for_bulk();
    assert_eq!(set.rules().len(), RuleSet::builtin().rules().len());
    assert_examples_hold(&set);
}

/// A rule file loaded at run time has no trees from `build.rs`: it derives its lowercase forms and
/// gates when it loads and compiles, and must find what the embedded rules find.
#[test]
fn the_run_time_loader_derives_the_same_lowercase_forms_and_gates() {
    let set = RuleSet::parse(include_str!("../../rules/secrets.toml"), "secrets.toml").unwrap();
    for (loaded, embedded) in set.rules().iter().zip(RuleSet::builtin().rules()) {
        assert_eq!(loaded.lowercase, embedded.lowercase, "{}", loaded.id);
        assert_eq!(
            loaded.gate().is_some(),
            embedded.gate().is_some(),
            "{}",
            loaded.id
        );
    }
    assert_examples_hold(&set);
}

/// Every example found by its rule, no negative example found by any.
fn assert_examples_hold(set: &RuleSet) {
    let missed = missed_examples(set);
    assert!(missed.is_empty(), "examples missed:\n{}", missed.join("\n"));
    let reported = reported_negatives(set);
    assert!(
        reported.is_empty(),
        "negatives reported:\n{}",
        reported.join("\n")
    );
}

fn missed_examples(set: &RuleSet) -> Vec<String> {
    let mut failures = Vec::new();
    for rule in set.rules() {
        for (i, template) in rule.examples.iter().enumerate() {
            for seed in 0..3u64 {
                let text = sample::expand(template, seed + i as u64 * 7)
                    .unwrap_or_else(|e| panic!("rule {}: {e}", rule.id));
                let found: Vec<&str> = set
                    .find_with(text.as_bytes(), true)
                    .iter()
                    .map(|f| set.rule(f.rule).id)
                    .collect();
                if !found.contains(&rule.id) {
                    failures.push(format!("{}: example {text:?} found {found:?}", rule.id));
                    break;
                }
            }
        }
    }
    failures
}

#[test]
fn no_negative_example_is_found_by_any_rule() {
    let failures = reported_negatives(RuleSet::builtin());
    assert!(
        failures.is_empty(),
        "{} negatives reported:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn reported_negatives(set: &RuleSet) -> Vec<String> {
    let mut failures = Vec::new();
    for rule in set.rules() {
        for (i, template) in rule.negative_examples.iter().enumerate() {
            let text = sample::expand(template, i as u64)
                .unwrap_or_else(|e| panic!("rule {}: {e}", rule.id));
            let found = ids(set, &text);
            if !found.is_empty() {
                failures.push(format!("{}: negative {text:?} found by {found:?}", rule.id));
            }
            // A public rule's own negatives stay unfound when public keys are asked for too.
            if rule.public
                && let Some(f) = set
                    .find_with(text.as_bytes(), true)
                    .iter()
                    .find(|f| set.rule(f.rule).id == rule.id)
            {
                failures.push(format!(
                    "{}: negative {text:?} found at {:?}",
                    rule.id, f.span
                ));
            }
        }
    }
    failures
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
    // ids, hashes and digests
    (
        "\"requestId\": \"6f9619ff-8b86-d011-b42d-00c04fc964ff\",",
        "uuid json",
    ),
    (
        "\"sha\": \"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\",",
        "git sha json",
    ),
    (
        "checksum = \"5da2cec255404e4fb440034d6608697a8d41bed440e50454f31af3176813e02e\"",
        "Cargo.lock checksum",
    ),
    (
        "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=",
        "go.sum",
    ),
    (
        "  integrity sha1-Yzwsg+PaQqUC9SRmAiSA9CCCYd4=",
        "yarn.lock integrity",
    ),
    ("md5sum: c76fb008f86bebb2737f6a6f0fb23c6f", "md5"),
    (
        "image: nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
        "image digest",
    ),
    (
        "const HASH = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\";",
        "hash constant",
    ),
    (
        "\"ChangeToken\": \"abcd12f2-46da-4fdb-b8d5-fbd4c466928f\",",
        "AWS idempotency token",
    ),
    (
        "\"NextToken\": \"1LEphAU08/OHXCWwi+oGwodM+qTdF7LYQoRd6CpbxTmI\",",
        "pagination cursor",
    ),
    (
        "\"AWS::SecretsManager::Secret\": \"c85175a4ebcce361\",",
        "type-name hash map",
    ),
    // encoded data
    (
        "//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbImluZGV4LnRzIl0sIm5hbWVzIjpbXSwibWFwcGluZ3MiOiJBQUFBIn0=",
        "inline source map",
    ),
    (
        "background: url(data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxNiAxNiI+PC9zdmc+);",
        "css data uri",
    ),
    ("let expected = \"SGVsbG8gV29ybGQ=\";", "test vector"),
    // public keys and certificates
    (
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQUvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/yOaGglfIPk5VlDPk4C47bIkprJIoekk6P0K4uGpSSozBfGIy2EJAPnjR/rohtxlB3lex0XEw/yy6yxz4Uk0yGfuBXunJJm/oSHoNrKsFXJu59awr2qxPDjpLK4NFQV7FZmH+UzHQR1xfxRXmyqhAPu7NPpZP+rtJySLdi46tYBfB2WiucHX4PN8RJIb0/ZWTq338UKnJmjEfiI9Fu3YxHtGr8W67iYfU7JhUtJjuoOwN81JYuQ0gBJWuIXpyQUfMgsNuD856nrb0NdObex/PfrsyPZGVmZBp7omYPMBH8NXApHFeZDRoAkSaJGfJdnQYS deploy@ci",
        "ssh rsa public key",
    ),
    (
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\nRTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\n-----END CERTIFICATE-----",
        "certificate",
    ),
    ("-----BEGIN PGP PUBLIC KEY BLOCK-----", "pgp public key"),
    ("-----BEGIN RSA PUBLIC KEY-----", "rsa public key"),
    (
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM1ekNDQWMrZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK",
        "kubeconfig CA",
    ),
    // documentation examples and placeholders
    (
        "token = \"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
        "x'd github token",
    ),
    ("GITHUB_TOKEN=<your-token>", "angle placeholder env"),
    ("api_key: your_api_key_here", "your_ placeholder yaml"),
    ("STRIPE_SECRET_KEY=sk_live_...", "elided stripe key"),
    ("api_key = \"sk-...\"", "elided openai key"),
    ("password = \"********\"", "masked"),
    ("token: \"REPLACE_ME\"", "replace me"),
    ("SECRET_KEY=change-me-in-production", "change-me"),
    ("api_key = \"YOUR_API_KEY_HERE\"", "upper placeholder"),
    (
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "slack docs webhook",
    ),
    (
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt.io example token",
    ),
    ("aws_secret_access_key = <secret>", "aws angle placeholder"),
    ("password: \"{{ .Values.db.password }}\"", "helm template"),
    ("password = \"{{ db_password }}\"", "jinja template"),
    ("token: \"{{ lookup('env', 'TOKEN') }}\"", "ansible lookup"),
    (
        "<password>${env.MAVEN_PASSWORD}</password>",
        "maven property",
    ),
    // reads from the environment or a secret store
    ("export API_KEY=\"$API_KEY\"", "shell var"),
    (
        "export GITHUB_TOKEN=$(gh auth token)",
        "command substitution",
    ),
    (
        "SECRET_KEY = os.environ.get(\"SECRET_KEY\", \"\")",
        "env get py",
    ),
    ("api_key = ENV[\"API_KEY\"]", "env ruby"),
    ("let token = std::env::var(\"TOKEN\")?;", "env rust"),
    ("$apiKey = getenv('API_KEY');", "env php"),
    (
        "var secret = Environment.GetEnvironmentVariable(\"SECRET\");",
        "env c#",
    ),
    ("Password: os.Getenv(\"DB_PASSWORD\"),", "env go struct"),
    ("token: ${{ secrets.GITHUB_TOKEN }}", "actions token"),
    ("password: ${DB_PASSWORD}", "compose interpolation"),
    ("api_key: !ENV ${API_KEY}", "yaml env tag"),
    ("password = var.db_password", "terraform var"),
    (
        "client_secret = data.azurerm_key_vault_secret.sp.value",
        "terraform data",
    ),
    (
        "@Value(\"${db.password}\") private String password;",
        "spring property",
    ),
    // code that handles secrets without containing one
    (
        "token = request.headers.get(\"Authorization\")",
        "header read",
    ),
    (
        "const token = jwt.sign({ sub: user.id }, process.env.JWT_SECRET, { expiresIn: \"1h\" });",
        "jwt sign",
    ),
    ("const token = await getAccessToken();", "token call"),
    (
        "if (!token) throw new Error(\"missing token\");",
        "token check",
    ),
    (
        "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())",
        "hashing",
    ),
    ("user.password = hash_password(form.password.data)", "form"),
    ("password = getpass.getpass(\"Password: \")", "getpass"),
    ("read -s -p \"Password: \" PASSWORD", "shell read"),
    (
        "echo \"$DOCKER_PASSWORD\" | docker login -u \"$DOCKER_USERNAME\" --password-stdin",
        "docker login",
    ),
    (
        "headers = {\"Authorization\": f\"Bearer {token}\"}",
        "f-string header",
    ),
    (
        "curl -H \"Authorization: token $GITHUB_TOKEN\" https://api.github.com/user",
        "curl env",
    ),
    ("token_type: \"Bearer\",", "token type"),
    ("MAX_TOKENS = 4096", "llm tokens"),
    (
        "tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased\")",
        "tokenizer",
    ),
    ("const CSRF_TOKEN_HEADER = \"X-CSRF-Token\";", "header name"),
    (
        "ALLOW_CREDENTIALS = \"Access-Control-Allow-Credentials\"",
        "cors header",
    ),
    ("@app.route(\"/api/token\", methods=[\"POST\"])", "route"),
    // type annotations and declarations
    ("token: string;", "ts field"),
    ("apiKey?: string;", "ts optional field"),
    ("private String password;", "java field"),
    ("password: Optional[str] = None", "python optional"),
    (
        "secret: SecretStr = Field(..., env=\"SECRET\")",
        "pydantic field",
    ),
    ("fn verify(token: &str) -> bool {", "rust signature"),
    ("func Login(user, password string) error {", "go signature"),
    ("Token string `json:\"token\"`", "go struct tag"),
    ("pub api_key: String,", "rust field"),
    // configuration that is not a secret
    ("\"password\": \"Enter your password\",", "i18n"),
    (
        "\"forgot_password\": \"Forgot your password?\",",
        "i18n question",
    ),
    (
        "<input type=\"password\" name=\"password\" autocomplete=\"current-password\">",
        "html input",
    ),
    (
        "password_field = \"user_password_confirmation\"",
        "field name",
    ),
    ("passwordMinLength: 12", "policy"),
    (
        "\"Action\": \"secretsmanager:GetSecretValue\",",
        "iam action",
    ),
    (
        "SecretId: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
        "secret arn",
    ),
    ("secretName: my-app-tls", "k8s secret name"),
    ("        secretKeyRef:", "k8s secret ref"),
    ("secret_name = \"prod/database/credentials\"", "secret path"),
    (
        "private_key_path = \"/etc/ssl/private/server.key\"",
        "key path",
    ),
    (
        "token_url = \"https://oauth2.googleapis.com/token\"",
        "token endpoint",
    ),
    // connection strings without a real password
    (
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app_dev",
        "default postgres password",
    ),
    ("REDIS_URL=redis://localhost:6379/0", "redis no auth"),
    (
        "BROKER_URL=amqp://guest:guest@localhost:5672//",
        "rabbitmq guest",
    ),
    (
        "mongodb://${MONGO_USER}:${MONGO_PASSWORD}@mongo:27017/app",
        "mongo interpolation",
    ),
    (
        "url = \"https://user:pass@host.internal/path\"",
        "url docs creds",
    ),
    (
        "dsn = f\"postgresql://{user}:{password}@{host}/{db}\"",
        "python format dsn",
    ),
    // keys that are public by design
    (
        "const stripe = Stripe(\"pk_live_51HqLyjWDarjtT1zdp7dcZ3XJUngmgMsRcgizeg8Psh4487Q7\");",
        "stripe publishable",
    ),
    (
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_test_UngmgMsRcgizeg8Psh4487Q7",
        "stripe publishable env",
    ),
    (
        "ALGOLIA_SEARCH_API_KEY=c76fb008f86bebb2737f6a6f0fb23c6f",
        "algolia search key",
    ),
    (
        "docsearch({ appId: \"R2IYF7ETH7\", apiKey: \"c76fb008f86bebb2737f6a6f0fb23c6f\", indexName: \"docs\" });",
        "docsearch config",
    ),
    (
        "Sentry.init({ dsn: \"https://c76fb008f86bebb2737f6a6f0fb23c6f@o450123.ingest.sentry.io/5512345\" });",
        "sentry dsn",
    ),
    (
        "mapboxgl.accessToken = \"pk.eyJ1IjoiYWNtZSIsImEiOiJja3h5ejEyMzQwMDAwMnBxcjN4eXoifQ.UngmgMsRcgizeg8Psh4487\";",
        "mapbox public token",
    ),
    (
        "posthog.init(\"phc_UngmgMsRcgizeg8Psh4487Q7UngmgMsRcgizeg8Psh44\", { api_host: \"https://eu.i.posthog.com\" });",
        "posthog project key",
    ),
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
    // Compiled with Unicode off: a Unicode class is a load error, not a panic at the first match.
    let err = RuleSet::parse(
        "[allowlist]\nregexes = ['\\pL']\n[[rules]]\nid = \"x\"\ndescription = \"d\"\nregex = \"a\"\nseverity = \"High\"\n",
        "mine.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("allowlist regex"), "{err}");
    assert!(
        RuleSet::parse(
            "[[rules]]\nid = \"x\"\ndescription = \"d\"\nregex = \"a\"\nseverity = \"High\"\n",
            "mine.toml"
        )
        .is_ok(),
        "severity in any case"
    );
}

#[test]
fn specific_rules_win_over_generic_assignments() {
    let set = RuleSet::builtin();
    for (template, want) in [
        ("GITHUB_TOKEN=ghp_{36}", "github_pat"),
        ("password = \"ghp_{36}\"", "github_pat"),
        ("api_key: AIza{35:b64url}", "gcp_api_key"),
        (
            "  \"token\": \"xoxb-{12:digit}-{13:digit}-{24}\",",
            "slack_bot_token",
        ),
        (
            "OPENAI_API_KEY=sk-proj-{74:b64url}T3BlbkFJ{74:b64url}",
            "openai_api_key",
        ),
        (
            "export AWS_SECRET_ACCESS_KEY={40:b64}",
            "aws_secret_access_key",
        ),
    ] {
        let text = sample::expand(template, 5).unwrap();
        assert_eq!(ids(set, &text), [want], "{text}");
    }
}

#[test]
fn many_keyword_hits_on_long_lines_find_every_secret() {
    // A minified bundle: one long line full of keywords, with secrets on it and on the next line.
    let set = RuleSet::builtin();
    let a = sample::expand("ghp_{36}", 1).unwrap();
    let b = sample::expand("glpat-{20}", 2).unwrap();
    let c = sample::expand("xoxb-{12:digit}-{13:digit}-{24}", 3).unwrap();
    let filler = "var t={token:e.token,password:n,apiKey:r};".repeat(2000);
    let text = format!("{filler}x=\"{a}\";{filler}y=\"{b}\";{filler}\nz=\"{c}\";\n");
    let found: Vec<&str> = set
        .find(text.as_bytes())
        .iter()
        .map(|f| &text[f.span.clone()])
        .collect();
    assert_eq!(found, [a.as_str(), b.as_str(), c.as_str()]);
}

/// Scans on different threads one after another share the sets of search caches (each thread
/// had its own before, which each request's thread filled again), and find what one thread does;
/// a scan while every set is held makes one of its own.
#[test]
fn scans_share_search_caches_across_threads() {
    let set = RuleSet::parse(include_str!("../../rules/secrets.toml"), "secrets.toml").unwrap();
    set.prepare_for_bulk();
    let a = sample::expand("ghp_{36}", 7).unwrap();
    let text = format!("const token = \"{a}\";\nconst apiKey = process.env.API_KEY;\n");
    let sets = |set: &RuleSet| set.caches.0.lock().unwrap().len();
    // The first scan compiles its rules on every core, with at most one set per core.
    let expected = set.find(text.as_bytes());
    assert_eq!(expected.len(), 1);
    assert_eq!(&text[expected[0].span.clone()], a);
    let before = sets(&set);
    assert!(
        (1..=crate::parallel::cores()).contains(&before),
        "{before} sets"
    );
    for _ in 0..4 {
        let found = std::thread::scope(|s| s.spawn(|| set.find(text.as_bytes())).join().unwrap());
        assert_eq!(found, expected);
    }
    assert_eq!(sets(&set), before, "one thread after another: no new set");
    let held: Vec<Caches> = (0..before)
        .map(|_| set.caches.take(set.rules.len()))
        .collect();
    assert!(
        held.iter().flatten().any(|rule| !rule.is_empty()),
        "the sets came back filled"
    );
    assert_eq!(set.find(text.as_bytes()), expected);
    assert_eq!(
        sets(&set),
        1,
        "a scan while the others were held made its own"
    );
    held.into_iter().for_each(|h| set.caches.give_back(h));
    assert_eq!(sets(&set), before + 1);
}

/// A one-shot scan searches a short window with a regex of its own and a long one with the
/// lines regex, which then serves short windows too: the set keeps a cache for each regex, and
/// each search uses its own regex's.
#[test]
fn a_rule_keeps_a_cache_for_each_regex_it_ran() {
    let set = one_rule("(?i)secret_key=([a-z0-9]{6,})", "secret_key=");
    let short = "secret_key=abc123\n";
    let long = format!("secret_key=def456 {}\n", "x".repeat(2 * SHORT_SEARCH));
    for (text, value) in [
        (short, "abc123"),
        (long.as_str(), "def456"),
        (short, "abc123"),
    ] {
        let found = set.find(text.as_bytes());
        assert_eq!(found.len(), 1, "{text:?}");
        assert_eq!(&text[found[0].span.clone()], value);
    }
    let sets = set.caches.0.lock().unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(
        sets[0][0].len(),
        2,
        "the short regex's cache and the lines regex's"
    );
}

/// A burst of scans at once leaves no more sets than a later burst is likely to need.
#[test]
fn at_most_twice_the_cores_sets_are_kept() {
    let set = one_rule("k=([0-9]{6})", "k=");
    let kept = 2 * crate::parallel::cores();
    let held: Vec<Caches> = (0..kept + 3)
        .map(|_| set.caches.take(set.rules.len()))
        .collect();
    held.into_iter().for_each(|h| set.caches.give_back(h));
    assert_eq!(set.caches.0.lock().unwrap().len(), kept);
}

/// The daemon compiles its rules at start, with a set of caches for them, so that its first
/// requests do not; the public-by-design rules, which it never runs, are left alone, and a set
/// not prepared for bulk search is left as it is.
#[test]
fn a_daemon_compiles_every_rule_it_runs_before_its_first_request() {
    let set = RuleSet::parse(include_str!("../../rules/secrets.toml"), "secrets.toml").unwrap();
    set.compile_for_bulk();
    assert!(set.rules.iter().all(|r| !r.compiled.ready(Search::Bulk)));
    assert_eq!(set.caches.0.lock().unwrap().len(), 0);
    set.prepare_for_bulk();
    set.compile_for_bulk();
    assert!(
        set.rules.iter().any(|r| r.public),
        "the file has public rules"
    );
    for (r, rule) in set.rules.iter().enumerate() {
        assert_eq!(
            rule.compiled.ready(Search::Bulk),
            !rule.public,
            "{}",
            rule.id
        );
        assert_eq!(
            set.caches.0.lock().unwrap()[0][r].len(),
            usize::from(!rule.public)
        );
    }
}

/// A rule file of one rule, `k`.
fn one_rule(regex: &str, keyword: &str) -> RuleSet {
    let src = format!(
        "[[rules]]\nid = \"k\"\ndescription = \"d\"\nregex = '{regex}'\nkeywords = [\"{keyword}\"]\nseverity = \"high\"\n"
    );
    RuleSet::parse(&src, "mine.toml").unwrap()
}

/// A secret right after an escape (`\n`, `\t`, also written `\\n` in text encoded once more) is
/// found like one after a space: the letter of the escape is not part of a word before it.
#[test]
fn secrets_right_after_an_escape_are_found() {
    let set = RuleSet::builtin();
    let a = sample::expand("ghp_{36}", 31).unwrap();
    let b = sample::expand("ghp_{36}", 32).unwrap();
    let k = sample::expand("AKIA{16:upper}", 33).unwrap();
    let l = sample::expand("AKIA{16:upper}", 34).unwrap();
    for (text, wanted) in [
        (format!("TOKENS = \"{a}\\n{b}\"\n"), vec![&a, &b]),
        (format!("KEYS = \"{k}\\t{l}\"\n"), vec![&k, &l]),
        (format!("x = \"\\n{b}\"\n"), vec![&b]),
        (
            format!("{{\"code\": \"x = \\\"\\\\n{b}\\\"\"}}\n"),
            vec![&b],
        ),
    ] {
        let found: Vec<&str> = set
            .find(text.as_bytes())
            .iter()
            .map(|f| std::str::from_utf8(&text.as_bytes()[f.span.clone()]).unwrap())
            .collect();
        assert_eq!(found, wanted, "{text}");
    }
}
