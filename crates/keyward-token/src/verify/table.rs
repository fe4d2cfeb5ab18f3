//! The in-memory tables the verifier reads: keys by `kid` with their public keys parsed once,
//! teams (Issuer ID, API access, budget) and members (current roles and apps, K14).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use keyward_core::ids::{AppId, IssuerId, KeyId, MemberId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::role::RoleSet;

use crate::CryptoError;

/// An active, downloaded key as the verifier needs it.
#[derive(Debug)]
pub struct KeyEntry {
    pub key_id: KeyId,
    pub team_id: TeamId,
    pub kind: KeyKind,
    /// Team keys: their fixed roles (K4). Individual keys: unused; the member's roles apply.
    pub roles: RoleSet,
    pub member_id: Option<MemberId>,
    pub public: ParsedPublicKey,
    /// X3, X4: the second from which the key is refused, and why.
    pub end: Option<KeyEnd>,
    /// X1: holds `KEY_MANAGER` (the key API's gate reads it; writes re-check it in storage).
    pub key_manager: bool,
}

/// When a key that is not revoked stops working: its expiry (X3) or the end of its rotation's
/// grace period (X4), whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEnd {
    pub at: i64,
    pub rotated_out: bool,
}

impl KeyEnd {
    /// The earlier of an expiry and a scheduled revocation (Unix seconds).
    pub fn of(expires_at: Option<i64>, revoke_at: Option<i64>) -> Option<KeyEnd> {
        match (expires_at, revoke_at) {
            (Some(e), Some(r)) if r <= e => Some(KeyEnd { at: r, rotated_out: true }),
            (Some(e), _) => Some(KeyEnd { at: e, rotated_out: false }),
            (None, Some(r)) => Some(KeyEnd { at: r, rotated_out: true }),
            (None, None) => None,
        }
    }

    /// T4: refused from the second `at` on.
    pub fn check(end: Option<KeyEnd>, now: i64) -> Result<(), crate::verify::AuthFailure> {
        match end {
            Some(KeyEnd { at, rotated_out }) if now >= at => Err(if rotated_out {
                crate::verify::AuthFailure::KeyRotatedOut { at }
            } else {
                crate::verify::AuthFailure::KeyExpired { at }
            }),
            _ => Ok(()),
        }
    }
}

impl KeyEntry {
    pub fn new(
        key_id: KeyId,
        team_id: TeamId,
        kind: KeyKind,
        roles: RoleSet,
        member_id: Option<MemberId>,
        spki_der: &[u8],
    ) -> Result<Self, CryptoError> {
        let public =
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, spki_der).map_err(|_| CryptoError::InvalidPublicKey)?;
        Ok(Self { key_id, team_id, kind, roles, member_id, public, end: None, key_manager: false })
    }

    /// The entry with its end (X3, X4).
    pub fn ending(self, end: Option<KeyEnd>) -> Self {
        Self { end, ..self }
    }

    /// The entry with its `KEY_MANAGER` capability (X1).
    pub fn managing_keys(self, key_manager: bool) -> Self {
        Self { key_manager, ..self }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamEntry {
    pub issuer_id: IssuerId,
    /// K1/T4: only approved teams' tokens are accepted.
    pub approved: bool,
    /// L1: per-team budget override.
    pub rate_limit_per_hour: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    pub team_id: TeamId,
    pub roles: RoleSet,
    pub all_apps_visible: bool,
    pub visible_apps: HashSet<AppId>,
}

/// Everything the verifier knows, replaced or patched as the change feed says.
#[derive(Debug, Default)]
pub struct AuthTable {
    pub keys: HashMap<KeyId, Arc<KeyEntry>>,
    pub teams: HashMap<TeamId, TeamEntry>,
    pub members: HashMap<MemberId, Arc<MemberEntry>>,
}
