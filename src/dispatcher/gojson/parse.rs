//! Go's JSON scanner: [`parse`] into [`Node`]s, with Go's syntax error texts.

/// A parsed JSON value. Numbers keep their literal text (Go converts them only once the
/// target type is known); strings are already unescaped with Go's replacement rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number literal, as written.
    Number(String),
    /// A string: its text, and the bytes between its quotes when they differ from the text
    /// (escapes, invalid UTF-8), which Go's `Time.UnmarshalJSON` parses as they are.
    String(String, Option<Box<[u8]>>),
    /// An array.
    Array(Vec<Node>),
    /// An object, members in input order (duplicates kept: Go applies them in order).
    Object(Vec<(String, Node)>),
}

impl Node {
    /// What Go's `UnmarshalTypeError` calls this kind of value.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "bool",
            Node::Number(_) => "number",
            Node::String(..) => "string",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }
}

/// Go's scanner nesting limit (`maxNestingDepth`).
const MAX_NESTING: usize = 10_000;

/// Go's `quoteChar`: the offending byte as Go shows it in syntax errors (a byte ≥ 0x80 is
/// shown as the Latin-1 character of that value, as Go's `string(c)` does).
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        b'\\' => "'\\\\'".into(),
        0x07 => "'\\a'".into(),
        0x08 => "'\\b'".into(),
        0x0c => "'\\f'".into(),
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        b'\t' => "'\\t'".into(),
        0x0b => "'\\v'".into(),
        0x00..=0x1f | 0x7f => format!("'\\x{c:02x}'"),
        // Not printable for Go's strconv.IsPrint: C1 controls, NBSP, soft hyphen.
        0x80..=0xa0 | 0xad => format!("'\\u{c:04x}'"),
        _ => format!("'{}'", char::from(c)),
    }
}

fn syntax(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

pub(super) const UNEXPECTED_END: &str = "unexpected end of JSON input";

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

enum Frame {
    Array(Vec<Node>),
    Object(Vec<(String, Node)>, String),
}

/// Where a number at the start of `b` ends as Go's `json.Decoder` scans a stream (its
/// `readValue`): after its last byte, whatever follows (the next value's business), or Go's
/// syntax error naming the byte that cannot go on (`1."` is `invalid character '"' after
/// decimal point`, where `json.Unmarshal` of `1.` names a space), or `unexpected EOF` when
/// the input ends inside the number (`1.`, `-`, `1e+`).
pub(crate) fn stream_number_end(b: &[u8]) -> Result<usize, String> {
    let mut p = Parser { b, pos: 0 };
    match p.number() {
        Ok(_) => Ok(p.pos),
        Err(_) if p.pos >= b.len() => Err("unexpected EOF".to_string()),
        Err(e) => Err(e),
    }
}

/// Parses one JSON document like Go's `json.Unmarshal` checks it (the whole input first),
/// returning Go's syntax error text on failure.
pub fn parse(input: &[u8]) -> Result<Node, String> {
    let mut p = Parser { b: input, pos: 0 };
    let mut stack: Vec<Frame> = Vec::new();
    'value: loop {
        p.skip_ws();
        let c = p.peek().ok_or(UNEXPECTED_END)?;
        let mut node = match c {
            b'{' | b'[' => {
                if stack.len() + 1 > MAX_NESTING {
                    return Err(syntax(c, "exceeded max depth"));
                }
                p.pos += 1;
                p.skip_ws();
                let close = if c == b'{' { b'}' } else { b']' };
                if p.peek().ok_or(UNEXPECTED_END)? == close {
                    p.pos += 1;
                    if c == b'{' {
                        Node::Object(Vec::new())
                    } else {
                        Node::Array(Vec::new())
                    }
                } else if c == b'{' {
                    let key = p.key()?;
                    stack.push(Frame::Object(Vec::new(), key));
                    continue 'value;
                } else {
                    stack.push(Frame::Array(Vec::new()));
                    continue 'value;
                }
            }
            b'"' => p.string_node()?,
            b'-' | b'0'..=b'9' => Node::Number(p.number()?),
            b't' => p.literal("true", Node::Bool(true))?,
            b'f' => p.literal("false", Node::Bool(false))?,
            b'n' => p.literal("null", Node::Null)?,
            _ => return Err(syntax(c, "looking for beginning of value")),
        };
        // A complete value: hand it to the enclosing containers, closing those that end.
        loop {
            match stack.last_mut() {
                None => {
                    p.skip_ws();
                    if let Some(c) = p.peek() {
                        return Err(syntax(c, "after top-level value"));
                    }
                    return Ok(node);
                }
                Some(Frame::Array(items)) => {
                    items.push(node);
                    p.skip_ws();
                    match p.peek().ok_or(UNEXPECTED_END)? {
                        b',' => {
                            p.pos += 1;
                            continue 'value;
                        }
                        b']' => {
                            p.pos += 1;
                            let items = std::mem::take(items);
                            stack.pop();
                            node = Node::Array(items);
                        }
                        c => return Err(syntax(c, "after array element")),
                    }
                }
                Some(Frame::Object(members, key)) => {
                    members.push((std::mem::take(key), node));
                    p.skip_ws();
                    match p.peek().ok_or(UNEXPECTED_END)? {
                        b',' => {
                            p.pos += 1;
                            p.skip_ws();
                            *key = p.key()?;
                            continue 'value;
                        }
                        b'}' => {
                            p.pos += 1;
                            let members = std::mem::take(members);
                            stack.pop();
                            node = Node::Object(members);
                        }
                        c => return Err(syntax(c, "after object key:value pair")),
                    }
                }
            }
        }
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The byte at the cursor, or — at the end of the input inside a number or literal —
    /// the space Go's scanner feeds itself at EOF (which then produces its error).
    fn next_or_space(&self) -> u8 {
        self.peek().unwrap_or(b' ')
    }

    /// An object key and the colon after it (the cursor is at the key's first byte).
    fn key(&mut self) -> Result<String, String> {
        let c = self.peek().ok_or(UNEXPECTED_END)?;
        if c != b'"' {
            return Err(syntax(c, "looking for beginning of object key string"));
        }
        let k = self.string()?;
        self.skip_ws();
        match self.peek().ok_or(UNEXPECTED_END)? {
            b':' => {
                self.pos += 1;
                Ok(k)
            }
            c => Err(syntax(c, "after object key")),
        }
    }

    fn literal(&mut self, word: &'static str, node: Node) -> Result<Node, String> {
        let w = word.as_bytes();
        for (i, &want) in w.iter().enumerate().skip(1) {
            let c = self.b.get(self.pos + i).copied().unwrap_or(b' ');
            if c != want {
                return Err(syntax(
                    c,
                    &format!("in literal {word} (expecting {})", quote_char(want)),
                ));
            }
        }
        self.pos += w.len();
        Ok(node)
    }

    fn number(&mut self) -> Result<String, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            let c = self.next_or_space();
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in numeric literal"));
            }
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let c = self.next_or_space();
            if !c.is_ascii_digit() {
                return Err(syntax(c, "after decimal point in numeric literal"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let c = self.next_or_space();
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in exponent of numeric literal"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.pos]).into_owned())
    }

    /// A string literal (cursor at the opening quote), validated like Go's scanner and
    /// unescaped like Go's `unquote`: invalid UTF-8 bytes and lone surrogates become U+FFFD.
    /// A string value: [`Parser::string`], and the bytes between the quotes when they differ
    /// from the text.
    fn string_node(&mut self) -> Result<Node, String> {
        let start = self.pos + 1;
        let text = self.string()?;
        let raw = &self.b[start..self.pos - 1];
        let raw = (raw != text.as_bytes()).then(|| raw.into());
        Ok(Node::String(text, raw))
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or(UNEXPECTED_END)?;
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self.peek().ok_or(UNEXPECTED_END)?;
                    self.pos += 1;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(syntax(e, "in string escape code")),
                    };
                    if let Some(s) = simple {
                        out.push(s);
                        continue;
                    }
                    let r = self.hex4()?;
                    let ch = if (0xd800..0xdc00).contains(&r) {
                        // A high surrogate pairs only with an immediately following \u low
                        // surrogate; otherwise it is U+FFFD and the next escape stands alone.
                        let save = self.pos;
                        let low = if self.b.get(self.pos) == Some(&b'\\')
                            && self.b.get(self.pos + 1) == Some(&b'u')
                        {
                            self.pos += 2;
                            Some(self.hex4()?)
                        } else {
                            None
                        };
                        match low {
                            Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                                let v = 0x10000 + ((r - 0xd800) << 10) + (lo - 0xdc00);
                                char::from_u32(v).unwrap_or('\u{fffd}')
                            }
                            _ => {
                                self.pos = save;
                                '\u{fffd}'
                            }
                        }
                    } else {
                        char::from_u32(r).unwrap_or('\u{fffd}')
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                0x00..=0x1f => return Err(syntax(c, "in string literal")),
                0x20..=0x7f => {
                    out.push(c);
                    self.pos += 1;
                }
                _ => match gob::gotext::decode_rune(&self.b[self.pos..]) {
                    Some((_, n)) => {
                        out.extend_from_slice(&self.b[self.pos..self.pos + n]);
                        self.pos += n;
                    }
                    None => {
                        out.extend_from_slice("\u{fffd}".as_bytes());
                        self.pos += 1;
                    }
                },
            }
        }
        // Only valid UTF-8 was appended above.
        Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or(UNEXPECTED_END)?;
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| syntax(c, "in \\u hexadecimal character escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}
