//! The client's address: the socket peer, or, when that peer is a proxy the configuration
//! trusts (`trusted_proxies`), the address it reports in `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`: the rightmost hop that is not itself a trusted proxy. Anything a client
//! writes into those headers sits left of what the trusted proxies appended, so it is never
//! taken unless every hop to its right is trusted.

use crate::app::AppState;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client's address, resolved behind trusted proxies (unspecified when served without
/// connect info).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(client_address(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// See the module documentation.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // The hops as the proxies appended them, left (first) to right (nearest us).
    let hops: Vec<Option<IpAddr>> = if headers.contains_key("forwarded") {
        headers
            .get_all("forwarded")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(forwarded_for)
            .collect()
    } else {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| parse_node(s.trim()))
            .collect()
    };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        // A hop a trusted proxy could not name (garbage, "unknown", an obfuscated name):
        // the last trusted address is the best we know.
        let Some(ip) = hop else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=https`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(v.trim().trim_matches('"')))
            .flatten()
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(name: &'static str, v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(name, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let outsider: IpAddr = "198.51.100.9".parse().unwrap();
        let xff = h("x-forwarded-for", "203.0.113.5, 192.0.2.7, 10.0.0.3");
        // An untrusted peer's header is ignored.
        assert_eq!(client_address(outsider, &xff, &trusted), outsider);
        // Behind trusted proxies: the rightmost untrusted hop (not the spoofable leftmost).
        assert_eq!(
            client_address(proxy, &xff, &trusted),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        // No header: the proxy itself.
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
        // Garbage right of the client: the last trusted hop, never a guess.
        let bad = h("x-forwarded-for", "192.0.2.7, nonsense");
        assert_eq!(client_address(proxy, &bad, &trusted), proxy);
        // RFC 7239.
        let fwd = h(
            "forwarded",
            "for=192.0.2.60;proto=https, for=\"[2001:db8:cafe::17]:4711\"",
        );
        assert_eq!(
            client_address(proxy, &fwd, &trusted),
            "2001:db8:cafe::17".parse::<IpAddr>().unwrap()
        );
        // Nothing trusted: the peer, whatever the headers say.
        assert_eq!(client_address(proxy, &xff, &[]), proxy);
    }
}
