//! A blocking client for the engine API: one HTTP/1.1 request per
//! connection over the engine's unix socket (`Connection: close`), on std
//! sockets with a deadline, the answer's head parsed by `httparse`.
//!
//! Why no async runtime: the gate hook is a process started for every tool
//! call of the agent, and everything it links is paid for at each start.
//! One request and one answer on a local socket need no more than this.

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::Value;

/// Largest answer read (a page of task events is the largest the engine sends).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// Headers the answer may have; the engine sends three.
const MAX_HEADERS: usize = 32;

/// Why a call failed. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the engine at {}: {source}", socket.display())]
    Unreachable { socket: PathBuf, source: std::io::Error },
    #[error("the engine did not answer within {secs}s")]
    Timeout { secs: u64 },
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("engine answer: {0}")]
    Answer(String),
    /// A non-2xx answer, with the engine's `{"error": ...}` message.
    #[error("{status}: {message}")]
    Api { status: StatusCode, message: String },
}

/// Talks to one engine socket with one bearer token.
#[derive(Clone)]
pub struct Client {
    socket: PathBuf,
    token: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("socket", &self.socket).field("token", &"<redacted>").finish()
    }
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>, token: impl Into<String>) -> Client {
        Client { socket: socket.into(), token: token.into() }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn get(&self, path: &str, timeout: Duration) -> Result<Value, ClientError> {
        self.call(Method::GET, path, None, timeout)
    }

    pub fn post(&self, path: &str, body: &Value, timeout: Duration) -> Result<Value, ClientError> {
        self.call(Method::POST, path, Some(body), timeout)
    }

    /// One request; a non-2xx answer is an error carrying the engine's message.
    pub fn call(&self, method: Method, path: &str, body: Option<&Value>, timeout: Duration) -> Result<Value, ClientError> {
        let (status, value) = self.request(method, path, body, timeout)?;
        if !status.is_success() {
            let message = value.get("error").and_then(Value::as_str).unwrap_or("no message").to_owned();
            return Err(ClientError::Api { status, message });
        }
        Ok(value)
    }

    /// One request; the status and the JSON answer (`null` if the body is
    /// not JSON), whatever the status.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(StatusCode, Value), ClientError> {
        let deadline = Instant::now() + timeout;
        let request = self.encode(&method, path, body)?;
        let mut stream = UnixStream::connect(&self.socket)
            .map_err(|source| ClientError::Unreachable { socket: self.socket.clone(), source })?;
        let timed_out = || ClientError::Timeout { secs: timeout.as_secs() };
        let remaining = || deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()).ok_or_else(timed_out);
        stream.set_write_timeout(Some(remaining()?)).map_err(answer_io)?;
        stream.write_all(&request).map_err(|e| if is_timeout(&e) { timed_out() } else { answer_io(e) })?;
        let (status, body) = read_answer(&mut stream, remaining).map_err(|e| match e {
            ReadError::Timeout => timed_out(),
            ReadError::Other(e) => e,
        })?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    fn encode(&self, method: &Method, path: &str, body: Option<&Value>) -> Result<Vec<u8>, ClientError> {
        // A CR or LF in either would let a caller's text add header lines.
        if !path.starts_with('/') || !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ClientError::BadRequest("the path must start with / and hold only visible ASCII"));
        }
        if !self.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ClientError::BadRequest("the token holds characters a header cannot carry"));
        }
        let text = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: paddock\r\nConnection: close\r\n");
        if !self.token.is_empty() {
            head.push_str(&format!("Authorization: Bearer {}\r\n", self.token));
        }
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", text.len()));
        let mut out = head.into_bytes();
        out.extend_from_slice(text.as_bytes());
        Ok(out)
    }
}

enum ReadError {
    Timeout,
    Other(ClientError),
}

impl From<ClientError> for ReadError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Timeout { .. } => ReadError::Timeout,
            other => ReadError::Other(other),
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
}

fn answer_io(e: std::io::Error) -> ClientError {
    ClientError::Answer(e.to_string())
}

fn answer(msg: &str) -> ReadError {
    ReadError::Other(ClientError::Answer(msg.to_owned()))
}

/// Reads one answer: the head until it parses, then exactly `Content-Length`
/// bytes of body (or, without one, up to the close the request asked for).
/// Every read waits at most what `remaining` says is left of the deadline.
fn read_answer(
    stream: &mut UnixStream,
    remaining: impl Fn() -> Result<Duration, ClientError>,
) -> Result<(StatusCode, Vec<u8>), ReadError> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16 * 1024];
    let mut read_more = |buf: &mut Vec<u8>| -> Result<bool, ReadError> {
        stream.set_read_timeout(Some(remaining()?)).map_err(|e| ReadError::Other(answer_io(e)))?;
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if is_timeout(&e) => return Err(ReadError::Timeout),
                Err(e) => return Err(ReadError::Other(answer_io(e))),
            }
        }
    };
    let (head_len, status, length) = loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => {
                let status = parsed.code.and_then(|c| StatusCode::from_u16(c).ok()).ok_or_else(|| answer("no status"))?;
                let mut length = None;
                for h in parsed.headers.iter() {
                    if h.name.eq_ignore_ascii_case("transfer-encoding") {
                        return Err(answer("a chunked answer, which the engine never sends"));
                    }
                    if h.name.eq_ignore_ascii_case("content-length") {
                        let n: usize = std::str::from_utf8(h.value)
                            .ok()
                            .and_then(|v| v.trim().parse().ok())
                            .ok_or_else(|| answer("a bad Content-Length"))?;
                        length = Some(n);
                    }
                }
                break (n, status, length);
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(ReadError::Other(ClientError::Answer(format!("not HTTP: {e}")))),
        }
        if buf.len() > 64 * 1024 {
            return Err(answer("the answer's head is larger than 64 KiB"));
        }
        if !read_more(&mut buf)? {
            return Err(answer("the engine closed the connection without answering"));
        }
    };
    if length.is_some_and(|n| n > MAX_ANSWER_BYTES) {
        return Err(answer("the answer is larger than the client reads"));
    }
    loop {
        let have = buf.len() - head_len;
        if length.is_some_and(|n| have >= n) {
            break;
        }
        if have > MAX_ANSWER_BYTES {
            return Err(answer("the answer is larger than the client reads"));
        }
        if !read_more(&mut buf)? {
            if length.is_some() {
                return Err(answer("the engine closed the connection in the middle of its answer"));
            }
            break;
        }
    }
    let end = length.map_or(buf.len(), |n| head_len + n);
    buf.truncate(end);
    buf.drain(..head_len);
    Ok((status, buf))
}
