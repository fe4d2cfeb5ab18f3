//! The client's IP address, for the audit log (K15) and sign-in throttling.
//!
//! It is the TCP peer, unless the peer is one of the configured `trusted_proxies`: then
//! `X-Forwarded-For` is read from the right, skipping trusted proxies, and the first address that
//! is not one of them is the client. A client can prepend anything to `X-Forwarded-For`, so
//! nothing left of that address is believed, and without trusted proxies the header is ignored.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// An address block, `10.0.0.0/8`, `::1` or `192.0.2.7` (a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for IpBlock {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not an IP address or block such as 10.0.0.0/8");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(IpBlock { network, prefix })
    }
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpBlock>);

impl TrustedProxies {
    pub fn parse(list: &[String]) -> Result<TrustedProxies, String> {
        list.iter().map(|s| s.parse()).collect::<Result<Vec<_>, _>>().map(TrustedProxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// The client behind `peer`, given the request's headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: `203.0.113.5`, `203.0.113.5:4711`, `2001:db8::1` or
/// `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

/// The client's address as text, `None` without connection info (in-process tests).
pub(crate) fn of(parts_ext: &axum::http::Extensions, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<String> {
    let peer = parts_ext.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(trusted.client(peer, headers).to_string())
}

/// The extractor handlers take, from any state that holds the trusted proxies.
#[derive(Debug, Clone)]
pub(crate) struct ClientIp(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp
where
    Arc<TrustedProxies>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(of(&parts.extensions, &parts.headers, &Arc::<TrustedProxies>::from_ref(state))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().expect("header"));
        h
    }

    #[test]
    fn blocks_match_their_addresses_only() {
        let b: IpBlock = "10.0.0.0/8".parse().expect("block");
        assert!(b.contains(ip("10.200.1.1")));
        assert!(!b.contains(ip("11.0.0.1")));
        assert!(b.contains(ip("::ffff:10.0.0.1")), "IPv4-mapped IPv6 peers match IPv4 blocks");
        let one: IpBlock = "::1".parse().expect("block");
        assert!(one.contains(ip("::1")) && !one.contains(ip("::2")));
        assert!("0.0.0.0/0".parse::<IpBlock>().expect("all").contains(ip("203.0.113.9")));
        assert!("10.0.0.0/33".parse::<IpBlock>().is_err());
        assert!("proxy".parse::<IpBlock>().is_err());
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_trusted() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("198.51.100.1"), &xff("203.0.113.5")), ip("198.51.100.1"));
        let lb = TrustedProxies::parse(&["127.0.0.1".into()]).expect("list");
        assert_eq!(lb.client(ip("198.51.100.1"), &xff("203.0.113.5")), ip("198.51.100.1"));
        assert_eq!(lb.client(ip("127.0.0.1"), &xff("203.0.113.5")), ip("203.0.113.5"));
    }

    #[test]
    fn a_spoofed_leftmost_entry_is_not_believed() {
        let lb = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).expect("list");
        // The client sent "1.2.3.4" itself; the proxy appended the real address.
        assert_eq!(lb.client(ip("127.0.0.1"), &xff("1.2.3.4, 203.0.113.5, 10.0.0.2")), ip("203.0.113.5"));
        assert_eq!(lb.client(ip("127.0.0.1"), &xff("garbage")), ip("127.0.0.1"));
        assert_eq!(lb.client(ip("127.0.0.1"), &xff("203.0.113.5:4711")), ip("203.0.113.5"));
        assert_eq!(lb.client(ip("127.0.0.1"), &xff("[2001:db8::1]:4711")), ip("2001:db8::1"));
        assert_eq!(lb.client(ip("127.0.0.1"), &xff("[2001:db8::1]")), ip("2001:db8::1"));
    }
}
