//! X1: capabilities a person grants to a team key beyond its roles. There is one, `KEY_MANAGER`:
//! the key may list, create, rotate and revoke the team's keys through the key API
//! (`/keyward/v1/apiKeys`), under the same rules as an Admin in the console.
//!
//! Why a grant and not a role: a role is what a key may do to the team's apps; making keys is
//! making credentials, which a stolen key could use to outlive its own revocation. So it is off
//! until an Admin turns it on for one key, only people turn it on or off, and a key that rotates
//! a key manager does not pass the capability on.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::DomainError;
use crate::actor::Actor;
use crate::key::{ApiKey, KeyKind, KeyState};
use crate::role::{Role, RoleSet};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Capability {
    KeyManager,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::KeyManager => "KEY_MANAGER",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Capability {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "KEY_MANAGER" => Ok(Capability::KeyManager),
            _ => Err(DomainError::InvalidInput(format!("'{s}' is not a capability (there is one: KEY_MANAGER)"))),
        }
    }
}

/// Who may grant or withdraw a capability: the operator, the Account Holder or an Admin, never a
/// key (not even a key manager: no key widens what keys may do).
pub fn may_grant(actor: &Actor, actor_roles: RoleSet) -> Result<(), DomainError> {
    match actor {
        Actor::Operator => Ok(()),
        Actor::Member(_) if actor_roles.intersects(RoleSet::of(&[Role::AccountHolder, Role::Admin])) => Ok(()),
        Actor::Member(_) | Actor::TeamKey { .. } | Actor::KeyManager { .. } => Err(DomainError::CannotGrantCapability),
    }
}

/// What may hold `KEY_MANAGER`: a working team key with the ADMIN role, whose powers (K3, K12)
/// are those the key API exercises. (Withdrawing is always possible.)
pub fn may_hold_key_manager(key: &ApiKey, now: OffsetDateTime) -> Result<(), DomainError> {
    let working = key.state(now) == KeyState::Active && key.revoke_at.is_none();
    if key.kind == KeyKind::Team && key.roles.contains(Role::Admin) && working {
        Ok(())
    } else {
        Err(DomainError::NotForKeyManager)
    }
}

/// Who may call the key API, as the verifier knows the calling key: a team key with the ADMIN role
/// holding `KEY_MANAGER` (storage checks again in each write's transaction).
pub fn may_use_key_api(kind: KeyKind, key_manager: bool, roles: RoleSet) -> Result<(), DomainError> {
    if kind == KeyKind::Team && key_manager && roles.contains(Role::Admin) {
        Ok(())
    } else {
        Err(DomainError::NotKeyManager)
    }
}

/// X4: a successor keeps `KEY_MANAGER` when a person rotated its predecessor; a key (even a key
/// manager rotating itself) hands on only the name, roles and kind.
pub fn successor_keeps_key_manager(predecessor: &ApiKey, actor: &Actor) -> bool {
    predecessor.key_manager && matches!(actor, Actor::Operator | Actor::Member(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{KeyId, MemberId};
    use crate::key::sample;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);

    fn admin_key() -> ApiKey {
        ApiKey { roles: RoleSet::of(&[Role::Admin]), ..sample(KeyKind::Team, Actor::Operator, None) }
    }

    #[test]
    fn x1_only_people_with_admin_powers_grant_capabilities() {
        let admin = Actor::Member(MemberId::random());
        assert_eq!(may_grant(&Actor::Operator, RoleSet::EMPTY), Ok(()));
        assert_eq!(may_grant(&admin, RoleSet::of(&[Role::Admin])), Ok(()));
        assert_eq!(may_grant(&admin, RoleSet::of(&[Role::AccountHolder])), Ok(()));
        assert_eq!(may_grant(&admin, RoleSet::of(&[Role::Developer])), Err(DomainError::CannotGrantCapability));
        let key = KeyId::parse("MANAGER123").expect("id");
        let manager = Actor::KeyManager { key_id: key.clone() };
        assert_eq!(may_grant(&manager, RoleSet::of(&[Role::Admin])), Err(DomainError::CannotGrantCapability));
        let team_key = Actor::TeamKey { key_id: key, roles: RoleSet::of(&[Role::Admin]) };
        assert_eq!(may_grant(&team_key, RoleSet::of(&[Role::Admin])), Err(DomainError::CannotGrantCapability));
    }

    #[test]
    fn x1_key_manager_is_for_working_admin_team_keys_only() {
        assert_eq!(may_hold_key_manager(&admin_key(), NOW), Ok(()));
        let developer = ApiKey { roles: RoleSet::of(&[Role::Developer]), ..admin_key() };
        assert_eq!(may_hold_key_manager(&developer, NOW), Err(DomainError::NotForKeyManager));
        let individual = ApiKey { kind: KeyKind::Individual, member_id: Some(MemberId::random()), ..admin_key() };
        assert_eq!(may_hold_key_manager(&individual, NOW), Err(DomainError::NotForKeyManager));
        let revoked = ApiKey { revoked_at: Some(NOW), ..admin_key() };
        assert_eq!(may_hold_key_manager(&revoked, NOW), Err(DomainError::NotForKeyManager));
        let expired = ApiKey { expires_at: Some(NOW), ..admin_key() };
        assert_eq!(may_hold_key_manager(&expired, NOW), Err(DomainError::NotForKeyManager));
        let rotating = ApiKey { revoke_at: Some(NOW + time::Duration::hours(1)), ..admin_key() };
        assert_eq!(may_hold_key_manager(&rotating, NOW), Err(DomainError::NotForKeyManager));
    }

    #[test]
    fn x1_only_admin_team_keys_holding_the_grant_use_the_key_api() {
        let admin = RoleSet::of(&[Role::Admin]);
        assert_eq!(may_use_key_api(KeyKind::Team, true, admin), Ok(()));
        assert_eq!(may_use_key_api(KeyKind::Team, false, admin), Err(DomainError::NotKeyManager));
        assert_eq!(may_use_key_api(KeyKind::Individual, true, admin), Err(DomainError::NotKeyManager));
        let developer = RoleSet::of(&[Role::Developer]);
        assert_eq!(may_use_key_api(KeyKind::Team, true, developer), Err(DomainError::NotKeyManager));
    }

    #[test]
    fn x1_successors_keep_the_capability_only_when_a_person_rotates() {
        let manager = ApiKey { key_manager: true, ..admin_key() };
        assert!(successor_keeps_key_manager(&manager, &Actor::Operator));
        assert!(successor_keeps_key_manager(&manager, &Actor::Member(MemberId::random())));
        assert!(!successor_keeps_key_manager(&manager, &Actor::KeyManager { key_id: manager.id.clone() }));
        assert!(!successor_keeps_key_manager(&admin_key(), &Actor::Operator));
    }

    #[test]
    fn x1_capabilities_parse_as_written_in_the_cli() {
        assert_eq!("KEY_MANAGER".parse::<Capability>(), Ok(Capability::KeyManager));
        assert_eq!("key-manager".parse::<Capability>(), Ok(Capability::KeyManager));
        assert!("ADMIN".parse::<Capability>().is_err());
    }
}
