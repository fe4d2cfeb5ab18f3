//! API keys and their lifecycle rules (K3–K16).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::DomainError;
use crate::actor::Actor;
use crate::ids::{KeyId, MemberId, TeamId};
use crate::role::{Role, RoleSet};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Name + roles, reaches every app of the team (K3).
    Team,
    /// Belongs to one member and acts with their current roles and apps (K6, K14).
    Individual,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Team => "team",
            KeyKind::Individual => "individual",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "team" => Ok(KeyKind::Team),
            "individual" => Ok(KeyKind::Individual),
            other => Err(DomainError::InvalidInput(format!("'{other}' is not a key kind"))),
        }
    }
}

/// An API key as Keyward records it. There is no private key here, ever (K9); the public half is
/// kept by storage once the key has been downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: KeyId,
    pub team_id: TeamId,
    pub kind: KeyKind,
    /// Team keys: the name given at generation. Individual keys: the member's name at generation.
    pub name: String,
    /// Team keys: the roles given at generation (fixed, K4). Individual keys: empty; the member's
    /// current roles apply (K14).
    pub roles: RoleSet,
    /// Individual keys: the owner.
    pub member_id: Option<MemberId>,
    pub created_by: Actor,
    pub created_by_label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub downloaded_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by_label: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// X3: the second the key stops working, if it has one.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// X4: a rotated-out key's revocation, at the end of its successor's grace period.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoke_at: Option<OffsetDateTime>,
    /// X4: the key this one succeeded.
    #[serde(default)]
    pub replaces: Option<KeyId>,
    /// X2: made from a public key its owner uploaded. Keyward never had the private key, so there
    /// is nothing to download.
    #[serde(default)]
    pub uploaded: bool,
    /// X1: holds the `KEY_MANAGER` capability, granted by a person (see [`crate::capability`]).
    #[serde(default)]
    pub key_manager: bool,
}

/// What a key can do now, as the console, the CLI and the key API list it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyState {
    Active,
    /// X3: past its expiry; refused like a revoked key, listed apart from them.
    Expired,
    /// K11, or X4: past the end of its rotation's grace period (recorded as revoked moments later).
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Expired => "expired",
            KeyState::Revoked => "revoked",
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiKey {
    /// Not revoked. An expired key is still "active" in this sense: it may be revoked, and it
    /// still holds its member's one individual key until it is.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    pub fn state(&self, now: OffsetDateTime) -> KeyState {
        if self.revoked_at.is_some() || self.revoke_at.is_some_and(|at| at <= now) {
            KeyState::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    /// K9: the download link shows while the key is active and not yet downloaded.
    pub fn is_downloadable(&self) -> bool {
        self.is_active() && self.downloaded_at.is_none() && !self.uploaded
    }
}

/// K3: a name for reference only, 1–64 visible characters (spaces inside are fine).
pub fn validate_key_name(name: &str) -> Result<String, DomainError> {
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if !(1..=64).contains(&len) || trimmed.chars().any(char::is_control) {
        return Err(DomainError::InvalidKeyName);
    }
    Ok(trimmed.to_owned())
}

/// K3: the roles a team key may carry.
pub const TEAM_KEY_ROLES: [Role; 10] = [
    Role::Admin,
    Role::AppManager,
    Role::Developer,
    Role::Marketing,
    Role::Sales,
    Role::Finance,
    Role::CustomerSupport,
    Role::AccessToReports,
    Role::CreateApps,
    Role::CloudManagedAppDistribution,
];

/// K3: one or more roles out of [`TEAM_KEY_ROLES`]; never `ACCOUNT_HOLDER`.
pub fn validate_team_key_roles(roles: RoleSet) -> Result<RoleSet, DomainError> {
    if roles.is_empty() {
        return Err(DomainError::NoRoles);
    }
    match roles.iter().find(|r| !TEAM_KEY_ROLES.contains(r)) {
        Some(role) => Err(DomainError::RoleNotForTeamKeys(role)),
        None => Ok(roles),
    }
}

/// K3: team keys are generated by the Account Holder or an Admin (the operator acts for them).
pub fn may_generate_team_key(actor: &Actor, actor_roles: RoleSet) -> Result<(), DomainError> {
    match actor {
        Actor::Operator => Ok(()),
        Actor::Member(_) if actor_roles.intersects(RoleSet::of(&[Role::AccountHolder, Role::Admin])) => Ok(()),
        Actor::Member(_) => Err(DomainError::CannotGenerateTeamKey),
        Actor::TeamKey { roles, .. } if roles.contains(Role::Admin) => Ok(()),
        Actor::TeamKey { .. } => Err(DomainError::CannotGenerateTeamKey),
        // X1: `actor_roles` are the key manager's own, read by storage in the transaction.
        Actor::KeyManager { .. } if actor_roles.contains(Role::Admin) => Ok(()),
        Actor::KeyManager { .. } => Err(DomainError::CannotGenerateTeamKey),
    }
}

/// K6: a member generates only their own individual key (the operator generates one for anyone,
/// as `admin key create --individual` does, and so does a key manager for a member, X1).
pub fn may_generate_individual_key_for(actor: &Actor, owner: MemberId) -> Result<(), DomainError> {
    match actor {
        Actor::Member(me) if *me != owner => {
            Err(DomainError::NotAllowed("members generate only their own individual key".into()))
        }
        _ => Ok(()),
    }
}

/// Keys are generated by people (or the operator for them), or by a key a person made a key
/// manager (X1): an ordinary API key cannot generate API keys, so a stolen key cannot make itself
/// a successor that outlives its revocation.
pub fn ensure_generated_by_a_person(actor: &Actor) -> Result<(), DomainError> {
    match actor {
        Actor::TeamKey { .. } => Err(DomainError::NotAllowed("API keys cannot generate API keys".into())),
        Actor::Member(_) | Actor::Operator | Actor::KeyManager { .. } => Ok(()),
    }
}

/// X1, X2: who may set a key's pair at its creation (upload a public key, or take a pair Keyward
/// makes in the answer): anyone who may make it, except a key manager for a member's individual
/// key. That pair is the member's: they download it once from their profile (K10), so no key can
/// hold a working key in a person's name.
pub fn may_set_pair(actor: &Actor, kind: KeyKind) -> Result<(), DomainError> {
    match (actor, kind) {
        (Actor::KeyManager { .. }, KeyKind::Individual) => Err(DomainError::NotAllowed(
            "a member's individual key pair is theirs: they download it once from their profile".into(),
        )),
        _ => Ok(()),
    }
}

/// K5: generation is refused once the team holds `max` active team keys. Storage calls this inside
/// the transaction that inserts, with the team row locked, so it holds under concurrency.
pub fn ensure_team_key_capacity(active_team_keys: u64, max: u32) -> Result<(), DomainError> {
    if active_team_keys < u64::from(max) { Ok(()) } else { Err(DomainError::TeamKeyLimit { max }) }
}

/// K9 + K10: the single download, by the right person.
/// Team key: only its creator. Individual key: its member, or the operator who created it for them
/// (`keyward admin key create --individual`). Never for a key made from an uploaded public key
/// (X2), nor once the key has expired (X3) or its rotation's grace period has ended (X4).
pub fn may_download(key: &ApiKey, actor: &Actor, now: OffsetDateTime) -> Result<(), DomainError> {
    match key.state(now) {
        KeyState::Revoked => return Err(DomainError::KeyRevoked(key.id.to_string())),
        KeyState::Expired => return Err(DomainError::KeyExpired(key.id.to_string())),
        KeyState::Active => {}
    }
    if key.uploaded {
        return Err(DomainError::NoDownload(key.id.to_string()));
    }
    if key.downloaded_at.is_some() {
        return Err(DomainError::AlreadyDownloaded(key.id.to_string()));
    }
    let is_creator = key.created_by == *actor;
    match key.kind {
        KeyKind::Team if is_creator => Ok(()),
        KeyKind::Team => Err(DomainError::NotKeyCreator),
        // A key manager makes a member's key, never holds its private half (X1).
        KeyKind::Individual if is_creator && !matches!(actor, Actor::KeyManager { .. }) => Ok(()),
        KeyKind::Individual => match (actor, key.member_id) {
            (Actor::Member(m), Some(owner)) if *m == owner => Ok(()),
            _ => Err(DomainError::NotKeyOwner),
        },
    }
}

/// K11 + K12: revocation is irreversible; the Account Holder and Admins revoke any key of their
/// team, a member revokes their own individual key, the operator revokes any key.
pub fn may_revoke(key: &ApiKey, actor: &Actor, actor_roles: RoleSet) -> Result<(), DomainError> {
    if !key.is_active() {
        return Err(DomainError::KeyRevoked(key.id.to_string()));
    }
    let privileged = actor_roles.intersects(RoleSet::of(&[Role::AccountHolder, Role::Admin]));
    match actor {
        Actor::Operator => Ok(()),
        Actor::Member(_) if privileged => Ok(()),
        Actor::Member(m) if key.kind == KeyKind::Individual && key.member_id == Some(*m) => Ok(()),
        Actor::Member(_) => Err(DomainError::CannotRevoke),
        Actor::TeamKey { roles, .. } if roles.contains(Role::Admin) => Ok(()),
        Actor::TeamKey { .. } => Err(DomainError::CannotRevoke),
        Actor::KeyManager { .. } if privileged => Ok(()),
        Actor::KeyManager { .. } => Err(DomainError::CannotRevoke),
    }
}

/// K13: a revoked key is listed until `retention_days` after its revocation, an expired one (X3)
/// until `retention_days` after its expiry; then it is purged.
pub fn is_listed(key: &ApiKey, now: OffsetDateTime, retention_days: u32) -> bool {
    let cutoff = purge_cutoff(now, retention_days);
    key.revoked_at.is_none_or(|at| at > cutoff) && key.expires_at.is_none_or(|at| at > cutoff)
}

/// K13: keys revoked at or before this instant are purged.
pub fn purge_cutoff(now: OffsetDateTime, retention_days: u32) -> OffsetDateTime {
    now - Duration::days(i64::from(retention_days))
}

/// K16: last-used is kept with minute precision, so it needs writing only when the minute changes.
pub fn last_used_needs_write(previous: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    match previous {
        None => true,
        Some(prev) => truncate_to_minute(now) > truncate_to_minute(prev),
    }
}

/// K16: the minute a use is recorded at.
pub fn truncate_to_minute(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_second(0).and_then(|t| t.replace_nanosecond(0)).unwrap_or(t)
}

/// A working key, not yet downloaded, made 2026-11-01 10:00 UTC, for the rules' tests.
#[cfg(test)]
pub(crate) fn sample(kind: KeyKind, created_by: Actor, member: Option<MemberId>) -> ApiKey {
    ApiKey {
        id: KeyId::parse("ABCDE12345").expect("valid"),
        team_id: TeamId::random(),
        kind,
        name: "CI".into(),
        roles: RoleSet::of(&[Role::Developer]),
        member_id: member,
        created_by,
        created_by_label: "someone".into(),
        created_at: time::macros::datetime!(2026-11-01 10:00 UTC),
        downloaded_at: None,
        revoked_at: None,
        revoked_by_label: None,
        last_used_at: None,
        expires_at: None,
        revoke_at: None,
        replaces: None,
        uploaded: false,
        key_manager: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::KeyId;
    use time::macros::datetime;

    fn key(kind: KeyKind, created_by: Actor, member: Option<MemberId>) -> ApiKey {
        sample(kind, created_by, member)
    }

    #[test]
    fn k3_key_names_are_1_to_64_visible_characters() {
        assert_eq!(validate_key_name(" Xcode Cloud ").ok().as_deref(), Some("Xcode Cloud"));
        assert!(validate_key_name(&"é".repeat(64)).is_ok());
        assert_eq!(validate_key_name("  "), Err(DomainError::InvalidKeyName));
        assert_eq!(validate_key_name(&"k".repeat(65)), Err(DomainError::InvalidKeyName));
        assert_eq!(validate_key_name("tab\there"), Err(DomainError::InvalidKeyName));
    }

    #[test]
    fn k3_team_key_roles_exclude_account_holder() {
        assert!(validate_team_key_roles(RoleSet::of(&[Role::AppManager, Role::Sales])).is_ok());
        assert_eq!(validate_team_key_roles(RoleSet::EMPTY), Err(DomainError::NoRoles));
        assert_eq!(
            validate_team_key_roles(RoleSet::of(&[Role::AccountHolder])),
            Err(DomainError::RoleNotForTeamKeys(Role::AccountHolder))
        );
        assert!(validate_team_key_roles(RoleSet::of(&[Role::GenerateIndividualKeys])).is_err());
    }

    #[test]
    fn k3_only_account_holder_and_admins_generate_team_keys() {
        let m = Actor::Member(MemberId::random());
        assert!(may_generate_team_key(&m, RoleSet::of(&[Role::Admin])).is_ok());
        assert!(may_generate_team_key(&Actor::Operator, RoleSet::EMPTY).is_ok());
        assert_eq!(
            may_generate_team_key(&m, RoleSet::of(&[Role::AppManager])),
            Err(DomainError::CannotGenerateTeamKey)
        );
    }

    #[test]
    fn k4_roles_of_a_key_are_whatever_was_given_at_generation() {
        // K4 has no mutator by design: ApiKey's roles come from generation only, and storage refuses
        // updates of name and roles (see the store's k4 test). Here: validation does not rewrite them.
        let given = RoleSet::of(&[Role::Developer, Role::Marketing]);
        assert_eq!(validate_team_key_roles(given), Ok(given));
    }

    #[test]
    fn k5_fifty_active_team_keys_at_most() {
        assert!(ensure_team_key_capacity(49, 50).is_ok());
        assert_eq!(ensure_team_key_capacity(50, 50), Err(DomainError::TeamKeyLimit { max: 50 }));
        assert!(ensure_team_key_capacity(3, 3).is_err());
    }

    #[test]
    fn k9_download_is_possible_exactly_once() {
        let mut k = key(KeyKind::Team, Actor::Operator, None);
        assert!(may_download(&k, &Actor::Operator, NOW).is_ok());
        k.downloaded_at = Some(datetime!(2026-11-01 10:01 UTC));
        assert!(matches!(may_download(&k, &Actor::Operator, NOW), Err(DomainError::AlreadyDownloaded(_))));
        assert!(!k.is_downloadable());
    }

    const NOW: OffsetDateTime = datetime!(2026-11-02 10:00 UTC);

    #[test]
    fn x2_a_key_made_from_an_uploaded_public_key_has_no_download() {
        let mut k = key(KeyKind::Team, Actor::Operator, None);
        k.uploaded = true;
        k.downloaded_at = Some(k.created_at);
        assert!(!k.is_downloadable());
        assert!(matches!(may_download(&k, &Actor::Operator, NOW), Err(DomainError::NoDownload(_))));
    }

    #[test]
    fn x3_x4_a_key_ends_at_its_expiry_or_at_the_end_of_its_rotation() {
        let mut k = key(KeyKind::Team, Actor::Operator, None);
        k.expires_at = Some(NOW);
        assert_eq!(k.state(NOW - Duration::seconds(1)), KeyState::Active);
        assert_eq!(k.state(NOW), KeyState::Expired, "from the second it expires");
        assert!(matches!(may_download(&k, &Actor::Operator, NOW), Err(DomainError::KeyExpired(_))));
        k.revoke_at = Some(NOW - Duration::seconds(5));
        assert_eq!(k.state(NOW), KeyState::Revoked, "a rotated-out key is revoked, expired or not");
        assert!(is_listed(&k, NOW + Duration::days(29), 30));
        assert!(!is_listed(&k, NOW + Duration::days(30), 30), "an expired key is purged like a revoked one");
    }

    #[test]
    fn k10_only_the_creator_downloads_a_team_key() {
        let creator = Actor::Member(MemberId::random());
        let k = key(KeyKind::Team, creator.clone(), None);
        assert!(may_download(&k, &creator, NOW).is_ok());
        assert_eq!(may_download(&k, &Actor::Member(MemberId::random()), NOW), Err(DomainError::NotKeyCreator));
    }

    #[test]
    fn k10_only_the_member_downloads_their_individual_key() {
        let owner = MemberId::random();
        let k = key(KeyKind::Individual, Actor::Member(owner), Some(owner));
        assert!(may_download(&k, &Actor::Member(owner), NOW).is_ok());
        assert_eq!(may_download(&k, &Actor::Member(MemberId::random()), NOW), Err(DomainError::NotKeyOwner));
        let by_operator = key(KeyKind::Individual, Actor::Operator, Some(owner));
        assert!(may_download(&by_operator, &Actor::Operator, NOW).is_ok());
    }

    #[test]
    fn k11_a_revoked_key_cannot_be_revoked_again_or_downloaded() {
        let mut k = key(KeyKind::Team, Actor::Operator, None);
        k.revoked_at = Some(datetime!(2026-11-02 10:00 UTC));
        assert!(matches!(may_revoke(&k, &Actor::Operator, RoleSet::EMPTY), Err(DomainError::KeyRevoked(_))));
        assert!(matches!(may_download(&k, &Actor::Operator, NOW), Err(DomainError::KeyRevoked(_))));
    }

    #[test]
    fn k12_who_may_revoke() {
        let owner = MemberId::random();
        let individual = key(KeyKind::Individual, Actor::Member(owner), Some(owner));
        let team = key(KeyKind::Team, Actor::Operator, None);
        let admin = Actor::Member(MemberId::random());
        assert!(may_revoke(&team, &admin, RoleSet::of(&[Role::Admin])).is_ok());
        assert!(may_revoke(&individual, &admin, RoleSet::of(&[Role::AccountHolder])).is_ok());
        assert!(may_revoke(&individual, &Actor::Member(owner), RoleSet::of(&[Role::Developer])).is_ok());
        let dev = Actor::Member(MemberId::random());
        assert_eq!(may_revoke(&individual, &dev, RoleSet::of(&[Role::Developer])), Err(DomainError::CannotRevoke));
        assert_eq!(
            may_revoke(&team, &Actor::Member(owner), RoleSet::of(&[Role::Developer])),
            Err(DomainError::CannotRevoke)
        );
    }

    #[test]
    fn k13_revoked_keys_stay_listed_for_the_retention_period() {
        let now = datetime!(2026-11-30 12:00 UTC);
        let mut k = key(KeyKind::Team, Actor::Operator, None);
        assert!(is_listed(&k, now, 30));
        k.revoked_at = Some(datetime!(2026-11-01 12:00:01 UTC));
        assert!(is_listed(&k, now, 30));
        k.revoked_at = Some(datetime!(2026-10-31 12:00 UTC));
        assert!(!is_listed(&k, now, 30));
    }

    #[test]
    fn k16_last_used_is_written_at_most_once_a_minute() {
        let t = datetime!(2026-11-30 12:00:10 UTC);
        assert!(last_used_needs_write(None, t));
        assert!(!last_used_needs_write(Some(t), datetime!(2026-11-30 12:00:59 UTC)));
        assert!(last_used_needs_write(Some(t), datetime!(2026-11-30 12:01:00 UTC)));
        assert_eq!(truncate_to_minute(t), datetime!(2026-11-30 12:00 UTC));
    }

    #[test]
    fn k6_members_generate_only_their_own_individual_key() {
        let (me, other) = (MemberId::random(), MemberId::random());
        assert_eq!(may_generate_individual_key_for(&Actor::Member(me), me), Ok(()));
        assert_eq!(may_generate_individual_key_for(&Actor::Operator, other), Ok(()));
        assert!(matches!(may_generate_individual_key_for(&Actor::Member(me), other), Err(DomainError::NotAllowed(_))));
    }

    #[test]
    fn api_keys_cannot_generate_api_keys() {
        let key =
            Actor::TeamKey { key_id: KeyId::parse("ABCDEF1234").expect("id"), roles: RoleSet::of(&[Role::Admin]) };
        assert!(matches!(ensure_generated_by_a_person(&key), Err(DomainError::NotAllowed(_))));
        assert_eq!(ensure_generated_by_a_person(&Actor::Member(MemberId::random())), Ok(()));
        assert_eq!(ensure_generated_by_a_person(&Actor::Operator), Ok(()));
    }
}
