//! Member rows, written one way by every writer: members added by the operator or the API, the
//! Account Holder of a new team, invitees joining, and seeds all insert through [`insert`]; roles,
//! app access and provisioning change through the setters here (`member_update.rs` and seeds), and
//! visible apps are replaced through [`replace_apps`]. The reads that fill in a member's apps live
//! here too, so `members.rs` (the `MemberStore`) and `member_update.rs` need not import each other.

use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{AppId, MemberId, PersonId, TeamId};
use keyward_core::member::Member;
use keyward_core::role::RoleSet;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::convert;
use crate::error::{backend_error, is_unique_violation};
use crate::tx::Tx;

/// A member row about to be written.
pub(crate) struct NewRow<'a> {
    pub id: MemberId,
    pub team: TeamId,
    pub person: PersonId,
    /// For the message when the person is already a member.
    pub email: &'a str,
    pub roles: RoleSet,
    /// K6b: the Generate Individual API Keys permission among `roles` was granted explicitly.
    pub individual_keys_explicit: bool,
    pub all_apps_visible: bool,
    pub provisioning_allowed: bool,
    pub visible_apps: &'a [AppId],
}

/// Inserts the member and its visible apps. A person already in the team is a `Conflict`,
/// whichever writer tried (the `UNIQUE (team_id, person_id)` constraint decides, also under races).
pub(crate) async fn insert(tx: &mut Tx, row: NewRow<'_>, at: OffsetDateTime) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO members (id, team_id, person_id, roles, individual_keys_explicit, all_apps_visible, \
         provisioning_allowed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.id.to_string())
    .bind(row.team.to_string())
    .bind(row.person.to_string())
    .bind(row.roles.to_list())
    .bind(row.individual_keys_explicit)
    .bind(row.all_apps_visible)
    .bind(row.provisioning_allowed)
    .bind(at.unix_timestamp())
    .execute(&mut **tx)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => DomainError::Conflict(format!("{} is already a member of this team", row.email)).into(),
        false => backend_error(e),
    })?;
    replace_apps(tx, row.id, row.visible_apps).await
}

/// A member's roles, and whether Generate Individual API Keys among them was granted explicitly
/// (K6b). Rules are the caller's (`keyward_core::member::change_roles`, `next_grant`).
pub(crate) async fn set_roles(tx: &mut Tx, member: MemberId, roles: RoleSet, explicit: bool) -> Result<(), StoreError> {
    sqlx::query("UPDATE members SET roles = $1, individual_keys_explicit = $2 WHERE id = $3")
        .bind(roles.to_list())
        .bind(explicit)
        .bind(member.to_string())
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}

/// A4: whether the member sees every app of the team.
pub(crate) async fn set_all_apps_visible(tx: &mut Tx, member: MemberId, all: bool) -> Result<(), StoreError> {
    sqlx::query("UPDATE members SET all_apps_visible = $1 WHERE id = $2")
        .bind(all)
        .bind(member.to_string())
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}

/// Apple's `provisioningAllowed`.
pub(crate) async fn set_provisioning_allowed(tx: &mut Tx, member: MemberId, allowed: bool) -> Result<(), StoreError> {
    sqlx::query("UPDATE members SET provisioning_allowed = $1 WHERE id = $2")
        .bind(allowed)
        .bind(member.to_string())
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}

/// Sets the apps a member sees to exactly `apps` (A4). Callers check that they are the team's.
pub(crate) async fn replace_apps(tx: &mut Tx, member: MemberId, apps: &[AppId]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM member_apps WHERE member_id = $1")
        .bind(member.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
    for app in apps {
        sqlx::query("INSERT INTO member_apps (member_id, app_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(member.to_string())
            .bind(app.0)
            .execute(&mut **tx)
            .await
            .map_err(backend_error)?;
    }
    Ok(())
}

/// A member read by `select_member!`, with the apps they see.
pub(crate) async fn with_apps(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    row: &AnyRow,
) -> Result<Member, StoreError> {
    let mut m = convert::member(row)?;
    let apps = sqlx::query("SELECT app_id FROM member_apps WHERE member_id = $1 ORDER BY app_id")
        .bind(m.id.to_string())
        .fetch_all(executor)
        .await
        .map_err(backend_error)?;
    m.visible_apps = apps
        .iter()
        .map(|r| r.try_get::<i64, _>("app_id").map(AppId))
        .collect::<Result<_, _>>()
        .map_err(backend_error)?;
    Ok(m)
}

/// A member of `team`, inside a transaction; another team's member is not found.
pub(crate) async fn in_tx(tx: &mut Tx, team: TeamId, id: MemberId) -> Result<Member, StoreError> {
    let row = sqlx::query(select_member!("WHERE m.id = $1 AND m.team_id = $2"))
        .bind(id.to_string())
        .bind(team.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: id.to_string() })?;
    with_apps(&mut **tx, &row).await
}
