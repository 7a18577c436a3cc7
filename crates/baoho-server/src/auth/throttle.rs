//! Sign-in attempts per client address (and per unknown username), counted in memory.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use super::ADDRESS_WINDOW_MINUTES;

/// What attempts are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A client address (as [`super::ClientIp`] resolves it behind trusted proxies).
    Addr(IpAddr),
    /// A username no account has (normalised): it locks like a real account would, so the
    /// answers do not tell which usernames exist.
    Unknown(String),
}

/// Attempts per key in a fixed window, in memory (one server process; a restart forgets,
/// which only ever loosens the limit, and the per-account lock is durable in the database).
///
/// An attempt takes its slot *before* it is evaluated ([`Throttle::take`]: check and count
/// in one step under one lock), so concurrent attempts cannot all pass a check made before
/// any of them is counted. A successful attempt gives its slot back.
#[derive(Debug, Default)]
pub struct Throttle {
    slots: Mutex<HashMap<ThrottleKey, (DateTime<Utc>, u32)>>,
}

fn window() -> Duration {
    Duration::minutes(ADDRESS_WINDOW_MINUTES)
}

impl Throttle {
    /// Take a slot for `key` if fewer than `limit` are counted in its window: `true` means
    /// the attempt may be evaluated and is already counted.
    pub fn take(&self, key: ThrottleKey, now: DateTime<Utc>, limit: u32) -> bool {
        // A poisoned lock only means another request panicked mid-update of a counter:
        // the map is still usable, and refusing every sign-in would be worse.
        let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now - *start < window());
        }
        let e = map.entry(key).or_insert((now, 0));
        if now - e.0 >= window() {
            *e = (now, 0);
        }
        if e.1 >= limit {
            return false;
        }
        e.1 += 1;
        true
    }

    /// Give back a slot taken by an attempt that succeeded.
    pub fn give_back(&self, key: &ThrottleKey, now: DateTime<Utc>) {
        let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get_mut(key)
            && now - e.0 < window()
        {
            e.1 = e.1.saturating_sub(1);
        }
    }
}
