//! X4: rotation. A successor inherits its predecessor's name, roles and kind (and member); the
//! predecessor is revoked at once or when a grace period ends, so clients can move to the new key
//! without a moment when neither works.
//!
//! The predecessor's end is a time, not a job: every node refuses its tokens from that second on
//! (as with an expiry), and whichever node's sweep comes first records the revocation, so it
//! happens even if the node that scheduled it is gone.

use time::{Duration, OffsetDateTime};

use crate::DomainError;
use crate::actor::Actor;
use crate::key::{self, ApiKey, KeyKind, KeyState};
use crate::role::RoleSet;

/// The longest grace period: a rotation is a hand-over, not a second key for a month.
pub const MAX_GRACE: Duration = Duration::days(30);

/// X4: who may rotate `key`: whoever may generate its successor (K3, K6) and revoke it (K12). A
/// key is rotated once, while it works.
pub fn may_rotate(key: &ApiKey, actor: &Actor, actor_roles: RoleSet, now: OffsetDateTime) -> Result<(), DomainError> {
    match key.state(now) {
        KeyState::Revoked => return Err(DomainError::KeyRevoked(key.id.to_string())),
        KeyState::Expired => return Err(DomainError::KeyExpired(key.id.to_string())),
        KeyState::Active => {}
    }
    if key.revoke_at.is_some() {
        return Err(DomainError::AlreadyRotating(key.id.to_string()));
    }
    match (key.kind, key.member_id) {
        (KeyKind::Team, _) => key::may_generate_team_key(actor, actor_roles)?,
        (KeyKind::Individual, Some(owner)) => key::may_generate_individual_key_for(actor, owner)?,
        (KeyKind::Individual, None) => {
            return Err(DomainError::InvalidInput("an individual key without a member".into()));
        }
    }
    key::may_revoke(key, actor, actor_roles)
}

/// X4: a grace period of 0 (revoke at once) to [`MAX_GRACE`].
pub fn validate_grace(grace: Duration) -> Result<Duration, DomainError> {
    if grace.is_negative() || grace > MAX_GRACE {
        return Err(DomainError::InvalidInput(format!("a grace period is 0 to {} days", MAX_GRACE.whole_days())));
    }
    Ok(grace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{KeyId, MemberId};
    use crate::role::Role;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);

    fn key(kind: KeyKind, member: Option<MemberId>) -> ApiKey {
        ApiKey {
            id: KeyId::parse("ROTATE1234").expect("id"),
            created_at: NOW - Duration::days(1),
            downloaded_at: Some(NOW - Duration::days(1)),
            ..key::sample(kind, Actor::Operator, member)
        }
    }

    #[test]
    fn x4_admins_rotate_team_keys_and_members_their_own_individual_key() {
        let admin = Actor::Member(MemberId::random());
        let team = key(KeyKind::Team, None);
        assert_eq!(may_rotate(&team, &admin, RoleSet::of(&[Role::Admin]), NOW), Ok(()));
        assert_eq!(
            may_rotate(&team, &admin, RoleSet::of(&[Role::Developer]), NOW),
            Err(DomainError::CannotGenerateTeamKey)
        );
        let owner = MemberId::random();
        let individual = key(KeyKind::Individual, Some(owner));
        assert_eq!(may_rotate(&individual, &Actor::Member(owner), RoleSet::of(&[Role::Developer]), NOW), Ok(()));
        assert!(may_rotate(&individual, &admin, RoleSet::of(&[Role::Admin]), NOW).is_err(), "K6: not someone else's");
        assert_eq!(may_rotate(&individual, &Actor::Operator, RoleSet::EMPTY, NOW), Ok(()));
    }

    #[test]
    fn x4_a_key_is_rotated_once_while_it_works() {
        let mut k = key(KeyKind::Team, None);
        k.revoke_at = Some(NOW + Duration::hours(1));
        assert_eq!(
            may_rotate(&k, &Actor::Operator, RoleSet::EMPTY, NOW),
            Err(DomainError::AlreadyRotating(k.id.to_string()))
        );
        k.revoke_at = None;
        k.expires_at = Some(NOW);
        assert!(matches!(may_rotate(&k, &Actor::Operator, RoleSet::EMPTY, NOW), Err(DomainError::KeyExpired(_))));
        assert!(validate_grace(Duration::days(31)).is_err());
        assert!(validate_grace(Duration::seconds(-1)).is_err());
        assert_eq!(validate_grace(Duration::ZERO), Ok(Duration::ZERO));
    }
}
