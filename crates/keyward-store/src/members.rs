//! Members of a team: adding, changing roles (K7, K14) and removing (K14).

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{AppId, MemberId, TeamId};
use keyward_core::member::{self, Member};
use keyward_core::ports::{MemberStore, NewMember};
use keyward_core::role::{Role, RoleSet};
use keyward_core::team::normalize_email;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::backend_error;
use crate::tx::{self, Tx, lock_team, now};
use crate::{Store, convert, persons};

/// Members manage members when they are the Account Holder or an Admin (the `users` manage area).
pub(crate) fn ensure_manages_members(roles: Option<RoleSet>) -> Result<(), DomainError> {
    match roles {
        None => Ok(()),
        Some(r) if r.intersects(RoleSet::of(&[Role::AccountHolder, Role::Admin])) => Ok(()),
        Some(_) => Err(DomainError::NotAllowed("only the Account Holder or an Admin can manage members".into())),
    }
}

async fn with_apps(
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

pub(crate) async fn member_in_tx(tx: &mut Tx, team: TeamId, id: MemberId) -> Result<Member, StoreError> {
    let row = sqlx::query(select_member!("WHERE m.id = $1 AND m.team_id = $2"))
        .bind(id.to_string())
        .bind(team.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: id.to_string() })?;
    with_apps(&mut **tx, &row).await
}

impl MemberStore for Store {
    async fn list_members(
        &self,
        team: TeamId,
        filter: &keyward_core::paging::MemberFilter,
        page: &keyward_core::paging::PageRequest<keyward_core::paging::UserSort>,
    ) -> Result<keyward_core::paging::Page<Member>, StoreError> {
        crate::member_list::list(self, team, filter, page).await
    }

    async fn member(&self, team: TeamId, id: MemberId) -> Result<Member, StoreError> {
        let row = sqlx::query(select_member!("WHERE m.id = $1 AND m.team_id = $2"))
            .bind(id.to_string())
            .bind(team.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(backend_error)?
            .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: id.to_string() })?;
        with_apps(self.pool(), &row).await
    }

    async fn update_member(
        &self,
        team: TeamId,
        id: MemberId,
        update: keyward_core::ports::MemberUpdate,
        actor: &ActorContext,
    ) -> Result<Member, StoreError> {
        crate::member_update::update(self, team, id, update, actor).await
    }

    async fn add_member(&self, team: TeamId, new: NewMember, actor: &ActorContext) -> Result<Member, StoreError> {
        let roles = member::roles_for_new_member(new.roles, new.individual_keys)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        ensure_manages_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        for app in &new.visible_apps {
            let found = sqlx::query("SELECT 1 AS one FROM apps WHERE id = $1 AND team_id = $2")
                .bind(app.0)
                .bind(team.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend_error)?;
            if found.is_none() {
                return Err(DomainError::NotFound { what: Resource::App, id: app.to_string() }.into());
            }
        }
        let person = persons::find_or_create(&mut tx, &new.person, false, at).await?;
        let already = sqlx::query("SELECT 1 AS one FROM members WHERE team_id = $1 AND person_id = $2")
            .bind(team.to_string())
            .bind(person.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
        let email = normalize_email(&new.person.email)?;
        if already.is_some() {
            return Err(DomainError::Conflict(format!("{email} is already a member of this team")).into());
        }
        let id = MemberId::random();
        sqlx::query(
            "INSERT INTO members (id, team_id, person_id, roles, all_apps_visible, provisioning_allowed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(team.to_string())
        .bind(person.to_string())
        .bind(roles.to_list())
        .bind(new.all_apps_visible)
        .bind(new.provisioning_allowed)
        .bind(at.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        for app in &new.visible_apps {
            sqlx::query("INSERT INTO member_apps (member_id, app_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id.to_string())
                .bind(app.0)
                .execute(&mut *tx)
                .await
                .map_err(backend_error)?;
        }
        tx::audit(&mut tx, team, actor, AuditKind::MemberAdded, Some(&email), &format!("added with roles {roles}"), at)
            .await?;
        tx::change(&mut tx, &Change::Member { team_id: team, member_id: id }, at).await?;
        let added = member_in_tx(&mut tx, team, id).await?;
        tx::commit(tx).await?;
        Ok(added)
    }

    async fn member_by_email(&self, team: TeamId, email: &str) -> Result<Member, StoreError> {
        let email = normalize_email(email)?;
        let row = sqlx::query(select_member!("WHERE m.team_id = $1 AND p.email = $2"))
            .bind(team.to_string())
            .bind(email.clone())
            .fetch_optional(self.pool())
            .await
            .map_err(backend_error)?
            .ok_or(DomainError::NotFound { what: Resource::Member, id: email })?;
        with_apps(self.pool(), &row).await
    }

    async fn account_holder(&self, team: TeamId) -> Result<Member, StoreError> {
        let rows = sqlx::query(select_member!("WHERE m.team_id = $1 ORDER BY m.created_at"))
            .bind(team.to_string())
            .fetch_all(self.pool())
            .await
            .map_err(backend_error)?;
        for row in &rows {
            let roles = convert::roles(&convert::get::<String>(row, "roles")?)?;
            if roles.contains(Role::AccountHolder) {
                return with_apps(self.pool(), row).await;
            }
        }
        Err(DomainError::NotFound { what: Resource::AccountHolder, id: team.to_string() }.into())
    }

    async fn members(&self, team: TeamId) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(select_member!("WHERE m.team_id = $1 ORDER BY p.email"))
            .bind(team.to_string())
            .fetch_all(self.pool())
            .await
            .map_err(backend_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(with_apps(self.pool(), row).await?);
        }
        Ok(out)
    }

    async fn set_member_roles(
        &self,
        team: TeamId,
        id: MemberId,
        roles: RoleSet,
        actor: &ActorContext,
    ) -> Result<Member, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        ensure_manages_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        let current = member_in_tx(&mut tx, team, id).await?;
        let (requested, explicit) =
            member::next_grant(current.roles, current.individual_keys_explicit, roles, member::RolesAs::Held);
        let next = member::change_roles(current.roles, requested)?;
        sqlx::query("UPDATE members SET roles = $1, individual_keys_explicit = $2 WHERE id = $3")
            .bind(next.to_list())
            .bind(explicit)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        let detail = format!("roles {} → {}", current.roles, next);
        tx::audit(&mut tx, team, actor, AuditKind::MemberRolesChanged, Some(&current.email), &detail, at).await?;
        tx::change(&mut tx, &Change::Member { team_id: team, member_id: id }, at).await?;
        let updated = member_in_tx(&mut tx, team, id).await?;
        tx::commit(tx).await?;
        Ok(updated)
    }

    async fn remove_member(&self, team: TeamId, id: MemberId, actor: &ActorContext) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        ensure_manages_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        if actor.actor == Actor::Member(id) {
            return Err(DomainError::NotAllowed("you cannot remove yourself from the team".into()).into());
        }
        let gone = member_in_tx(&mut tx, team, id).await?;
        member::ensure_removable(&gone)?;
        // K14: the member's individual key goes with them, in this transaction.
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, revoked_by_label = $2 \
             WHERE member_id = $3 AND kind = 'individual' AND revoked_at IS NULL RETURNING id",
        )
        .bind(at.unix_timestamp())
        .bind(actor.label.clone())
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend_error)?;
        for row in &revoked {
            let key: String = row.try_get("id").map_err(backend_error)?;
            let key_id = keyward_core::ids::KeyId::parse(&key).map_err(|e| StoreError::Backend(e.to_string()))?;
            let detail = format!("individual key of {} revoked because the member was removed", gone.email);
            tx::audit(&mut tx, team, actor, AuditKind::KeyRevoked, Some(&key), &detail, at).await?;
            tx::change(&mut tx, &Change::KeyRevoked { team_id: team, key_id }, at).await?;
        }
        sqlx::query("DELETE FROM members WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        tx::audit(&mut tx, team, actor, AuditKind::MemberRemoved, Some(&gone.email), "removed from the team", at)
            .await?;
        tx::change(&mut tx, &Change::Member { team_id: team, member_id: id }, at).await?;
        tx::commit(tx).await
    }
}
