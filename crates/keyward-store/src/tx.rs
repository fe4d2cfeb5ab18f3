//! Transaction helpers shared by every aggregate: the team lock, actor lookup, audit and change-feed
//! appends, and error mapping.

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{KeyId, TeamId};
use keyward_core::role::RoleSet;
use keyward_core::team::Team;
use sqlx::Row;
use time::OffsetDateTime;

use crate::Store;
use crate::backend::begin_write_statement;
use crate::convert;
use crate::error::backend_error;

pub(crate) use crate::backend::Tx;

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl Store {
    pub(crate) async fn begin_write(&self) -> Result<Tx, StoreError> {
        let statement = sqlx::SqlSafeStr::into_sql_str(begin_write_statement(self.backend));
        sqlx::Transaction::begin(self.conn().await?, Some(statement)).await.map_err(backend_error)
    }
}

/// Locks the team row for the rest of the transaction (serializing rule checks per team) and
/// returns the team.
pub(crate) async fn lock_team(tx: &mut Tx, team: TeamId) -> Result<Team, StoreError> {
    let updated = sqlx::query("UPDATE teams SET lock_version = lock_version + 1 WHERE id = $1")
        .bind(team.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
    if updated.rows_affected() == 0 {
        return Err(DomainError::NotFound { what: Resource::Team, id: team.to_string() }.into());
    }
    let row = sqlx::query(select_team!("WHERE id = $1"))
        .bind(team.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend_error)?;
    convert::team(&row)
}

/// The roles an actor acts with in a team: `None` for the operator (who is not a member), the
/// member's roles otherwise. A member of another team is refused as not found.
pub(crate) async fn actor_roles(tx: &mut Tx, team: TeamId, actor: &Actor) -> Result<Option<RoleSet>, StoreError> {
    match actor {
        Actor::Operator => Ok(None),
        Actor::TeamKey { roles, .. } => Ok(Some(*roles)),
        Actor::KeyManager { key_id } => Ok(Some(key_manager_roles(tx, team, key_id).await?)),
        Actor::Member(m) => {
            let row = sqlx::query("SELECT roles FROM members WHERE id = $1 AND team_id = $2")
                .bind(m.to_string())
                .bind(team.to_string())
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend_error)?
                .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: m.to_string() })?;
            let roles: String = row.try_get("roles").map_err(backend_error)?;
            Ok(Some(convert::roles(&roles)?))
        }
    }
}

/// X1: a key manager's roles, read in the caller's transaction (after the team's lock): refused
/// unless the key is of this team, holds `KEY_MANAGER`, and works at this second (not revoked,
/// expired or rotated out). A revocation or a withdrawn grant that committed first wins.
async fn key_manager_roles(tx: &mut Tx, team: TeamId, key_id: &KeyId) -> Result<RoleSet, StoreError> {
    let at = now().unix_timestamp();
    let row = sqlx::query(
        "SELECT roles FROM api_keys WHERE id = $1 AND team_id = $2 AND key_manager AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $3) AND (revoke_at IS NULL OR revoke_at > $3)",
    )
    .bind(key_id.to_string())
    .bind(team.to_string())
    .bind(at)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend_error)?
    .ok_or(DomainError::NotKeyManager)?;
    convert::roles(&convert::get::<String>(&row, "roles")?)
}

/// K15: appends to the team's audit log inside the caller's transaction.
pub(crate) async fn audit(
    tx: &mut Tx,
    team: TeamId,
    actor: &ActorContext,
    event: AuditKind,
    subject: Option<&str>,
    detail: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (team_id, at, event, actor, actor_ip, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(team.to_string())
    .bind(at.unix_timestamp())
    .bind(event.as_str())
    .bind(actor.label.clone())
    .bind(actor.ip.clone())
    .bind(subject.map(str::to_owned))
    .bind(detail.to_owned())
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(backend_error)
}

/// K11: appends to the change feed inside the caller's transaction.
pub(crate) async fn change(tx: &mut Tx, change: &Change, at: OffsetDateTime) -> Result<(), StoreError> {
    let (mut key, mut member, mut app, mut resource) = (None, None, None, None);
    let team = match change {
        Change::KeyDownloaded { team_id, key_id } | Change::KeyRevoked { team_id, key_id } => {
            key = Some(key_id.to_string());
            team_id
        }
        Change::TeamAccess { team_id } => team_id,
        Change::Member { team_id, member_id } => {
            member = Some(member_id.to_string());
            team_id
        }
        Change::App { team_id, app_id } => {
            app = Some(app_id.0);
            team_id
        }
        Change::Resource { team_id, resource_type, id } => {
            resource = Some((resource_type.clone(), id.clone()));
            team_id
        }
    };
    let (resource_kind, resource_id) = resource.unzip();
    crate::backend::lock_feed(tx).await?;
    sqlx::query(
        "INSERT INTO changes (at, kind, team_id, key_id, member_id, app_id, resource_kind, resource_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at.unix_timestamp())
    .bind(change.kind())
    .bind(team.to_string())
    .bind(key)
    .bind(member)
    .bind(app)
    .bind(resource_kind)
    .bind(resource_id)
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(backend_error)
}

pub(crate) async fn commit(tx: Tx) -> Result<(), StoreError> {
    tx.commit().await.map_err(backend_error)
}
