//! Stopping a step that ran past its limit, with everything it started.
//!
//! A hung test keeps its children (Xvfb, tauri-driver, the app) alive, and
//! they hold the output pipe open, so stopping `cargo` alone would leave CI
//! waiting all the same. Read from /proc, not from a process group: a step
//! stays in the terminal's group, so Ctrl-C still reaches all of it.

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// SIGTERM to `child` and all its descendants (tauri-driver must get the
/// chance to stop its own children), then SIGKILL to whatever is left.
pub fn stop(child: &mut Child) {
    let root = child.id();
    let mut pids = descendants(root);
    pids.insert(root);
    signal(&pids, "-TERM");
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        pids.retain(|pid| alive(*pid));
        // The root is our child: reap it, or it stays a zombie that looks alive.
        if matches!(child.try_wait(), Ok(Some(_))) {
            pids.remove(&root);
        }
        if pids.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(&pids, "-KILL");
    let _ = child.kill();
    let _ = child.wait();
}

/// Every live process below `root`. Empty where there is no /proc (the
/// caller still stops `root` itself).
fn descendants(root: u32) -> BTreeSet<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if let Some((_, ppid)) = stat(pid) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, _) in parents.iter().filter(|(_, ppid)| *ppid == p) {
            if found.insert(*pid) {
                frontier.push(*pid);
            }
        }
    }
    found
}

/// The state and the parent pid from /proc/<pid>/stat: the two fields after
/// the command name's closing parenthesis (a name may contain spaces and
/// parentheses itself). `None` once the process is gone.
fn stat(pid: u32) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.to_owned();
    Some((state, fields.next()?.parse().ok()?))
}

fn alive(pid: u32) -> bool {
    // A zombie has exited; it only waits for its parent to reap it.
    stat(pid).is_some_and(|(state, _)| state != "Z")
}

fn signal(pids: &BTreeSet<u32>, sig: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill").arg(sig).args(pids.iter().map(u32::to_string)).status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_pid_is_read_past_a_name_with_spaces_and_parentheses() {
        // This test process's own entry: its parent is whatever started it.
        let me = std::process::id();
        assert_eq!(stat(me).map(|(_, ppid)| ppid), Some(std::os::unix::process::parent_id()));
    }

    #[test]
    fn stopping_a_tree_stops_the_grandchildren_too() {
        // sh starts a sleep in the background (a grandchild of ours) and
        // waits: the grandchild must go with it.
        let mut child = Command::new("sh")
            .args(["-c", "sleep 300 & echo $! ; wait"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh runs");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("piped")), &mut line)
            .expect("sh prints the pid");
        let grandchild: u32 = line.trim().parse().expect("a pid");
        assert!(alive(grandchild));
        assert!(descendants(child.id()).contains(&grandchild));
        stop(&mut child);
        // Reaped by init once orphaned; give it a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(grandchild), "the grandchild outlived the stop");
    }
}
