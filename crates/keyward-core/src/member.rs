//! Members of a team (Apple's `users` resource) and the rules on their roles.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::DomainError;
use crate::ids::{AppId, MemberId, PersonId, TeamId};
use crate::role::{Role, RoleSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: MemberId,
    pub team_id: TeamId,
    pub person_id: PersonId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Includes `GENERATE_INDIVIDUAL_KEYS` when the member holds that permission, as Apple's API does.
    pub roles: RoleSet,
    pub all_apps_visible: bool,
    pub provisioning_allowed: bool,
    /// Apps the member sees when `all_apps_visible` is false (A4).
    pub visible_apps: Vec<AppId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Member {
    pub fn is_account_holder(&self) -> bool {
        self.roles.contains(Role::AccountHolder)
    }

    /// A4: whether this member (and so their individual key) sees the app.
    pub fn sees_app(&self, app: AppId) -> bool {
        self.all_apps_visible || self.visible_apps.contains(&app)
    }
}

/// Roles that may be given to someone joining a team (by invitation or `admin member add`):
/// at least one real role, never `ACCOUNT_HOLDER`. K6: the *Generate Individual API Keys*
/// permission is granted by default when a member joins, unless `individual_keys` is false.
pub fn roles_for_new_member(requested: RoleSet, individual_keys: bool) -> Result<RoleSet, DomainError> {
    if requested.contains(Role::AccountHolder) {
        return Err(DomainError::CannotGrantAccountHolder);
    }
    if requested.without(Role::GenerateIndividualKeys).is_empty() {
        return Err(DomainError::InvalidInput("a member needs at least one role".into()));
    }
    Ok(if individual_keys {
        requested.with(Role::GenerateIndividualKeys)
    } else {
        requested.without(Role::GenerateIndividualKeys)
    })
}

/// The Account Holder of a new team: every key-related permission from the start.
pub fn account_holder_roles() -> RoleSet {
    RoleSet::of(&[Role::AccountHolder, Role::Admin, Role::GenerateIndividualKeys])
}

/// Replacing a member's roles: nobody grants `ACCOUNT_HOLDER`, and the Account Holder keeps it.
/// K7: dropping `GENERATE_INDIVIDUAL_KEYS` only stops new individual keys (callers must not revoke).
pub fn change_roles(current: RoleSet, requested: RoleSet) -> Result<RoleSet, DomainError> {
    let holder = current.contains(Role::AccountHolder);
    if holder && !requested.contains(Role::AccountHolder) {
        return Err(DomainError::AccountHolderImmutable);
    }
    if !holder && requested.contains(Role::AccountHolder) {
        return Err(DomainError::CannotGrantAccountHolder);
    }
    if requested.without(Role::GenerateIndividualKeys).without(Role::AccountHolder).is_empty() && !holder {
        return Err(DomainError::InvalidInput("a member needs at least one role".into()));
    }
    Ok(requested)
}

/// Removing a member: never the Account Holder. K14: the caller revokes their individual key.
pub fn ensure_removable(member: &Member) -> Result<(), DomainError> {
    if member.is_account_holder() { Err(DomainError::AccountHolderImmutable) } else { Ok(()) }
}

/// K6: the roles with which a member may hold an individual key.
pub const INDIVIDUAL_KEY_ROLES: [Role; 6] =
    [Role::AccountHolder, Role::Admin, Role::AppManager, Role::CustomerSupport, Role::Developer, Role::Marketing];

/// K6: the permission plus one of [`INDIVIDUAL_KEY_ROLES`]. (One active key at a time is enforced
/// by storage, atomically.)
pub fn may_generate_individual_key(roles: RoleSet) -> Result<(), DomainError> {
    if !roles.contains(Role::GenerateIndividualKeys) {
        return Err(DomainError::NoIndividualKeyPermission);
    }
    if !roles.intersects(RoleSet::of(&INDIVIDUAL_KEY_ROLES)) {
        return Err(DomainError::NoIndividualKeyRole);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k6_new_members_get_the_individual_key_permission_by_default() {
        let roles = roles_for_new_member(RoleSet::of(&[Role::Developer]), true).expect("valid");
        assert!(roles.contains(Role::GenerateIndividualKeys));
        let without = roles_for_new_member(RoleSet::of(&[Role::Developer]), false).expect("valid");
        assert!(!without.contains(Role::GenerateIndividualKeys));
    }

    #[test]
    fn nobody_grants_account_holder() {
        let with_holder = RoleSet::of(&[Role::AccountHolder, Role::Admin]);
        assert_eq!(roles_for_new_member(with_holder, true), Err(DomainError::CannotGrantAccountHolder));
        assert_eq!(change_roles(RoleSet::of(&[Role::Admin]), with_holder), Err(DomainError::CannotGrantAccountHolder));
        assert!(roles_for_new_member(RoleSet::EMPTY, true).is_err());
    }

    #[test]
    fn the_account_holder_cannot_be_demoted_or_removed() {
        let holder = account_holder_roles();
        assert_eq!(change_roles(holder, RoleSet::of(&[Role::Admin])), Err(DomainError::AccountHolderImmutable));
        assert!(change_roles(holder, holder.without(Role::Admin)).is_ok());
    }

    #[test]
    fn k14_members_are_removable_but_the_account_holder_is_not() {
        let member = |roles: RoleSet| Member {
            id: MemberId::random(),
            team_id: TeamId::random(),
            person_id: PersonId::random(),
            email: "m@x.test".into(),
            first_name: String::new(),
            last_name: String::new(),
            roles,
            all_apps_visible: true,
            provisioning_allowed: false,
            visible_apps: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(ensure_removable(&member(RoleSet::of(&[Role::Developer]))), Ok(()));
        assert_eq!(ensure_removable(&member(account_holder_roles())), Err(DomainError::AccountHolderImmutable));
    }

    #[test]
    fn k6_individual_key_needs_permission_and_an_eligible_role() {
        let dev = RoleSet::of(&[Role::Developer, Role::GenerateIndividualKeys]);
        assert_eq!(may_generate_individual_key(dev), Ok(()));
        let finance = RoleSet::of(&[Role::Finance, Role::GenerateIndividualKeys]);
        assert_eq!(may_generate_individual_key(finance), Err(DomainError::NoIndividualKeyRole));
    }

    #[test]
    fn k7_removing_the_permission_stops_new_individual_keys() {
        let dev = RoleSet::of(&[Role::Developer, Role::GenerateIndividualKeys]);
        let after = change_roles(dev, dev.without(Role::GenerateIndividualKeys)).expect("allowed");
        assert_eq!(may_generate_individual_key(after), Err(DomainError::NoIndividualKeyPermission));
    }
}
