//! API keys: generation (K3, K5, K6), the single download (K9, K10), revocation (K11, K12) and the
//! purge after retention (K13).

use std::collections::BTreeSet;

use keyward_core::access;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{KeyId, TeamId};
use keyward_core::key::{self, ApiKey, KeyKind};
use keyward_core::member::may_generate_individual_key;
use keyward_core::ports::{KeyStore, NewKey};
use keyward_core::role::RoleSet;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::tx::{self, Tx, lock_team, now};
use crate::{Store, convert, key_rows};

async fn key_in_tx(tx: &mut Tx, team: TeamId, id: &KeyId) -> Result<ApiKey, StoreError> {
    let row = sqlx::query(select_key!("WHERE id = $1 AND team_id = $2"))
        .bind(id.to_string())
        .bind(team.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NotFound { what: Resource::Key, id: id.to_string() })?;
    convert::key(&row)
}

impl KeyStore for Store {
    async fn generate_key(
        &self,
        team: TeamId,
        key_id: KeyId,
        new: NewKey,
        max_active_team_keys: u32,
        actor: &ActorContext,
    ) -> Result<ApiKey, StoreError> {
        key::ensure_generated_by_a_person(&actor.actor)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        // The team row lock serializes every generation of this team: the count below and the
        // insert cannot interleave with another generation's (K5, K6).
        let locked = lock_team(&mut tx, team).await?;
        access::ensure_approved(locked.access)?;
        let actor_roles = tx::actor_roles(&mut tx, team, &actor.actor).await?;
        let (kind, name, roles, member_id, detail) = match new {
            NewKey::Team { name, roles } => {
                key::may_generate_team_key(&actor.actor, actor_roles.unwrap_or_default())?;
                let name = key::validate_key_name(&name)?;
                let roles = key::validate_team_key_roles(roles)?;
                let active: i64 = sqlx::query(
                    "SELECT COUNT(*) AS n FROM api_keys WHERE team_id = $1 AND kind = 'team' AND revoked_at IS NULL",
                )
                .bind(team.to_string())
                .fetch_one(&mut *tx)
                .await
                .map_err(backend_error)?
                .try_get("n")
                .map_err(backend_error)?;
                key::ensure_team_key_capacity(u64::try_from(active).unwrap_or(0), max_active_team_keys)?;
                let detail = format!("team key '{name}' generated with roles {roles}");
                (KeyKind::Team, name, roles, None, detail)
            }
            NewKey::Individual { member_id } => {
                key::may_generate_individual_key_for(&actor.actor, member_id)?;
                let row = sqlx::query(select_member!("WHERE m.id = $1 AND m.team_id = $2"))
                    .bind(member_id.to_string())
                    .bind(team.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend_error)?
                    .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: member_id.to_string() })?;
                let owner = convert::member(&row)?;
                may_generate_individual_key(owner.roles)?;
                let existing = sqlx::query(
                    "SELECT 1 AS one FROM api_keys WHERE member_id = $1 AND kind = 'individual' AND revoked_at IS NULL",
                )
                .bind(member_id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend_error)?;
                if existing.is_some() {
                    return Err(DomainError::IndividualKeyExists.into());
                }
                let name = format!("{} {}", owner.first_name, owner.last_name).trim().to_owned();
                let name = if name.is_empty() { owner.email.clone() } else { name };
                let detail = format!("individual key generated for {}", owner.email);
                (KeyKind::Individual, name, RoleSet::EMPTY, Some(member_id), detail)
            }
        };
        let created_by_member = match &actor.actor {
            Actor::Member(m) => Some(*m),
            Actor::Operator | Actor::TeamKey { .. } => None,
        };
        // K8: Key IDs are unique across the installation; a drawn ID already in use is redrawn.
        let id_taken = sqlx::query("SELECT 1 AS one FROM api_keys WHERE id = $1")
            .bind(key_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?
            .is_some();
        if id_taken {
            return Err(DomainError::KeyIdTaken(key_id.to_string()).into());
        }
        let row = key_rows::NewRow {
            id: &key_id,
            team,
            kind,
            name: &name,
            roles,
            member: member_id,
            created_by_member,
            created_by_label: &actor.label,
            public_key: None,
        };
        // The Key ID was drawn by a concurrent transaction (K8), or K6's partial unique index caught
        // what the check above, under the team's lock, already refuses. Either way the caller draws
        // again, and the next attempt names the real reason.
        key_rows::insert(&mut tx, row, at)
            .await?
            .or_taken(|| StoreError::Rule(DomainError::KeyIdTaken(key_id.to_string())))?;
        tx::audit(&mut tx, team, actor, AuditKind::KeyGenerated, Some(key_id.as_str()), &detail, at).await?;
        let created = key_in_tx(&mut tx, team, &key_id).await?;
        tx::commit(tx).await?;
        Ok(created)
    }

    async fn record_download(
        &self,
        team: TeamId,
        key_id: &KeyId,
        public_key: &[u8],
        actor: &ActorContext,
    ) -> Result<ApiKey, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        // The team first, as every rule-bearing write: a revocation of several keys holds the team
        // and the feed lock, and must not find this key's row locked by a download waiting for it.
        lock_team(&mut tx, team).await?;
        let current = key_in_tx(&mut tx, team, key_id).await?;
        key::may_download(&current, &actor.actor)?;
        // K9: the conditional update is what makes the download single, whatever ran concurrently.
        let won = sqlx::query(
            "UPDATE api_keys SET public_key = $1, downloaded_at = $2 \
             WHERE id = $3 AND team_id = $4 AND downloaded_at IS NULL AND revoked_at IS NULL",
        )
        .bind(public_key.to_vec())
        .bind(at.unix_timestamp())
        .bind(key_id.to_string())
        .bind(team.to_string())
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        if won.rows_affected() != 1 {
            return Err(DomainError::AlreadyDownloaded(key_id.to_string()).into());
        }
        tx::audit(
            &mut tx,
            team,
            actor,
            AuditKind::KeyDownloaded,
            Some(key_id.as_str()),
            "private key downloaded (the only time)",
            at,
        )
        .await?;
        tx::change(&mut tx, &Change::KeyDownloaded { team_id: team, key_id: key_id.clone() }, at).await?;
        let downloaded = key_in_tx(&mut tx, team, key_id).await?;
        tx::commit(tx).await?;
        Ok(downloaded)
    }

    async fn key(&self, key_id: &KeyId) -> Result<ApiKey, StoreError> {
        let row = sqlx::query(select_key!("WHERE id = $1"))
            .bind(key_id.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .ok_or_else(|| DomainError::NotFound { what: Resource::Key, id: key_id.to_string() })?;
        convert::key(&row)
    }

    async fn public_key(&self, key_id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT public_key FROM api_keys WHERE id = $1 AND revoked_at IS NULL")
            .bind(key_id.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        match row {
            Some(row) => convert::get::<Option<Vec<u8>>>(&row, "public_key"),
            None => Ok(None),
        }
    }

    async fn keys(&self, team: TeamId, now: OffsetDateTime, retention_days: u32) -> Result<Vec<ApiKey>, StoreError> {
        let cutoff = key::purge_cutoff(now, retention_days).unix_timestamp();
        let rows = sqlx::query(select_key!(
            "WHERE team_id = $1 AND (revoked_at IS NULL OR revoked_at > $2) \
             ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, created_at, id"
        ))
        .bind(team.to_string())
        .bind(cutoff)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        rows.iter().map(convert::key).collect()
    }

    async fn revoke_keys(&self, team: TeamId, ids: &[KeyId], actor: &ActorContext) -> Result<Vec<ApiKey>, StoreError> {
        let ids: BTreeSet<&KeyId> = ids.iter().collect();
        if ids.is_empty() {
            return Err(DomainError::InvalidInput("name at least one key to revoke".into()).into());
        }
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let roles = tx::actor_roles(&mut tx, team, &actor.actor).await?.unwrap_or_default();
        let mut revoked = Vec::with_capacity(ids.len());
        for id in ids {
            let current = key_in_tx(&mut tx, team, id).await?;
            key::may_revoke(&current, &actor.actor, roles)?;
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1, revoked_by_label = $2 WHERE id = $3 AND revoked_at IS NULL",
            )
            .bind(at.unix_timestamp())
            .bind(actor.label.clone())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
            let detail = format!("{} key '{}' revoked", current.kind, current.name);
            tx::audit(&mut tx, team, actor, AuditKind::KeyRevoked, Some(id.as_str()), &detail, at).await?;
            tx::change(&mut tx, &Change::KeyRevoked { team_id: team, key_id: id.clone() }, at).await?;
            revoked.push(key_in_tx(&mut tx, team, id).await?);
        }
        tx::commit(tx).await?;
        Ok(revoked)
    }

    async fn record_last_used(&self, uses: &[(KeyId, OffsetDateTime)]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (id, at) in uses {
            let minute = key::truncate_to_minute(*at).unix_timestamp();
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(minute)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        }
        tx::commit(tx).await
    }

    async fn purge_revoked(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM api_keys WHERE revoked_at IS NOT NULL AND revoked_at <= $1")
            .bind(cutoff.unix_timestamp())
            .execute(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        Ok(done.rows_affected())
    }
}
