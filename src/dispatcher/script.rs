//! The dispatcher script runner behind `tilores-plugin dispatch`: JSON lines in, JSON lines
//! out, byte-identical to go-interop's `cmd/dispatcher-host -script` for the same script.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gob::GoTime;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use std::future::Future;

use super::gojson::{self, DecodeJson, Decoder, JsonWriter, Node, WriteJson};
use super::methods::{MethodInput, MethodOutput};
use super::service::{CallContext, DispatchError, Dispatcher};
use super::types::*;

/// Options of [`run_script`]. Start from [`ScriptOptions::default`] and set the fields to
/// change.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ScriptOptions {
    /// Deadline for calls whose line has no `deadline_ms` (`None`: such calls carry no
    /// deadline, like Go's `context.Background()`).
    pub default_deadline: Option<Duration>,
}

/// What [`run_script`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScriptSummary {
    /// Non-blank input lines, i.e. output lines written.
    pub lines: usize,
    /// Lines answered with `{"output": ...}`.
    pub succeeded: usize,
    /// Lines answered with `{"error": ...}` (malformed line, unknown call, call failure).
    pub failed: usize,
}

/// Runs a dispatcher script against `dispatcher`, one call at a time, in input order.
///
/// Every input line that is not blank (Unicode white space only) is a JSON object
///
/// ```text
/// {"call": NAME, "input": {...}, "deadline_ms": N}
/// ```
///
/// with NAME the script name of a method of the method table ([`methods`](super::methods):
/// `entity`, `submit`, `search`, `disassemble`, `removeConnectionBan`), `input` in tilores' JSON shape (Go's json tags; missing or `null` is the zero input;
/// numbers inside `data`/`parameters` become `float64`), and the optional `deadline_ms`
/// giving the call a deadline that many milliseconds from now (else
/// [`ScriptOptions::default_deadline`]). For each such line exactly one line is written and
/// flushed:
///
/// ```text
/// {"output":<the output as Go's encoding/json writes it>}   ({"output":null} for removeConnectionBan)
/// {"error":"<text>"}    call error (verbatim), "unknown call: <NAME>", or Go's encoding/json
///                       error text for a malformed line or input
/// ```
///
/// The run continues after errors and ends at EOF. Fails only when reading the input or
/// writing the output fails.
///
/// Where Go's `dispatcher-host` cannot produce a line (an output holding NaN, ±Inf or a
/// complex number: Go's encoder fails and the host exits), this writes the encoder's error
/// as an `{"error": ...}` line and continues. A `null` record in a submit makes Go's client
/// fail with `gob: encodeArray: nil element` (and corrupt its connection); here the same
/// error line is written without calling the dispatcher.
pub async fn run_script<D, R, W>(
    dispatcher: &D,
    mut input: R,
    mut output: W,
    options: &ScriptOptions,
) -> std::io::Result<ScriptSummary>
where
    D: Dispatcher + ?Sized,
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut summary = ScriptSummary::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line).await?;
        if n == 0 {
            break;
        }
        if is_blank(&line) {
            continue;
        }
        let mut out = run_line(dispatcher, &line, options).await;
        summary.lines += 1;
        if out.starts_with(b"{\"output\"") {
            summary.succeeded += 1;
        } else {
            summary.failed += 1;
        }
        out.push(b'\n');
        output.write_all(&out).await?;
        output.flush().await?;
    }
    Ok(summary)
}

/// Go's `strings.TrimSpace(line) == ""`.
fn is_blank(line: &[u8]) -> bool {
    String::from_utf8_lossy(line).trim().is_empty()
}

/// Where the JSON of a script line's input and of its call's answer held `[]`.
#[derive(Debug, Default)]
struct Shapes {
    input: Option<gojson::EmptyArrays>,
    answer: Option<gojson::EmptyArrays>,
}

tokio::task_local! {
    /// The [`Shapes`] of the script line running in this task, for a transport whose
    /// messages are Go's JSON (the HTTP plugin protocol). Go's host decodes the line's input
    /// and the plugin's answer into its types, which keep `[]` apart from `null`, and
    /// encodes them again (the request, the printed output); the Rust types hold both as an
    /// empty `Vec`, so the shapes tell the writer where `[]` stood. net/rpc ignores them
    /// (gob cannot carry an empty non-nil slice: Go's host prints `null` after gob too).
    static SHAPES: std::cell::RefCell<Shapes>;
}

/// Records the JSON answer of the current call when a script line runs it (see
/// [`SHAPES`]); costs nothing outside [`run_script`] / [`run_line`].
pub(crate) fn note_json_answer(answer: &[u8]) {
    let _ = SHAPES.try_with(|shapes| {
        let node = super::http::first_json_value(answer).ok();
        shapes.borrow_mut().answer = node.map(|n| gojson::EmptyArrays::of("output", &n));
    });
}

/// Where the input of the script line running in this task held `[]`, with paths under
/// `Payload` (the key of the HTTP request body holding the input); `None` outside scripts.
pub(crate) fn json_input_shape() -> Option<gojson::EmptyArrays> {
    SHAPES
        .try_with(|shapes| shapes.borrow().input.clone())
        .ok()
        .flatten()
}

/// One script line, parsed like Go's `request` struct.
#[derive(Debug, Default)]
struct Request {
    call: String,
    input: Option<Node>,
    deadline_ms: Option<i64>,
}

impl DecodeJson for Request {
    const GO_TYPE: &'static str = "main.request";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "request",
            &["call", "input", "deadline_ms"],
            |d, i, n| match i {
                0 => d.string(n, &mut self.call),
                // json.RawMessage takes any value.
                1 => {
                    self.input = Some(n.clone());
                    Ok(())
                }
                _ => d.int64_ptr(n, "int64", &mut self.deadline_ms),
            },
        )
    }
}

/// Runs one non-blank line and returns the JSON answer (without the newline).
pub async fn run_line<D: Dispatcher + ?Sized>(
    dispatcher: &D,
    line: &[u8],
    options: &ScriptOptions,
) -> Vec<u8> {
    let (result, shape) = SHAPES
        .scope(std::cell::RefCell::new(Shapes::default()), async {
            let result = run_call(dispatcher, line, options).await;
            (result, SHAPES.with(|s| s.borrow_mut().answer.take()))
        })
        .await;
    match result {
        Ok(out) => {
            let mut w = match shape {
                Some(shape) => JsonWriter::new().keeping_empty_arrays(shape),
                None => JsonWriter::new(),
            };
            let r = w.object(|o| o.field("output", |w| out.write_json(w)));
            match r {
                Ok(()) => w.into_bytes(),
                Err(e) => error_line(&e.0),
            }
        }
        Err(text) => error_line(&text),
    }
}

fn error_line(text: &str) -> Vec<u8> {
    let mut w = JsonWriter::new();
    // Writing a string into an object cannot fail.
    let _ = w.object(|o| o.field("error", |w| w.string(text)));
    w.into_bytes()
}

/// An output to print.
type Output = Box<dyn WriteJson + Send>;

async fn run_call<D: Dispatcher + ?Sized>(
    dispatcher: &D,
    line: &[u8],
    options: &ScriptOptions,
) -> Result<Output, String> {
    let node = gojson::parse(line)?;
    let req: Request = gojson::decode(&node)?;
    let call = match req.deadline_ms {
        Some(ms) => CallContext::with_deadline(now_plus_nanos(i128::from(ms) * 1_000_000)),
        None => match options.default_deadline {
            Some(d) => CallContext::with_deadline(now_plus_nanos(
                i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
            )),
            None => CallContext::background(),
        },
    };
    let input = req.input.unwrap_or(Node::Null);
    let _ = SHAPES.try_with(|shapes| {
        shapes.borrow_mut().input = Some(gojson::EmptyArrays::of("Payload", &input));
    });
    script_call(dispatcher, &req.call, call, &input).await
}

/// Decodes a line's input as `I`, runs the call, boxes the output for printing.
async fn run_method<I, O, Fut>(
    input: &Node,
    method: impl FnOnce(I) -> Fut,
) -> Result<Output, String>
where
    I: MethodInput,
    O: MethodOutput,
    Fut: Future<Output = Result<O, DispatchError>>,
{
    let json: I::Json = gojson::decode(input)?;
    let input = I::from_json(json)?;
    let out = method(input).await.map_err(|e| e.to_string())?;
    Ok(Box::new(out))
}

macro_rules! script_calls {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        /// Runs the call named `name` (a script name of the method table).
        async fn script_call<D: Dispatcher + ?Sized>(
            dispatcher: &D,
            name: &str,
            call: CallContext,
            input: &Node,
        ) -> Result<Output, String> {
            match name {
                $(
                    $(#[cfg($cfg)])?
                    $script => run_method(input, |i: $in| dispatcher.$name(call, i)).await,
                )*
                other => Err(format!("unknown call: {other}")),
            }
        }
    };
}
super::methods::dispatcher_methods!(script_calls);

/// Now plus `nanos` (may be negative: a deadline already passed), saturating.
fn now_plus_nanos(nanos: i128) -> GoTime {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let at = i128::try_from(now)
        .unwrap_or(i128::MAX)
        .saturating_add(nanos);
    let secs = at.div_euclid(1_000_000_000);
    let sub = at.rem_euclid(1_000_000_000);
    GoTime::from_unix(
        i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX }),
        u32::try_from(sub).unwrap_or(0),
    )
}
