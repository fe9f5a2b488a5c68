//! Does the Audit screen stay smooth over a million events? The real app window
//! (tauri-driver, WebKitWebDriver, Xvfb) scrolls its table for 300 animation
//! frames at 10 rows per frame (3,000 rows, 15 pages fetched on the way) over a
//! trail of 1,000,000 events and over its peer, the same screen on 5,000 events,
//! alternating rounds in one run. Printed: frame intervals (p50, p95, max),
//! frames over 50 ms, time from opening the screen to its first rows, and the
//! ratio of the two trails. Under Xvfb WebKit paints in software with no vsync,
//! so read the ratio (does size matter?) more than the milliseconds.
//!
//!   PADDOCK_APP_BIN=$CARGO_TARGET_DIR/debug/paddock-desktop cargo bench -p paddock-e2e --bench audit_scroll
//!   (env: SCROLL_ROUNDS, default 3)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // bench harness

use std::time::{Duration, Instant};

use fantoccini::Client;
use paddock_e2e::ui::click;
use paddock_e2e::{Window, seed};

const SCROLL_JS: &str = "
const done = arguments[arguments.length - 1];
const el = document.querySelector('.event-scroll');
const frames = [];
let last = null, n = 0;
function step(t) {
  if (last !== null) frames.push(t - last);
  last = t;
  el.scrollTop += 320;
  if (++n <= 300) requestAnimationFrame(step);
  else done([frames, Math.min(...[...el.querySelectorAll('[role=row]')].map(r => Number(r.dataset.seq)))]);
}
requestAnimationFrame(step);";

struct Trail {
    name: &'static str,
    events: u64,
    _data: tempfile::TempDir,
    window: Window,
    frames: Vec<f64>,
    first_rows: Vec<Duration>,
    deepest: u64,
}

async fn one_round(trail: &mut Trail) -> anyhow::Result<()> {
    let (first_rows, frames, deepest) = trail
        .window
        .with_app("a scroll round", Duration::from_secs(180), async |client: &Client| {
            let opened = Instant::now();
            click(client, "a[data-nav='audit']").await?;
            loop {
                let n = client.execute("return document.querySelectorAll('.event-scroll [role=row]').length", vec![]).await?;
                if n.as_u64().unwrap_or(0) > 0 {
                    break;
                }
                anyhow::ensure!(opened.elapsed() < Duration::from_secs(60), "no rows after 60 s");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let first_rows = opened.elapsed();
            let (frames, deepest): (Vec<f64>, u64) = serde_json::from_value(client.execute_async(SCROLL_JS, vec![]).await?)?;
            Ok((first_rows, frames, deepest))
        })
        .await?;
    trail.first_rows.push(first_rows);
    trail.frames.extend(frames);
    trail.deepest = deepest;
    Ok(())
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::var("SCROLL_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let scan_home = tempfile::tempdir()?;
    let mut trails = Vec::new();
    for (name, noise) in [("1,000,000 events", 1_000_000usize), ("5,000 events (peer)", 5_000)] {
        let data = tempfile::tempdir()?;
        let t = Instant::now();
        let events = seed::night(data.path(), noise)?;
        eprintln!("seeded {events} events in {:.1?}", t.elapsed());
        let env = [
            ("PADDOCK_DATA_DIR", data.path().display().to_string()),
            ("PADDOCK_SCAN_HOME", scan_home.path().display().to_string()),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // One display each: the two trails' app processes never share an X server.
        let window = Window::start(&env)?;
        trails.push(Trail { name, events, _data: data, window, frames: Vec::new(), first_rows: Vec::new(), deepest: 0 });
    }
    for _ in 0..rounds {
        for trail in &mut trails {
            one_round(trail).await?;
        }
    }
    println!("Audit screen, {rounds} rounds of 300 frames scrolling 10 rows each, alternating trails");
    println!("{:<22} {:>9} {:>9} {:>9} {:>13} {:>16} {:>12}", "trail", "p50 ms", "p95 ms", "max ms", "frames >50ms", "open->rows ms", "deepest row");
    let mut p95s = Vec::new();
    for t in &mut trails {
        t.frames.sort_by(f64::total_cmp);
        let slow = t.frames.iter().filter(|f| **f > 50.0).count();
        let mut open: Vec<f64> = t.first_rows.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        open.sort_by(f64::total_cmp);
        println!(
            "{:<22} {:>9.1} {:>9.1} {:>9.1} {:>8} of {:<4} {:>16.0} {:>12}",
            t.name,
            pct(&t.frames, 0.5),
            pct(&t.frames, 0.95),
            pct(&t.frames, 1.0),
            slow,
            t.frames.len(),
            pct(&open, 0.5),
            format!("#{} of {}", t.deepest, t.events)
        );
        p95s.push((pct(&t.frames, 0.5), pct(&t.frames, 0.95)));
    }
    println!(
        "ratio 1M / 5k: p50 frame {:.2}x, p95 frame {:.2}x",
        p95s[0].0 / p95s[1].0,
        p95s[0].1 / p95s[1].1
    );
    Ok(())
}
