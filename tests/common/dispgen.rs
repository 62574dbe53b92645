//! Seeded random dispatcher scripts (the JSON-lines format of go-interop's script hosts,
//! `go-interop/scripthost`) for `tests/dispatcher_random.rs`.
//!
//! A script is written as text, not through a JSON library, so that it can hold what a
//! library would normalise away: duplicate keys, number spellings (`-0`, `1E+2`, `1e400`,
//! 30 digits), `\u` escapes of lone surrogates, keys that match a Go field only through
//! encoding/json's case folding (`recordſ`, U+017F), wrong JSON types at every field of
//! every input, and malformed lines (cut or mutated valid lines, other JSON values).
//!
//! Every line is deterministic on both sides but for the Go fake's crashes, which the
//! generator knows about ([`Kind`]): a search with nil parameters after a submit (nil
//! pointer), a search whose single parameter is a map or list (Go compares uncomparable
//! types and panics when a stored record has the same type under that key) and a submit
//! with a `null` record (Go's gob client fails and corrupts its connection). A search
//! never has several parameters with one of them uncomparable: Go's random map order
//! would then pick between a match and a panic. Deadlines are absent or 60 s (a short one
//! races), or of a wrong JSON type (a deterministic decoding error).

use super::seeded::Rng;

/// What a line can do to the Go side beyond answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An answer, nothing else.
    Plain,
    /// May make the Go fake panic (its plugin process dies; the HTTP server recovers).
    MayCrash,
    /// A submit with a `null` record: Go's gob client fails with `encodeArray: nil
    /// element` after writing part of the request (the connection is then broken); the
    /// Rust client sends nothing.
    NullRecord,
    /// A search with nil parameters while no record can be stored (no crash). A v0.3.0
    /// client sends a `*api.SearchParameters` in an interface, which Go's gob cannot do
    /// for a nil pointer: Go's client fails as for [`Kind::NullRecord`], and so does the
    /// v0.3.0 search with nil parameters of a [`Kind::MayCrash`] line.
    NilSearch,
}

/// One script line.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub kind: Kind,
}

/// A generated script.
#[derive(Debug, Clone)]
pub struct Script {
    pub lines: Vec<Line>,
}

impl Script {
    /// The script text, one line per [`Line`], each ending in `\n`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }

    /// The lines before the first line of one of `kinds`.
    pub fn before_first(&self, kinds: &[Kind]) -> Script {
        Script {
            lines: self
                .lines
                .iter()
                .take_while(|l| !kinds.contains(&l.kind))
                .cloned()
                .collect(),
        }
    }

    /// The lines up to and including the first line of one of `kinds`.
    pub fn through_first(&self, kinds: &[Kind]) -> Script {
        let n = self
            .lines
            .iter()
            .position(|l| kinds.contains(&l.kind))
            .map_or(self.lines.len(), |i| i + 1);
        Script {
            lines: self.lines[..n].to_vec(),
        }
    }

    /// The lines a Rust client's transcript can match Go's on: up to and including the
    /// first submit with a `null` record (Go's client breaks its connection there, the Rust
    /// client sends nothing), or up to it when a line before may have crashed the plugin
    /// (Go's client then answers `connection is shut down` before encoding anything, the
    /// Rust script runner the encoding error).
    pub fn for_rust_client(&self) -> Script {
        self.client_lines(&[Kind::NullRecord])
    }

    /// [`Script::for_rust_client`] for a client of api v0.3.0, which also cannot send a
    /// search with nil parameters: up to and including the first such line or crash.
    pub fn for_rust_client_v0_3_0(&self) -> Script {
        self.client_lines(&[Kind::NullRecord, Kind::NilSearch, Kind::MayCrash])
    }

    fn client_lines(&self, unsendable: &[Kind]) -> Script {
        let mut lines = Vec::new();
        let mut crashed = false;
        for l in &self.lines {
            if unsendable.contains(&l.kind) {
                if !crashed {
                    lines.push(l.clone());
                }
                break;
            }
            crashed |= l.kind == Kind::MayCrash;
            lines.push(l.clone());
        }
        Script { lines }
    }

    /// The lines up to and including the `n`th line of one of `kinds`.
    pub fn through_nth(&self, kinds: &[Kind], n: usize) -> Script {
        let mut seen = 0;
        let mut lines = Vec::new();
        for l in &self.lines {
            lines.push(l.clone());
            if kinds.contains(&l.kind) {
                seen += 1;
                if seen == n {
                    break;
                }
            }
        }
        Script { lines }
    }

    /// Answer lines expected (non-blank lines).
    pub fn answers(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| !l.text.trim().is_empty())
            .count()
    }
}

/// A JSON text under construction: its spelling is ours (keys may repeat).
#[derive(Debug, Clone)]
enum J {
    Raw(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn s(text: &str) -> J {
        J::Raw(format!("\"{text}\""))
    }
    fn num(text: &str) -> J {
        J::Raw(text.to_string())
    }
    fn obj(fields: Vec<(&str, J)>) -> J {
        J::Obj(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }
    fn comparable(&self) -> bool {
        matches!(self, J::Raw(_))
    }
}

/// Number spellings at the edges of float64 and of Go's formatting (`1e21` switches to an
/// exponent; `1e400` is a decoding error; `1e-400` underflows to 0).
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1.0",
    "1e0",
    "10E-1",
    "1E+2",
    "0.1",
    "-1.5e+3",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "4.9e-324",
    "2.4e-324",
    "2.2250738585072014e-308",
    "1e-400",
    "123456789012345678901234567890",
    "9007199254740993",
    "-9223372036854775808",
    "18446744073709551616",
    "1e20",
    "1e21",
    "999999999999999999999",
    "2.5e21",
    "1e-6",
    "1e-7",
    "0.000001",
    "0.0000001",
    "3.141592653589793238462643383279502884197",
    "100e-2",
    "0.30000000000000004",
    "123456.789e3",
    "7",
];

/// Pieces of JSON string contents (already escaped as they appear in the JSON text).
const PIECES: &[&str] = &[
    "a",
    "isOdd",
    "x y",
    "ü",
    "€",
    "😀",
    "\u{10ffff}",
    "\u{fffd}",
    "\u{feff}",
    "\u{a0}",
    "\u{7f}",
    "\u{80}",
    "ſ",
    "\u{212a}",
    "<&>",
    "<script>",
    "\\\"",
    "\\\\",
    "\\/",
    "\\n",
    "\\r",
    "\\t",
    "\\b",
    "\\f",
    "\\u0000",
    "\\u0001",
    "\\u001f",
    "\\u007f",
    "\\u00e9",
    "\\u00E9",
    "\\u2028",
    "\\u2029",
    "\\ud83d\\ude00",
    "\\uD83D\\uDE00",
    "\\ud800",
    "\\udc00",
    "\\ud800\\u0041",
    "\\ud83d\\ud83d",
    "\\udbff\\udfff",
    "\u{2028}",
    "%s",
    "1",
];

/// Keys records share, so that searches find something.
const KEYS: &[&str] = &[
    "isOdd", "n", "name", "", "k", "ü", "nested", "list", "ſ", "\\u006e", "N", "a b",
];

/// Scalars records and searches share.
const SHARED: &[&str] = &[
    "true", "false", "null", "1", "1.0", "-0", "0", "\"1\"", "\"x\"", "\"\"", "2", "1e21", "\"ü\"",
    "5e-324",
];

const TOP_CALL: &[&str] = &["call", "call", "call", "Call", "CALL"];
const TOP_INPUT: &[&str] = &["input", "input", "input", "Input", "INPUT", "ınput"];
const TOP_DEADLINE: &[&str] = &["deadline_ms", "deadline_ms", "Deadline_MS", "deadline_mſ"];

/// Generator state: what earlier lines used, so that later ones refer to it.
struct Gen {
    rng: Rng,
    ids: Vec<String>,
    submitted: bool,
    /// No wrong JSON types (for the big line, whose many records would otherwise almost
    /// always hold one and fail to decode as a whole).
    tame: bool,
}

/// The script of `seed`: 10..60 lines, or (about 1 seed in 12, or always with `big`) a
/// few lines more with one big value (a submit of 1,000+ records, a record with 1,000+
/// keys, or a string of several MB).
pub fn generate(seed: u64, big: bool) -> Script {
    let mut g = Gen {
        rng: Rng(seed),
        ids: Vec::new(),
        submitted: false,
        tame: false,
    };
    let big = big || g.chance(1, 12);
    let n = 10 + g.rng.below_usize(51);
    let big_at = big.then(|| g.rng.below_usize(n));
    let mut lines = Vec::with_capacity(n + 1);
    for i in 0..n {
        if Some(i) == big_at {
            lines.push(g.big_line());
        }
        lines.push(g.line());
    }
    Script { lines }
}

impl Gen {
    fn chance(&mut self, k: u64, n: u64) -> bool {
        self.rng.below(n) < k
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.below_usize(from.len())]
    }

    fn line(&mut self) -> Line {
        match self.rng.below(100) {
            0..=13 => self.entity(),
            14..=35 => self.submit(),
            36..=59 => self.search(),
            60..=68 => self.disassemble(),
            69..=75 => self.remove_connection_ban(),
            76..=77 => self.request("frobnicate", Some(J::obj(vec![])), Kind::Plain),
            78..=79 => Line {
                text: self
                    .pick(&["", "   ", "\t", " \u{a0}\u{3000} ", "\r"])
                    .into(),
                kind: Kind::Plain,
            },
            _ => self.malformed(),
        }
    }

    /// A request line: the call, its input (or none), maybe a deadline or an unknown key,
    /// keys in random order and case.
    fn request(&mut self, call: &str, input: Option<J>, mut kind: Kind) -> Line {
        let mut fields = vec![(self.pick(TOP_CALL).to_string(), J::s(call))];
        if let Some(input) = input {
            let key = self.pick(TOP_INPUT);
            // "ınput" (dotless ı) does not fold to "input": the input is absent, which for
            // a search means nil parameters.
            if key == "ınput" && call == "search" {
                kind = self.nil_search_kind();
            }
            fields.push((key.to_string(), input));
        }
        match self.rng.below(16) {
            0..=1 => fields.push((self.pick(TOP_DEADLINE).into(), J::num("60000"))),
            2 => {
                let v = self.pick(&[
                    "\"soon\"",
                    "1.5",
                    "1e3",
                    "60000.0",
                    "99999999999999999999",
                    "true",
                    "null",
                    "[60000]",
                ]);
                fields.push(("deadline_ms".into(), J::num(v)));
            }
            3 => fields.push(("extra".into(), self.value(1))),
            4 => {
                // A repeated key: encoding/json keeps the last.
                let v = self.value(2);
                fields.insert(0, ("call".into(), v));
            }
            _ => {}
        }
        if self.chance(1, 4) {
            let i = self.rng.below_usize(fields.len());
            let j = self.rng.below_usize(fields.len());
            fields.swap(i, j);
        }
        let mut text = String::new();
        self.write(&J::Obj(fields), &mut text);
        if self.chance(1, 30) {
            text.push('\r');
        }
        Line { text, kind }
    }

    /// An input: `Some(fields)` as an object, or now and then null, absent or of a wrong
    /// JSON type.
    fn input(&mut self, fields: Vec<(&str, J)>) -> Option<J> {
        match self.rng.below(40) {
            0 => None,
            1 => Some(J::num("null")),
            2 => Some(self.wrong_for_object()),
            _ => Some(J::obj(fields)),
        }
    }

    /// A JSON value that is not an object.
    fn wrong_for_object(&mut self) -> J {
        match self.rng.below(5) {
            0 => J::s("x"),
            1 => J::num(self.pick(NUMBERS)),
            2 => J::num(self.pick(&["true", "false"])),
            3 => J::Arr(vec![J::obj(vec![])]),
            _ => J::Arr(vec![]),
        }
    }

    /// A value for a Go string field: mostly a string, now and then another type.
    fn string_field(&mut self, s: J) -> J {
        if self.tame {
            return s;
        }
        match self.rng.below(30) {
            0 => J::num(self.pick(NUMBERS)),
            1 => J::num(self.pick(&["true", "null", "[]", "{}", "[\"a\"]"])),
            _ => s,
        }
    }

    fn id(&mut self) -> String {
        match self.rng.below(12) {
            0..=4 if !self.ids.is_empty() => self.ids[self.rng.below_usize(self.ids.len())].clone(),
            0..=1 => String::new(),
            2 => "a".repeat(1 + self.rng.below_usize(3000)),
            _ => {
                let s = self.string(3);
                self.ids.push(s.clone());
                s
            }
        }
    }

    fn key_name<'a>(&mut self, canonical: &'a str, variants: &[&'a str]) -> &'a str {
        if self.chance(1, 15) {
            self.pick(variants)
        } else {
            canonical
        }
    }

    fn entity(&mut self) -> Line {
        let id = self.id();
        let id = self.string_field(J::s(&id));
        let k = self.key_name("id", &["ID", "Id", "iD", "ıd"]);
        let mut fields = vec![(k, id)];
        if self.chance(1, 10) {
            fields.clear();
        }
        if self.chance(1, 10) {
            let again = self.id();
            fields.push(("id", J::s(&again)));
        }
        let input = self.input(fields);
        self.request("entity", input, Kind::Plain)
    }

    fn record(&mut self) -> J {
        let mut fields = Vec::new();
        if !self.chance(1, 10) {
            let id = self.id();
            let id = self.string_field(J::s(&id));
            let k = self.key_name("id", &["ID", "Id"]);
            fields.push((k, id));
        }
        match self.rng.below(20) {
            0 => {}
            1 => fields.push(("data", J::num("null"))),
            2 => fields.push(("data", J::obj(vec![]))),
            3 if !self.tame => {
                let w = self.wrong_for_object();
                fields.push(("data", w));
            }
            _ => {
                let n = 1 + self.rng.below_usize(6);
                let d = self.data(n);
                let k = self.key_name("data", &["Data", "DATA"]);
                fields.push((k, d));
            }
        }
        if self.chance(1, 20) {
            let v = self.value(1);
            fields.push(("other", v));
        }
        if self.chance(1, 8) {
            let i = self.rng.below_usize(fields.len() + 1);
            let j = self.rng.below_usize(fields.len() + 1);
            if i < fields.len() && j < fields.len() {
                fields.swap(i, j);
            }
        }
        J::obj(fields)
    }

    /// Record data: shared keys with shared or random values, some nested.
    fn data(&mut self, n: usize) -> J {
        let mut fields = Vec::new();
        for _ in 0..n {
            let k = if self.chance(3, 4) {
                self.pick(KEYS).to_string()
            } else {
                self.string(2)
            };
            let v = if self.chance(1, 2) {
                J::num(self.pick(SHARED))
            } else {
                self.value(0)
            };
            fields.push((k, v));
        }
        J::Obj(fields)
    }

    fn submit(&mut self) -> Line {
        let n = match self.rng.below(10) {
            0 => 0,
            1 => 10 + self.rng.below_usize(15),
            _ => 1 + self.rng.below_usize(4),
        };
        let mut kind = Kind::Plain;
        let mut records: Vec<J> = (0..n).map(|_| self.record()).collect();
        if self.chance(1, 25) {
            let at = self.rng.below_usize(records.len() + 1);
            records.insert(at, J::num("null"));
            kind = Kind::NullRecord;
        } else if self.chance(1, 20) && !records.is_empty() {
            let at = self.rng.below_usize(records.len());
            records[at] = self.wrong_for_object();
        }
        let list = match self.rng.below(30) {
            0 => J::num("null"),
            1 => J::s("records"),
            2 => J::obj(vec![("0", J::obj(vec![]))]),
            _ => J::Arr(records),
        };
        let k = self.key_name("records", &["Records", "recordſ", "RECORDS"]);
        let input = self.input(vec![(k, list)]);
        // Conservative: even a submit that fails to decode counts (a mutated copy of it in
        // a malformed line may decode after all).
        self.submitted = true;
        self.request("submit", input, kind)
    }

    /// The kind of a search with nil parameters.
    fn nil_search_kind(&self) -> Kind {
        if self.submitted {
            Kind::MayCrash
        } else {
            Kind::NilSearch
        }
    }

    fn search(&mut self) -> Line {
        let mut kind = Kind::Plain;
        let parameters = match self.rng.below(30) {
            // Nil parameters: Go dereferences them once a record is stored.
            0..=1 => {
                kind = self.nil_search_kind();
                if self.chance(1, 2) {
                    None
                } else {
                    Some(J::num("null"))
                }
            }
            2 => Some(J::obj(vec![])),
            // One uncomparable parameter: Go panics if a stored record has the same type.
            3 => {
                if self.submitted {
                    kind = Kind::MayCrash;
                }
                let k = self.pick(KEYS).to_string();
                let v = if self.chance(1, 2) {
                    J::Arr(vec![])
                } else {
                    self.value(0)
                };
                let v = if v.comparable() { J::obj(vec![]) } else { v };
                Some(J::Obj(vec![(k, v)]))
            }
            4 => Some(self.wrong_for_object()),
            _ => {
                let n = 1 + self.rng.below_usize(3);
                let mut fields = Vec::new();
                for _ in 0..n {
                    let k = self.pick(KEYS).to_string();
                    let v = if self.chance(3, 4) {
                        J::num(self.pick(SHARED))
                    } else {
                        self.scalar()
                    };
                    fields.push((k, v));
                }
                Some(J::Obj(fields))
            }
        };
        let fields = match parameters {
            Some(p) => vec![(
                self.key_name("parameters", &["Parameters", "parameterſ"]),
                p,
            )],
            None => vec![],
        };
        let input = self.input(fields);
        // A search without input (or with null input) has nil parameters too.
        if matches!(input, None | Some(J::Raw(_))) && kind == Kind::Plain {
            kind = self.nil_search_kind();
        }
        self.request("search", input, kind)
    }

    fn meta(&mut self) -> J {
        let mut fields = Vec::new();
        if !self.chance(1, 4) {
            let s = self.string(2);
            let s = self.string_field(J::s(&s));
            fields.push((self.key_name("user", &["User", "uſer"]), s));
        }
        if !self.chance(1, 4) {
            let s = self.string(2);
            let s = self.string_field(J::s(&s));
            fields.push(("reason", s));
        }
        match self.rng.below(20) {
            0 => J::num("null"),
            1 => self.wrong_for_object(),
            _ => J::obj(fields),
        }
    }

    fn id_list(&mut self) -> J {
        match self.rng.below(20) {
            0 => J::num("null"),
            1 => J::s("x"),
            2 => J::Arr(vec![J::num("1")]),
            _ => {
                let n = self.rng.below_usize(4);
                J::Arr(
                    (0..n)
                        .map(|_| {
                            let id = self.id();
                            J::s(&id)
                        })
                        .collect(),
                )
            }
        }
    }

    fn disassemble(&mut self) -> Line {
        let mut fields = Vec::new();
        if self.chance(3, 4) {
            let s = self.string(2);
            let s = self.string_field(J::s(&s));
            fields.push(("reference", s));
        }
        if self.chance(3, 4) {
            let edges = match self.rng.below(20) {
                0 => J::num("null"),
                1 => J::obj(vec![]),
                2 => J::Arr(vec![J::num("3")]),
                _ => {
                    let n = self.rng.below_usize(3);
                    J::Arr(
                        (0..n)
                            .map(|_| {
                                let (a, b) = (self.id(), self.id());
                                let a = self.string_field(J::s(&a));
                                J::obj(vec![("a", a), ("b", J::s(&b))])
                            })
                            .collect(),
                    )
                }
            };
            fields.push((self.key_name("edges", &["Edges", "edgeſ"]), edges));
        }
        if self.chance(2, 3) {
            let l = self.id_list();
            fields.push((self.key_name("recordIDs", &["recordids", "RecordIDs"]), l));
        }
        if self.chance(1, 2) {
            let v = self.pick(&["true", "false", "true", "\"yes\"", "1", "null"]);
            fields.push(("createConnectionBan", J::num(v)));
        }
        if self.chance(2, 3) {
            let m = self.meta();
            fields.push(("meta", m));
        }
        if self.chance(1, 2) {
            let v = self.pick(&[
                "1000000000",
                "0",
                "-1",
                "9223372036854775807",
                "9223372036854775808",
                "\"5s\"",
                "1.5",
                "1e9",
                "true",
            ]);
            fields.push(("timeout", J::num(v)));
        }
        let input = self.input(fields);
        self.request("disassemble", input, Kind::Plain)
    }

    fn remove_connection_ban(&mut self) -> Line {
        let mut fields = Vec::new();
        if self.chance(3, 4) {
            let s = self.string(2);
            let s = self.string_field(J::s(&s));
            fields.push(("reference", s));
        }
        if self.chance(3, 4) {
            let id = self.id();
            let id = self.string_field(J::s(&id));
            fields.push((self.key_name("entityID", &["entityid", "EntityId"]), id));
        }
        if self.chance(2, 3) {
            let l = self.id_list();
            fields.push((self.key_name("others", &["Others", "otherſ"]), l));
        }
        if self.chance(2, 3) {
            let m = self.meta();
            fields.push(("meta", m));
        }
        let input = self.input(fields);
        self.request("removeConnectionBan", input, Kind::Plain)
    }

    /// A line that is not a valid request: a valid line cut or with one character
    /// replaced, another JSON value, a byte-order mark, a raw control character.
    fn malformed(&mut self) -> Line {
        // A changed line may still be a valid request (a key renamed, a value changed):
        // it keeps the kind of its base line, and a changed submit may store records.
        let (base, kind) = match self.rng.below(3) {
            0 => (self.entity().text, Kind::Plain),
            1 => {
                let l = self.submit();
                (l.text, l.kind)
            }
            _ => {
                // A changed key may leave the search without parameters.
                let l = self.search();
                (l.text, self.nil_search_kind())
            }
        };
        let chars: Vec<char> = base.chars().collect();
        let text = match self.rng.below(9) {
            0 | 1 => {
                let at = 1 + self.rng.below_usize(chars.len().max(2) - 1);
                chars[..at.min(chars.len())].iter().collect()
            }
            2 | 3 => {
                let at = self.rng.below_usize(chars.len());
                let c = self.pick(&[
                    "{", "}", "[", "]", ",", ":", "\"", "\\", "x", "0", "-", ".", "e", " ", "\t",
                    "\u{1}", "ü", "t", "n", "+",
                ]);
                let mut out: String = chars[..at].iter().collect();
                out.push_str(c);
                out.extend(&chars[at + 1..]);
                out
            }
            4 => {
                let v = self.value(0);
                let mut s = String::new();
                self.write(&v, &mut s);
                s
            }
            5 => format!("\u{feff}{base}"),
            6 => format!("{base} {}", self.pick(&["x", "{}", "1", "\"\"", "]"])),
            7 => self
                .pick(&[
                    "{\"call\":\"entity\",\"input\":{\"id\":\"tab\there\"}}",
                    "{\"call\":\"entity\",\"input\":{\"id\":\"\\x\"}}",
                    "{\"call\":\"entity\",\"input\":{\"id\":\"\\u12\"}}",
                    "{\"call\":\"entity\",\"input\":{\"id\":\"\\u12g4\"}}",
                    "{\"call\":\"entity\",}",
                    "{\"call\" \"entity\"}",
                    "{\"a\":01}",
                    "{\"a\":1.}",
                    "{\"a\":1e}",
                    "{\"a\":-}",
                    "{\"a\":+1}",
                    "{\"a\":.5}",
                    "{\"a\":tru}",
                    "{\"a\":nul}",
                    "{\"a\":NaN}",
                    "{\"a\":Infinity}",
                    "{'a':1}",
                    "{\"a\":1}}",
                    "{{}}",
                    "[1,]",
                    "",
                ])
                .to_string(),
            _ => format!(
                "{{\"call\":{},\"input\":{{}}}}",
                self.pick(&["5", "null", "true", "[\"entity\"]", "{}", "\"\""])
            ),
        };
        // A cut line may end up blank: then the host skips it, as the comparison does.
        Line { text, kind }
    }

    /// A random JSON string's contents (escaped), `parts` pieces.
    fn string(&mut self, parts: usize) -> String {
        let n = self.rng.below_usize(parts + 1);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(self.pick(PIECES));
        }
        s
    }

    fn scalar(&mut self) -> J {
        if self.chance(1, 150) && !self.tame {
            // Out of float64's range: the whole input fails to decode.
            return J::num(self.pick(&["1e400", "-1e400", "1e999999999999"]));
        }
        match self.rng.below(6) {
            0 => J::num("null"),
            1 => J::num(self.pick(&["true", "false"])),
            2 => J::num(self.pick(NUMBERS)),
            3 => {
                let n = self.number();
                J::num(&n)
            }
            _ => {
                let s = self.string(4);
                J::s(&s)
            }
        }
    }

    /// A random number spelling within float64's range: random digits (up to 20 before and
    /// after the point, an exponent up to ±300), or the exact decimal expansion of a random
    /// float64 between 2^20 and 2^50, which Go's shortest formatting then has to round (its
    /// exact ties, e.g. `34158179052624.0625`, are where Rust's `{}` and Go's differ).
    fn number(&mut self) -> String {
        let mut s = String::new();
        if self.chance(1, 3) {
            s.push('-');
        }
        if self.chance(1, 3) {
            let exp = 1043 + self.rng.below(30); // biased exponent of 2^20..2^50
            let f = f64::from_bits(exp << 52 | (self.rng.next_u64() >> 12));
            // At most 32 fraction bits: the expansion ends within 32 decimals.
            s.push_str(
                format!("{f:.32}")
                    .trim_end_matches('0')
                    .trim_end_matches('.'),
            );
            return s;
        }
        let digits = |g: &mut Gen, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + g.rng.below(10) as u8))
                .collect()
        };
        let int = 1 + self.rng.below_usize(20);
        let first = char::from(b'1' + self.rng.below(9) as u8);
        if self.chance(1, 6) {
            s.push('0');
        } else {
            s.push(first);
            s.push_str(&digits(self, int - 1));
        }
        if self.chance(1, 2) {
            s.push('.');
            let frac = 1 + self.rng.below_usize(20);
            s.push_str(&digits(self, frac));
        }
        if self.chance(1, 3) {
            s.push(if self.chance(1, 2) { 'e' } else { 'E' });
            s.push_str(self.pick(&["", "+", "-"]));
            s.push_str(&self.rng.below(300).to_string());
        }
        s
    }

    /// A random JSON value nested at most `4 - depth` deep.
    fn value(&mut self, depth: usize) -> J {
        let nest = if depth >= 4 { 0 } else { 3 };
        match self.rng.below(6 + nest) {
            0..=5 => self.scalar(),
            6 => {
                let n = self.rng.below_usize(4);
                J::Arr((0..n).map(|_| self.value(depth + 1)).collect())
            }
            _ => {
                let n = self.rng.below_usize(4);
                J::Obj(
                    (0..n)
                        .map(|_| {
                            let k = if self.chance(1, 2) {
                                self.pick(KEYS).to_string()
                            } else {
                                self.string(2)
                            };
                            (k, self.value(depth + 1))
                        })
                        .collect(),
                )
            }
        }
    }

    /// One big value: a submit of 1,000+ records, a record with 1,000+ keys, or a
    /// multi-MB string in a record or an entity id.
    fn big_line(&mut self) -> Line {
        let big_string = |g: &mut Gen| {
            let piece = g.string(6);
            let piece = if piece.is_empty() {
                "ü€x".into()
            } else {
                piece
            };
            piece.repeat((2 << 20) / piece.len() + g.rng.below_usize(1000))
        };
        let input = match self.rng.below(4) {
            0 => {
                let n = 1000 + self.rng.below_usize(3000);
                self.tame = true;
                let records = (0..n).map(|_| self.record()).collect();
                self.tame = false;
                J::obj(vec![("records", J::Arr(records))])
            }
            1 => {
                let n = 1000 + self.rng.below_usize(1000);
                let data = self.data(n);
                J::obj(vec![(
                    "records",
                    J::Arr(vec![J::obj(vec![
                        ("id", J::s("many keys")),
                        ("data", data),
                    ])]),
                )])
            }
            2 => {
                let s = big_string(self);
                let data = J::Obj(vec![("s".into(), J::s(&s))]);
                J::obj(vec![(
                    "records",
                    J::Arr(vec![J::obj(vec![("id", J::s("big")), ("data", data)])]),
                )])
            }
            _ => {
                let s = big_string(self);
                return self.request("entity", Some(J::obj(vec![("id", J::s(&s))])), Kind::Plain);
            }
        };
        self.submitted = true;
        self.request("submit", Some(input), Kind::Plain)
    }

    /// Writes `v`, with now and then some white space between tokens.
    fn write(&mut self, v: &J, out: &mut String) {
        let ws = |g: &mut Gen, out: &mut String| {
            if g.chance(1, 40) {
                out.push_str(g.pick(&[" ", "\t", "  ", " \t "]));
            }
        };
        match v {
            J::Raw(r) => out.push_str(r),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(self, out);
                    self.write(item, out);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(self, out);
                    out.push('"');
                    out.push_str(k);
                    out.push('"');
                    ws(self, out);
                    out.push(':');
                    self.write(item, out);
                }
                out.push('}');
            }
        }
    }
}
