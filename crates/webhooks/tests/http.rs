//! The listener over real HTTP on loopback: every refusal has its status, a
//! delivery record, and no parse; valid deliveries become proposals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone as _;
use common::*;
use paddock_webhooks::{
    FixedClock, ListenerConfig, MemorySecretStore, ProposalState, Rules, Secret, Source,
    StoreError, Verdict,
};
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;

#[derive(Deserialize)]
struct Corpus {
    fixtures: BTreeMap<String, String>,
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    endpoint: String,
    #[serde(default = "post")]
    method: String,
    body: String,
    #[serde(default = "issues")]
    event: String,
    #[serde(default = "configured")]
    sign: String,
    #[serde(default)]
    omit: Vec<String>,
    #[serde(default)]
    timestamp_offset: i64,
    #[serde(default)]
    set: BTreeMap<String, String>,
    status: u16,
    verdict: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    reason_excludes: Option<String>,
    #[serde(default)]
    response: Option<String>,
    parsed: u64,
}

fn post() -> String {
    "POST".into()
}
fn issues() -> String {
    "issues".into()
}
fn configured() -> String {
    "configured".into()
}

fn signed_headers(case: &Case, body: &[u8]) -> Vec<(String, String)> {
    let slack = case.endpoint.starts_with("/slack") || case.endpoint == "/admin";
    let secret = match (case.sign.as_str(), slack) {
        ("other", _) => "some-other-secret",
        (_, true) => SLACK_SECRET,
        (_, false) => GITHUB_SECRET,
    };
    let mut headers = if slack {
        slack_headers(secret, now_secs() + case.timestamp_offset, body)
    } else {
        github_headers(secret, &case.event, &uuid::Uuid::new_v4().to_string(), body)
    };
    for (name, value) in headers.iter_mut() {
        if name == "X-Slack-Signature" || name == "X-Hub-Signature-256" {
            match case.sign.as_str() {
                "tampered" => {
                    // Same length and prefix, one hex digit changed.
                    let last = value.pop().unwrap();
                    value.push(if last == '0' { '1' } else { '0' });
                }
                "wrong-prefix" => {
                    *value = value
                        .replacen("v0=", "v1=", 1)
                        .replacen("sha256=", "sha1=", 1);
                }
                "configured" | "other" => {}
                other => panic!("case {:?}: unknown sign {other:?}", case.name),
            }
        }
    }
    headers.retain(|(name, _)| !case.omit.contains(name));
    for (name, value) in &case.set {
        headers.retain(|(n, _)| n != name);
        headers.push((name.clone(), value.clone()));
    }
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_corpus_over_http() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/deliveries.toml"
    ))
    .unwrap();
    let corpus: Corpus = toml::from_str(&text).unwrap();
    assert!(
        corpus.case.len() >= 30,
        "corpus shrank to {} cases",
        corpus.case.len()
    );
    for case in &corpus.case {
        let name = &case.name;
        let dir = tempfile::tempdir().unwrap();
        let h = start(&dir.path().join("proposals.db"), test_config()).await;
        let body = corpus
            .fixtures
            .get(&case.body)
            .unwrap_or_else(|| panic!("case {name:?}: no fixture {}", case.body));
        let headers = signed_headers(case, body.as_bytes());
        let reply = send_raw(
            h.addr,
            &request(&case.method, &case.endpoint, &headers, body.as_bytes()),
        )
        .await;

        assert_eq!(
            reply.status, case.status,
            "case {name:?}: status (reply body {:?})",
            reply.body
        );
        let d = h.last_delivery();
        assert_eq!(d.status, case.status, "case {name:?}: recorded status");
        assert_eq!(
            d.verdict,
            Verdict::parse(&case.verdict).unwrap(),
            "case {name:?}: verdict ({})",
            d.reason
        );
        if let Some(reason) = &case.reason {
            assert!(
                d.reason.contains(reason.as_str()),
                "case {name:?}: reason {:?} lacks {reason:?}",
                d.reason
            );
        }
        if let Some(excluded) = &case.reason_excludes {
            assert!(
                !d.reason.contains(excluded.as_str()),
                "case {name:?}: reason quotes the body: {:?}",
                d.reason
            );
        }
        if let Some(response) = &case.response {
            assert!(
                reply.body.contains(response.as_str()),
                "case {name:?}: reply {:?} lacks {response:?}",
                reply.body
            );
        }
        assert_eq!(
            h.listener.parse_calls(),
            case.parsed,
            "case {name:?}: bodies that reached the parser"
        );
        assert_eq!(
            h.recorder.0.lock().unwrap().len(),
            1,
            "case {name:?}: one delivery, one observer call"
        );

        // The record holds no secret and no body.
        let record = serde_json::to_string(&d).unwrap();
        for secret in [SLACK_SECRET, GITHUB_SECRET, "some-other-secret"] {
            assert!(
                !record.contains(secret),
                "case {name:?}: secret in the delivery record"
            );
        }
        assert!(
            !record.contains(body.as_str()),
            "case {name:?}: body in the delivery record"
        );

        // A proposal exists exactly when the delivery says so.
        let proposals = h.listener.list_proposals(None).unwrap();
        match d.proposal_id {
            Some(id) => {
                assert_eq!(proposals.len(), 1, "case {name:?}");
                assert_eq!(proposals[0].id, id, "case {name:?}");
                assert_eq!(proposals[0].state, ProposalState::Pending, "case {name:?}");
                assert_eq!(proposals[0].delivery, d.id, "case {name:?}");
            }
            None => assert!(
                proposals.is_empty(),
                "case {name:?}: unexpected proposal {proposals:?}"
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_github_issue_becomes_a_pending_proposal_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    let body = github_issue_labeled("acme/api", "octocat", &["paddock", "bug"]);
    let headers = github_headers(
        GITHUB_SECRET,
        "issues",
        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        &body,
    );
    let reply = send_raw(h.addr, &request("POST", "/github", &headers, &body)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let pending = h
        .listener
        .list_proposals(Some(ProposalState::Pending))
        .unwrap();
    assert_eq!(pending.len(), 1);
    let p = &pending[0];
    assert_eq!(
        (p.source, p.repo.as_str(), p.sender.as_str()),
        (Source::Github, "acme/api", "octocat")
    );
    assert_eq!(
        p.prompt,
        "Flaky login test\n\nThe login test fails one run in ten."
    );
    assert_eq!(p.labels, vec!["paddock".to_string(), "bug".to_string()]);
    assert_eq!(
        p.reference.as_deref(),
        Some("https://github.com/acme/api/issues/7")
    );
    let d = h.last_delivery();
    assert_eq!(
        d.delivery_id.as_deref(),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
    assert_eq!(d.event.as_deref(), Some("issues"));
    assert_eq!(d.body_bytes, Some(body.len() as u64));

    // A person decides; a decision is final.
    let approved = h.listener.decide_proposal(p.id, true).unwrap();
    assert_eq!(approved.state, ProposalState::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("user"));
    assert!(
        h.listener
            .list_proposals(Some(ProposalState::Pending))
            .unwrap()
            .is_empty()
    );
    let again = h.listener.decide_proposal(p.id, false).unwrap_err();
    assert!(
        matches!(
            again,
            StoreError::AlreadyDecided {
                state: ProposalState::Approved,
                ..
            }
        ),
        "{again}"
    );
    let missing = h
        .listener
        .decide_proposal(uuid::Uuid::new_v4(), true)
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_run_rule_match_approves_and_a_non_match_waits() {
    let rules = Rules::parse(
        r#"
        [[auto_run]]
        id = "api-team"
        source = "github"
        repos = ["acme/api"]
        senders = ["octocat"]
        labels = ["paddock:auto"]
        "#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let h = start(
        &dir.path().join("p.db"),
        ListenerConfig {
            rules,
            ..test_config()
        },
    )
    .await;
    let cases = [
        (
            "matching repo, sender and label",
            "acme/api",
            "octocat",
            vec!["paddock", "paddock:auto"],
            true,
        ),
        (
            "label missing",
            "acme/api",
            "octocat",
            vec!["paddock"],
            false,
        ),
        (
            "another sender",
            "acme/api",
            "mallory",
            vec!["paddock:auto"],
            false,
        ),
        (
            "another repo",
            "acme/web",
            "octocat",
            vec!["paddock:auto"],
            false,
        ),
    ];
    for (name, repo, sender, labels, approved) in cases {
        let body = github_issue_labeled(repo, sender, &labels);
        let headers = github_headers(
            GITHUB_SECRET,
            "issues",
            &uuid::Uuid::new_v4().to_string(),
            &body,
        );
        let reply = send_raw(h.addr, &request("POST", "/github", &headers, &body)).await;
        assert_eq!(reply.status, 200, "case {name:?}: {}", reply.body);
        let d = h.last_delivery();
        let p = h
            .listener
            .store()
            .get_proposal(d.proposal_id.unwrap())
            .unwrap();
        if approved {
            assert_eq!(p.state, ProposalState::Approved, "case {name:?}");
            assert_eq!(
                p.decided_by.as_deref(),
                Some("rule:api-team"),
                "case {name:?}"
            );
            assert!(
                d.reason.contains("approved by rule:api-team"),
                "case {name:?}: {}",
                d.reason
            );
        } else {
            assert_eq!(p.state, ProposalState::Pending, "case {name:?}");
            assert_eq!(p.decided_by, None, "case {name:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_replay_is_refused_and_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    let body = slack_command_body("run acme/api fix the flaky test");
    let raw = request(
        "POST",
        "/slack/commands",
        &slack_headers(SLACK_SECRET, now_secs(), &body),
        &body,
    );
    assert_eq!(send_raw(h.addr, &raw).await.status, 200);
    assert_eq!(h.listener.parse_calls(), 1);
    let replay = send_raw(h.addr, &raw).await;
    assert_eq!(replay.status, 409, "{}", replay.body);
    let d = h.last_delivery();
    assert_eq!(d.verdict, Verdict::Rejected);
    assert!(d.reason.contains("already accepted"), "{}", d.reason);
    assert_eq!(
        h.listener.parse_calls(),
        1,
        "a replay must not reach the parser"
    );
    assert_eq!(h.listener.list_proposals(None).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_delivery_id_is_accepted_once_even_with_a_new_signed_body() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    let id = "d1e2f3a4-0000-4000-8000-000000000001";
    let first = github_issue_labeled("acme/api", "octocat", &["paddock"]);
    let second = github_issue_labeled("acme/web", "octocat", &["paddock"]);
    for (body, status) in [(&first, 200), (&first, 409), (&second, 409)] {
        let reply = send_raw(
            h.addr,
            &request(
                "POST",
                "/github",
                &github_headers(GITHUB_SECRET, "issues", id, body),
                body,
            ),
        )
        .await;
        assert_eq!(reply.status, status, "{}", reply.body);
    }
    assert!(
        h.last_delivery()
            .reason
            .contains(&format!("GitHub delivery {id} was already received"))
    );
    assert_eq!(h.listener.parse_calls(), 1);
    assert_eq!(h.listener.list_proposals(None).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_stay_refused_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let slack_body = slack_command_body("run acme/api fix the flaky test");
    let slack = request(
        "POST",
        "/slack/commands",
        &slack_headers(SLACK_SECRET, now_secs(), &slack_body),
        &slack_body,
    );
    let gh_body = github_issue_labeled("acme/api", "octocat", &["paddock"]);
    let github = request(
        "POST",
        "/github",
        &github_headers(GITHUB_SECRET, "issues", "restart-1", &gh_body),
        &gh_body,
    );
    {
        let h = start(&db, test_config()).await;
        assert_eq!(send_raw(h.addr, &slack).await.status, 200);
        assert_eq!(send_raw(h.addr, &github).await.status, 200);
    }
    let h = start(&db, test_config()).await;
    assert_eq!(
        h.listener.replay_keys_in_memory(),
        0,
        "a fresh process starts with an empty memory cache"
    );
    assert_eq!(send_raw(h.addr, &slack).await.status, 409);
    assert_eq!(send_raw(h.addr, &github).await.status, 409);
    assert_eq!(h.listener.parse_calls(), 0);
    assert_eq!(h.listener.list_proposals(None).unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_memory_is_bounded_and_the_database_still_refuses_evicted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(
        &dir.path().join("p.db"),
        ListenerConfig {
            replay_memory_entries: 2,
            ..test_config()
        },
    )
    .await;
    let body = github_issue_labeled("acme/api", "octocat", &["paddock"]);
    let raws: Vec<_> = (0..5)
        .map(|i| {
            request(
                "POST",
                "/github",
                &github_headers(GITHUB_SECRET, "issues", &format!("bounded-{i}"), &body),
                &body,
            )
        })
        .collect();
    for raw in &raws {
        assert_eq!(send_raw(h.addr, raw).await.status, 200);
        assert!(h.listener.replay_keys_in_memory() <= 2);
    }
    assert_eq!(
        send_raw(h.addr, &raws[0]).await.status,
        409,
        "evicted from memory, still refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_event_retry_with_a_fresh_signature_makes_one_proposal() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    let body = br#"{"type":"event_callback","event_id":"Ev-retry-1","event":{"type":"app_mention","user":"U1","text":"<@U0> run acme/api tidy","channel":"C1"}}"#;
    for (offset, verdict) in [(0, Verdict::Accepted), (-1, Verdict::Ignored)] {
        let headers = slack_headers(SLACK_SECRET, now_secs() + offset, body);
        assert_eq!(
            send_raw(h.addr, &request("POST", "/slack/events", &headers, body))
                .await
                .status,
            200
        );
        assert_eq!(h.last_delivery().verdict, verdict);
    }
    assert_eq!(h.listener.list_proposals(None).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_with_content_length_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    for endpoint in ["/slack/commands", "/github"] {
        // Valid headers, a declared length over the 4096-byte cap, no body sent.
        let fake_body = vec![b'a'; 10];
        let mut headers = if endpoint == "/github" {
            github_headers(
                GITHUB_SECRET,
                "issues",
                &uuid::Uuid::new_v4().to_string(),
                &fake_body,
            )
        } else {
            slack_headers(SLACK_SECRET, now_secs(), &fake_body)
        };
        headers.push(("Content-Length".into(), "10000000".into()));
        let mut head =
            format!("POST {endpoint} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (n, v) in &headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let reply = send_raw(h.addr, head.as_bytes()).await;
        assert_eq!(reply.status, 413, "{endpoint}: {}", reply.body);
        let d = h.last_delivery();
        assert!(
            d.reason
                .contains("10000000 bytes exceeds the 4096-byte limit"),
            "{endpoint}: {}",
            d.reason
        );
        assert_eq!(d.body_bytes, None, "{endpoint}: nothing read");
    }
    assert_eq!(h.listener.parse_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_chunked_body_is_cut_off_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    let headers = github_headers(GITHUB_SECRET, "issues", "chunked-1", b"whatever");
    let mut raw = "POST /github HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n".to_string();
    for (n, v) in &headers {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    // Five 1 KiB chunks: over the 4 KiB cap. No terminating chunk: the
    // server must stop on the cap, not on the end of the body.
    for _ in 0..5 {
        let chunk = format!("400\r\n{}\r\n", "a".repeat(1024));
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let reply = read_reply(&mut stream).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    let d = h.last_delivery();
    assert!(
        d.reason.contains("exceeds the 4096-byte limit"),
        "{}",
        d.reason
    );
    assert_eq!(h.listener.parse_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_body_times_out_with_408() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await; // 1s body deadline
    let body = slack_command_body("run acme/api fix the flaky test");
    let raw = request(
        "POST",
        "/slack/commands",
        &slack_headers(SLACK_SECRET, now_secs(), &body),
        &body,
    );
    let split = raw.len() - body.len() + 10;
    let mut stream = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(&raw[..split]).await.unwrap();
    // Trickle one byte at a time, slower than the deadline allows in total:
    // each byte resets no timer, the deadline is for the whole body.
    let trickle = async {
        for byte in &raw[split..] {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), trickle).await;
    let reply = read_reply(&mut stream).await;
    assert_eq!(reply.status, 408, "{}", reply.body);
    let d = h.last_delivery();
    assert!(
        d.reason.contains("body not received within 1s"),
        "{}",
        d.reason
    );
    assert_eq!(h.listener.parse_calls(), 0);
    assert!(h.listener.list_proposals(None).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_secret_is_503_without_reading_or_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let only_github = Arc::new(MemorySecretStore::new());
    only_github.insert(Source::Github, Secret::from(GITHUB_SECRET));
    let h = start_with(
        &dir.path().join("p.db"),
        test_config(),
        only_github,
        Arc::new(paddock_webhooks::SystemClock),
    )
    .await;
    let body = slack_command_body("run acme/api x");
    let reply = send_raw(
        h.addr,
        &request(
            "POST",
            "/slack/commands",
            &slack_headers(SLACK_SECRET, now_secs(), &body),
            &body,
        ),
    )
    .await;
    assert_eq!(reply.status, 503);
    let d = h.last_delivery();
    assert_eq!(d.reason, "no slack webhook secret is configured");
    assert_eq!(d.body_bytes, None);
    assert_eq!(h.listener.parse_calls(), 0);
}

/// Slack's own example request, sent over HTTP to a listener whose clock is
/// stopped a minute after the example was signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_published_vector_passes_the_whole_pipeline_with_an_injected_clock() {
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let headers = vec![
        (
            "X-Slack-Request-Timestamp".to_string(),
            "1531420618".to_string(),
        ),
        (
            "X-Slack-Signature".to_string(),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503".to_string(),
        ),
    ];
    let secrets = Arc::new(MemorySecretStore::new());
    secrets.insert(Source::Slack, Secret::from(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let then = chrono::Utc.timestamp_opt(1_531_420_618 + 60, 0).unwrap();
    let h = start_with(
        &dir.path().join("p.db"),
        test_config(),
        secrets.clone(),
        Arc::new(FixedClock(then)),
    )
    .await;
    let reply = send_raw(
        h.addr,
        &request("POST", "/slack/commands", &headers, BODY.as_bytes()),
    )
    .await;
    // Verified; the command text is empty, so the answer is the usage.
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("usage: run"), "{}", reply.body);
    assert_eq!(h.listener.parse_calls(), 1);

    // The same request at today's time is stale.
    let dir2 = tempfile::tempdir().unwrap();
    let today = start_with(
        &dir2.path().join("p.db"),
        test_config(),
        secrets,
        Arc::new(paddock_webhooks::SystemClock),
    )
    .await;
    let reply = send_raw(
        today.addr,
        &request("POST", "/slack/commands", &headers, BODY.as_bytes()),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert!(today.last_delivery().reason.contains("old"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_copies_of_one_request_are_accepted_once() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await;
    let body = slack_command_body("run acme/api fix the flaky test");
    let raw = request(
        "POST",
        "/slack/commands",
        &slack_headers(SLACK_SECRET, now_secs(), &body),
        &body,
    );
    let sends: Vec<_> = (0..8)
        .map(|_| tokio::spawn(send_raw(h.addr, Box::leak(raw.clone().into_boxed_slice()))))
        .collect();
    let mut statuses = Vec::new();
    for s in sends {
        statuses.push(s.await.unwrap().status);
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(h.listener.parse_calls(), 1);
    assert_eq!(h.listener.list_proposals(None).unwrap().len(), 1);
}

/// Unauthenticated requests are recorded too; a flood of them must not
/// fill the disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_junk_keeps_only_the_latest_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let store = Arc::new(paddock_webhooks::Store::open_with_retention(&db, 5).unwrap());
    let h = start_store(
        store.clone(),
        &db,
        test_config(),
        secrets(),
        Arc::new(paddock_webhooks::SystemClock),
    )
    .await;
    for i in 0..20 {
        let headers = vec![
            ("X-GitHub-Event".to_string(), "issues".to_string()),
            ("X-GitHub-Delivery".to_string(), format!("junk-{i}")),
        ];
        assert_eq!(
            send_raw(h.addr, &request("POST", "/github", &headers, b"{}"))
                .await
                .status,
            401
        );
    }
    assert_eq!(store.delivery_count().unwrap(), 5);
    let kept: Vec<_> = h
        .listener
        .list_deliveries(100)
        .unwrap()
        .into_iter()
        .map(|d| d.delivery_id.unwrap())
        .collect();
    assert_eq!(
        kept,
        ["junk-19", "junk-18", "junk-17", "junk-16", "junk-15"]
    );
}

/// A request head that never completes: hyper's header timeout closes the
/// connection. Nothing is recorded, since nothing arrived to name a source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_head_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(&dir.path().join("p.db"), test_config()).await; // 1s header timeout
    let mut stream = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    stream
        .write_all(b"POST /github HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: is")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        use tokio::io::AsyncReadExt as _;
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server kept a half-sent head open for 20s"
    );
    assert_eq!(h.listener.parse_calls(), 0);
    assert!(h.listener.list_deliveries(10).unwrap().is_empty());
}
