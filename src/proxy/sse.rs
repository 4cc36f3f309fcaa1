//! Server-sent events framing. Events end at a blank line; chunks from the network end anywhere.
//! The framer hands out whole events with their exact bytes, so an event pretense does not change
//! is forwarded byte for byte, and one it changes keeps its other fields (`event:`, `id:`,
//! comments) and line endings. Written here rather than taken from `eventsource-stream`, which
//! parses events but cannot give back their exact bytes.

/// One event as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The exact bytes, including the blank line that ended it.
    pub raw: Vec<u8>,
    /// The `event:` field.
    pub name: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: Option<String>,
}

impl Event {
    fn parse(raw: Vec<u8>) -> Event {
        let text = String::from_utf8_lossy(&raw);
        let mut name = None;
        let mut data: Option<String> = None;
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if let Some(v) = field(line, "event") {
                name = Some(v.to_string());
            } else if let Some(v) = field(line, "data") {
                match &mut data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(v);
                    }
                    None => data = Some(v.to_string()),
                }
            }
        }
        Event { raw, name, data }
    }

    /// The event with its data replaced: `data:` lines become one line holding `data`, every
    /// other line stays as it was.
    pub fn with_data(&self, data: &str) -> Vec<u8> {
        let text = String::from_utf8_lossy(&self.raw);
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut out = String::with_capacity(self.raw.len() + data.len());
        let mut wrote = false;
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            if field(line, "data").is_some() {
                if !wrote {
                    for part in data.split('\n') {
                        out.push_str("data: ");
                        out.push_str(part);
                        out.push_str(eol);
                    }
                    wrote = true;
                }
                continue;
            }
            out.push_str(line);
            out.push_str(eol);
        }
        if !wrote {
            out.push_str("data: ");
            out.push_str(data);
            out.push_str(eol);
        }
        out.push_str(eol);
        out.into_bytes()
    }
}

/// A new event built from scratch (pretense's own flushes), in the same style as `like`.
pub fn build(like: Option<&Event>, name: Option<&str>, data: &str) -> Vec<u8> {
    let eol = match like {
        Some(e) if e.raw.windows(2).any(|w| w == b"\r\n") => "\r\n",
        _ => "\n",
    };
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str("event: ");
        out.push_str(n);
        out.push_str(eol);
    }
    out.push_str("data: ");
    out.push_str(data);
    out.push_str(eol);
    out.push_str(eol);
    out.into_bytes()
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(name)?.strip_prefix(':')?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// Splits a byte stream into events.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    scanned: usize,
}

impl Framer {
    /// Adds bytes; returns the events they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.find_end() {
            let raw: Vec<u8> = self.buf.drain(..end).collect();
            self.scanned = 0;
            out.push(Event::parse(raw));
        }
        out
    }

    /// What is left at the end of the stream (an event without its blank line), if anything.
    pub fn finish(&mut self) -> Option<Event> {
        if self.buf.is_empty() {
            return None;
        }
        self.scanned = 0;
        Some(Event::parse(std::mem::take(&mut self.buf)))
    }

    /// The end (exclusive) of the first complete event: after "\n\n" or "\r\n\r\n" (also "\n\r\n").
    fn find_end(&mut self) -> Option<usize> {
        let b = &self.buf;
        let mut i = self.scanned.saturating_sub(3);
        while let Some(off) = memchr::memchr(b'\n', &b[i..]) {
            let nl = i + off;
            // A line is blank if the previous line ended right before it.
            let rest = &b[nl + 1..];
            if rest.first() == Some(&b'\n') {
                return Some(nl + 2);
            }
            if rest.starts_with(b"\r\n") {
                return Some(nl + 3);
            }
            if rest.is_empty() || (rest.len() == 1 && rest[0] == b'\r') {
                break;
            }
            i = nl + 1;
        }
        self.scanned = b.len();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "event: message_start\ndata: {\"a\":1}\n\n: comment\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n";

    #[test]
    fn frames_any_split_exactly() {
        for i in 0..=STREAM.len() {
            let mut f = Framer::default();
            let mut events = f.push(&STREAM.as_bytes()[..i]);
            events.extend(f.push(&STREAM.as_bytes()[i..]));
            assert!(f.finish().is_none());
            assert_eq!(events.len(), 3, "split {i}");
            let joined: Vec<u8> = events.iter().flat_map(|e| e.raw.clone()).collect();
            assert_eq!(joined, STREAM.as_bytes());
            assert_eq!(events[0].name.as_deref(), Some("message_start"));
            assert_eq!(events[0].data.as_deref(), Some("{\"a\":1}"));
            assert_eq!(events[2].data.as_deref(), Some("[DONE]"));
        }
    }

    #[test]
    fn crlf_and_rewrite() {
        let s = "event: x\r\nid: 7\r\ndata: {\"t\":\"a\"}\r\n\r\n";
        let mut f = Framer::default();
        let ev = f.push(s.as_bytes()).remove(0);
        assert_eq!(ev.raw, s.as_bytes());
        let out = String::from_utf8(ev.with_data("{\"t\":\"b\"}")).unwrap();
        assert_eq!(out, "event: x\r\nid: 7\r\ndata: {\"t\":\"b\"}\r\n\r\n");
    }

    #[test]
    fn unterminated_tail_is_returned_at_the_end() {
        let mut f = Framer::default();
        assert!(f.push(b"data: {\"x\":1}").is_empty());
        assert_eq!(f.finish().unwrap().data.as_deref(), Some("{\"x\":1}"));
    }
}
