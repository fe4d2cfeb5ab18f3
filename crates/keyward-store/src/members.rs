//! `MemberStore`: reading members, adding one, changing roles (through `member_update`) and
//! removing (K14: their individual key is revoked in the same transaction).

use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{MemberId, TeamId};
use keyward_core::member::{self, Member, RolesAs};
use keyward_core::ports::{MemberStore, MemberUpdate, NewMember};
use keyward_core::role::{Role, RoleSet};
use keyward_core::team::normalize_email;
use sqlx::Row;

use crate::error::backend_error;
use crate::tx::{self, lock_team, now};
use crate::{Store, apps, convert, member_rows, persons};

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
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: id.to_string() })?;
        member_rows::with_apps(&mut *self.conn().await?, &row).await
    }

    async fn update_member(
        &self,
        team: TeamId,
        id: MemberId,
        update: MemberUpdate,
        actor: &ActorContext,
    ) -> Result<Member, StoreError> {
        crate::member_update::update(self, team, id, update, actor).await
    }

    async fn add_member(&self, team: TeamId, new: NewMember, actor: &ActorContext) -> Result<Member, StoreError> {
        let roles = member::roles_for_new_member(new.roles, new.individual_keys)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        member::may_manage_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        apps::ensure_team_apps(&mut tx, team, &new.visible_apps).await?;
        let person = persons::find_or_create(&mut tx, &new.person, false, at).await?;
        let email = normalize_email(&new.person.email)?;
        let id = MemberId::random();
        let row = member_rows::NewRow {
            id,
            team,
            person,
            email: &email,
            roles,
            individual_keys_explicit: false,
            all_apps_visible: new.all_apps_visible,
            provisioning_allowed: new.provisioning_allowed,
            visible_apps: &new.visible_apps,
        };
        member_rows::insert(&mut tx, row, at).await?;
        tx::audit(&mut tx, team, actor, AuditKind::MemberAdded, Some(&email), &format!("added with roles {roles}"), at)
            .await?;
        tx::change(&mut tx, &Change::Member { team_id: team, member_id: id }, at).await?;
        let added = member_rows::in_tx(&mut tx, team, id).await?;
        tx::commit(tx).await?;
        Ok(added)
    }

    async fn member_by_email(&self, team: TeamId, email: &str) -> Result<Member, StoreError> {
        let email = normalize_email(email)?;
        let row = sqlx::query(select_member!("WHERE m.team_id = $1 AND p.email = $2"))
            .bind(team.to_string())
            .bind(email.clone())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .ok_or(DomainError::NotFound { what: Resource::Member, id: email })?;
        member_rows::with_apps(&mut *self.conn().await?, &row).await
    }

    async fn account_holder(&self, team: TeamId) -> Result<Member, StoreError> {
        let rows = sqlx::query(select_member!("WHERE m.team_id = $1 ORDER BY m.created_at"))
            .bind(team.to_string())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        for row in &rows {
            let roles = convert::roles(&convert::get::<String>(row, "roles")?)?;
            if roles.contains(Role::AccountHolder) {
                return member_rows::with_apps(&mut *self.conn().await?, row).await;
            }
        }
        Err(DomainError::NotFound { what: Resource::AccountHolder, id: team.to_string() }.into())
    }

    async fn members(&self, team: TeamId) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(select_member!("WHERE m.team_id = $1 ORDER BY p.email"))
            .bind(team.to_string())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(member_rows::with_apps(&mut *self.conn().await?, row).await?);
        }
        Ok(out)
    }

    /// The CLI's roles change: the same path, rules and audit entry as the API and the console,
    /// with the roles as held (K6b).
    async fn set_member_roles(
        &self,
        team: TeamId,
        id: MemberId,
        roles: RoleSet,
        actor: &ActorContext,
    ) -> Result<Member, StoreError> {
        let update = MemberUpdate { roles: Some(roles), roles_as: RolesAs::Held, ..MemberUpdate::default() };
        crate::member_update::update(self, team, id, update, actor).await
    }

    async fn remove_member(&self, team: TeamId, id: MemberId, actor: &ActorContext) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        member::may_manage_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        let gone = member_rows::in_tx(&mut tx, team, id).await?;
        member::ensure_removable(&gone, &actor.actor)?;
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
            let key = crate::key_rows::key_in_tx(&mut tx, team, &key_id).await?;
            crate::key_events::emit(&mut tx, team, keyward_core::key_event::REVOKED, &key, &actor.label, at).await?;
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
