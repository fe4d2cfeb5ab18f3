//! What the verifier's in-memory tables are filled from, and what it records back: plain records
//! that storage reads and writes, with no behaviour of their own.

use time::OffsetDateTime;

use crate::access::AccessState;
use crate::ids::{AppId, IssuerId, KeyId, MemberId, TeamId};
use crate::key::KeyKind;
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTeamRecord {
    pub team_id: TeamId,
    pub issuer_id: IssuerId,
    pub access: AccessState,
    pub rate_limit_per_hour: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMemberRecord {
    pub member_id: MemberId,
    pub team_id: TeamId,
    pub roles: RoleSet,
    pub all_apps_visible: bool,
    pub visible_apps: Vec<AppId>,
}

/// Everything the verifier needs, read at start.
#[derive(Debug, Clone, Default)]
pub struct AuthSnapshot {
    pub teams: Vec<AuthTeamRecord>,
    pub keys: Vec<AuthKeyRecord>,
    pub members: Vec<AuthMemberRecord>,
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
