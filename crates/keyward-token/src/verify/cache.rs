//! The verified-token cache (T15): a token that passed once is kept until its `exp`, keyed by the
//! SHA-256 of the token so the cache holds no bearer credential. Time checks still run on every
//! request, and revocation or loss of access purges entries before the revoking call returns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use keyward_core::ids::{KeyId, TeamId};

use super::Principal;

pub(crate) type TokenHash = [u8; 32];

pub(crate) fn hash(token: &str) -> TokenHash {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
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

/// Bounded: when full, expired entries go first, then everything (a cold cache costs one
/// signature verification per token, never correctness).
#[derive(Debug)]
pub(crate) struct TokenCache {
    map: Mutex<HashMap<TokenHash, Cached>>,
    capacity: usize,
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        Self { map: Mutex::new(HashMap::new()), capacity }
    }

    pub fn get(&self, h: &TokenHash) -> Option<Cached> {
        self.map.lock().ok()?.get(h).cloned()
    }

    pub fn insert(&self, h: TokenHash, entry: Cached, now: i64) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.capacity {
                map.retain(|_, c| c.principal.exp > now);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            map.insert(h, entry);
        }
    }

    pub fn purge_key(&self, key: &KeyId) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, c| c.principal.key_id != *key);
        }
    }

    pub fn purge_team(&self, team: TeamId) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, c| c.principal.team_id != team);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}
