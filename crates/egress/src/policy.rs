//! The egress policy: which hosts and ports a task may reach, which are
//! refused and why, and which services get credentials injected.
//!
//! Evaluation order, fixed and documented in `paddock egress check`:
//! 1. the host must parse (any IPv4 spelling becomes an IP address);
//! 2. deny rules, in file order — the first match refuses, with its reason;
//! 3. allow rules, in file order — the first match allows;
//! 4. nothing matched: refused (default deny);
//! 5. after DNS resolution (by the proxy, never by the client), every
//!    resolved address must be public unless the allow rule says
//!    `private = true`. IP literals are allowed only by a rule that lists
//!    that exact address, which is the explicit grant.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::host::{Host, canonical_ip, is_public};
use crate::service::{Service, ServiceSpec};

/// Rule id reported when no rule matched.
pub const DEFAULT_DENY_RULE: &str = "default-deny";
/// Rule id reported when the host cannot be parsed.
pub const INVALID_HOST_RULE: &str = "invalid-host";

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("policy file is not valid TOML for an egress policy: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rule {rule:?}: {message}")]
    Rule { rule: String, message: String },
    #[error("service {service:?}: {message}")]
    Service { service: String, message: String },
    #[error("cannot write policy file {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("policy file cannot be edited (it is not valid TOML): {0}")]
    Edit(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    allow: Vec<RuleSpec>,
    #[serde(default)]
    deny: Vec<RuleSpec>,
    #[serde(default)]
    service: Vec<ServiceSpec>,
    #[serde(default)]
    limits: LimitsSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    hosts: Vec<String>,
    /// Allow rules default to 80 and 443; deny rules to every port.
    ports: Option<Vec<u16>>,
    /// Shown to the agent in the 403 body (deny rules).
    reason: Option<String>,
    /// Allow the hosts to resolve to loopback/private/link-local addresses.
    #[serde(default)]
    private: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsSpec {
    max_header_bytes: Option<usize>,
    max_headers: Option<usize>,
    max_uri_bytes: Option<usize>,
    header_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
}

/// Request-size and time limits that protect the proxy from its client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Request line plus headers, bytes. Over it: 431.
    pub max_header_bytes: usize,
    /// Number of header fields. Over it: 431.
    pub max_headers: usize,
    /// Request target length. Over it: 414.
    pub max_uri_bytes: usize,
    /// Time to send a complete request head. Over it: 408 and close.
    pub header_timeout: Duration,
    /// An upstream connection or tunnel with no bytes either way for this
    /// long is closed (long enough for a slow non-streamed model response).
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 32 * 1024,
            max_headers: 100,
            max_uri_bytes: 8 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    /// `*.example.com`: any subdomain, not the apex.
    Subdomains(String),
    Ip(IpAddr),
}

impl Pattern {
    fn parse(raw: &str) -> Result<Pattern, String> {
        if let Some(suffix) = raw.strip_prefix("*.") {
            return match Host::parse(suffix) {
                Ok(Host::Domain(d)) => Ok(Pattern::Subdomains(d)),
                _ => Err(format!("{raw:?}: a wildcard must be `*.` followed by a domain name")),
            };
        }
        if raw.contains('*') {
            return Err(format!("{raw:?}: `*` is only allowed as a leading `*.`"));
        }
        match Host::parse(raw) {
            Ok(Host::Domain(d)) => Ok(Pattern::Exact(d)),
            Ok(Host::Ip(ip)) => Ok(Pattern::Ip(ip)),
            Err(e) => Err(format!("{raw:?}: {e}")),
        }
    }

    fn matches(&self, host: &Host) -> bool {
        match (self, host) {
            (Pattern::Exact(p), Host::Domain(d)) => p == d,
            (Pattern::Subdomains(p), Host::Domain(d)) => {
                d.len() > p.len() + 1 && d.ends_with(p.as_str()) && d.as_bytes()[d.len() - p.len() - 1] == b'.'
            }
            (Pattern::Ip(p), Host::Ip(ip)) => p == ip,
            _ => false,
        }
    }
}

/// One allow or deny rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    patterns: Vec<Pattern>,
    /// `None`: every port.
    ports: Option<Vec<u16>>,
    pub reason: Option<String>,
    pub private: bool,
}

impl Rule {
    fn from_spec(spec: RuleSpec, default_ports: Option<Vec<u16>>) -> Result<Rule, PolicyError> {
        let err = |message: String| PolicyError::Rule { rule: spec.id.clone(), message };
        if spec.id.trim().is_empty() {
            return Err(err("every rule needs a non-empty `id`".into()));
        }
        if spec.hosts.is_empty() {
            return Err(err("`hosts` is empty".into()));
        }
        let patterns = spec.hosts.iter().map(|h| Pattern::parse(h)).collect::<Result<Vec<_>, _>>().map_err(err)?;
        Ok(Rule {
            id: spec.id,
            patterns,
            ports: spec.ports.or(default_ports),
            reason: spec.reason,
            private: spec.private,
        })
    }

    fn matches(&self, host: &Host, port: u16) -> bool {
        self.patterns.iter().any(|p| p.matches(host)) && self.ports.as_ref().is_none_or(|ports| ports.contains(&port))
    }
}

/// What the policy says about a host and port before DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed by `rule`; `private` says whether non-public resolved
    /// addresses are acceptable.
    Allow {
        rule: String,
        private: bool,
    },
    Deny {
        rule: String,
        reason: String,
    },
}

/// A parsed, validated egress policy.
#[derive(Debug, Clone)]
pub struct Policy {
    allow: Vec<Rule>,
    deny: Vec<Rule>,
    services: Vec<Service>,
    pub limits: Limits,
}

impl Policy {
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text)?;
        let allow =
            file.allow.into_iter().map(|s| Rule::from_spec(s, Some(vec![80, 443]))).collect::<Result<Vec<_>, _>>()?;
        let deny = file.deny.into_iter().map(|s| Rule::from_spec(s, None)).collect::<Result<Vec<_>, _>>()?;
        let services = file.service.into_iter().map(Service::from_spec).collect::<Result<Vec<_>, _>>()?;
        let mut seen = std::collections::HashSet::new();
        for id in allow.iter().chain(&deny).map(|r| &r.id) {
            if !seen.insert(id.clone()) {
                return Err(PolicyError::Rule { rule: id.clone(), message: "duplicate rule id".into() });
            }
        }
        let mut names = std::collections::HashSet::new();
        for s in &services {
            if !names.insert(s.name.clone()) {
                return Err(PolicyError::Service { service: s.name.clone(), message: "duplicate service name".into() });
            }
        }
        let d = Limits::default();
        let l = file.limits;
        let limits = Limits {
            max_header_bytes: l.max_header_bytes.unwrap_or(d.max_header_bytes).max(8192),
            max_headers: l.max_headers.unwrap_or(d.max_headers),
            max_uri_bytes: l.max_uri_bytes.unwrap_or(d.max_uri_bytes),
            header_timeout: l.header_timeout_secs.map(Duration::from_secs).unwrap_or(d.header_timeout),
            idle_timeout: l.idle_timeout_secs.map(Duration::from_secs).unwrap_or(d.idle_timeout),
        };
        Ok(Policy { allow, deny, services, limits })
    }

    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| PolicyError::Read { path: path.display().to_string(), source })?;
        Policy::from_toml(&text)
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Steps 1–4 of the evaluation order (everything but DNS).
    pub fn decide(&self, raw_host: &str, port: u16) -> (Result<Host, String>, Verdict) {
        let host = match Host::parse(raw_host) {
            Ok(h) => h,
            Err(e) => {
                let reason = format!("the host {raw_host:?} is not valid: {e}");
                return (Err(reason.clone()), Verdict::Deny { rule: INVALID_HOST_RULE.into(), reason });
            }
        };
        let verdict = self.decide_host(&host, port);
        (Ok(host), verdict)
    }

    pub fn decide_host(&self, host: &Host, port: u16) -> Verdict {
        if let Some(rule) = self.deny.iter().find(|r| r.matches(host, port)) {
            let reason =
                rule.reason.clone().unwrap_or_else(|| format!("{host}:{port} is blocked by the task's egress policy"));
            return Verdict::Deny { rule: rule.id.clone(), reason };
        }
        if let Some(rule) = self.allow.iter().find(|r| r.matches(host, port)) {
            return Verdict::Allow { rule: rule.id.clone(), private: rule.private };
        }
        let reason = match host {
            Host::Ip(_) => format!(
                "{host}:{port} is an IP address; only host names on the allowlist can be reached \
                 (an IP address must be listed explicitly)"
            ),
            Host::Domain(_) => format!("{host}:{port} is not on this task's allowlist"),
        };
        Verdict::Deny { rule: DEFAULT_DENY_RULE.into(), reason }
    }
}

/// Step 5: the resolved addresses that may be connected to, or why not.
/// A host that resolves to any non-public address is refused whole, so a
/// rebinding answer that mixes public and private addresses gains nothing.
pub fn check_resolved(host: &Host, addrs: &[IpAddr], private_granted: bool) -> Result<(), String> {
    if private_granted || matches!(host, Host::Ip(_)) {
        return Ok(());
    }
    match addrs.iter().map(|a| canonical_ip(*a)).find(|a| !is_public(*a)) {
        Some(bad) => Err(format!(
            "{host} resolves to {bad}, a non-public address (loopback, private, link-local or reserved); \
             that needs `private = true` on the allow rule"
        )),
        None => Ok(()),
    }
}
