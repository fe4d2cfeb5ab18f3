//! Invitations (Apple's `userInvitations`): created by the Account Holder or Admins, pending for 3
//! days, accepted once (they become a member and the invitation is deleted).

use std::collections::HashMap;

use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{AppId, InvitationId, MemberId, TeamId};
use keyward_core::invitation::{self, Invitation, NewInvitation};
use keyward_core::member::{self, Member};
use keyward_core::paging::{InvitationFilter, InvitationSort, Keyset, Page, PageRequest};
use keyward_core::ports::{Acceptance, InvitationStore, NewPerson};
use keyward_core::team::{normalize_email, validate_person_name};
use sqlx::any::AnyRow;

use crate::error::backend_error;
use crate::sql::Dynamic;
use crate::tx::{self, Tx, lock_team, now};
use crate::{Store, apps, convert, invitation_rows, member_rows, persons};

const COLUMNS: &str = "SELECT id, team_id, email, first_name, last_name, roles, individual_keys_by_default, all_apps_visible, provisioning_allowed, expires_at FROM invitations ";

fn row_to_invitation(row: &AnyRow) -> Result<Invitation, StoreError> {
    let bad = |c: &str| StoreError::Backend(format!("stored invitation {c} is invalid"));
    Ok(Invitation {
        id: convert::get::<String>(row, "id")?.parse().map_err(|_| bad("id"))?,
        team_id: convert::get::<String>(row, "team_id")?.parse().map_err(|_| bad("team"))?,
        email: convert::get(row, "email")?,
        first_name: convert::get(row, "first_name")?,
        last_name: convert::get(row, "last_name")?,
        roles: convert::roles(&convert::get::<String>(row, "roles")?)?,
        individual_keys_by_default: convert::flag(row, "individual_keys_by_default")?,
        all_apps_visible: convert::flag(row, "all_apps_visible")?,
        provisioning_allowed: convert::flag(row, "provisioning_allowed")?,
        visible_apps: Vec::new(),
        expires_at: convert::time(convert::get(row, "expires_at")?)?,
    })
}

async fn attach_apps(
    executor: impl sqlx::Executor<'_, Database = sqlx::Any>,
    invitations: &mut [Invitation],
) -> Result<(), StoreError> {
    if invitations.is_empty() {
        return Ok(());
    }
    let mut q = Dynamic::new("SELECT invitation_id, app_id FROM invitation_apps WHERE invitation_id IN ");
    q.text_list(&invitations.iter().map(|i| i.id.to_string()).collect::<Vec<_>>()).push(" ORDER BY app_id");
    let mut apps: HashMap<String, Vec<AppId>> = HashMap::new();
    for row in q.query().fetch_all(executor).await.map_err(backend_error)? {
        apps.entry(convert::get(&row, "invitation_id")?).or_default().push(AppId(convert::get(&row, "app_id")?));
    }
    for i in invitations {
        i.visible_apps = apps.remove(&i.id.to_string()).unwrap_or_default();
    }
    Ok(())
}

/// Which pending invitation to read: by resource ID within a team (the API), or by the SHA-256 of
/// its acceptance secret (the invitee's link, which carries no team).
enum Lookup<'a> {
    Id(TeamId, InvitationId),
    Secret(&'a str),
}

async fn pending_in_tx(tx: &mut Tx, lookup: Lookup<'_>) -> Result<Invitation, StoreError> {
    let mut q = Dynamic::new(COLUMNS);
    let shown_id = match lookup {
        Lookup::Id(team, id) => {
            q.push("WHERE id = ").text(id.to_string()).push(" AND team_id = ").text(team.to_string());
            id.to_string()
        }
        Lookup::Secret(hash) => {
            q.push("WHERE secret_hash = ").text(hash.to_owned());
            // The secret is never echoed, not even in an error.
            "(link)".to_owned()
        }
    };
    q.push(" AND expires_at > ").int(now().unix_timestamp());
    let row = q
        .query()
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or(DomainError::NotFound { what: Resource::Invitation, id: shown_id })?;
    let mut found = [row_to_invitation(&row)?];
    attach_apps(&mut **tx, &mut found).await?;
    let [inv] = found;
    Ok(inv)
}

/// A write transaction on one of the team's pending invitations, by someone who manages members.
async fn managed_pending(
    store: &Store,
    team: TeamId,
    id: InvitationId,
    actor: &ActorContext,
) -> Result<(Tx, Invitation), StoreError> {
    let mut tx = store.begin_write().await?;
    lock_team(&mut tx, team).await?;
    member::may_manage_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
    let found = pending_in_tx(&mut tx, Lookup::Id(team, id)).await?;
    Ok((tx, found))
}

fn filters(q: &mut Dynamic, team: TeamId, f: &InvitationFilter) {
    q.push("WHERE team_id = ").text(team.to_string()).push(" AND expires_at > ").int(now().unix_timestamp());
    if !f.emails.is_empty() {
        q.push(" AND email IN ").text_list(&f.emails.iter().map(|e| e.to_lowercase()).collect::<Vec<_>>());
    }
    if !f.roles.is_empty() {
        q.push(" AND (");
        for (i, role) in f.roles.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("(',' || roles || ',') LIKE ").text(format!("%,{role},%"));
        }
        q.push(")");
    }
    if !f.visible_apps.is_empty() {
        q.push(" AND (all_apps_visible = TRUE OR EXISTS (SELECT 1 FROM invitation_apps ia WHERE ia.invitation_id = invitations.id AND ia.app_id IN ")
            .int_list(&f.visible_apps.iter().map(|a| a.0).collect::<Vec<_>>())
            .push("))");
    }
}

impl InvitationStore for Store {
    async fn create_invitation(
        &self,
        team: TeamId,
        new: NewInvitation,
        secret_hash: &str,
        actor: &ActorContext,
    ) -> Result<Invitation, StoreError> {
        let roles = invitation::roles_for_invitation(new.roles)?;
        let email = normalize_email(&new.email)?;
        let first = validate_person_name(&new.first_name)?;
        let last = validate_person_name(&new.last_name)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        member::may_manage_members(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        apps::ensure_team_apps(&mut tx, team, &new.visible_apps).await?;
        let member = sqlx::query(
            "SELECT 1 AS one FROM members m JOIN persons p ON p.id = m.person_id WHERE m.team_id = $1 AND p.email = $2",
        )
        .bind(team.to_string())
        .bind(email.clone())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend_error)?;
        if member.is_some() {
            return Err(DomainError::Conflict(format!("{email} is already a member of this team")).into());
        }
        // An expired invitation does not block a new one.
        sqlx::query("DELETE FROM invitations WHERE team_id = $1 AND email = $2 AND expires_at <= $3")
            .bind(team.to_string())
            .bind(email.clone())
            .bind(at.unix_timestamp())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        let pending = sqlx::query("SELECT 1 AS one FROM invitations WHERE team_id = $1 AND email = $2")
            .bind(team.to_string())
            .bind(email.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
        if pending.is_some() {
            return Err(DomainError::Conflict(format!("{email} already has a pending invitation")).into());
        }
        let id = InvitationId::random();
        let expires = at + invitation::VALIDITY;
        let row = invitation_rows::NewRow {
            id,
            team,
            email: &email,
            first_name: &first,
            last_name: &last,
            roles,
            individual_keys_by_default: new.individual_keys_by_default,
            all_apps_visible: new.all_apps_visible,
            provisioning_allowed: new.provisioning_allowed,
            visible_apps: &new.visible_apps,
            secret_hash,
            expires_at: expires,
        };
        invitation_rows::insert(&mut tx, row, at).await?;
        tx::audit(
            &mut tx,
            team,
            actor,
            AuditKind::InvitationCreated,
            Some(&email),
            &format!("invited with roles {roles}"),
            at,
        )
        .await?;
        let created = pending_in_tx(&mut tx, Lookup::Id(team, id)).await?;
        tx::commit(tx).await?;
        Ok(created)
    }

    async fn renew_invitation_secret(
        &self,
        team: TeamId,
        id: InvitationId,
        secret_hash: &str,
        actor: &ActorContext,
    ) -> Result<Invitation, StoreError> {
        let at = now();
        let (mut tx, found) = managed_pending(self, team, id, actor).await?;
        sqlx::query("UPDATE invitations SET secret_hash = $1 WHERE id = $2")
            .bind(secret_hash.to_owned())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        tx::audit(
            &mut tx,
            team,
            actor,
            AuditKind::InvitationCreated,
            Some(&found.email),
            "invitation link renewed",
            at,
        )
        .await?;
        tx::commit(tx).await?;
        Ok(found)
    }

    async fn invitation(&self, team: TeamId, id: InvitationId) -> Result<Invitation, StoreError> {
        let mut tx = self.begin().await?;
        let found = pending_in_tx(&mut tx, Lookup::Id(team, id)).await?;
        tx.rollback().await.map_err(backend_error)?;
        Ok(found)
    }

    async fn invitation_by_secret(&self, secret_hash: &str) -> Result<Invitation, StoreError> {
        let mut tx = self.begin().await?;
        let found = pending_in_tx(&mut tx, Lookup::Secret(secret_hash)).await?;
        tx.rollback().await.map_err(backend_error)?;
        Ok(found)
    }

    async fn list_invitations(
        &self,
        team: TeamId,
        filter: &InvitationFilter,
        page: &PageRequest<InvitationSort>,
    ) -> Result<Page<Invitation>, StoreError> {
        let mut count = Dynamic::new("SELECT COUNT(*) AS n FROM invitations ");
        filters(&mut count, team, filter);
        let total: i64 =
            convert::get(&count.query().fetch_one(&mut *self.conn().await?).await.map_err(backend_error)?, "n")?;
        let col = match page.sort {
            InvitationSort::Email => "email",
            InvitationSort::LastName => "last_name",
        };
        let mut q = Dynamic::new(COLUMNS);
        filters(&mut q, team, filter);
        if let Some(after) = &page.after {
            let op = if page.descending { "<" } else { ">" };
            q.push(&format!(" AND ({col}, id) {op} ("))
                .text(after.value.clone())
                .push(", ")
                .text(after.id.clone())
                .push(")");
        }
        let dir = if page.descending { "DESC" } else { "ASC" };
        q.push(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT ")).int(i64::from(page.limit) + 1);
        let rows = q.query().fetch_all(&mut *self.conn().await?).await.map_err(backend_error)?;
        let mut items = rows.iter().map(row_to_invitation).collect::<Result<Vec<_>, _>>()?;
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        attach_apps(&mut *self.conn().await?, &mut items).await?;
        let next = if more {
            items.last().map(|i| Keyset {
                value: match page.sort {
                    InvitationSort::Email => i.email.clone(),
                    InvitationSort::LastName => i.last_name.clone(),
                },
                id: i.id.to_string(),
            })
        } else {
            None
        };
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0), next })
    }

    async fn delete_invitation(&self, team: TeamId, id: InvitationId, actor: &ActorContext) -> Result<(), StoreError> {
        let at = now();
        let (mut tx, found) = managed_pending(self, team, id, actor).await?;
        sqlx::query("DELETE FROM invitations WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        tx::audit(&mut tx, team, actor, AuditKind::InvitationDeleted, Some(&found.email), "invitation deleted", at)
            .await?;
        tx::commit(tx).await
    }

    async fn accept_invitation(&self, secret_hash: &str, acceptance: Acceptance) -> Result<Member, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let found = pending_in_tx(&mut tx, Lookup::Secret(secret_hash)).await?;
        invitation::ensure_acceptable(&found, at)?;
        let team = found.team_id;
        let id = found.id;
        lock_team(&mut tx, team).await?;
        let person_id = match acceptance {
            Acceptance::NewPerson(person) => {
                let person = NewPerson { email: found.email.clone(), ..person };
                persons::create_new(&mut tx, &person, at).await?
            }
            Acceptance::SignedIn(person) => {
                persons::ensure_email(&mut tx, person, &found.email).await?;
                person
            }
        };
        let member_id = MemberId::random();
        // K6: the default grant on joining; K6b: only a grant the invitation names is explicit.
        let row = member_rows::NewRow {
            id: member_id,
            team,
            person: person_id,
            email: &found.email,
            roles: found.roles_on_joining(),
            // K6b: an invitation naming the permission grants it explicitly.
            individual_keys_explicit: found.grants_individual_keys_explicitly(),
            all_apps_visible: found.all_apps_visible,
            provisioning_allowed: found.provisioning_allowed,
            visible_apps: &found.visible_apps,
        };
        member_rows::insert(&mut tx, row, at).await?;
        // Single use: of two acceptances racing with one secret, only one deletes the row.
        let deleted = sqlx::query("DELETE FROM invitations WHERE id = $1 AND secret_hash = $2")
            .bind(id.to_string())
            .bind(secret_hash.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        if deleted.rows_affected() != 1 {
            return Err(DomainError::NotFound { what: Resource::Invitation, id: "(link)".into() }.into());
        }
        let actor =
            ActorContext { actor: keyward_core::actor::Actor::Member(member_id), label: found.email.clone(), ip: None };
        tx::audit(
            &mut tx,
            team,
            &actor,
            AuditKind::InvitationAccepted,
            Some(&found.email),
            &format!("joined with roles {}", found.roles),
            at,
        )
        .await?;
        tx::change(&mut tx, &Change::Member { team_id: team, member_id }, at).await?;
        let member = member_rows::in_tx(&mut tx, team, member_id).await?;
        tx::commit(tx).await?;
        Ok(member)
    }
}
