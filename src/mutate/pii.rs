//! Personal data in prompts: email addresses, IPv4/IPv6 addresses, phone numbers, payment card
//! numbers and IBANs. Each category can be switched off in `[pii]`. Detection is tuned for code and
//! chat text: checksums (Luhn, IBAN mod 97) and context checks keep version strings, loopback and
//! documentation addresses out.

use std::ops::Range;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::bytes::Regex;

use crate::config;

/// A PII category; its name is the placeholder kind (`PRETENSE_EMAIL_…`) and the vault kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Email,
    Ip,
    Phone,
    Card,
    Iban,
}

impl Kind {
    /// Lowercase name (vault kind, audit).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Ip => "ip",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Iban => "iban",
        }
    }

    /// Uppercase name (placeholder kind).
    pub fn placeholder_kind(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Ip => "IP",
            Kind::Phone => "PHONE",
            Kind::Card => "CARD",
            Kind::Iban => "IBAN",
        }
    }
}

struct Patterns {
    email: Regex,
    ipv4: Regex,
    ipv6: Regex,
    phone: Regex,
    card: Regex,
    iban: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: &str| {
            regex::bytes::RegexBuilder::new(p)
                .unicode(false)
                .build()
                .expect("PII patterns are tested")
        };
        Patterns {
            email: re(r"(?i)[a-z0-9][a-z0-9._%+\-]{0,63}@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"),
            ipv4: re(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"),
            ipv6: re(r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*"),
            phone: re(r"\+[1-9][0-9]{0,2}[ .\-]?(?:\([0-9]{1,4}\)[ .\-]?)?[0-9]{1,4}(?:[ .\-]?[0-9]{2,4}){2,4}|\([0-9]{3}\) ?[0-9]{3}[\-.][0-9]{4}|[0-9]{3}[\-.][0-9]{3}[\-.][0-9]{4}"),
            card: re(r"[0-9](?:[ \-]?[0-9]){12,18}"),
            iban: re(r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"),
        }
    })
}

/// The enabled categories.
#[derive(Debug, Clone, Copy)]
pub struct Detector {
    email: bool,
    ip: bool,
    phone: bool,
    card: bool,
    iban: bool,
}

impl Detector {
    pub fn new(cfg: &config::Pii) -> Detector {
        Detector {
            email: cfg.email,
            ip: cfg.ip,
            phone: cfg.phone,
            card: cfg.card,
            iban: cfg.iban,
        }
    }

    /// Every PII value in `text`, sorted, without overlaps (earlier categories win ties).
    /// Searched with escapes' letters blanked: the `n` of `"\n10.0.0.7"` would otherwise glue to
    /// the address (missed), and the `t` of `"\tbob@example.com"` to the email (taken in).
    pub fn find(&self, text: &[u8]) -> Vec<(Range<usize>, Kind)> {
        match super::words::blank_escapes(text) {
            Some((copy, blanked)) => {
                let mut found = self.find_in(&copy);
                found.retain(|(r, _)| !blanked.iter().any(|b| b.start < r.end && r.start < b.end));
                found
            }
            None => self.find_in(text),
        }
    }

    fn find_in(&self, text: &[u8]) -> Vec<(Range<usize>, Kind)> {
        let p = patterns();
        let mut out = Vec::new();
        if self.email && memchr::memchr(b'@', text).is_some() {
            for m in p.email.find_iter(text) {
                if word_bounded(text, m.range()) && email_ok(m.as_bytes()) {
                    out.push((m.range(), Kind::Email));
                }
            }
        }
        if self.card {
            for m in p.card.find_iter(text) {
                if digit_bounded(text, m.range()) && card_ok(m.as_bytes()) {
                    out.push((m.range(), Kind::Card));
                }
            }
        }
        if self.iban {
            for m in p.iban.find_iter(text) {
                if word_bounded(text, m.range()) && iban_ok(m.as_bytes()) {
                    out.push((m.range(), Kind::Iban));
                }
            }
        }
        if self.ip {
            for m in p.ipv4.find_iter(text) {
                if ipv4_ok(text, m.range()) {
                    out.push((m.range(), Kind::Ip));
                }
            }
            if memchr::memchr(b':', text).is_some() {
                for m in p.ipv6.find_iter(text) {
                    if let Some(r) = ipv6_ok(text, m.range()) {
                        out.push((r, Kind::Ip));
                    }
                }
            }
        }
        if self.phone {
            for m in p.phone.find_iter(text) {
                if digit_bounded(text, m.range()) && phone_ok(text, m.range()) {
                    out.push((m.range(), Kind::Phone));
                }
            }
        }
        out.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
        let mut merged: Vec<(Range<usize>, Kind)> = Vec::with_capacity(out.len());
        for (r, k) in out {
            if merged.last().is_some_and(|(last, _)| r.start < last.end) {
                continue;
            }
            merged.push((r, k));
        }
        merged
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn word_bounded(text: &[u8], r: Range<usize>) -> bool {
    (r.start == 0 || !is_word(text[r.start - 1])) && (r.end == text.len() || !is_word(text[r.end]))
}

/// Not part of a longer run of digits, dots or letters (`v1.2.3.4`, `1.2.3.4.5`, hashes).
fn digit_bounded(text: &[u8], r: Range<usize>) -> bool {
    let before = r.start.checked_sub(1).map(|i| text[i]);
    let after = text.get(r.end).copied();
    let glued = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    let dotted = |b: Option<u8>, next: Option<u8>| {
        b == Some(b'.') && next.is_some_and(|n| n.is_ascii_digit())
    };
    let after_dotted = dotted(after, text.get(r.end + 1).copied());
    let before_dotted = before == Some(b'.') && r.start >= 2 && text[r.start - 2].is_ascii_digit();
    !(glued(before) || glued(after) || after_dotted || before_dotted)
}

fn email_ok(m: &[u8]) -> bool {
    let s = String::from_utf8_lossy(m).to_ascii_lowercase();
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    const DOC_DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "localhost"];
    const DOC_TLDS: &[&str] = &[".example", ".invalid", ".test", ".localhost", ".local"];
    const SERVICE_LOCALS: &[&str] = &["git", "noreply", "no-reply", "donotreply", "do-not-reply"];
    !DOC_DOMAINS.contains(&domain)
        && !DOC_DOMAINS.iter().any(|d| domain.ends_with(&format!(".{d}")))
        && !DOC_TLDS.iter().any(|t| domain.ends_with(t))
        && !SERVICE_LOCALS.contains(&local)
        // File names such as `logo@2x.png` look like addresses.
        && !matches!(domain.rsplit('.').next(), Some("png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "js" | "ts" | "css"))
}

fn ipv4_ok(text: &[u8], r: Range<usize>) -> bool {
    if !digit_bounded(text, r.clone()) {
        return false;
    }
    let s = String::from_utf8_lossy(&text[r.clone()]).into_owned();
    let Ok(ip) = std::net::Ipv4Addr::from_str(&s) else {
        return false;
    };
    let o = ip.octets();
    let documentation = matches!(
        (o[0], o[1], o[2]),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
    );
    if ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast() || documentation {
        return false;
    }
    // Version strings: `v1.2.3.4`, `version 1.2.3.4`, `==1.2.3.4`.
    let before = &text[r.start.saturating_sub(10)..r.start];
    let before = String::from_utf8_lossy(before).to_ascii_lowercase();
    let trimmed = before.trim_end();
    !(trimmed.ends_with('v')
        || trimmed.ends_with("version")
        || trimmed.ends_with("ver")
        || trimmed.ends_with("==")
        || trimmed.ends_with('@')
        || trimmed.ends_with('^')
        || trimmed.ends_with('~'))
}

fn ipv6_ok(text: &[u8], r: Range<usize>) -> Option<Range<usize>> {
    let mut r = r;
    // Trailing punctuation of a sentence is not part of the address.
    while r.end > r.start
        && matches!(text[r.end - 1], b'.' | b':')
        && !text[r.start..r.end].ends_with(b"::")
    {
        r.end -= 1;
    }
    if !word_bounded(text, r.clone()) {
        return None;
    }
    let s = std::str::from_utf8(&text[r.clone()]).ok()?;
    if s.matches(':').count() < 3 || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let ip = std::net::Ipv6Addr::from_str(s).ok()?;
    if ip.is_loopback() || ip.is_unspecified() {
        return None;
    }
    // 2001:db8::/32 is for documentation.
    if ip.segments()[0] == 0x2001 && ip.segments()[1] == 0x0db8 {
        return None;
    }
    Some(r)
}

fn phone_ok(text: &[u8], r: Range<usize>) -> bool {
    let digits = text[r.clone()]
        .iter()
        .filter(|b| b.is_ascii_digit())
        .count();
    if !(8..=15).contains(&digits) {
        return false;
    }
    // `555-0100`-style fictional numbers are still numbers; but not dates or versions.
    let before =
        String::from_utf8_lossy(&text[r.start.saturating_sub(10)..r.start]).to_ascii_lowercase();
    !before.trim_end().ends_with("version") && !before.trim_end().ends_with('v')
}

/// Luhn-valid, with the length and prefix of a real card brand, and consistent grouping.
fn card_ok(m: &[u8]) -> bool {
    let digits: Vec<u8> = m
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect();
    let seps: Vec<u8> = m.iter().copied().filter(|b| !b.is_ascii_digit()).collect();
    if seps.windows(2).any(|w| w[0] != w[1]) {
        return false;
    }
    let grouped = seps.len() == 3 || (seps.len() == 2 && digits.len() == 15);
    if !(seps.is_empty() || grouped) {
        return false;
    }
    let n = digits.len();
    let prefix = |k: usize| digits[..k].iter().fold(0u32, |a, &d| a * 10 + u32::from(d));
    let brand = match digits[0] {
        4 => matches!(n, 13 | 16 | 19),
        5 => (51..=55).contains(&prefix(2)) && n == 16,
        2 => (2221..=2720).contains(&prefix(4)) && n == 16,
        3 => {
            (matches!(prefix(2), 34 | 37) && n == 15)
                || (prefix(2) == 35 && (16..=19).contains(&n))
                || (matches!(prefix(2), 30 | 36 | 38) && n == 14)
        }
        6 => {
            (prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)))
                && (16..=19).contains(&n)
        }
        _ => false,
    };
    brand && luhn(&digits) && digits.iter().any(|&d| d != digits[0])
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Country code, the country's IBAN length, and the mod-97 check.
fn iban_ok(m: &[u8]) -> bool {
    let s: Vec<u8> = m.iter().copied().filter(|b| *b != b' ').collect();
    const LENGTHS: &[(&str, usize)] = &[
        ("AD", 24),
        ("AE", 23),
        ("AT", 20),
        ("BE", 16),
        ("BG", 22),
        ("BH", 22),
        ("BR", 29),
        ("CH", 21),
        ("CY", 28),
        ("CZ", 24),
        ("DE", 22),
        ("DK", 18),
        ("EE", 20),
        ("ES", 24),
        ("FI", 18),
        ("FR", 27),
        ("GB", 22),
        ("GI", 23),
        ("GR", 27),
        ("HR", 21),
        ("HU", 28),
        ("IE", 22),
        ("IL", 23),
        ("IS", 26),
        ("IT", 27),
        ("LI", 21),
        ("LT", 20),
        ("LU", 20),
        ("LV", 21),
        ("MC", 27),
        ("MT", 31),
        ("NL", 18),
        ("NO", 15),
        ("PL", 28),
        ("PT", 25),
        ("RO", 24),
        ("SA", 24),
        ("SE", 24),
        ("SI", 19),
        ("SK", 24),
        ("SM", 27),
        ("TR", 26),
        ("UA", 29),
    ];
    let Some(&(_, len)) = LENGTHS.iter().find(|(c, _)| c.as_bytes() == &s[..2]) else {
        return false;
    };
    if s.len() != len {
        return false;
    }
    let mut rem = 0u32;
    for &b in s[4..].iter().chain(&s[..4]) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, Kind)> {
        Detector::new(&config::Pii::default())
            .find(text.as_bytes())
            .into_iter()
            .map(|(r, k)| (text[r].to_string(), k))
            .collect()
    }

    const FOUND: &[(&str, &str, Kind)] = &[
        // After an escape: its letter is neither glued on nor in the way.
        (r#"A = "\n10.23.45.67""#, "10.23.45.67", Kind::Ip),
        (
            r#"C = "\tbob@corp-example.com""#,
            "bob@corp-example.com",
            Kind::Email,
        ),
        (
            r#"B = "\t4111 1111 1111 1111""#,
            "4111 1111 1111 1111",
            Kind::Card,
        ),
        (
            r#"{"s": "\\nalice@acme-corp.io"}"#,
            "alice@acme-corp.io",
            Kind::Email,
        ),
        // A share path: `\\1` is no escape.
        (r#"open \\10.0.0.7\share"#, "10.0.0.7", Kind::Ip),
        (r#"open \\192.168.1.20\share"#, "192.168.1.20", Kind::Ip),
        (
            "mail alice.smith@acme-corp.io now",
            "alice.smith@acme-corp.io",
            Kind::Email,
        ),
        ("server at 10.20.30.40:8080", "10.20.30.40", Kind::Ip),
        (
            "host 2001:4860:4860::8888.",
            "2001:4860:4860::8888",
            Kind::Ip,
        ),
        (
            "call +44 20 7946 0958 today",
            "+44 20 7946 0958",
            Kind::Phone,
        ),
        ("call (415) 555-2671", "(415) 555-2671", Kind::Phone),
        (
            "card 4111 1111 1111 1111 ok",
            "4111 1111 1111 1111",
            Kind::Card,
        ),
        (
            "card 5500-0000-0000-0004",
            "5500-0000-0000-0004",
            Kind::Card,
        ),
        (
            "iban GB82 WEST 1234 5698 7654 32",
            "GB82 WEST 1234 5698 7654 32",
            Kind::Iban,
        ),
        (
            "iban DE89370400440532013000",
            "DE89370400440532013000",
            Kind::Iban,
        ),
    ];

    const NOT_FOUND: &[(&str, &str)] = &[
        ("listen on 127.0.0.1:9339", "loopback"),
        ("bind 0.0.0.0", "unspecified"),
        ("requires v1.2.3.4", "version"),
        ("version 10.0.19041.1", "windows version"),
        ("package==1.2.3.4", "pin"),
        ("1.2.3.4.5", "long dotted"),
        ("docs use 192.0.2.15", "documentation range"),
        ("user@example.com", "example domain"),
        ("git@github.com:owner/repo.git", "ssh remote"),
        ("logo@2x.png", "asset name"),
        ("::1 and ::", "ipv6 loopback"),
        ("std::vec::Vec a::b::c", "paths"),
        ("at 12:34:56", "time"),
        ("4111 1111 1111 1112", "bad luhn"),
        ("1234567890123456", "not a brand"),
        ("id 3f1c2b9e-8d4a-4c7b-9e21-5a6f7d8c9b0a", "uuid"),
        ("GB82 WEST 1234 5698 7654 33", "bad iban checksum"),
        ("on 2024-01-15 at noon", "date"),
        ("timeout = 1700000000000", "timestamp"),
    ];

    #[test]
    fn finds_pii() {
        for (text, want, kind) in FOUND {
            assert_eq!(found(text), vec![(want.to_string(), *kind)], "{text}");
        }
    }

    #[test]
    fn ignores_look_alikes() {
        for (text, note) in NOT_FOUND {
            assert_eq!(found(text), vec![], "{note}: {text}");
        }
    }

    #[test]
    fn categories_switch_off() {
        let cfg = config::Pii {
            email: false,
            ..config::Pii::default()
        };
        assert!(Detector::new(&cfg).find(b"alice@acme-corp.io").is_empty());
    }
}
