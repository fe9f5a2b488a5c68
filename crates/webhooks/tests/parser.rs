//! The parser on its own: a data-driven corpus (`tests/data/parse_corpus.toml`)
//! and, on stable Rust, the cargo-fuzz target's function (`parse::fuzz_one`)
//! over deterministic random mutations of that corpus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use paddock_webhooks::parse::{Parsed, Route, fuzz_one, parse_verified};
use rand::{Rng as _, SeedableRng as _};
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    route: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_repeat: Option<Repeat>,
    expect: String,
    repo: Option<String>,
    sender: Option<String>,
    prompt: Option<String>,
}

#[derive(Deserialize)]
struct Repeat {
    prefix: String,
    count: usize,
    suffix: String,
}

impl Case {
    fn route(&self) -> Route {
        match self.route.as_str() {
            "slack-command" => Route::SlackCommand,
            "slack-event" => Route::SlackEvent,
            event => Route::Github {
                event: event.to_string(),
            },
        }
    }
    fn body(&self) -> Vec<u8> {
        match (&self.body, &self.body_repeat) {
            (Some(b), None) => b.clone().into_bytes(),
            (None, Some(r)) => format!("{}{}", r.prefix.repeat(r.count), r.suffix).into_bytes(),
            _ => panic!("case {:?}: give body or body_repeat", self.name),
        }
    }
}

fn corpus() -> Vec<Case> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/parse_corpus.toml"
    ))
    .unwrap();
    toml::from_str::<Corpus>(&text).unwrap().case
}

#[test]
fn parse_corpus() {
    let cases = corpus();
    assert!(cases.len() >= 20);
    for case in &cases {
        let name = &case.name;
        let got = parse_verified(&case.route(), &case.body());
        let kind = match &got {
            Ok(Parsed::Proposal(_)) => "proposal",
            Ok(Parsed::Usage(_)) => "usage",
            Ok(Parsed::Ignored(_)) => "ignored",
            Ok(Parsed::Challenge(_)) => "challenge",
            Ok(Parsed::Pong) => "pong",
            Err(_) => "error",
        };
        assert_eq!(kind, case.expect, "case {name:?}: got {got:?}");
        if let Ok(Parsed::Proposal(p)) = &got {
            assert_eq!(Some(&p.repo), case.repo.as_ref(), "case {name:?}: repo");
            assert_eq!(
                Some(&p.sender),
                case.sender.as_ref(),
                "case {name:?}: sender"
            );
            assert_eq!(
                Some(&p.prompt),
                case.prompt.as_ref(),
                "case {name:?}: prompt"
            );
        }
    }
}

fn selector(route: &Route) -> u8 {
    match route {
        Route::SlackCommand => 0,
        Route::SlackEvent => 1,
        Route::Github { event } => match event.as_str() {
            "issues" => 2,
            "issue_comment" => 3,
            "ping" => 4,
            "push" => 5,
            _ => 6,
        },
    }
}

/// What cargo-fuzz would do, without nightly: mutate each seed many times
/// (flip, insert, delete, splice, truncate, duplicate) with a fixed seed so
/// a failure reproduces, and run the fuzz function on each.
#[test]
fn fuzz_function_survives_random_mutations_of_the_corpus() {
    let seeds: Vec<Vec<u8>> = corpus()
        .iter()
        .filter(|c| c.body.is_some())
        .map(|c| {
            let mut input = vec![selector(&c.route())];
            input.extend(c.body());
            input
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x9add0c);
    let interesting: &[&[u8]] = &[
        b"{",
        b"}",
        b"\"",
        b"%",
        b"%0",
        b"&",
        b"=",
        b"\\u0000",
        b"<@",
        b"/paddock run ",
        b"\xff",
    ];
    let mut runs = 0u64;
    for seed in &seeds {
        for _ in 0..1500 {
            let mut input = seed.clone();
            for _ in 0..rng.gen_range(1..6) {
                let len = input.len().max(1);
                match rng.gen_range(0..6) {
                    0 => {
                        let i = rng.gen_range(0..len).min(input.len().saturating_sub(1));
                        if let Some(b) = input.get_mut(i) {
                            *b ^= 1 << rng.gen_range(0..8);
                        }
                    }
                    1 => {
                        let i = rng.gen_range(0..=input.len());
                        let piece = interesting[rng.gen_range(0..interesting.len())];
                        input.splice(i..i, piece.iter().copied());
                    }
                    2 if input.len() > 1 => {
                        let i = rng.gen_range(1..input.len());
                        let j = rng.gen_range(i..=input.len());
                        input.drain(i..j);
                    }
                    3 => input.truncate(rng.gen_range(0..=input.len())),
                    4 => {
                        let other = &seeds[rng.gen_range(0..seeds.len())];
                        let at = rng.gen_range(0..=input.len());
                        let from = rng.gen_range(0..other.len());
                        input.splice(at..at, other[from..].iter().copied());
                    }
                    _ => {
                        if let Some(b) = input.first_mut() {
                            *b = rng.r#gen();
                        }
                    }
                }
            }
            fuzz_one(&input);
            runs += 1;
        }
    }
    for _ in 0..5000 {
        let len = rng.gen_range(0..512);
        let input: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
        fuzz_one(&input);
        runs += 1;
    }
    assert!(runs > 30_000, "only {runs} inputs ran");
}
