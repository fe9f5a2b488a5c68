//! The in-sandbox init for ProxyOnly networking.
//!
//! bwrap starts `<init> __sandbox-init --proxy-socket S --port P
//! [--deny-unix-sockets] -- CMD...` inside the sandbox's network namespace.
//! The init:
//! 1. makes itself non-dumpable, so the agent (same uid) cannot read or write
//!    its memory through /proc and take over the unfiltered bridge;
//! 2. listens on 127.0.0.1:P and forwards every connection to the unix socket
//!    S (the egress proxy, bind-mounted in) — the only way out of the netns;
//! 3. spawns CMD from a thread that first installs the agent seccomp layer
//!    (no AF_UNIX sockets), so the agent and its children carry it while the
//!    bridge threads do not;
//! 4. exits with CMD's status (128+signal when killed).

use std::ffi::OsString;
use std::io;
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::thread;

/// First argument that selects the init entry point.
pub const INIT_ARG: &str = "__sandbox-init";

struct InitArgs {
    proxy_socket: PathBuf,
    port: u16,
    deny_unix_sockets: bool,
    command: Vec<OsString>,
}

fn parse(args: &[OsString]) -> Result<InitArgs, String> {
    let mut proxy_socket = None;
    let mut port = None;
    let mut deny_unix_sockets = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.to_str() {
            Some("--proxy-socket") => proxy_socket = iter.next().map(PathBuf::from),
            Some("--port") => {
                port = iter
                    .next()
                    .and_then(|p| p.to_str())
                    .and_then(|p| p.parse().ok())
            }
            Some("--deny-unix-sockets") => deny_unix_sockets = true,
            Some("--") => break,
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let command: Vec<OsString> = iter.cloned().collect();
    if command.is_empty() {
        return Err("no command after --".into());
    }
    Ok(InitArgs {
        proxy_socket: proxy_socket.ok_or("missing --proxy-socket")?,
        port: port.ok_or("missing or invalid --port")?,
        deny_unix_sockets,
        command,
    })
}

fn serve(listener: TcpListener, proxy: PathBuf) {
    for stream in listener.incoming() {
        let Ok(tcp) = stream else { continue };
        let proxy = proxy.clone();
        thread::spawn(move || {
            if let Err(err) = forward(tcp, &proxy) {
                eprintln!("paddock sandbox bridge: cannot reach the egress proxy: {err}");
            }
        });
    }
}

/// Copies bytes both ways between a loopback TCP client and the proxy socket.
fn forward(tcp: TcpStream, proxy: &PathBuf) -> io::Result<()> {
    let unix = UnixStream::connect(proxy)?;
    let tcp_read = tcp.try_clone()?;
    let unix_write = unix.try_clone()?;
    let up = thread::spawn(move || {
        let mut from = tcp_read;
        let mut to = unix_write;
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
    let mut from = unix;
    let mut to = tcp;
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// Entry point: `args` are the arguments after `__sandbox-init`.
pub fn init_main(args: &[OsString]) -> ExitCode {
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("paddock sandbox init: {err}");
            ExitCode::from(125)
        }
    }
}

fn run(args: &[OsString]) -> Result<ExitCode, String> {
    let args = parse(args)?;
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| format!("cannot make the init non-dumpable: {e}"))?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let proxy = args.proxy_socket.clone();
    thread::spawn(move || serve(listener, proxy));

    let deny = args.deny_unix_sockets;
    let command = args.command;
    let spawner = thread::spawn(move || -> Result<std::process::Child, String> {
        if deny {
            crate::seccomp::apply_agent_filter().map_err(|e| e.to_string())?;
        }
        let (program, rest) = command.split_first().ok_or("empty command")?;
        Command::new(program)
            .args(rest)
            .spawn()
            .map_err(|e| format!("cannot start {program:?}: {e}"))
    });
    let mut child = spawner
        .join()
        .map_err(|_| "agent spawner thread panicked".to_owned())??;
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the command: {e}"))?;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
