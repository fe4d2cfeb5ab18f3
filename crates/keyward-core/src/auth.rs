//! What the verifier's in-memory tables are filled from, and what it records back: plain records
//! that storage reads and writes, with no behaviour of their own.

use time::OffsetDateTime;

use crate::access::AccessState;
use crate::app::App;
use crate::ids::{IssuerId, KeyId, MemberId, TeamId};
use crate::key::KeyKind;
use crate::member::Member;
use crate::role::RoleSet;

/// An active, downloaded key with its public key (SubjectPublicKeyInfo DER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthKeyRecord {
    pub key_id: KeyId,
    pub team_id: TeamId,
    pub kind: KeyKind,
    pub roles: RoleSet,
    pub member_id: Option<MemberId>,
    pub public_key: Vec<u8>,
    /// X3: Unix second from which the key is refused as expired.
    pub expires_at: Option<i64>,
    /// X4: Unix second from which a rotated-out key is refused as revoked.
    pub revoke_at: Option<i64>,
    /// X1: may call the key API.
    pub key_manager: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTeamRecord {
    pub team_id: TeamId,
    pub issuer_id: IssuerId,
    pub access: AccessState,
    pub rate_limit_per_hour: Option<u32>,
}

/// Everything a serving process holds in memory, read at start: the verifier's tables and the read
/// model (every app and member, #13).
#[derive(Debug, Clone, Default)]
pub struct AuthSnapshot {
    pub teams: Vec<AuthTeamRecord>,
    pub keys: Vec<AuthKeyRecord>,
    /// Every member, with their person's name and the apps they see.
    pub members: Vec<Member>,
    pub apps: Vec<App>,
    /// The change-feed position the snapshot is consistent with.
    pub feed_position: i64,
}

/// T14: one refused token, recorded against the key it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailureRecord {
    pub key_id: KeyId,
    pub at: OffsetDateTime,
    /// The rule broken, e.g. `T9`.
    pub rule: String,
    /// The precise reason, e.g. "lifetime 1260 s exceeds 1200 s".
    pub reason: String,
    pub client_ip: Option<String>,
}

/// T14: how many failures are kept per key.
pub const FAILURES_KEPT_PER_KEY: usize = 50;
