//! A small blocking client for the engine API, for the CLI and the gate hook
//! (which is a short-lived process: one current-thread runtime per call).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt as _, Full};
use serde_json::Value;

use crate::error::EngineError;

/// Talks to one engine socket with one bearer token.
#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
    token: String,
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>, token: impl Into<String>) -> Client {
        Client { socket: socket.into(), token: token.into() }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn get(&self, path: &str, timeout: Duration) -> Result<Value, EngineError> {
        self.call(Method::GET, path, None, timeout)
    }

    pub fn post(&self, path: &str, body: &Value, timeout: Duration) -> Result<Value, EngineError> {
        self.call(Method::POST, path, Some(body), timeout)
    }

    /// One request; a non-2xx answer is an error carrying the engine's message.
    pub fn call(&self, method: Method, path: &str, body: Option<&Value>, timeout: Duration) -> Result<Value, EngineError> {
        let (status, value) = self.request(method, path, body, timeout)?;
        if !status.is_success() {
            let msg = value.get("error").and_then(Value::as_str).unwrap_or("no message").to_owned();
            return Err(EngineError::Api(format!("{status}: {msg}")));
        }
        Ok(value)
    }

    /// One request; the status and the JSON answer, whatever the status.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(http::StatusCode, Value), EngineError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(EngineError::io("starting the API client"))?;
        let socket = self.socket.clone();
        let text = body.map(Value::to_string).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(format!("http://paddock{path}"))
            .header(http::header::HOST, "paddock")
            .header(http::header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(text)))
            .map_err(|e| EngineError::Api(format!("bad request: {e}")))?;
        runtime.block_on(async move {
            let work = async {
                let stream = tokio::net::UnixStream::connect(&socket)
                    .await
                    .map_err(|e| EngineError::Api(format!("cannot reach the engine at {}: {e}", socket.display())))?;
                let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| EngineError::Api(format!("engine handshake: {e}")))?;
                tokio::spawn(conn);
                let resp =
                    sender.send_request(request).await.map_err(|e| EngineError::Api(format!("engine request: {e}")))?;
                let status = resp.status();
                let bytes = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| EngineError::Api(format!("engine answer: {e}")))?
                    .to_bytes();
                let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                Ok((status, value))
            };
            tokio::time::timeout(timeout, work)
                .await
                .map_err(|_| EngineError::Api(format!("the engine did not answer within {}s", timeout.as_secs())))?
        })
    }
}
