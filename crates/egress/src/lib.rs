//! `paddock-egress`: the per-task egress proxy.
//!
//! An agent in the sandbox has no network of its own; its only way out is
//! this proxy, reached through a bridged unix socket. The proxy
//!
//! - forwards absolute-form `http://` requests and opens `CONNECT` tunnels
//!   only to hosts an allow rule names (exact or `*.wildcard`, with ports),
//!   deny rules taking precedence, and answers refusals with a plain-text
//!   403 saying why, so the agent stops retrying;
//! - resolves DNS itself and refuses IP literals (in any spelling: decimal,
//!   octal, hex, short forms, IPv4-mapped/6to4/NAT64/Teredo IPv6) and names
//!   resolving to loopback/private/link-local addresses unless granted;
//! - injects credentials for configured services (`/_svc/<name>/...`),
//!   stripping client credentials and forwarding only over TLS;
//! - emits a [`RequestRecord`] per request to [`EgressObserver`]s.
//!
//! Invariants, stated as absences:
//! - no secret in a log line, an error message, a response to the client or
//!   a record ([`Secret`] has a redacted `Debug` and no `Display`);
//! - no credential is ever sent over cleartext ([`HttpsUpstream`] cannot
//!   hold an `http://` URL);
//! - no connection to an address the policy did not check: the proxy
//!   connects to exactly the addresses it resolved and checked, so a second
//!   DNS answer (rebinding) is never consulted;
//! - no query-string values in records.

mod host;
mod io;
mod policy;
mod proxy;
mod record;
mod resolve;
mod secrets;
mod service;
pub mod settings;
mod tls;

pub use host::{Host, HostError, canonical_ip, embedded_ipv4, is_public};
pub use policy::{DEFAULT_DENY_RULE, INVALID_HOST_RULE, Limits, Policy, PolicyError, Verdict, check_resolved};
pub use proxy::{Proxy, ProxyBody, ProxyConfig};
pub use record::{
    BroadcastObserver, ChannelObserver, Decision, EgressObserver, RequestKind, RequestRecord, TracingObserver,
    redact_query,
};
pub use resolve::{ResolveFuture, Resolver, StaticResolver, SystemResolver};
pub use secrets::{ExposeSecret, KEYRING_SERVICE, KeyringSecretStore, MemorySecretStore, Secret, SecretError, SecretStore};
pub use service::{CLIENT_CREDENTIAL_HEADERS, HttpsUpstream, PLACEHOLDER_KEY, SERVICE_PREFIX, Service, agent_env};
pub use tls::{TlsError, UpstreamRoots};
