//! Failed sign-ins per client address, and the client address itself.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use super::{ADDRESS_LIMIT, ADDRESS_WINDOW_MINUTES};

/// Failed logins per client address in a fixed window, in memory (one server process; a
/// restart forgets, which only ever loosens the limit, and the per-account lock is durable).
#[derive(Debug, Default)]
pub struct Throttle {
    by_addr: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

impl Throttle {
    /// Whether this address may try now.
    pub fn allowed(&self, ip: IpAddr, now: DateTime<Utc>) -> bool {
        let Ok(map) = self.by_addr.lock() else {
            return true;
        };
        match map.get(&ip) {
            Some((start, n)) if now - *start < Duration::minutes(ADDRESS_WINDOW_MINUTES) => {
                *n < ADDRESS_LIMIT
            }
            _ => true,
        }
    }

    pub fn failed(&self, ip: IpAddr, now: DateTime<Utc>) {
        let Ok(mut map) = self.by_addr.lock() else {
            return;
        };
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now - *start < Duration::minutes(ADDRESS_WINDOW_MINUTES));
        }
        let e = map.entry(ip).or_insert((now, 0));
        if now - e.0 >= Duration::minutes(ADDRESS_WINDOW_MINUTES) {
            *e = (now, 0);
        }
        e.1 += 1;
    }
}

/// The client's address as the socket saw it (unspecified when served without connect info).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        ))
    }
}
