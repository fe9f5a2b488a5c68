//! Data-driven tests of host parsing, address classification and policy
//! verdicts. Cases live in tests/data/*.toml.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::net::IpAddr;

use paddock_egress::{Host, Policy, Verdict, check_resolved, is_public};
use serde::Deserialize;

#[derive(Deserialize)]
struct HostCases {
    case: Vec<HostCase>,
}

#[derive(Deserialize)]
struct HostCase {
    name: String,
    host: String,
    ip: Option<String>,
    domain: Option<String>,
    public: Option<bool>,
    #[serde(default)]
    error: bool,
}

#[test]
fn host_parsing_and_classification_corpus() {
    let cases: HostCases = toml::from_str(include_str!("data/hosts.toml")).unwrap();
    assert!(cases.case.len() > 30);
    for c in &cases.case {
        let parsed = Host::parse(&c.host);
        if c.error {
            assert!(parsed.is_err(), "case {:?}: expected an error, got {parsed:?}", c.name);
            continue;
        }
        let parsed = parsed.unwrap_or_else(|e| panic!("case {:?}: unexpected error {e}", c.name));
        match (&c.ip, &c.domain) {
            (Some(ip), None) => {
                let want: IpAddr = ip.parse().unwrap();
                assert_eq!(parsed, Host::Ip(want), "case {:?}", c.name);
                let public = c.public.unwrap_or_else(|| panic!("case {:?} needs `public`", c.name));
                assert_eq!(is_public(want), public, "case {:?}: is_public({want})", c.name);
            }
            (None, Some(d)) => assert_eq!(parsed, Host::Domain(d.clone()), "case {:?}", c.name),
            _ => panic!("case {:?}: give exactly one of ip/domain/error", c.name),
        }
    }
}

#[derive(Deserialize)]
struct PolicyCases {
    policy: String,
    case: Vec<PolicyCase>,
}

#[derive(Deserialize)]
struct PolicyCase {
    name: String,
    host: String,
    port: u16,
    allow: Option<String>,
    deny: Option<String>,
    reason_contains: Option<String>,
}

#[test]
fn policy_verdict_corpus() {
    let cases: PolicyCases = toml::from_str(include_str!("data/policy_cases.toml")).unwrap();
    let policy = Policy::from_toml(&cases.policy).unwrap();
    for c in &cases.case {
        let (_, verdict) = policy.decide(&c.host, c.port);
        match (&c.allow, &c.deny, &verdict) {
            (Some(want), None, Verdict::Allow { rule, .. }) => assert_eq!(rule, want, "case {:?}", c.name),
            (None, Some(want), Verdict::Deny { rule, reason }) => {
                assert_eq!(rule, want, "case {:?}", c.name);
                if let Some(part) = &c.reason_contains {
                    assert!(reason.contains(part.as_str()), "case {:?}: reason {reason:?} lacks {part:?}", c.name);
                }
            }
            _ => panic!("case {:?}: got {verdict:?}, want allow={:?} deny={:?}", c.name, c.allow, c.deny),
        }
    }
}

#[test]
fn resolved_private_addresses_need_a_grant() {
    let host = Host::parse("rebind.example").unwrap();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let public: IpAddr = "93.184.216.34".parse().unwrap();
    let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
    assert!(check_resolved(&host, &[public], false).is_ok());
    assert!(check_resolved(&host, &[loopback], false).is_err());
    assert!(check_resolved(&host, &[public, loopback], false).is_err(), "a mixed answer is refused whole");
    assert!(check_resolved(&host, &[mapped], false).is_err());
    assert!(check_resolved(&host, &[loopback], true).is_ok());
}

#[derive(Deserialize)]
struct BadPolicies {
    case: Vec<BadPolicy>,
}

#[derive(Deserialize)]
struct BadPolicy {
    name: String,
    policy: String,
    error_contains: String,
}

#[test]
fn invalid_policies_are_rejected_with_a_reason() {
    let cases: BadPolicies = toml::from_str(include_str!("data/bad_policies.toml")).unwrap();
    for c in &cases.case {
        match Policy::from_toml(&c.policy) {
            Ok(_) => panic!("case {:?}: policy was accepted", c.name),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&c.error_contains),
                    "case {:?}: error {msg:?} lacks {:?}",
                    c.name,
                    c.error_contains
                );
            }
        }
    }
}

#[test]
fn the_example_policy_parses_and_means_what_it_says() {
    let policy = Policy::from_toml(include_str!("../policy.example.toml")).unwrap();
    assert!(matches!(policy.decide("registry.npmjs.org", 443).1, Verdict::Allow { .. }));
    assert!(matches!(policy.decide("registry.npmjs.org", 80).1, Verdict::Deny { .. }));
    assert!(matches!(policy.decide("o1.ingest.sentry.io", 443).1, Verdict::Deny { .. }));
    assert_eq!(policy.services()[0].upstream.to_string(), "https://api.anthropic.com");
    assert_eq!(policy.limits.max_headers, 100);
}
