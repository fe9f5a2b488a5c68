//! Host names as a client may spell them, and which addresses are "public".
//!
//! Clients (curl, Python, Node) accept IPv4 addresses in forms that do not
//! look like IP addresses: `2130706433`, `0x7f.1`, `017700000001`, `127.1`.
//! We parse hosts the way the WHATWG URL standard does, so every such
//! spelling becomes an [`IpAddr`] and can never slip past a rule written for
//! domain names. IPv6 addresses that embed an IPv4 address (mapped,
//! compatible, NAT64, 6to4, Teredo) are judged by the embedded address too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A request target host after parsing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IP literal in any spelling. IPv4-mapped IPv6 addresses are stored
    /// as the IPv4 address they reach.
    Ip(IpAddr),
    /// A lower-case DNS name without a trailing dot.
    Domain(String),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Domain(d) => f.write_str(d),
        }
    }
}

/// Why a host string was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host is empty")]
    Empty,
    #[error("the host is not a valid IPv6 literal")]
    BadIpv6,
    #[error("the host looks like an IPv4 address but is not a valid one")]
    BadIpv4,
    #[error("the host contains characters not allowed in a DNS name (only a-z, 0-9, '-', '_' and '.')")]
    BadDomain,
}

impl Host {
    /// Parses the host part of a URL or CONNECT authority (without port).
    pub fn parse(raw: &str) -> Result<Host, HostError> {
        if raw.is_empty() {
            return Err(HostError::Empty);
        }
        if let Some(inner) = raw.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(HostError::BadIpv6)?;
            // Zone ids (`fe80::1%eth0`) are refused: they name local links.
            let v6: Ipv6Addr = inner.parse().map_err(|_| HostError::BadIpv6)?;
            return Ok(Host::Ip(canonical_ip(IpAddr::V6(v6))));
        }
        let lower = raw.to_ascii_lowercase();
        let name = lower.strip_suffix('.').unwrap_or(&lower);
        if name.is_empty() {
            return Err(HostError::Empty);
        }
        if ends_in_a_number(name) {
            return parse_whatwg_ipv4(name).map(|v4| Host::Ip(IpAddr::V4(v4)));
        }
        let labels_ok = name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if !labels_ok || name.len() > 253 {
            return Err(HostError::BadDomain);
        }
        Ok(Host::Domain(name.to_string()))
    }
}

/// Maps IPv4-mapped IPv6 (`::ffff:a.b.c.d`) to the IPv4 address it reaches,
/// so a rule or a grant for `127.0.0.1` is judged the same either way.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// WHATWG "ends in a number": the last label is all digits or `0x` hex.
fn ends_in_a_number(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    match last.strip_prefix("0x") {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

fn parse_ipv4_number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x") {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    // Longer than any valid value: reject before overflowing.
    if digits.len() > 12 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The WHATWG IPv4 parser: 1 to 4 parts, each decimal, octal or hex; the
/// last part fills the remaining bytes.
fn parse_whatwg_ipv4(name: &str) -> Result<Ipv4Addr, HostError> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 4 {
        return Err(HostError::BadIpv4);
    }
    let numbers: Vec<u64> =
        parts.iter().map(|p| parse_ipv4_number(p)).collect::<Option<_>>().ok_or(HostError::BadIpv4)?;
    let (last, init) = numbers.split_last().ok_or(HostError::BadIpv4)?;
    if init.iter().any(|&n| n > 255) {
        return Err(HostError::BadIpv4);
    }
    let last_bits = 8 * (5 - numbers.len() as u32);
    if *last >= 1u64 << last_bits {
        return Err(HostError::BadIpv4);
    }
    let mut value = *last;
    for (i, n) in init.iter().enumerate() {
        value += n << (8 * (3 - i as u32));
    }
    let value = u32::try_from(value).map_err(|_| HostError::BadIpv4)?;
    Ok(Ipv4Addr::from(value))
}

/// True when `ip` is an ordinary address on the public internet: not
/// loopback, private, link-local, CGNAT, multicast, documentation, reserved
/// or unspecified, and not an IPv6 wrapper around such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let non_public = a == 0 // "this network"; 0.0.0.0 reaches localhost on Linux
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // CGNAT
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved, broadcast
    !non_public
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_ipv4(ip) {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    let non_public = ip.is_unspecified()
        || ip.is_loopback()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (seg[0] & 0xff00) == 0xff00 // multicast
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || (seg[0] == 0x0100 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0) // discard
        || (seg[0] == 0x2001 && seg[1] < 0x0200 && seg[1] != 0) // IETF special (ORCHID etc.)
        || seg[0] == 0 // remaining ::/16 (IPv4-compatible and reserved)
        ;
    !non_public
}

/// The IPv4 address an IPv6 address reaches or carries: mapped
/// (`::ffff:0:0/96`), compatible (`::/96`), NAT64 (`64:ff9b::/96`,
/// `64:ff9b:1::/48`), 6to4 (`2002::/16`) and Teredo (`2001::/32`, where the
/// client address is stored inverted).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = ip.segments();
    let o = ip.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if seg[..6].iter().all(|&s| s == 0) && !(seg[6] == 0 && seg[7] <= 1) {
        return Some(tail); // IPv4-compatible (deprecated), but not :: or ::1
    }
    if seg[0] == 0x0064 && seg[1] == 0xff9b && (seg[2..6].iter().all(|&s| s == 0) || seg[2] == 1) {
        return Some(tail);
    }
    if seg[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if seg[0] == 0x2001 && seg[1] == 0 {
        return Some(Ipv4Addr::new(!o[12], !o[13], !o[14], !o[15]));
    }
    None
}
