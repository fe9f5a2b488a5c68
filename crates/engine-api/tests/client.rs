//! The blocking client against a scripted peer on a real unix socket: the
//! engine itself is exercised by the CLI's engine tests; here the peer
//! misbehaves on purpose (slow, cut short, oversized, silent), which a real
//! engine never does.

// clippy.toml's allow-*-in-tests covers #[test] fns, not this file's helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use paddock_engine_api::{Client, ClientError};
use serde_json::json;

const TOKEN: &str = "v4.public.secret-token-text";

/// A peer that reads one request, hands it to the test and answers with
/// `chunks` (written one by one, `gap` apart), then closes — or, when
/// `chunks` is empty, keeps the connection open and silent for a minute.
fn peer(chunks: Vec<Vec<u8>>, gap: Duration) -> (tempfile::TempDir, PathBuf, mpsc::Receiver<String>) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("api.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        // The head, then the body its Content-Length names.
        loop {
            let n = s.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            req.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&req);
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if req.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&req).into_owned());
        if chunks.is_empty() {
            std::thread::sleep(Duration::from_secs(60));
        }
        for c in chunks {
            if s.write_all(&c).is_err() {
                return;
            }
            std::thread::sleep(gap);
        }
    });
    (dir, socket, rx)
}

fn answer(status: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

#[test]
fn a_request_carries_the_token_and_a_body_and_reads_an_answer_split_in_pieces() {
    let whole = answer("200 OK", r#"{"seq":7,"approval":null}"#);
    let pieces: Vec<Vec<u8>> = whole.chunks(5).map(<[u8]>::to_vec).collect();
    let (_dir, socket, rx) = peer(pieces, Duration::from_millis(1));
    let got = Client::new(&socket, TOKEN).post("/v1/gate/decisions", &json!({"verdict": "allow"}), Duration::from_secs(30)).unwrap();
    assert_eq!(got, json!({"seq": 7, "approval": null}));
    let req = rx.recv().unwrap();
    assert!(req.starts_with("POST /v1/gate/decisions HTTP/1.1\r\n"), "{req}");
    assert!(req.contains(&format!("Authorization: Bearer {TOKEN}\r\n")), "{req}");
    assert!(req.contains("Connection: close\r\n"), "{req}");
    assert!(req.ends_with(r#"{"verdict":"allow"}"#), "{req}");
}

#[test]
fn a_refusal_is_an_error_with_the_status_and_the_engines_message() {
    let (_dir, socket, _rx) = peer(vec![answer("401 Unauthorized", r#"{"error":"token forged"}"#)], Duration::ZERO);
    let err = Client::new(&socket, TOKEN).get("/v1/tasks", Duration::from_secs(30)).unwrap_err();
    assert!(matches!(&err, ClientError::Api { status, .. } if status.as_u16() == 401), "{err:?}");
    assert_eq!(err.to_string(), "401 Unauthorized: token forged");
}

#[test]
fn a_silent_engine_times_out_and_a_slow_trickle_does_not_stretch_the_deadline() {
    let (_dir, socket, _rx) = peer(vec![], Duration::ZERO);
    let hold = answer("200 OK", "{}");
    let (_dir2, trickle, _rx2) = peer(hold.iter().map(|b| vec![*b]).collect(), Duration::from_millis(200));
    for (what, socket) in [("silent", socket), ("trickle", trickle)] {
        let t = Instant::now();
        let err = Client::new(&socket, TOKEN).get("/v1/tasks", Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, ClientError::Timeout { secs: 1 }), "{what}: {err:?}");
        assert!(t.elapsed() < Duration::from_secs(10), "{what}: took {:?}", t.elapsed());
    }
}

#[test]
fn a_cut_short_or_malformed_answer_is_an_error_not_a_value() {
    let cases: [(&str, Vec<u8>); 4] = [
        ("cut body", b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{\"seq\":1}".to_vec()),
        ("no head", b"HTTP/1.1 200 OK\r\ncontent-le".to_vec()),
        ("not http", b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()),
        ("chunked", b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec()),
    ];
    for (name, bytes) in cases {
        let (_dir, socket, _rx) = peer(vec![bytes], Duration::ZERO);
        let err = Client::new(&socket, TOKEN).get("/v1/tasks", Duration::from_secs(30)).unwrap_err();
        assert!(matches!(err, ClientError::Answer(_)), "{name}: {err:?}");
    }
}

#[test]
fn an_answer_larger_than_the_cap_is_refused_before_it_is_read() {
    let huge = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", paddock_engine_api::MAX_ANSWER_BYTES + 1);
    let (_dir, socket, _rx) = peer(vec![huge.into_bytes()], Duration::ZERO);
    let err = Client::new(&socket, TOKEN).get("/v1/tasks", Duration::from_secs(30)).unwrap_err();
    assert!(err.to_string().contains("larger"), "{err}");
}

#[test]
fn header_injection_through_the_path_or_the_token_is_refused_before_connecting() {
    let (_dir, socket, rx) = peer(vec![answer("200 OK", "{}")], Duration::ZERO);
    let bad_path = Client::new(&socket, TOKEN).get("/v1/tasks\r\nX-Evil: 1", Duration::from_secs(5)).unwrap_err();
    let bad_token = Client::new(&socket, "t\r\nX-Evil: 1").get("/v1/tasks", Duration::from_secs(5)).unwrap_err();
    for err in [bad_path, bad_token] {
        assert!(matches!(err, ClientError::BadRequest(_)), "{err:?}");
    }
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "a request reached the peer");
}

#[test]
fn errors_and_debug_output_never_show_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(dir.path().join("gone.sock"), TOKEN);
    let err = client.get("/v1/tasks", Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains("secret-token"), "{text}");
    }
    assert!(err.to_string().contains("gone.sock"), "{err}");
}
