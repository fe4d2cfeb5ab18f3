//! The verified-token cache (T15): a token that passed once is kept until its `exp`, keyed by the
//! SHA-256 of the token so the cache holds no bearer credential. Time checks still run on every
//! request, and revocation or loss of access purges entries before the revoking call returns.
//!
//! Bounded twice: in entries and in bytes. A long-lived scoped token may carry a scope of several
//! kilobytes (up to the 8 KiB token limit); counting bytes keeps one key holder minting such tokens
//! from pinning gigabytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use keyward_core::ids::{KeyId, TeamId};

use super::Principal;

pub(crate) type TokenHash = [u8; 32];

/// What an entry costs without its scope: the key, the principal and the map's overhead.
const ENTRY_BYTES: usize = 256;

/// The key of a token verified for `audience`: SHA-256 over the audience, a NUL (which neither an
/// audience from configuration nor a header value holds) and the token.
pub(crate) fn hash(audience: &str, token: &str) -> TokenHash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(audience.as_bytes());
    ctx.update(&[0]);
    ctx.update(token.as_bytes());
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[derive(Debug, Clone)]
pub(crate) struct Cached {
    pub principal: Arc<Principal>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
}

impl Cached {
    fn bytes(&self) -> usize {
        ENTRY_BYTES + self.principal.scope.as_ref().map_or(0, |s| s.approx_bytes())
    }
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<TokenHash, Cached>,
    bytes: usize,
    /// When expired entries were last dropped (Unix seconds).
    swept_at: i64,
}

/// How often an insert drops the expired entries: the cache then holds about the tokens still
/// alive, not every token seen until it is full (a soak saw RSS climb for as long as it ran while
/// the cache filled up to its capacity with tokens long expired).
const SWEEP_EVERY_SECONDS: i64 = 10;

impl Entries {
    fn retain(&mut self, keep: impl Fn(&Cached) -> bool) {
        self.map.retain(|_, c| keep(c));
        self.bytes = self.map.values().map(Cached::bytes).sum();
    }
}

/// Expired entries go every few seconds; when full, expired entries go first, then everything (a cold cache costs one signature
/// verification per token, never correctness).
#[derive(Debug)]
pub(crate) struct TokenCache {
    entries: Mutex<Entries>,
    capacity: usize,
    max_bytes: usize,
}

impl TokenCache {
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self { entries: Mutex::new(Entries::default()), capacity, max_bytes }
    }

    pub fn get(&self, h: &TokenHash) -> Option<Cached> {
        self.entries.lock().ok()?.map.get(h).cloned()
    }

    /// Inserts unless `still_current` says the table changed since the entry was verified; it is
    /// asked under the cache's lock, so a purge cannot slip between the check and the insert.
    pub fn insert_if(&self, h: TokenHash, entry: Cached, now: i64, still_current: impl FnOnce() -> bool) {
        let cost = entry.bytes();
        if cost > self.max_bytes {
            return;
        }
        let Ok(mut e) = self.entries.lock() else { return };
        if !still_current() {
            return;
        }
        if now - e.swept_at >= SWEEP_EVERY_SECONDS {
            e.retain(|c| c.principal.exp > now);
            e.swept_at = now;
        }
        if e.map.len() >= self.capacity || e.bytes + cost > self.max_bytes {
            e.retain(|c| c.principal.exp > now);
            if e.map.len() >= self.capacity || e.bytes + cost > self.max_bytes {
                e.map.clear();
                e.bytes = 0;
            }
        }
        if let Some(old) = e.map.insert(h, entry) {
            e.bytes -= old.bytes();
        }
        e.bytes += cost;
    }

    pub fn purge_key(&self, key: &KeyId) {
        if let Ok(mut e) = self.entries.lock() {
            e.retain(|c| c.principal.key_id != *key);
        }
    }

    pub fn purge_team(&self, team: TeamId) {
        if let Ok(mut e) = self.entries.lock() {
            e.retain(|c| c.principal.team_id != team);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.map.clear();
            e.bytes = 0;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.map.len()).unwrap_or(0)
    }

    pub fn bytes(&self) -> usize {
        self.entries.lock().map(|e| e.bytes).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use keyward_core::ids::IssuerId;
    use keyward_core::key::KeyKind;
    use keyward_core::role::RoleSet;

    use super::*;
    use crate::verify::scope::{Scope, ScopeEntry};

    fn entry(team: TeamId, scope_entries: usize) -> Cached {
        let scope = (scope_entries > 0).then(|| {
            let entries = (0..scope_entries)
                .map(|i| ScopeEntry::parse(&format!("GET /v1/ciProducts/{i:0100}")).expect("scope entry"))
                .collect();
            Arc::new(Scope(entries))
        });
        let principal = Principal {
            key_id: KeyId::parse("ABCDEFGHIJ").expect("key id"),
            kind: KeyKind::Team,
            team_id: team,
            issuer_id: IssuerId::random(),
            member_id: None,
            roles: RoleSet::default(),
            visible_apps: None,
            scope,
            exp: 2_000,
            rate_limit_per_hour: None,
            key_end: None,
            key_manager: false,
        };
        Cached { principal: Arc::new(principal), iat: None, nbf: None }
    }

    #[test]
    fn scopes_of_several_kilobytes_cannot_grow_the_cache_past_its_bytes() {
        let cache = TokenCache::new(1_000_000, 100_000);
        let team = TeamId::random();
        for i in 0..1_000u32 {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            cache.insert_if(h, entry(team, 40), 1_000, || true);
            assert!(cache.bytes() <= 100_000, "{} bytes after {i} inserts", cache.bytes());
        }
        assert!(cache.len() > 0 && cache.len() < 1_000);
    }

    #[test]
    fn an_entry_verified_before_a_change_is_not_inserted() {
        let cache = TokenCache::new(10, 1_000_000);
        cache.insert_if([1; 32], entry(TeamId::random(), 0), 1_000, || false);
        assert_eq!(cache.len(), 0);
        cache.insert_if([1; 32], entry(TeamId::random(), 0), 1_000, || true);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.bytes(), ENTRY_BYTES);
    }

    #[test]
    fn expired_entries_go_within_seconds_not_when_the_cache_is_full() {
        let cache = TokenCache::new(1_000_000, 1_000_000_000);
        let team = TeamId::random();
        for i in 0..100u32 {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            cache.insert_if(h, entry(team, 0), 1_000, || true);
        }
        assert_eq!(cache.len(), 100, "alive until their exp (2,000)");
        cache.insert_if([9; 32], entry(team, 0), 2_005, || true);
        assert_eq!(cache.len(), 1, "the first insert after they expired dropped them");
    }
}
