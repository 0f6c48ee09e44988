//! A small JSON (RFC 8259) reader that keeps the byte span of every value and key.
//!
//! Why not a crate: serde_json reports positions only for errors, and the span-keeping
//! crates add a dependency for what is ~250 lines here. Nesting is bounded by
//! [`MAX_DEPTH`]: deeper input is an error, never a stack overflow.

use crate::source::Span;

/// Deepest nesting of arrays/objects accepted. Real lockfiles nest 4 levels.
pub(crate) const MAX_DEPTH: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// A number, kept as written.
    Number(String),
    Str(Str),
    Array(Vec<Node>),
    Object(Vec<(Str, Node)>),
}

/// A string value. `span` includes the quotes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Str {
    pub value: String,
    pub span: Span,
    /// The text between the quotes equals `value` (no escapes), so offsets inside the
    /// value map one to one onto the file.
    pub verbatim: bool,
}

impl Str {
    /// The span of the text between the quotes.
    pub(crate) fn inner(&self) -> Span {
        Span::new(
            self.span.start + 1,
            self.span.end.saturating_sub(1).max(self.span.start + 1),
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    pub(crate) fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(m) => m.iter().rev().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A syntax error: where and what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Error {
    pub span: Span,
    pub message: String,
}

pub(crate) fn parse(text: &str) -> Result<Node, Error> {
    let mut p = Parser {
        b: text.as_bytes(),
        text,
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> Error {
        let Span { start: s, end: e } =
            crate::source::snap(self.text, Span::new(self.i, self.i.saturating_add(1)));
        Error {
            span: Span::new(s, e),
            message: message.to_owned(),
        }
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Error> {
        let start = self.i;
        let value = match self.b.get(self.i) {
            None => return Err(self.err("unexpected end of input, expected a value")),
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("JSON nested too deeply"));
                }
                self.object(depth)?
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("JSON nested too deeply"));
                }
                self.array(depth)?
            }
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.err("expected a JSON value")),
        };
        Ok(Node {
            value,
            span: Span::new(start, self.i),
        })
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, Error> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.err("invalid number: digits expected after '.'"));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("invalid number: digits expected in exponent"));
            }
        }
        Ok(Value::Number(self.text[start..self.i].to_owned()))
    }

    fn string(&mut self) -> Result<Str, Error> {
        let start = self.i;
        self.i += 1;
        let mut value = String::new();
        let mut verbatim = true;
        loop {
            let run = self.i;
            while self.i < self.b.len() && !matches!(self.b[self.i], b'"' | b'\\' | 0..=0x1f) {
                self.i += 1;
            }
            value.push_str(&self.text[run..self.i]);
            match self.b.get(self.i) {
                None => {
                    self.i = start;
                    return Err(self.err("unterminated string"));
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Str {
                        value,
                        span: Span::new(start, self.i),
                        verbatim,
                    });
                }
                Some(b'\\') => {
                    verbatim = false;
                    self.i += 1;
                    let c = match self.b.get(self.i) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER)
                                } else {
                                    char::REPLACEMENT_CHARACTER
                                }
                            } else {
                                char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER)
                            };
                            value.push(c);
                            continue;
                        }
                        _ => return Err(self.err("invalid escape in string")),
                    };
                    value.push(c);
                    self.i += 1;
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        let s = std::str::from_utf8(h).map_err(|_| self.err("invalid \\u escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.err("invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        self.i += 1;
        let mut members = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a string key in object"));
            }
            let key = self.string()?;
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(self.err("expected ':' after object key"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.err("expected ',' or '}' in object")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_escapes() {
        let t = r#" {"a": [1, -2.5e3, true, null], "b\n": "x\u00e9y", "c": "plain"} "#;
        let n = parse(t).unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(&t[a.span.start..a.span.end], "[1, -2.5e3, true, null]");
        let Value::Str(b) = &n.get("b\n").unwrap().value else {
            panic!()
        };
        assert_eq!(b.value, "xéy");
        assert!(!b.verbatim);
        let Value::Str(c) = &n.get("c").unwrap().value else {
            panic!()
        };
        assert!(c.verbatim);
        assert_eq!(&t[c.inner().start..c.inner().end], "plain");
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("{\"a\": [1, 2,]}").unwrap_err();
        assert_eq!(e.span.start, 12);
        assert!(parse("{\"a\" 1}").is_err());
        assert!(parse("\"abc").is_err());
        assert!(parse("01").is_err());
        assert!(parse("[1] x").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(200_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("deeply"));
        assert_eq!(e.span.start, MAX_DEPTH);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }
}
