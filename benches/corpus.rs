//! A deterministic generator of real-looking source code for the benchmarks: TypeScript, Python,
//! Go and Java files built from templates and word lists, with a few planted secrets. Shared by the
//! benchmark binaries through `#[path]` includes.

#![allow(dead_code)] // each benchmark uses a subset

use std::fmt::Write as _;
use std::path::Path;

/// splitmix64: fast, deterministic, good enough for picking words.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }
}

const VERBS: &[&str] = &[
    "get",
    "fetch",
    "load",
    "build",
    "parse",
    "resolve",
    "compute",
    "validate",
    "update",
    "create",
    "render",
    "apply",
    "merge",
    "sync",
    "refresh",
    "encode",
    "decode",
    "normalize",
    "schedule",
    "dispatch",
    "register",
    "process",
    "handle",
    "verify",
    "export",
    "import",
    "serialize",
];
const NOUNS: &[&str] = &[
    "user",
    "account",
    "invoice",
    "payment",
    "session",
    "token",
    "ledger",
    "order",
    "customer",
    "shipment",
    "policy",
    "report",
    "metric",
    "tenant",
    "profile",
    "quota",
    "webhook",
    "cursor",
    "snapshot",
    "region",
    "catalog",
    "price",
    "discount",
    "cart",
    "risk",
    "score",
    "audit",
    "event",
    "password",
    "secret",
    "key",
    "config",
    "credential",
    "header",
    "request",
    "response",
    "cache",
];
const ADJS: &[&str] = &[
    "active",
    "pending",
    "internal",
    "remote",
    "cached",
    "primary",
    "legacy",
    "batch",
    "daily",
    "monthly",
    "encrypted",
    "public",
    "private",
    "default",
    "partial",
    "async",
    "signed",
];
const COMMENTS: &[&str] = &[
    "Retry with exponential backoff when the upstream is busy.",
    "Keep this in sync with the billing service schema.",
    "The token is refreshed lazily on first use.",
    "Never log the password or the API key here.",
    "TODO: move this to the shared config loader.",
    "Handles the edge case where the cursor wraps around.",
    "See RFC 7519 for the JWT claims we validate.",
    "Secrets come from the environment, never from source.",
];

fn camel(parts: &[&str]) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            s.push_str(p);
        } else {
            let mut c = p.chars();
            if let Some(f) = c.next() {
                s.push(f.to_ascii_uppercase());
                s.push_str(c.as_str());
            }
        }
    }
    s
}

fn pascal(parts: &[&str]) -> String {
    let c = camel(parts);
    let mut chars = c.chars();
    match chars.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + chars.as_str(),
        None => c,
    }
}

fn snake(parts: &[&str]) -> String {
    parts.join("_")
}

/// One TypeScript file of roughly `target` bytes.
pub fn typescript(rng: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    s.push_str("import { Injectable } from \"@nestjs/common\";\nimport axios from \"axios\";\nimport { Logger } from \"./logger\";\n\n");
    while s.len() < target {
        let (v, n, a) = (rng.pick(VERBS), rng.pick(NOUNS), rng.pick(ADJS));
        let class = pascal(&[a, n, "service"]);
        let iface = pascal(&[n, "options"]);
        let _ = write!(
            s,
            "/** {} */\nexport interface {iface} {{\n  {}: string;\n  {}?: number;\n  retries: number;\n}}\n\n\
             @Injectable()\nexport class {class} {{\n  private readonly {} = new Map<string, {iface}>();\n\n  \
             constructor(private readonly logger: Logger) {{}}\n\n  async {}(id: string, opts: {iface}): Promise<{iface} | undefined> {{\n    \
             // {}\n    const cached = this.{}.get(id);\n    if (cached) {{\n      return cached;\n    }}\n    \
             const res = await axios.get(`/api/v2/{n}s/${{id}}`, {{ headers: {{ Authorization: `Bearer ${{process.env.API_TOKEN}}` }} }});\n    \
             this.logger.debug(\"{} {} loaded\", id);\n    this.{}.set(id, res.data);\n    return res.data as {iface};\n  }}\n}}\n\n",
            rng.pick(COMMENTS),
            camel(&[n, "id"]),
            camel(&[a, "count"]),
            camel(&[n, "cache"]),
            camel(&[v, n]),
            rng.pick(COMMENTS),
            camel(&[n, "cache"]),
            v,
            n,
            camel(&[n, "cache"]),
        );
    }
    s
}

/// One Python file of roughly `target` bytes.
pub fn python(rng: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    s.push_str("import os\nimport logging\nfrom dataclasses import dataclass\nfrom .models import Base\n\nlog = logging.getLogger(__name__)\n\n");
    while s.len() < target {
        let (v, n, a) = (rng.pick(VERBS), rng.pick(NOUNS), rng.pick(ADJS));
        let _ = write!(
            s,
            "@dataclass\nclass {}(Base):\n    \"\"\"{}\"\"\"\n    {}: str\n    {}: int = 0\n\n    \
             def {}(self, {}: str, retries: int = 3) -> dict:\n        # {}\n        \
             token = os.environ.get(\"{}_TOKEN\", \"\")\n        for attempt in range(retries):\n            \
             result = self._client.get(f\"/v1/{n}s/{{{}}}\", headers={{\"Authorization\": f\"Bearer {{token}}\"}})\n            \
             if result.ok:\n                log.info(\"%s %s ok\", \"{v}\", {})\n                return result.json()\n        \
             raise RuntimeError(\"could not {v} {n}\")\n\n\n",
            pascal(&[a, n]),
            rng.pick(COMMENTS),
            snake(&[n, "id"]),
            snake(&[a, "count"]),
            snake(&[v, n]),
            snake(&[n, "id"]),
            rng.pick(COMMENTS),
            n.to_uppercase(),
            snake(&[n, "id"]),
            snake(&[n, "id"]),
        );
    }
    s
}

/// One Go file of roughly `target` bytes.
pub fn go(rng: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    s.push_str(
        "package service\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\n",
    );
    while s.len() < target {
        let (v, n, a) = (rng.pick(VERBS), rng.pick(NOUNS), rng.pick(ADJS));
        let ty = pascal(&[a, n]);
        let _ = write!(
            s,
            "// {ty} {}\ntype {ty} struct {{\n\tID       string\n\t{}  int\n\tclient   *http.Client\n}}\n\n\
             // {} {}\nfunc (s *{ty}) {}(ctx context.Context, id string) error {{\n\t\
             token := os.Getenv(\"{}_TOKEN\")\n\treq, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf(\"/v1/{n}s/%s\", id), nil)\n\t\
             if err != nil {{\n\t\treturn fmt.Errorf(\"{v} {n}: %w\", err)\n\t}}\n\treq.Header.Set(\"Authorization\", \"Bearer \"+token)\n\t\
             resp, err := s.client.Do(req)\n\tif err != nil {{\n\t\treturn err\n\t}}\n\tdefer resp.Body.Close()\n\treturn nil\n}}\n\n",
            rng.pick(COMMENTS),
            pascal(&[a, "count"]),
            pascal(&[v, n]),
            rng.pick(COMMENTS),
            pascal(&[v, n]),
            n.to_uppercase(),
        );
    }
    s
}

/// One Java file of roughly `target` bytes.
pub fn java(rng: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    let (n0, a0) = (rng.pick(NOUNS), rng.pick(ADJS));
    let _ = write!(
        s,
        "package com.acme.{n0};\n\nimport java.util.List;\nimport java.util.Map;\nimport java.util.HashMap;\n\npublic class {} {{\n",
        pascal(&[a0, n0, "repository"])
    );
    while s.len() < target {
        let (v, n, a) = (rng.pick(VERBS), rng.pick(NOUNS), rng.pick(ADJS));
        let _ = write!(
            s,
            "    /** {} */\n    private final Map<String, {}> {} = new HashMap<>();\n\n    \
             public List<{}> {}(String {}, int limit) {{\n        // {}\n        String token = System.getenv(\"{}_TOKEN\");\n        \
             if (token == null || token.isEmpty()) {{\n            throw new IllegalStateException(\"missing token for {v}\");\n        }}\n        \
             return List.copyOf({}.values()).subList(0, Math.min(limit, {}.size()));\n    }}\n\n",
            rng.pick(COMMENTS),
            pascal(&[a, n]),
            camel(&[n, "index"]),
            pascal(&[a, n]),
            camel(&[v, n]),
            camel(&[n, "id"]),
            rng.pick(COMMENTS),
            n.to_uppercase(),
            camel(&[n, "index"]),
            camel(&[n, "index"]),
        );
    }
    s.push_str("}\n");
    s
}

/// Secrets planted in the tree (fake, generated from rule-example templates).
pub const PLANTED: &[(&str, &str)] = &[
    ("config/prod.env", "GITHUB_TOKEN=ghp_{36}\n"),
    (
        "src/billing/keys.ts",
        "export const stripeKey = \"sk_live_{24}\";\n",
    ),
    ("deploy/aws.py", "AWS_ACCESS_KEY_ID = \"AKIA{16:upper}\"\n"),
    (
        "services/chat/slack.go",
        "const hook = \"xoxb-{10:digit}-{12:digit}-{24}\"\n",
    ),
    (
        "ops/id_rsa",
        "-----BEGIN RSA PRIVATE KEY-----\n{64:b64}\n{64:b64}\n{64:b64}\n-----END RSA PRIVATE KEY-----\n",
    ),
    (
        "src/main/resources/app.yml",
        "datasource:\n  url: postgres://app:{20}@db.internal:5432/app\n",
    ),
];

/// Writes a tree of about `total` bytes under `root` and returns the bytes written.
pub fn write_tree(root: &Path, total: usize) -> std::io::Result<u64> {
    let mut rng = Rng(0x5eed);
    let mut written = 0u64;
    let mut i = 0usize;
    while (written as usize) < total {
        let size = rng.range(8 * 1024, 64 * 1024);
        let (dir, ext, body) = match i % 4 {
            0 => ("web/src", "ts", typescript(&mut rng, size)),
            1 => ("api/app", "py", python(&mut rng, size)),
            2 => ("svc/internal", "go", go(&mut rng, size)),
            _ => ("core/src/main/java", "java", java(&mut rng, size)),
        };
        let path = root.join(format!("{dir}/m{:03}/f{i:05}.{ext}", i % 97));
        std::fs::create_dir_all(path.parent().expect("has parent"))?;
        std::fs::write(&path, &body)?;
        written += body.len() as u64;
        i += 1;
    }
    for (k, (rel, template)) in PLANTED.iter().enumerate() {
        let text = pretense::secrets::sample::expand(template, k as u64).expect("valid template");
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent"))?;
        std::fs::write(&path, &text)?;
        written += text.len() as u64;
    }
    Ok(written)
}
