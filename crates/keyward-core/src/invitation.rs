//! Invitations to join a team (Apple's `userInvitations`): valid for 3 days; accepting one turns it
//! into a member and deletes it.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::DomainError;
use crate::ids::{AppId, InvitationId, TeamId};
use crate::role::{Role, RoleSet};

/// How long an invitation can be accepted.
pub const VALIDITY: Duration = Duration::days(3);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub team_id: TeamId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Includes `GENERATE_INDIVIDUAL_KEYS` when it grants that permission explicitly (K6b).
    pub roles: RoleSet,
    /// The member will hold the permission by default (K6), held but not listed (K6b): the console's
    /// invitations, whose Generate Individual API Keys box is ticked unless withheld.
    #[serde(default)]
    pub individual_keys_by_default: bool,
    pub all_apps_visible: bool,
    pub provisioning_allowed: bool,
    pub visible_apps: Vec<AppId>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Invitation {
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The roles the invitee holds on joining: K6's default grant added when the invitation
    /// carries it (what the console shows for a pending invitation, and what acceptance writes).
    pub fn roles_on_joining(&self) -> RoleSet {
        if self.individual_keys_by_default { self.roles.with(Role::GenerateIndividualKeys) } else { self.roles }
    }

    /// K6b: the permission is granted explicitly, and so listed, only when `roles` names it.
    pub fn grants_individual_keys_explicitly(&self) -> bool {
        self.roles.contains(Role::GenerateIndividualKeys)
    }
}

/// What it takes to invite someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: RoleSet,
    /// See [`Invitation::individual_keys_by_default`]; the REST API sets it false.
    pub individual_keys_by_default: bool,
    pub all_apps_visible: bool,
    pub provisioning_allowed: bool,
    pub visible_apps: Vec<AppId>,
}

/// Roles of an invitation: at least one, never `ACCOUNT_HOLDER`. Unlike `admin member add`, the
/// permission follows `roles` exactly: `GENERATE_INDIVIDUAL_KEYS` in `roles` grants it (Apple's API).
pub fn roles_for_invitation(roles: RoleSet) -> Result<RoleSet, DomainError> {
    if roles.contains(Role::AccountHolder) {
        return Err(DomainError::CannotGrantAccountHolder);
    }
    if roles.without(Role::GenerateIndividualKeys).is_empty() {
        return Err(DomainError::InvalidInput("an invitation needs at least one role".into()));
    }
    Ok(roles)
}

pub fn ensure_acceptable(invitation: &Invitation, now: OffsetDateTime) -> Result<(), DomainError> {
    if invitation.is_expired(now) {
        Err(DomainError::Conflict("this invitation has expired; ask for a new one".into()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_never_grant_account_holder_and_need_a_role() {
        assert!(roles_for_invitation(RoleSet::of(&[Role::Developer])).is_ok());
        assert_eq!(
            roles_for_invitation(RoleSet::of(&[Role::AccountHolder])),
            Err(DomainError::CannotGrantAccountHolder)
        );
        assert!(roles_for_invitation(RoleSet::of(&[Role::GenerateIndividualKeys])).is_err());
        let with_permission = RoleSet::of(&[Role::Developer, Role::GenerateIndividualKeys]);
        assert_eq!(roles_for_invitation(with_permission), Ok(with_permission), "the permission follows roles");
    }

    #[test]
    fn invitations_expire_after_three_days() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(10_000);
        let inv = Invitation {
            id: InvitationId::random(),
            team_id: TeamId::random(),
            email: "a@b.test".into(),
            first_name: String::new(),
            last_name: String::new(),
            roles: RoleSet::of(&[Role::Developer]),
            individual_keys_by_default: false,
            all_apps_visible: true,
            provisioning_allowed: false,
            visible_apps: vec![],
            expires_at: now + VALIDITY,
        };
        assert!(ensure_acceptable(&inv, now + Duration::days(2)).is_ok());
        assert!(ensure_acceptable(&inv, now + VALIDITY).is_err());

        // K6, K6b: the console's default grant is held on joining but not explicit; one named in
        // `roles` is explicit.
        let gik = Role::GenerateIndividualKeys;
        assert_eq!(inv.roles_on_joining(), RoleSet::of(&[Role::Developer]));
        let by_default = Invitation { individual_keys_by_default: true, ..inv.clone() };
        assert_eq!(by_default.roles_on_joining(), RoleSet::of(&[Role::Developer, gik]));
        assert!(!by_default.grants_individual_keys_explicitly());
        let named = Invitation { roles: RoleSet::of(&[Role::Developer, gik]), ..inv };
        assert!(named.grants_individual_keys_explicitly());
    }
}
