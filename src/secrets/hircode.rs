//! A compact byte encoding of a regex's syntax tree (`regex_syntax::hir::Hir`), so that the
//! embedded rules skip parsing at run time. `build.rs` encodes each built-in rule's pattern and
//! keeps the code only when decoding it gives back the very same tree; a rule then compiles from
//! its tree. Parsing and translating the generic rules' patterns (thousands of characters of
//! alternations) was about a third of the instructions of a one-file scan.
//!
//! The format is a prefix walk of the tree: a tag byte, then the node's fields as LEB128
//! integers, then its children.

use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Look, Repetition,
};

const EMPTY: u8 = 0;
const LITERAL: u8 = 1;
const BYTES: u8 = 2;
const UNICODE: u8 = 3;
const LOOK: u8 = 4;
const REPETITION: u8 = 5;
const CAPTURE: u8 = 6;
const CONCAT: u8 = 7;
const ALTERNATION: u8 = 8;

/// The syntax tree of a pattern with the settings every rule runs with: over bytes, ASCII classes,
/// no Unicode tables (a Unicode class is an error).
pub fn parse(pattern: &str) -> Result<Hir, Box<regex_syntax::Error>> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(Box::new)
}

/// Appends the encoding of `hir` to `out`.
#[cfg_attr(not(test), allow(dead_code))] // for build.rs and the tests
pub fn encode(hir: &Hir, out: &mut Vec<u8>) {
    match hir.kind() {
        HirKind::Empty => out.push(EMPTY),
        HirKind::Literal(lit) => {
            out.push(LITERAL);
            bytes(&lit.0, out);
        }
        HirKind::Class(Class::Bytes(class)) => {
            out.push(BYTES);
            number(class.ranges().len() as u32, out);
            for r in class.ranges() {
                out.extend([r.start(), r.end()]);
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            out.push(UNICODE);
            number(class.ranges().len() as u32, out);
            for r in class.ranges() {
                number(u32::from(r.start()), out);
                number(u32::from(r.end()), out);
            }
        }
        HirKind::Look(look) => {
            out.push(LOOK);
            number(look.as_repr(), out);
        }
        HirKind::Repetition(rep) => {
            out.push(REPETITION);
            number(rep.min, out);
            // 0 is "no maximum"; a maximum m is m + 1.
            number(rep.max.map_or(0, |m| m + 1), out);
            out.push(u8::from(rep.greedy));
            encode(&rep.sub, out);
        }
        HirKind::Capture(cap) => {
            out.push(CAPTURE);
            number(cap.index, out);
            match &cap.name {
                Some(name) => {
                    out.push(1);
                    bytes(name.as_bytes(), out);
                }
                None => out.push(0),
            }
            encode(&cap.sub, out);
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            out.push(if matches!(hir.kind(), HirKind::Concat(_)) {
                CONCAT
            } else {
                ALTERNATION
            });
            number(subs.len() as u32, out);
            for sub in subs {
                encode(sub, out);
            }
        }
    }
}

/// The tree that `code` encodes, rebuilt with the same constructors the parser uses; `None` if
/// `code` is not an encoding (it only ever comes from [`encode`], so that means a bug).
pub fn decode(code: &[u8]) -> Option<Hir> {
    let mut reader = Reader { code, at: 0 };
    let hir = reader.hir(0)?;
    (reader.at == code.len()).then_some(hir)
}

/// Deeper than any pattern that compiles: keeps a corrupt code from overflowing the stack.
const MAX_DEPTH: u32 = 500;

struct Reader<'a> {
    code: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.code.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn number(&mut self) -> Option<u32> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn bytes(&mut self) -> Option<&[u8]> {
        let len = self.number()? as usize;
        let slice = self.code.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(slice)
    }

    fn subs(&mut self, depth: u32) -> Option<Vec<Hir>> {
        let n = self.number()?;
        (0..n).map(|_| self.hir(depth + 1)).collect()
    }

    fn hir(&mut self, depth: u32) -> Option<Hir> {
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match self.byte()? {
            EMPTY => Hir::empty(),
            LITERAL => Hir::literal(self.bytes()?),
            BYTES => {
                let n = self.number()?;
                let ranges = (0..n)
                    .map(|_| Some(ClassBytesRange::new(self.byte()?, self.byte()?)))
                    .collect::<Option<Vec<_>>>()?;
                Hir::class(Class::Bytes(ClassBytes::new(ranges)))
            }
            UNICODE => {
                let n = self.number()?;
                let ranges = (0..n)
                    .map(|_| {
                        let start = char::from_u32(self.number()?)?;
                        let end = char::from_u32(self.number()?)?;
                        Some(ClassUnicodeRange::new(start, end))
                    })
                    .collect::<Option<Vec<_>>>()?;
                Hir::class(Class::Unicode(ClassUnicode::new(ranges)))
            }
            LOOK => Hir::look(Look::from_repr(self.number()?)?),
            REPETITION => {
                let min = self.number()?;
                let max = self.number()?.checked_sub(1);
                let greedy = self.byte()? != 0;
                let sub = Box::new(self.hir(depth + 1)?);
                Hir::repetition(Repetition {
                    min,
                    max,
                    greedy,
                    sub,
                })
            }
            CAPTURE => {
                let index = self.number()?;
                let name = match self.byte()? {
                    0 => None,
                    _ => Some(std::str::from_utf8(self.bytes()?).ok()?.into()),
                };
                let sub = Box::new(self.hir(depth + 1)?);
                Hir::capture(Capture { index, name, sub })
            }
            CONCAT => Hir::concat(self.subs(depth)?),
            ALTERNATION => Hir::alternation(self.subs(depth)?),
            _ => return None,
        })
    }
}

#[cfg_attr(not(test), allow(dead_code))]
fn number(mut n: u32, out: &mut Vec<u8>) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

#[cfg_attr(not(test), allow(dead_code))]
fn bytes(b: &[u8], out: &mut Vec<u8>) {
    number(b.len() as u32, out);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Hir {
        super::parse(p).unwrap()
    }

    #[test]
    fn every_kind_of_node_comes_back_the_same() {
        for p in [
            "",
            "abc",
            r"(?i)pass(?:word|wd)?\b",
            r"(?m)^[\x20\t]*(?P<name>[A-Z_]{2,})=([^\s]{12,200}?)$",
            r"a*b+?c{3}d{2,}e{0,7}",
            r"x|y|zz|\B|\A|\z",
            r"(?s:.)[\x00-\xff]",
        ] {
            let hir = parse(p);
            let mut code = Vec::new();
            encode(&hir, &mut code);
            assert_eq!(decode(&code), Some(hir), "{p:?}");
        }
    }

    #[test]
    fn a_truncated_or_padded_code_is_refused() {
        let mut code = Vec::new();
        encode(&parse(r"key=([a-z0-9]{8,})"), &mut code);
        for end in 0..code.len() {
            assert_eq!(decode(&code[..end]), None, "truncated at {end}");
        }
        code.push(EMPTY);
        assert_eq!(decode(&code), None);
        assert_eq!(decode(&[99]), None);
    }
}
