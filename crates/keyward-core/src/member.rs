//! Members of a team (Apple's `users` resource) and the rules on their roles.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::DomainError;
use crate::actor::Actor;
use crate::ids::{AppId, MemberId, PersonId, TeamId};
use crate::policy::Area;
use crate::role::{Role, RoleSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: MemberId,
    pub team_id: TeamId,
    pub person_id: PersonId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Includes `GENERATE_INDIVIDUAL_KEYS` when the member holds that permission, by default or
    /// explicitly; the REST API lists it only when explicit ([`listed_roles`], K6b).
    pub roles: RoleSet,
    /// K6b: the permission was granted explicitly, not by default.
    #[serde(default)]
    pub individual_keys_explicit: bool,
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

/// K6b: a member's roles as the REST API lists them: the permission only when granted explicitly
/// (Apple lists an Account Holder as `["ACCOUNT_HOLDER","ADMIN"]`; clients such as asconnect 7.1.1
/// cannot parse `GENERATE_INDIVIDUAL_KEYS`).
pub fn listed_roles(held: RoleSet, explicit: bool) -> RoleSet {
    if explicit { held } else { held.without(Role::GenerateIndividualKeys) }
}

/// How a change of roles is written: as the REST API lists them (a PATCH), or as the roles the
/// member holds (the console and the CLI show and send the effective state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RolesAs {
    #[default]
    Held,
    Listed,
}

/// K6b: the roles held and whether the permission is explicit after a change to `requested`.
/// A PATCH naming the permission grants it explicitly; one omitting it withdraws only an explicit
/// grant (the default grant stays). The console granting it after it was withheld is explicit;
/// unticking it withdraws it whatever its origin.
pub fn next_grant(held: RoleSet, explicit: bool, requested: RoleSet, written: RolesAs) -> (RoleSet, bool) {
    let gik = Role::GenerateIndividualKeys;
    match (written, requested.contains(gik)) {
        (RolesAs::Listed, true) => (requested, true),
        (RolesAs::Listed, false) if explicit => (requested, false),
        (RolesAs::Listed, false) => (if held.contains(gik) { requested.with(gik) } else { requested }, false),
        (RolesAs::Held, true) => (requested, explicit || !held.contains(gik)),
        (RolesAs::Held, false) => (requested, false),
    }
}

/// Who manages members, whatever the path (API, console, CLI): the roles of the `users (manage)`
/// area of spec section 5, the Account Holder and Admins. `None` is the operator, not a member.
pub fn may_manage_members(actor_roles: Option<RoleSet>) -> Result<(), DomainError> {
    match actor_roles {
        None => Ok(()),
        Some(r) if r.intersects(Area::UsersManage.allowed_roles()) => Ok(()),
        Some(_) => Err(DomainError::NotAllowed("only the Account Holder or an Admin can manage members".into())),
    }
}

/// Removing a member: never the Account Holder, and nobody removes themselves (a team could be
/// left without anyone to manage it). K14: the caller revokes their individual key.
pub fn ensure_removable(member: &Member, by: &Actor) -> Result<(), DomainError> {
    if *by == Actor::Member(member.id) {
        return Err(DomainError::NotAllowed("you cannot remove yourself from the team".into()));
    }
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
            individual_keys_explicit: false,
            all_apps_visible: true,
            provisioning_allowed: false,
            visible_apps: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(ensure_removable(&member(RoleSet::of(&[Role::Developer])), &Actor::Operator), Ok(()));
        assert_eq!(
            ensure_removable(&member(account_holder_roles()), &Actor::Operator),
            Err(DomainError::AccountHolderImmutable)
        );
        let admin = member(RoleSet::of(&[Role::Admin]));
        assert!(
            matches!(ensure_removable(&admin, &Actor::Member(admin.id)), Err(DomainError::NotAllowed(_))),
            "nobody removes themselves"
        );
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

    #[test]
    fn k6b_only_an_explicit_grant_is_listed() {
        let holder = account_holder_roles();
        assert_eq!(listed_roles(holder, false), RoleSet::of(&[Role::AccountHolder, Role::Admin]));
        let dev = RoleSet::of(&[Role::Developer, Role::GenerateIndividualKeys]);
        assert_eq!(listed_roles(dev, false), RoleSet::of(&[Role::Developer]));
        assert_eq!(listed_roles(dev, true), dev);
    }

    #[test]
    fn k6b_a_patch_omitting_the_permission_withdraws_only_an_explicit_grant() {
        let gik = Role::GenerateIndividualKeys;
        let dev = RoleSet::of(&[Role::Developer]);
        let held = dev.with(gik);
        let to_manager = RoleSet::of(&[Role::AppManager]);
        // Held by default: a PATCH that omits it (as every client listing the roles does) keeps it.
        assert_eq!(next_grant(held, false, to_manager, RolesAs::Listed), (to_manager.with(gik), false));
        // Granted explicitly: omitting it withdraws it.
        assert_eq!(next_grant(held, true, to_manager, RolesAs::Listed), (to_manager, false));
        // Naming it grants it explicitly, held before or not.
        assert_eq!(next_grant(dev, false, to_manager.with(gik), RolesAs::Listed), (to_manager.with(gik), true));
        assert_eq!(next_grant(held, false, dev.with(gik), RolesAs::Listed), (held, true));
        // Not held and not named: still not held.
        assert_eq!(next_grant(dev, false, to_manager, RolesAs::Listed), (to_manager, false));
    }

    #[test]
    fn k6b_the_console_grants_explicitly_only_what_was_withheld() {
        let gik = Role::GenerateIndividualKeys;
        let dev = RoleSet::of(&[Role::Developer]);
        assert_eq!(
            next_grant(dev, false, dev.with(gik), RolesAs::Held),
            (dev.with(gik), true),
            "granted after withheld"
        );
        assert_eq!(
            next_grant(dev.with(gik), false, dev.with(gik), RolesAs::Held),
            (dev.with(gik), false),
            "kept default"
        );
        assert_eq!(
            next_grant(dev.with(gik), true, dev.with(gik), RolesAs::Held),
            (dev.with(gik), true),
            "kept explicit"
        );
        assert_eq!(next_grant(dev.with(gik), false, dev, RolesAs::Held), (dev, false), "withdrawn");
    }

    #[test]
    fn only_the_account_holder_and_admins_manage_members() {
        assert_eq!(may_manage_members(None), Ok(()), "the operator");
        for roles in [RoleSet::of(&[Role::AccountHolder]), RoleSet::of(&[Role::Admin, Role::Finance])] {
            assert_eq!(may_manage_members(Some(roles)), Ok(()));
        }
        for role in [Role::AppManager, Role::Developer, Role::Sales] {
            assert!(matches!(may_manage_members(Some(RoleSet::of(&[role]))), Err(DomainError::NotAllowed(_))));
        }
    }
}
