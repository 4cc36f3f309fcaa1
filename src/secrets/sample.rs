//! Fake secrets for tests: rule examples are templates such as `"ghp_{36}"` that expand to random
//! characters at test time, so the repository never holds anything that looks like a live key (and
//! push protection never blocks it). Also used by integration tests and benchmarks.
//!
//! Template syntax: `{N}` is N random ASCII letters and digits; `{N:set}` draws from a named set
//! (`hex`, `HEX`, `b64`, `b64url`, `upper`, `lower`, `digit`, `alpha`, `upnum`, `lownum`);
//! `{{` and `}}` are literal braces.

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn charset(name: &str) -> Option<&'static [u8]> {
    Some(match name {
        "" | "alnum" => ALNUM,
        "hex" => b"0123456789abcdef",
        "HEX" => b"0123456789ABCDEF",
        "b64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "b64url" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        "upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "lower" => b"abcdefghijklmnopqrstuvwxyz",
        "digit" => b"0123456789",
        "alpha" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "upnum" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "lownum" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        _ => return None,
    })
}

/// A small deterministic generator (splitmix64): the same template and seed give the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Expands `template` with characters drawn from `seed`. Malformed placeholders are an error that
/// names the template, so a typo in a rule's examples fails its test clearly.
pub fn expand(template: &str, seed: u64) -> Result<String, String> {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for b in template.bytes() {
        hash = (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = Rng(hash ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!("unmatched '}}' in template {template:?}"));
        }
        let close = tail
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in template {template:?}"))?;
        let spec = &tail[1..close];
        let (count, set) = spec.split_once(':').unwrap_or((spec, ""));
        let count: usize = count
            .parse()
            .map_err(|_| format!("bad placeholder {{{spec}}} in template {template:?}"))?;
        let chars = charset(set)
            .ok_or_else(|| format!("unknown character set {set:?} in template {template:?}"))?;
        for _ in 0..count {
            out.push(chars[(rng.next() % chars.len() as u64) as usize] as char);
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn expands_sets_and_braces() {
        let s = expand("ghp_{36}", 1).unwrap();
        assert_eq!(s.len(), 40);
        assert!(s[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        let h = expand("x{8:hex}y", 1).unwrap();
        assert!(
            h[1..9]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(expand("{{\"a\": 1}}", 0).unwrap(), "{\"a\": 1}");
        assert_eq!(expand("ghp_{36}", 1).unwrap(), s, "deterministic");
        assert_ne!(expand("ghp_{36}", 2).unwrap(), s, "seeded");
    }

    #[test]
    fn rejects_malformed() {
        assert!(expand("{x}", 0).is_err());
        assert!(expand("{3:nope}", 0).is_err());
        assert!(expand("{3", 0).is_err());
        assert!(expand("a}b", 0).is_err());
    }
}
