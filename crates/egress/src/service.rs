//! Services that get a real credential injected by the proxy.
//!
//! The agent is given a placeholder key and the base URL
//! `http://<proxy>/_svc/<name>`; the proxy strips every client credential
//! header, adds the real one and forwards over TLS. A service's upstream is
//! an [`HttpsUpstream`], which cannot hold an `http://` URL: injecting over
//! cleartext is not representable.

use serde::Deserialize;

use crate::policy::PolicyError;
use crate::secrets::ExposeSecret as _;

/// Path prefix under which services are reached: `/_svc/<name>/...`.
pub const SERVICE_PREFIX: &str = "/_svc/";

/// Headers that carry client credentials; always removed from requests to
/// a service, whatever header the service itself uses.
pub const CLIENT_CREDENTIAL_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "openai-organization"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSpec {
    name: String,
    /// `anthropic`, `openai`, `github` or `custom`.
    kind: String,
    /// Name of the secret in the secret store (the OS keyring entry).
    secret: String,
    upstream: Option<String>,
    header: Option<String>,
    /// Header value template; `{secret}` is replaced by the secret.
    value: Option<String>,
    /// Allow the upstream to resolve to non-public addresses (test servers).
    #[serde(default)]
    private: bool,
}

/// An `https://host[:port][/base/path]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsUpstream {
    pub host: String,
    pub port: u16,
    /// Base path without a trailing slash, possibly empty.
    pub base_path: String,
}

impl HttpsUpstream {
    pub fn parse(url: &str) -> Result<HttpsUpstream, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("upstream {url:?} is not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") => {
                return Err(format!(
                    "upstream {url:?} is cleartext http; credentials are only ever injected over https"
                ));
            }
            _ => return Err(format!("upstream {url:?} must start with https://")),
        }
        let authority = uri.authority().ok_or_else(|| format!("upstream {url:?} has no host"))?;
        if uri.query().is_some() {
            return Err(format!("upstream {url:?} must not have a query string"));
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
        Ok(HttpsUpstream {
            host,
            port: authority.port_u16().unwrap_or(443),
            base_path: uri.path().trim_end_matches('/').to_string(),
        })
    }

    /// `Host` header value.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == 443 { host } else { format!("{host}:{}", self.port) }
    }
}

impl std::fmt::Display for HttpsUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "https://{}{}", self.authority(), self.base_path)
    }
}

/// A configured credential-injecting service.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub kind: String,
    pub secret_name: String,
    pub upstream: HttpsUpstream,
    pub header: http::HeaderName,
    value_template: String,
    pub private: bool,
}

impl Service {
    pub(crate) fn from_spec(spec: ServiceSpec) -> Result<Service, PolicyError> {
        let err = |message: String| PolicyError::Service { service: spec.name.clone(), message };
        if spec.name.is_empty() || !spec.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(err(
                "`name` must be non-empty and only use a-z, 0-9, '-' and '_' (it is a URL path part)".into()
            ));
        }
        let (upstream, header, value) = match spec.kind.as_str() {
            "anthropic" => ("https://api.anthropic.com", "x-api-key", "{secret}"),
            "openai" => ("https://api.openai.com", "authorization", "Bearer {secret}"),
            "github" => ("https://api.github.com", "authorization", "Bearer {secret}"),
            "custom" => {
                if spec.upstream.is_none() || spec.header.is_none() {
                    return Err(err("kind \"custom\" needs `upstream` and `header`".into()));
                }
                ("", "", "{secret}")
            }
            other => {
                return Err(err(format!(
                    "unknown kind {other:?}; use \"anthropic\", \"openai\", \"github\" or \"custom\""
                )));
            }
        };
        let upstream = HttpsUpstream::parse(spec.upstream.as_deref().unwrap_or(upstream)).map_err(err)?;
        let header_name = spec.header.as_deref().unwrap_or(header).to_ascii_lowercase();
        let header = http::HeaderName::from_bytes(header_name.as_bytes())
            .map_err(|_| err(format!("{header_name:?} is not a valid header name")))?;
        let value_template = spec.value.unwrap_or_else(|| value.to_string());
        if !value_template.contains("{secret}") {
            return Err(err("`value` must contain `{secret}`".into()));
        }
        if spec.secret.is_empty() {
            return Err(err("`secret` (the secret store entry name) is empty".into()));
        }
        Ok(Service {
            name: spec.name,
            kind: spec.kind,
            secret_name: spec.secret,
            upstream,
            header,
            value_template,
            private: spec.private,
        })
    }

    /// The header value to inject. Marked sensitive so hyper never logs it.
    pub(crate) fn header_value(&self, secret: &crate::secrets::Secret) -> Option<http::HeaderValue> {
        let mut v = http::HeaderValue::from_str(&self.value_template.replace("{secret}", secret.expose_secret())).ok()?;
        v.set_sensitive(true);
        Some(v)
    }

    /// Whether a request header must be removed before forwarding.
    pub(crate) fn strips(&self, name: &http::HeaderName) -> bool {
        *name == self.header || CLIENT_CREDENTIAL_HEADERS.contains(&name.as_str())
    }
}

/// The placeholder credential an agent is given instead of the real one.
/// Non-empty so SDKs do not refuse to start; worthless outside the proxy.
pub const PLACEHOLDER_KEY: &str = "paddock-placeholder-key-injected-by-egress-proxy";

/// Environment variables for an agent whose proxy is reachable at
/// `proxy_url` (inside the sandbox: `http://127.0.0.1:<bridged port>`):
/// proxy settings for every client, and for the first Anthropic and OpenAI
/// services a base URL on the proxy plus a placeholder key. Loopback is in
/// `NO_PROXY`, so SDKs talk to the base URL directly (origin-form); clients
/// that ignore `NO_PROXY` send absolute-form requests, which work too.
pub fn agent_env(services: &[Service], proxy_url: &str) -> Vec<(String, String)> {
    let proxy_url = proxy_url.trim_end_matches('/');
    let mut env: Vec<(String, String)> = Vec::new();
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
        env.push((name.into(), proxy_url.into()));
    }
    for name in ["NO_PROXY", "no_proxy"] {
        env.push((name.into(), "127.0.0.1,localhost,::1".into()));
    }
    let mut seen_kinds = Vec::new();
    for svc in services {
        if seen_kinds.contains(&svc.kind.as_str()) {
            continue;
        }
        let base = format!("{proxy_url}{SERVICE_PREFIX}{}", svc.name);
        match svc.kind.as_str() {
            "anthropic" => {
                env.push(("ANTHROPIC_BASE_URL".into(), base));
                env.push(("ANTHROPIC_API_KEY".into(), PLACEHOLDER_KEY.into()));
            }
            "openai" => {
                env.push(("OPENAI_BASE_URL".into(), format!("{base}/v1")));
                env.push(("OPENAI_API_KEY".into(), PLACEHOLDER_KEY.into()));
            }
            _ => continue,
        }
        seen_kinds.push(svc.kind.as_str());
    }
    env
}
