//! A real AWS API emulator (moto's server, PyPI `moto[server]`) on a loopback
//! port, for the Credentials screen: the app's `Revoke now` and sweep make
//! real IAM calls through the AWS SDK against it. Installed (once, into a
//! private venv) by crates/creds/tests/support/moto.sh, like the creds tests.
//! IAM auth enforcement stays off: the screen is under test here, the policy
//! semantics are crates/creds' business.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, ensure};

use crate::{Guard, repo_root};

#[path = "../../crates/creds/tests/support/moto_start.rs"]
mod moto_start;

pub struct Moto {
    pub port: u16,
    _server: Guard,
}

fn script(name: &str) -> PathBuf {
    repo_root().join("crates/creds/tests/support").join(name)
}

impl Moto {
    pub fn start() -> anyhow::Result<Self> {
        let out = Command::new("bash")
            .arg(script("moto.sh"))
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run crates/creds/tests/support/moto.sh")?;
        ensure!(
            out.status.success(),
            "installing moto failed (needs python3 -m venv and PyPI for `moto[server]`); see stderr above"
        );
        let python = String::from_utf8(out.stdout)?.trim().to_owned();
        let answers = |port| matches!(http(port, "GET", "/moto-api/data.json", &[], ""), Ok((200, _)));
        let (child, port) = moto_start::start(Path::new(&python), &script("moto_launch.py"), &answers).map_err(anyhow::Error::msg)?;
        Ok(Self { port, _server: Guard::adopt("moto_server", child) })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The names of every IAM user in the (default) account.
    pub fn iam_users(&self) -> anyhow::Result<Vec<String>> {
        // Auth enforcement is off: moto routes on the credential scope and
        // does not check the signature.
        let auth = "AWS4-HMAC-SHA256 Credential=AKIAE2ELISTER0000000/20260101/us-east-1/iam/aws4_request, \
                    SignedHeaders=host, Signature=0";
        let (status, body) = http(
            self.port,
            "POST",
            "/",
            &[("Authorization", auth), ("Content-Type", "application/x-www-form-urlencoded")],
            "Action=ListUsers&Version=2010-05-08&MaxItems=1000",
        )?;
        ensure!(status == 200, "ListUsers: HTTP {status}: {body}");
        Ok(body
            .split("<UserName>")
            .skip(1)
            .filter_map(|s| s.split("</UserName>").next())
            .map(str::to_owned)
            .collect())
    }
}

fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> anyhow::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
