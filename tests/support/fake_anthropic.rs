//! A scripted, strict fake of the Anthropic Messages API, so a real agent
//! (Claude Code) can be driven through a known conversation without a model.
//!
//! A [`Script`] is a list of [`Turn`]s, each the whole assistant reply to one
//! `POST /v1/messages` request: a tool call or a final text. The server
//! streams each reply as server-sent events exactly as the real API does
//! (`message_start`, `content_block_start`, one delta, `content_block_stop`,
//! `message_delta`, `message_stop`).
//!
//! Strictness, so a test cannot pass by accident:
//! - Turn N+1 is served only to a request whose newest user message carries the
//!   `tool_result` for turn N's tool call; turn 0 only to a request without
//!   any tool result. Anything else (a retry, a side request, a request after
//!   the script ended, a wrong API key, a non-streaming call, a tool the agent
//!   did not offer) is answered with an API error and listed by
//!   [`FakeAnthropic::refused`].
//! - Every request is recorded with its headers and body, so a test can read
//!   what the agent sent back ([`FakeAnthropic::tool_result`]).
//! - The only other endpoint answered is the start-up probe Claude Code
//!   2.1.197 makes (`HEAD /`, a connection warm-up whose answer it ignores).
//!
//! The server runs on its own thread with a single-threaded tokio runtime and
//! hyper, on `127.0.0.1` and a port the OS picks; dropping it stops it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// One assistant reply.
#[derive(Debug, Clone)]
pub enum Turn {
    /// A `tool_use` block; the conversation continues once its result is back.
    ToolUse { name: String, input: Value },
    /// A text block with `stop_reason: end_turn`; the conversation ends.
    Text(String),
}

impl Turn {
    pub fn tool_use(name: &str, input: Value) -> Turn {
        Turn::ToolUse { name: name.to_owned(), input }
    }

    /// A call of Claude Code's `Bash` tool.
    pub fn bash(command: &str, description: &str) -> Turn {
        Turn::tool_use("Bash", json!({ "command": command, "description": description }))
    }

    pub fn text(text: &str) -> Turn {
        Turn::Text(text.to_owned())
    }
}

/// The conversation the fake plays, one turn per request.
pub type Script = Vec<Turn>;

/// The id the fake gives the tool call of turn `index` (0-based).
pub fn tool_use_id(index: usize) -> String {
    format!("toolu_paddock_{:02}", index + 1)
}

/// One request the server received and how it answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// Path and query, e.g. `/v1/messages?beta=true`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub status: u16,
    /// The script turn that answered it, if one did.
    pub turn: Option<usize>,
    /// Why the fake refused the request, for anything it did not expect.
    pub refused: Option<String>,
}

impl Exchange {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A one-line description for failure messages (no body: it is large).
    pub fn summary(&self) -> String {
        format!(
            "{} {} -> {}{}",
            self.method,
            self.target,
            self.status,
            self.refused.as_deref().map(|r| format!(" (refused: {r})")).unwrap_or_default()
        )
    }
}

/// What the agent sent back for one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    pub is_error: bool,
    /// The result's text (string content, or its text blocks joined by newlines).
    pub text: String,
}

struct Shared {
    script: Script,
    api_key: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_turn: usize,
    log: Vec<Exchange>,
}

/// The running fake; stopped on drop.
pub struct FakeAnthropic {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeAnthropic {
    /// Starts serving `script` to clients that present `api_key` (`x-api-key`).
    pub fn start(script: Script, api_key: &str) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared { script, api_key: api_key.to_owned(), state: Mutex::default() });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding the fake Messages API")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let served = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("fake-anthropic".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("fake Messages API: cannot listen: {e}");
                        return;
                    }
                };
                tokio::select! {
                    () = accept_loop(listener, served) => {}
                    _ = stopped => {}
                }
            });
        })?;
        Ok(Self { addr, shared, stop: Some(stop), thread: Some(thread) })
    }

    /// The value for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner).log.clone()
    }

    /// The requests the fake did not expect and answered with an error.
    pub fn refused(&self) -> Vec<Exchange> {
        self.exchanges().into_iter().filter(|e| e.refused.is_some()).collect()
    }

    /// How many script turns have been served.
    pub fn turns_served(&self) -> usize {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner).next_turn
    }

    /// The `tool_result` the agent sent for `tool_use_id`, from the request
    /// that carried it (the first one, if several did).
    pub fn tool_result(&self, tool_use_id: &str) -> Option<ToolResult> {
        self.exchanges().iter().filter(|e| e.turn.is_some()).filter_map(Exchange::json).find_map(|body| {
            tool_results(last_user_message(body.get("messages")?)?).into_iter().find(|(id, _)| id == tool_use_id).map(|(_, r)| r)
        })
    }
}

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("fake Messages API: accept failed: {e}");
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(handle(&shared, req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
                eprintln!("fake Messages API: connection error: {e}");
            }
        });
    }
}

/// An answer before it is recorded.
struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    turn: Option<usize>,
    refused: Option<String>,
}

impl Answer {
    fn empty(status: StatusCode) -> Answer {
        Answer { status, content_type: "text/plain", body: Vec::new(), turn: None, refused: None }
    }

    /// An API error in the real API's shape, recorded as refused.
    fn refuse(status: StatusCode, kind: &str, message: String) -> Answer {
        let body = json!({ "type": "error", "error": { "type": kind, "message": format!("fake Messages API: {message}") } });
        Answer {
            status,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
            turn: None,
            refused: Some(message),
        }
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) => format!("<body could not be read: {e}>").into_bytes(),
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());

    // Decide and record under one lock: requests on parallel connections must
    // not both be matched against the same turn.
    let answer = {
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        let answer = route(shared, &mut state, &parts.method, parts.uri.path(), parts.uri.query(), &parts.headers, &body);
        state.log.push(Exchange {
            method: parts.method.to_string(),
            target,
            headers,
            body,
            status: answer.status.as_u16(),
            turn: answer.turn,
            refused: answer.refused.clone(),
        });
        answer
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = answer.status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(answer.content_type) {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    response
}

fn route(
    shared: &Shared,
    state: &mut State,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &hyper::HeaderMap,
    body: &[u8],
) -> Answer {
    match (method, path) {
        // Claude Code's start-up connection warm-up; the answer is ignored.
        (&Method::HEAD, "/") => Answer::empty(StatusCode::OK),
        (&Method::POST, "/v1/messages") if matches!(query, None | Some("beta=true")) => {
            messages(shared, state, headers, body)
        }
        _ => Answer::refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("unexpected request {method} {path}{}", query.map(|q| format!("?{q}")).unwrap_or_default()),
        ),
    }
}

fn messages(shared: &Shared, state: &mut State, headers: &hyper::HeaderMap, body: &[u8]) -> Answer {
    let bad = |message: String| Answer::refuse(StatusCode::BAD_REQUEST, "invalid_request_error", message);
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key != Some(shared.api_key.as_str()) {
        return Answer::refuse(StatusCode::UNAUTHORIZED, "authentication_error", "missing or wrong x-api-key".into());
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return bad("the request body is not JSON".into());
    };
    if request.get("stream").and_then(Value::as_bool) != Some(true) {
        return bad("only streaming requests are scripted (\"stream\": true)".into());
    }
    let Some(last) = request.get("messages").and_then(last_user_message) else {
        return bad("no user message".into());
    };
    let index = state.next_turn;
    let Some(turn) = shared.script.get(index) else {
        return bad(format!("the script has only {} turns and all were served", shared.script.len()));
    };
    let results = tool_results(last);
    match index.checked_sub(1).map(|prev| (prev, &shared.script[prev])) {
        None if !results.is_empty() => {
            return bad("the first request already carries tool results".into());
        }
        None => {}
        Some((prev, Turn::Text(_))) => {
            return bad(format!("the conversation ended with turn {prev}'s text, yet the agent asked again"));
        }
        Some((prev, Turn::ToolUse { .. })) => {
            let want = tool_use_id(prev);
            if !results.iter().any(|(id, _)| *id == want) {
                let got: Vec<&str> = results.iter().map(|(id, _)| id.as_str()).collect();
                return bad(format!("expected the tool_result for {want} (turn {prev}), got {got:?}"));
            }
        }
    }
    if let Turn::ToolUse { name, .. } = turn {
        let offered = request
            .get("tools")
            .and_then(Value::as_array)
            .is_some_and(|tools| tools.iter().any(|t| t.get("name").and_then(Value::as_str) == Some(name)));
        if !offered {
            return bad(format!("turn {index} calls tool {name:?}, which the agent did not offer"));
        }
    }
    let model = request.get("model").and_then(Value::as_str).unwrap_or("claude-fake");
    state.next_turn += 1;
    Answer {
        status: StatusCode::OK,
        content_type: "text/event-stream",
        body: sse(turn, index, model).into_bytes(),
        turn: Some(index),
        refused: None,
    }
}

/// The newest user message. Claude Code 2.1.197 may append a `"role":
/// "system"` message after it (its `mid-conversation-system` beta), so this is
/// not always the last message.
fn last_user_message(messages: &Value) -> Option<&Value> {
    messages.as_array()?.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
}

/// The `tool_result` blocks of one message, as (tool_use_id, result).
fn tool_results(message: &Value) -> Vec<(String, ToolResult)> {
    let Some(blocks) = message.get("content").and_then(Value::as_array) else { return Vec::new() };
    blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        .map(|b| {
            let id = b.get("tool_use_id").and_then(Value::as_str).unwrap_or_default().to_owned();
            let text = match b.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => String::new(),
            };
            let is_error = b.get("is_error").and_then(Value::as_bool).unwrap_or(false);
            (id, ToolResult { is_error, text })
        })
        .collect()
}

/// The streamed reply for one turn.
fn sse(turn: &Turn, index: usize, model: &str) -> String {
    let (block, delta, stop_reason) = match turn {
        Turn::ToolUse { name, input } => (
            json!({ "type": "tool_use", "id": tool_use_id(index), "name": name, "input": {} }),
            json!({ "type": "input_json_delta", "partial_json": input.to_string() }),
            "tool_use",
        ),
        Turn::Text(text) => (
            json!({ "type": "text", "text": "" }),
            json!({ "type": "text_delta", "text": text }),
            "end_turn",
        ),
    };
    let events = [
        (
            "message_start",
            json!({ "type": "message_start", "message": {
                "id": format!("msg_paddock_{:02}", index + 1), "type": "message", "role": "assistant",
                "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": { "input_tokens": 1, "output_tokens": 1 } } }),
        ),
        ("content_block_start", json!({ "type": "content_block_start", "index": 0, "content_block": block })),
        ("content_block_delta", json!({ "type": "content_block_delta", "index": 0, "delta": delta })),
        ("content_block_stop", json!({ "type": "content_block_stop", "index": 0 })),
        (
            "message_delta",
            json!({ "type": "message_delta", "delta": { "stop_reason": stop_reason, "stop_sequence": null },
                    "usage": { "output_tokens": 1 } }),
        ),
        ("message_stop", json!({ "type": "message_stop" })),
    ];
    events.iter().map(|(name, data)| format!("event: {name}\ndata: {data}\n\n")).collect()
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    const KEY: &str = "sk-test";

    /// One request over a fresh connection; returns (status, body).
    fn send(server: &FakeAnthropic, method: &str, target: &str, key: &str, body: &Value) -> (u16, String) {
        let body = body.to_string();
        let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let status = reply.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = reply.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    fn request(last_user: Value) -> Value {
        json!({
            "model": "m", "stream": true,
            "tools": [{ "name": "Bash" }],
            "messages": [last_user, { "role": "system", "content": "trailing system message" }],
        })
    }

    fn prompt() -> Value {
        json!({ "role": "user", "content": [{ "type": "text", "text": "go" }] })
    }

    fn result_for(id: &str) -> Value {
        json!({ "role": "user", "content": [{ "type": "tool_result", "tool_use_id": id, "is_error": true,
                                               "content": [{ "type": "text", "text": "no" }] }] })
    }

    #[test]
    fn plays_the_script_in_order_and_records_tool_results() {
        let server = FakeAnthropic::start(vec![Turn::bash("ls", "list"), Turn::text("bye")], KEY).unwrap();
        let (status, body) = send(&server, "POST", "/v1/messages?beta=true", KEY, &request(prompt()));
        assert_eq!(status, 200, "{body}");
        let events: Vec<&str> = body.lines().filter_map(|l| l.strip_prefix("event: ")).collect();
        assert_eq!(
            events,
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
        );
        assert!(body.contains(r#""partial_json":"{\"command\":\"ls\",\"description\":\"list\"}""#), "{body}");
        assert!(body.contains(r#""stop_reason":"tool_use""#), "{body}");

        let (status, body) = send(&server, "POST", "/v1/messages", KEY, &request(result_for(&tool_use_id(0))));
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""text":"bye""#) && body.contains(r#""stop_reason":"end_turn""#), "{body}");
        assert_eq!(server.turns_served(), 2);
        assert_eq!(server.tool_result(&tool_use_id(0)), Some(ToolResult { is_error: true, text: "no".into() }));
        assert!(server.refused().is_empty());

        // The conversation is over: one more request is refused.
        let (status, _) = send(&server, "POST", "/v1/messages", KEY, &request(result_for(&tool_use_id(1))));
        assert_eq!(status, 400);
        assert_eq!(server.refused().len(), 1);
    }

    #[test]
    fn refuses_what_the_script_does_not_expect() {
        let script = || vec![Turn::bash("ls", "list"), Turn::text("bye")];
        let cases: Vec<(&str, &str, &str, &str, Value, u16)> = vec![
            ("wrong api key", "POST", "/v1/messages", "sk-other", request(prompt()), 401),
            ("unknown endpoint", "POST", "/v1/complete", KEY, request(prompt()), 400),
            ("unknown query", "POST", "/v1/messages?beta=false", KEY, request(prompt()), 400),
            ("GET of messages", "GET", "/v1/messages", KEY, json!({}), 400),
            ("not streaming", "POST", "/v1/messages", KEY, json!({ "stream": false, "messages": [prompt()] }), 400),
            ("tool result before any tool call", "POST", "/v1/messages", KEY, request(result_for("toolu_x")), 400),
            (
                "tool not offered",
                "POST",
                "/v1/messages",
                KEY,
                json!({ "stream": true, "tools": [{ "name": "Read" }], "messages": [prompt()] }),
                400,
            ),
        ];
        for (name, method, target, key, body, want) in cases {
            let server = FakeAnthropic::start(script(), KEY).unwrap();
            let (status, reply) = send(&server, method, target, key, &body);
            assert_eq!(status, want, "{name}: {reply}");
            assert_eq!(server.refused().len(), 1, "{name}: not recorded as refused");
            assert_eq!(server.turns_served(), 0, "{name}: a turn was served anyway");
        }

        // The second turn needs the first turn's result, not any result.
        let server = FakeAnthropic::start(script(), KEY).unwrap();
        assert_eq!(send(&server, "POST", "/v1/messages", KEY, &request(prompt())).0, 200);
        assert_eq!(send(&server, "POST", "/v1/messages", KEY, &request(prompt())).0, 400, "a replayed first request");
        assert_eq!(send(&server, "POST", "/v1/messages", KEY, &request(result_for("toolu_other"))).0, 400);
        assert_eq!(server.turns_served(), 1);
    }

    #[test]
    fn answers_the_start_up_probe() {
        let server = FakeAnthropic::start(vec![Turn::text("hi")], KEY).unwrap();
        let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
        stream.write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(server.refused().is_empty());
    }
}
