//! Signature checks, on raw bytes only: nothing here looks inside a body.
//!
//! Comparison is constant-time (`hmac`'s `verify_slice`, which uses
//! `subtle`), and a signature that is not exactly the right length of hex
//! is refused before any MAC is computed, without saying how it differed.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Slack's documented replay window: five minutes either way.
pub const SLACK_TOLERANCE_SECS: i64 = 5 * 60;

/// Why a delivery failed verification. Messages never contain the secret
/// nor the signature that was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    #[error("timestamp is {0}s old, beyond the 300s window")]
    StaleTimestamp(i64),
    #[error("timestamp is {0}s in the future, beyond the 300s window")]
    FutureTimestamp(i64),
    #[error("signature does not match")]
    BadSignature,
}

/// Checks `X-Slack-Request-Timestamp` against the clock and returns it.
/// Done before the body is read, so a stale request costs nothing.
pub fn slack_timestamp(header: &str, now: DateTime<Utc>) -> Result<i64, VerifyError> {
    const NAME: &str = "X-Slack-Request-Timestamp";
    if header.is_empty() || header.len() > 12 || !header.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::MalformedHeader(NAME));
    }
    let ts: i64 = header
        .parse()
        .map_err(|_| VerifyError::MalformedHeader(NAME))?;
    let delta = now.timestamp() - ts;
    if delta > SLACK_TOLERANCE_SECS {
        return Err(VerifyError::StaleTimestamp(delta));
    }
    if -delta > SLACK_TOLERANCE_SECS {
        return Err(VerifyError::FutureTimestamp(-delta));
    }
    Ok(ts)
}

/// `X-Slack-Signature: v0=<hex HMAC-SHA256("v0:{timestamp}:{body}")>`.
pub fn verify_slack(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let expected = decode_sig(signature, "v0=", "X-Slack-Signature")?;
    let mac = slack_mac(secret, timestamp, body)?;
    mac.verify_slice(&expected)
        .map_err(|_| VerifyError::BadSignature)
}

/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>`.
pub fn verify_github(secret: &[u8], signature: &str, body: &[u8]) -> Result<(), VerifyError> {
    let expected = decode_sig(signature, "sha256=", "X-Hub-Signature-256")?;
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| VerifyError::BadSignature)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| VerifyError::BadSignature)
}

/// What Slack would send for this body (for test clients and tools).
pub fn sign_slack(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    match slack_mac(secret, timestamp, body) {
        Ok(mac) => format!("v0={}", hex::encode(mac.finalize().into_bytes())),
        Err(_) => String::new(),
    }
}

/// What GitHub would send for this body (for test clients and tools).
pub fn sign_github(secret: &[u8], body: &[u8]) -> String {
    match HmacSha256::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

fn slack_mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Result<HmacSha256, VerifyError> {
    // HMAC accepts keys of any length; the error arm is unreachable in practice.
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| VerifyError::BadSignature)?;
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    Ok(mac)
}

/// `prefix` + 64 hex digits → 32 bytes. Anything else is malformed.
fn decode_sig(value: &str, prefix: &str, header: &'static str) -> Result<[u8; 32], VerifyError> {
    let hex_part = value
        .strip_prefix(prefix)
        .ok_or(VerifyError::MalformedHeader(header))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).map_err(|_| VerifyError::MalformedHeader(header))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    // Slack's worked example, "Verifying requests from Slack"
    // (api.slack.com/authentication/verifying-requests-from-slack).
    const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const SLACK_TS: &str = "1531420618";
    const SLACK_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SLACK_SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    // GitHub's example, "Validating webhook deliveries" (docs.github.com).
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_BODY: &str = "Hello, World!";
    const GITHUB_SIG: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn slack_published_vector_verifies_at_its_own_time() {
        let now = Utc.timestamp_opt(1_531_420_618 + 60, 0).unwrap();
        assert_eq!(slack_timestamp(SLACK_TS, now), Ok(1_531_420_618));
        assert_eq!(
            verify_slack(
                SLACK_SECRET.as_bytes(),
                SLACK_TS,
                SLACK_SIG,
                SLACK_BODY.as_bytes()
            ),
            Ok(())
        );
        assert_eq!(
            sign_slack(SLACK_SECRET.as_bytes(), SLACK_TS, SLACK_BODY.as_bytes()),
            SLACK_SIG
        );
    }

    #[test]
    fn slack_published_vector_is_stale_today_and_fails_when_altered() {
        let today = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        assert!(matches!(
            slack_timestamp(SLACK_TS, today),
            Err(VerifyError::StaleTimestamp(_))
        ));
        let altered_body = SLACK_BODY.replace("roadrunner", "roadrunnes");
        assert_eq!(
            verify_slack(
                SLACK_SECRET.as_bytes(),
                SLACK_TS,
                SLACK_SIG,
                altered_body.as_bytes()
            ),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_slack(
                SLACK_SECRET.as_bytes(),
                "1531420619",
                SLACK_SIG,
                SLACK_BODY.as_bytes()
            ),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_slack(
                b"another-secret",
                SLACK_TS,
                SLACK_SIG,
                SLACK_BODY.as_bytes()
            ),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn github_published_vector_verifies() {
        assert_eq!(
            verify_github(GITHUB_SECRET.as_bytes(), GITHUB_SIG, GITHUB_BODY.as_bytes()),
            Ok(())
        );
        assert_eq!(
            sign_github(GITHUB_SECRET.as_bytes(), GITHUB_BODY.as_bytes()),
            GITHUB_SIG
        );
        assert_eq!(
            verify_github(
                b"It's a Secret to Nobody",
                GITHUB_SIG,
                GITHUB_BODY.as_bytes()
            ),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_github(GITHUB_SECRET.as_bytes(), GITHUB_SIG, b"Hello, World?"),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn timestamp_window_is_five_minutes_each_way() {
        let now = Utc.timestamp_opt(2_000_000_000, 0).unwrap();
        let at = |d: i64| (2_000_000_000 + d).to_string();
        assert!(slack_timestamp(&at(-300), now).is_ok());
        assert!(slack_timestamp(&at(300), now).is_ok());
        assert_eq!(
            slack_timestamp(&at(-301), now),
            Err(VerifyError::StaleTimestamp(301))
        );
        assert_eq!(
            slack_timestamp(&at(301), now),
            Err(VerifyError::FutureTimestamp(301))
        );
        for bad in ["", "-5", "12a", "1e9", " 2000000000", "9999999999999999999"] {
            assert!(
                matches!(
                    slack_timestamp(bad, now),
                    Err(VerifyError::MalformedHeader(_))
                ),
                "timestamp {bad:?} should be malformed"
            );
        }
    }

    #[test]
    fn malformed_signatures_are_refused_before_any_mac() {
        let body = GITHUB_BODY.as_bytes();
        let key = GITHUB_SECRET.as_bytes();
        for bad in [
            "",
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha256=757107ea",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700",
            "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ] {
            assert_eq!(
                verify_github(key, bad, body),
                Err(VerifyError::MalformedHeader("X-Hub-Signature-256")),
                "signature {bad:?}"
            );
        }
    }
}
