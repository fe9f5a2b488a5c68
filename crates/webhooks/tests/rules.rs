//! Auto-run rules from the data file `tests/data/rules.toml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use paddock_webhooks::{ProposalDraft, Rules, Source};
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
    invalid: Vec<Invalid>,
    target: Vec<TargetCase>,
}

#[derive(Deserialize)]
struct TargetCase {
    name: String,
    rules: String,
    check: Vec<TargetCheck>,
}

#[derive(Deserialize)]
struct TargetCheck {
    repo: String,
    /// "" when the repo must have no target.
    checkout: String,
    #[serde(default)]
    agent: String,
    #[serde(default)]
    command: Vec<String>,
    #[serde(default)]
    ttl_secs: u64,
    #[serde(default)]
    allow_hosts: Vec<String>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    rules: String,
    check: Vec<Check>,
}

#[derive(Deserialize)]
struct Check {
    source: Source,
    repo: String,
    sender: String,
    labels: Vec<String>,
    expect: String,
}

#[derive(Deserialize)]
struct Invalid {
    name: String,
    rules: String,
    error: String,
}

fn corpus() -> Corpus {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rules.toml"
    ))
    .unwrap();
    toml::from_str(&text).unwrap()
}

#[test]
fn rules_match_only_what_they_name() {
    let corpus = corpus();
    assert!(corpus.case.len() >= 4);
    for case in &corpus.case {
        let rules =
            Rules::parse(&case.rules).unwrap_or_else(|e| panic!("case {:?}: {e}", case.name));
        for check in &case.check {
            let draft = ProposalDraft {
                source: check.source,
                repo: check.repo.clone(),
                prompt: "p".into(),
                sender: check.sender.clone(),
                labels: check.labels.clone(),
                reference: None,
                event_id: None,
            };
            let got = rules.matching(&draft).map(|r| r.id.as_str()).unwrap_or("");
            assert_eq!(
                got, check.expect,
                "case {:?}: {} {} by {} {:?}",
                case.name, check.source, check.repo, check.sender, check.labels
            );
        }
    }
}

#[test]
fn unsafe_or_mistyped_rules_are_refused() {
    let corpus = corpus();
    assert!(corpus.invalid.len() >= 5);
    for case in &corpus.invalid {
        let err = Rules::parse(&case.rules)
            .err()
            .unwrap_or_else(|| panic!("case {:?} was accepted", case.name));
        assert!(
            err.contains(&case.error),
            "case {:?}: error {err:?} lacks {:?}",
            case.name,
            case.error
        );
    }
}

#[test]
fn repos_map_to_checkouts_with_defaults_and_nothing_else_maps() {
    let corpus = corpus();
    assert!(corpus.target.len() >= 2);
    for case in &corpus.target {
        let rules =
            Rules::parse(&case.rules).unwrap_or_else(|e| panic!("case {:?}: {e}", case.name));
        for check in &case.check {
            let got = rules.target(&check.repo);
            if check.checkout.is_empty() {
                assert_eq!(got, None, "case {:?}: {} must not map", case.name, check.repo);
                continue;
            }
            let got = got.unwrap_or_else(|| panic!("case {:?}: {} has no target", case.name, check.repo));
            let want = (
                std::path::PathBuf::from(&check.checkout),
                check.agent.as_str(),
                &check.command,
                check.ttl_secs,
                &check.allow_hosts,
            );
            assert_eq!(
                (got.checkout.clone(), got.agent.as_str(), &got.command, got.ttl_secs, &got.allow_hosts),
                want,
                "case {:?}: {}",
                case.name,
                check.repo
            );
        }
    }
}

#[test]
fn rules_load_from_a_file_and_name_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(
        &path,
        "[[auto_run]]\nid = \"x\"\nrepos = [\"acme/api\"]\nsenders = []\n",
    )
    .unwrap();
    let err = Rules::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("rules.toml") && err.contains("must list repos and senders"),
        "{err}"
    );
    let missing = Rules::load(&dir.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("cannot read auto-run rules"), "{missing}");
}

#[test]
fn the_example_rules_file_is_valid() {
    let rules = Rules::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules.example.toml"
    )))
    .unwrap();
    assert_eq!(rules.auto_run.len(), 2);
}
