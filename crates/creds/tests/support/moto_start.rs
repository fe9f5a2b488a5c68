//! Starting moto_server (through moto_launch.py) on a free loopback port. Shared by
//! the creds tests (`support/mod.rs`) and the e2e tests (`tests/support/moto.rs`),
//! which include this file by path.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `python launcher -H 127.0.0.1 -p PORT`, a moto server of the caller's own,
/// and returns it with its port once it is running and `answers(port)` says so. The
/// port is picked free and then handed to moto, so another test may pick it too:
/// readiness is this server's own start-up line on its stderr ("Running on"), not an
/// answer on the port, which could come from the other test's server. A server that
/// lost the port exits; it is started again on another, five times at most.
pub fn start(python: &Path, launcher: &Path, answers: &dyn Fn(u16) -> bool) -> Result<(Child, u16), String> {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        let mut child = Command::new(python)
            .arg(launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
        // Its log, read to the end on a thread (a full pipe would stall it); the
        // start-up line is passed on.
        let (tx, started) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().ok_or("moto_server has no stderr pipe")?;
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Running on") {
                    let _ = tx.send(());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut lost_port = false;
        while started.try_recv().is_err() {
            if let Ok(Some(_)) = child.try_wait() {
                lost_port = true;
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("moto_server did not start on 127.0.0.1:{port} within 90 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if lost_port {
            continue;
        }
        while !answers(port) {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("moto_server did not answer on 127.0.0.1:{port} within 90 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        return Ok((child, port));
    }
    Err("moto_server could not get a free port in 5 tries".into())
}
