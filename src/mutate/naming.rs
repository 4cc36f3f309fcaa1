//! Deterministic replacement names, secret placeholders and session ids: keyed hashes
//! (HMAC-SHA256) under a per-install key, so the same original always gets the same replacement
//! across turns and restarts without any session state, and nobody without the key can invert them.
//!
//! A replacement name has as many words as the original (digit words are kept) and its first word
//! always begins with the marker `zq`, which no English word contains: restore finds replacements by
//! looking for it, and the model never produces one by accident.

use std::io::Write;
use std::path::Path;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The marker every replacement name starts with.
pub const MARKER: &str = "zq";
/// The prefix of secret and PII placeholders (`PRETENSE_SECRET_1a2b3c4d`).
pub const PLACEHOLDER_PREFIX: &str = "PRETENSE_";

const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
const VOWELS: &[u8] = b"aeiou";

/// The per-install naming key (32 random bytes in the data dir, mode 0600).
#[derive(Clone)]
pub struct NamingKey([u8; 32]);

impl std::fmt::Debug for NamingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NamingKey(..)")
    }
}

impl NamingKey {
    /// A key from fixed bytes (tests and benchmarks).
    pub fn from_bytes(bytes: [u8; 32]) -> NamingKey {
        NamingKey(bytes)
    }

    /// Reads the key at `path`, creating it (and its directory, mode 0700) on first use.
    pub fn load_or_create(path: &Path) -> std::io::Result<NamingKey> {
        match std::fs::read(path) {
            Ok(bytes) => return Self::parse(&bytes, path),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
        // Written whole under a private name, then linked into place: the link either appears
        // complete or fails because another process (the daemon and a CLI run starting together)
        // linked theirs first, never half-written.
        let tmp = path.with_extension(format!(
            "tmp.{}.{}",
            std::process::id(),
            hex::encode(&key[..4])
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let written = opts.open(&tmp).and_then(|mut f| {
            f.write_all(hex::encode(key).as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(NamingKey(key)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::parse(&std::fs::read(path)?, path)
            }
            // A filesystem without hard links (some network and FUSE mounts): create it in
            // place, exclusively, as the next best thing.
            Err(_) => match opts.open(path) {
                Ok(mut f) => {
                    f.write_all(hex::encode(key).as_bytes())?;
                    f.sync_all()?;
                    Ok(NamingKey(key))
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Self::parse(&std::fs::read(path)?, path)
                }
                Err(e) => Err(e),
            },
        }
    }

    fn parse(bytes: &[u8], path: &Path) -> std::io::Result<NamingKey> {
        let text = String::from_utf8_lossy(bytes);
        let mut key = [0u8; 32];
        match hex::decode(text.trim()) {
            Ok(v) if v.len() == 32 => {
                key.copy_from_slice(&v);
                Ok(NamingKey(key))
            }
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "naming key {} is corrupt (expected 64 hex digits); delete it to start a new \
                     naming (earlier replacements will no longer restore)",
                    path.display()
                ),
            )),
        }
    }

    fn mac(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut m =
            <HmacSha256 as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(domain);
        for p in parts {
            m.update(&(p.len() as u64).to_le_bytes());
            m.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&m.finalize().into_bytes());
        out
    }

    /// Replacement words (lowercase) for a name given as lowercase words. `attempt` picks the next
    /// candidate when an earlier one collides.
    pub fn name_words(&self, words: &[String], attempt: u32) -> Vec<String> {
        let joined = words.join(" ");
        let mut stream = ByteStream::new(self, joined.as_bytes(), attempt);
        let mut out = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if w.as_bytes()[0].is_ascii_digit() {
                out.push(w.clone());
                continue;
            }
            let mut s = String::with_capacity(10);
            let syllables = if i == 0 {
                s.push_str(MARKER);
                3
            } else {
                2
            };
            for _ in 0..syllables {
                let b = stream.next();
                s.push(CONSONANTS[(b as usize) % CONSONANTS.len()] as char);
                s.push(VOWELS[(b as usize / CONSONANTS.len()) % VOWELS.len()] as char);
            }
            out.push(s);
        }
        out
    }

    /// A placeholder such as `PRETENSE_SECRET_1a2b3c4d` for a value of `kind`.
    pub fn placeholder(&self, kind: &str, value: &[u8], attempt: u32) -> String {
        let mac = self.mac(
            b"pretense/placeholder/v1",
            &[kind.as_bytes(), value, &attempt.to_le_bytes()],
        );
        format!("{PLACEHOLDER_PREFIX}{kind}_{}", hex::encode(&mac[..4]))
    }

    /// `sess_` + 12 hex digits derived from a conversation's opening (system prompt and first user
    /// message), so every turn of a conversation shares one id without storing anything.
    pub fn session(&self, opening: &[u8]) -> String {
        // v2: the opening arrives as a digest (see `proxy::session`), not as its texts.
        let mac = self.mac(b"pretense/session/v2", &[opening]);
        format!("sess_{}", &hex::encode(&mac[..6]))
    }
}

/// Bytes drawn from HMAC blocks, for as many syllables as a long name needs.
struct ByteStream<'k> {
    key: &'k NamingKey,
    input: &'k [u8],
    attempt: u32,
    block: u32,
    buf: [u8; 32],
    pos: usize,
}

impl<'k> ByteStream<'k> {
    fn new(key: &'k NamingKey, input: &'k [u8], attempt: u32) -> Self {
        let mut s = ByteStream {
            key,
            input,
            attempt,
            block: 0,
            buf: [0; 32],
            pos: 32,
        };
        s.refill();
        s
    }

    fn refill(&mut self) {
        self.buf = self.key.mac(
            b"pretense/name/v1",
            &[
                self.input,
                &self.attempt.to_le_bytes(),
                &self.block.to_le_bytes(),
            ],
        );
        self.block += 1;
        self.pos = 0;
    }

    fn next(&mut self) -> u8 {
        if self.pos == self.buf.len() {
            self.refill();
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        b
    }
}

/// Creates `dir` (and parents) readable only by the user: the vault holds customer names and PII.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> NamingKey {
        NamingKey::from_bytes([7; 32])
    }

    #[test]
    fn names_are_deterministic_marked_and_same_length() {
        let words: Vec<String> = ["get", "user", "token"].map(String::from).to_vec();
        let a = key().name_words(&words, 0);
        assert_eq!(a, key().name_words(&words, 0));
        assert_ne!(a, key().name_words(&words, 1));
        assert_eq!(a.len(), 3);
        assert!(a[0].starts_with(MARKER) && a[0].len() == 8, "{a:?}");
        assert!(
            a[1..]
                .iter()
                .all(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_lowercase()))
        );
        let other = NamingKey::from_bytes([8; 32]).name_words(&words, 0);
        assert_ne!(a, other, "keyed");
    }

    #[test]
    fn digit_words_are_kept() {
        let words: Vec<String> = ["base", "64", "encode"].map(String::from).to_vec();
        let r = key().name_words(&words, 0);
        assert_eq!(r[1], "64");
    }

    #[test]
    fn placeholders_and_sessions() {
        let p = key().placeholder("SECRET", b"hunter2", 0);
        assert!(p.starts_with("PRETENSE_SECRET_") && p.len() == "PRETENSE_SECRET_".len() + 8);
        assert_eq!(p, key().placeholder("SECRET", b"hunter2", 0));
        assert_ne!(p, key().placeholder("SECRET", b"hunter3", 0));
        let s = key().session(b"hello");
        assert!(s.starts_with("sess_") && s.len() == 17, "{s}");
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/key");
        let k1 = NamingKey::load_or_create(&path).unwrap();
        let k2 = NamingKey::load_or_create(&path).unwrap();
        assert_eq!(k1.0, k2.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        let err = NamingKey::load_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("corrupt"), "{err}");
    }
}
