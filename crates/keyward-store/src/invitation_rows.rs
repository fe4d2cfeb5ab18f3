//! Invitation rows, written one way by every writer: `POST /v1/userInvitations`, the console's
//! invite form and seeds insert through [`insert`], so every invitation has an acceptance secret
//! and K6's default grant recorded alike.

use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, InvitationId, TeamId};
use keyward_core::role::{Role, RoleSet};
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::tx::Tx;

/// An invitation row about to be written; its values are checked by `keyward_core::invitation`.
pub(crate) struct NewRow<'a> {
    pub id: InvitationId,
    pub team: TeamId,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub roles: RoleSet,
    /// K6: the invitee gets the Generate Individual API Keys permission by default on joining.
    pub individual_keys_by_default: bool,
    pub all_apps_visible: bool,
    pub provisioning_allowed: bool,
    /// A4: the apps the invitee will see when not `all_apps_visible`. Callers check they are the team's.
    pub visible_apps: &'a [AppId],
    /// SHA-256 of the acceptance secret (I1): the one way to accept it.
    pub secret_hash: &'a str,
    pub expires_at: OffsetDateTime,
}

/// Inserts the invitation and the apps it will make visible.
pub(crate) async fn insert(tx: &mut Tx, row: NewRow<'_>, at: OffsetDateTime) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO invitations (id, team_id, email, first_name, last_name, roles, all_apps_visible, \
         provisioning_allowed, created_at, expires_at, secret_hash, individual_keys_by_default) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(row.id.to_string())
    .bind(row.team.to_string())
    .bind(row.email.to_owned())
    .bind(row.first_name.to_owned())
    .bind(row.last_name.to_owned())
    .bind(row.roles.to_list())
    .bind(row.all_apps_visible)
    .bind(row.provisioning_allowed)
    .bind(at.unix_timestamp())
    .bind(row.expires_at.unix_timestamp())
    .bind(row.secret_hash.to_owned())
    // K6b: an explicit grant is listed in `roles`; the default one is recorded beside them.
    .bind(row.individual_keys_by_default && !row.roles.contains(Role::GenerateIndividualKeys))
    .execute(&mut **tx)
    .await
    .map_err(backend_error)?;
    for app in row.visible_apps {
        sqlx::query("INSERT INTO invitation_apps (invitation_id, app_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(row.id.to_string())
            .bind(app.0)
            .execute(&mut **tx)
            .await
            .map_err(backend_error)?;
    }
    Ok(())
}
