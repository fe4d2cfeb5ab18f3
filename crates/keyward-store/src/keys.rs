//! API keys: generation (K3, K5, K6; X2, X3), the single download (K9, K10), revocation (K11, K12),
//! rotation (X4) and the purge after retention (K13).

use std::collections::BTreeSet;

use keyward_core::access;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::audit::AuditKind;
use keyward_core::capability::{self, Capability};
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::expiry;
use keyward_core::ids::{KeyId, MemberId, TeamId};
use keyward_core::key::{self, ApiKey, KeyKind};
use keyward_core::key_event;
use keyward_core::member::{Member, may_generate_individual_key};
use keyward_core::ports::{KeyStore, KeyTerms, NewKey, Rotated};
use keyward_core::role::RoleSet;
use keyward_core::rotation;
use keyward_core::team::Team;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::key_rows::key_in_tx;
use crate::tx::{self, Tx, lock_team, now};
use crate::{Store, convert, key_events, key_rows};

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// What a new key will be, once its caller's rules passed.
struct Shape {
    kind: KeyKind,
    name: String,
    roles: RoleSet,
    member: Option<MemberId>,
    /// X1: keeps a rotated key manager's capability (see `capability::successor_keeps_key_manager`).
    key_manager: bool,
    /// The audit entry's text.
    detail: String,
}

async fn member_in_tx(tx: &mut Tx, team: TeamId, member: MemberId) -> Result<Member, StoreError> {
    let row = sqlx::query(select_member!("WHERE m.id = $1 AND m.team_id = $2"))
        .bind(member.to_string())
        .bind(team.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NotFound { what: Resource::Member, id: member.to_string() })?;
    convert::member(&row)
}

/// K5: the team's working team keys, counted under the team's lock. A key that has expired (X3) or
/// is being rotated out (X4) holds no place.
async fn ensure_team_key_capacity(tx: &mut Tx, team: TeamId, max: u32, at: OffsetDateTime) -> Result<(), StoreError> {
    let active: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM api_keys WHERE team_id = $1 AND kind = 'team' AND revoked_at IS NULL \
         AND revoke_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(team.to_string())
    .bind(at.unix_timestamp())
    .fetch_one(&mut **tx)
    .await
    .map_err(backend_error)?
    .try_get("n")
    .map_err(backend_error)?;
    Ok(key::ensure_team_key_capacity(u64::try_from(active).unwrap_or(0), max)?)
}

/// K6: one individual key per member. One that has expired (X3) makes way: it is revoked here,
/// audited, so the member can have a working key again.
async fn make_way_for_individual_key(
    tx: &mut Tx,
    team: TeamId,
    member: MemberId,
    actor: &ActorContext,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let existing = sqlx::query(
        "SELECT id, expires_at FROM api_keys WHERE member_id = $1 AND kind = 'individual' \
         AND revoked_at IS NULL AND revoke_at IS NULL",
    )
    .bind(member.to_string())
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend_error)?;
    let Some(row) = existing else { return Ok(()) };
    let expired = convert::get::<Option<i64>>(&row, "expires_at")?.is_some_and(|e| e <= at.unix_timestamp());
    if !expired {
        return Err(DomainError::IndividualKeyExists.into());
    }
    let id: String = convert::get(&row, "id")?;
    sqlx::query("UPDATE api_keys SET revoked_at = $1, revoked_by_label = $2 WHERE id = $3 AND revoked_at IS NULL")
        .bind(at.unix_timestamp())
        .bind(actor.label.clone())
        .bind(id.clone())
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
    let detail = "expired individual key revoked to make way for a new one";
    tx::audit(tx, team, actor, AuditKind::KeyRevoked, Some(&id), detail, at).await?;
    let key_id = KeyId::parse(&id).map_err(|e| StoreError::Backend(e.to_string()))?;
    let revoked = key_in_tx(tx, team, &key_id).await?;
    key_events::emit(tx, team, key_event::REVOKED, &revoked, &actor.label, at).await?;
    tx::change(tx, &Change::KeyRevoked { team_id: team, key_id }, at).await
}

/// Writes a key whose rules passed: its expiry settled against the team's cap (X3), its uploaded
/// public key (X2) or none (K9), audited; a key with a public key works at once on every node.
#[allow(clippy::too_many_arguments)]
async fn insert_key(
    tx: &mut Tx,
    team: &Team,
    key_id: &KeyId,
    shape: Shape,
    terms: KeyTerms,
    replaces: Option<&KeyId>,
    actor: &ActorContext,
    at: OffsetDateTime,
) -> Result<ApiKey, StoreError> {
    let expires_at = expiry::settle_expiry(terms.expires_at, team.max_key_lifetime_days, at)?;
    // K8: Key IDs are unique across the installation; a drawn ID already in use is redrawn.
    let id_taken = sqlx::query("SELECT 1 AS one FROM api_keys WHERE id = $1")
        .bind(key_id.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .is_some();
    if id_taken {
        return Err(DomainError::KeyIdTaken(key_id.to_string()).into());
    }
    let (created_by_member, created_by_key) = match &actor.actor {
        Actor::Member(m) => (Some(*m), None),
        Actor::KeyManager { key_id } => (None, Some(key_id)),
        Actor::Operator | Actor::TeamKey { .. } => (None, None),
    };
    if terms.public_key.is_some() {
        key::may_set_pair(&actor.actor, shape.kind)?;
    }
    let uploaded = terms.public_key.is_some() && !terms.handed_over;
    let row = key_rows::NewRow {
        id: key_id,
        team: team.id,
        kind: shape.kind,
        name: &shape.name,
        roles: shape.roles,
        member: shape.member,
        created_by_member,
        created_by_key,
        created_by_label: &actor.label,
        public_key: terms.public_key.as_deref(),
        expires_at,
        replaces,
        uploaded,
        key_manager: shape.key_manager,
    };
    // The Key ID was drawn by a concurrent transaction (K8), or K6's partial unique index caught
    // what the check above, under the team's lock, already refuses. Either way the caller draws
    // again, and the next attempt names the real reason.
    key_rows::insert(tx, row, at).await?.or_taken(|| StoreError::Rule(DomainError::KeyIdTaken(key_id.to_string())))?;
    let mut detail = shape.detail;
    if uploaded {
        detail.push_str(" from an uploaded public key");
    }
    if let Some(e) = expires_at {
        detail.push_str(&format!(", expiring at {}", rfc3339(e)));
    }
    tx::audit(tx, team.id, actor, AuditKind::KeyGenerated, Some(key_id.as_str()), &detail, at).await?;
    if terms.handed_over {
        let detail = "private key handed over in the answer to its creation (the only time)";
        tx::audit(tx, team.id, actor, AuditKind::KeyDownloaded, Some(key_id.as_str()), detail, at).await?;
    }
    if terms.public_key.is_some() {
        tx::change(tx, &Change::KeyDownloaded { team_id: team.id, key_id: key_id.clone() }, at).await?;
    }
    let created = key_in_tx(tx, team.id, key_id).await?;
    key_events::emit(tx, team.id, key_event::CREATED, &created, &actor.label, at).await?;
    if terms.handed_over {
        key_events::emit(tx, team.id, key_event::DOWNLOADED, &created, &actor.label, at).await?;
    }
    Ok(created)
}

impl Store {
    /// X4: records one due revocation, unless another node's sweep did. `None` when it had.
    async fn revoke_one_rotated_out(
        &self,
        row: &sqlx::any::AnyRow,
        now: OffsetDateTime,
    ) -> Result<Option<ApiKey>, StoreError> {
        let id = KeyId::parse(&convert::get::<String>(row, "id")?).map_err(|e| StoreError::Backend(e.to_string()))?;
        let team: TeamId = convert::parsed(row, "team_id")?;
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        // Every node's sweep may find the key due; the condition lets one of them record it.
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = revoke_at WHERE id = $1 AND revoked_at IS NULL AND revoke_at <= $2",
        )
        .bind(id.to_string())
        .bind(now.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let key = key_in_tx(&mut tx, team, &id).await?;
        let detail = format!("{} key '{}' revoked: its rotation's grace period ended", key.kind, key.name);
        let system = ActorContext { actor: Actor::Operator, label: "keyward (rotation)".into(), ip: None };
        tx::audit(&mut tx, team, &system, AuditKind::KeyRevoked, Some(id.as_str()), &detail, now).await?;
        tx::change(&mut tx, &Change::KeyRevoked { team_id: team, key_id: id.clone() }, now).await?;
        key_events::emit(&mut tx, team, key_event::REVOKED, &key, &system.label, now).await?;
        tx::commit(tx).await?;
        Ok(Some(key))
    }
}

impl KeyStore for Store {
    async fn generate_key_with(
        &self,
        team: TeamId,
        key_id: KeyId,
        new: NewKey,
        terms: KeyTerms,
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
        let shape = match new {
            NewKey::Team { name, roles } => {
                key::may_generate_team_key(&actor.actor, actor_roles.unwrap_or_default())?;
                let name = key::validate_key_name(&name)?;
                let roles = key::validate_team_key_roles(roles)?;
                ensure_team_key_capacity(&mut tx, team, max_active_team_keys, at).await?;
                let detail = format!("team key '{name}' generated with roles {roles}");
                Shape { kind: KeyKind::Team, name, roles, member: None, key_manager: false, detail }
            }
            NewKey::Individual { member_id } => {
                key::may_generate_individual_key_for(&actor.actor, member_id)?;
                let owner = member_in_tx(&mut tx, team, member_id).await?;
                may_generate_individual_key(owner.roles)?;
                make_way_for_individual_key(&mut tx, team, member_id, actor, at).await?;
                let name = format!("{} {}", owner.first_name, owner.last_name).trim().to_owned();
                let name = if name.is_empty() { owner.email.clone() } else { name };
                let detail = format!("individual key generated for {}", owner.email);
                let member = Some(member_id);
                Shape { kind: KeyKind::Individual, name, roles: RoleSet::EMPTY, member, key_manager: false, detail }
            }
        };
        let created = insert_key(&mut tx, &locked, &key_id, shape, terms, None, actor, at).await?;
        tx::commit(tx).await?;
        Ok(created)
    }

    async fn rotate_key(
        &self,
        team: TeamId,
        predecessor: &KeyId,
        successor_id: KeyId,
        grace: time::Duration,
        terms: KeyTerms,
        max_active_team_keys: u32,
        actor: &ActorContext,
    ) -> Result<Rotated, StoreError> {
        key::ensure_generated_by_a_person(&actor.actor)?;
        let grace = rotation::validate_grace(grace)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let locked = lock_team(&mut tx, team).await?;
        access::ensure_approved(locked.access)?;
        let roles = tx::actor_roles(&mut tx, team, &actor.actor).await?.unwrap_or_default();
        let current = key_in_tx(&mut tx, team, predecessor).await?;
        rotation::may_rotate(&current, &actor.actor, roles, at)?;
        // One hand-over at a time: while this key's own predecessor still works, rotating it again
        // would keep a chain of keys working beside each other, none holding a place (K5, K6).
        if let Some(older) = &current.replaces {
            let in_grace = sqlx::query(
                "SELECT revoke_at FROM api_keys WHERE id = $1 AND revoked_at IS NULL AND revoke_at IS NOT NULL",
            )
            .bind(older.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
            if let Some(row) = in_grace {
                let until = convert::time(convert::get(&row, "revoke_at")?)?;
                return Err(DomainError::PredecessorInGrace { key: older.to_string(), until: rfc3339(until) }.into());
            }
        }
        if let Some(member) = current.member_id {
            may_generate_individual_key(member_in_tx(&mut tx, team, member).await?.roles)?;
        }
        // The predecessor steps aside first: it no longer holds its member's one individual key
        // (K6) nor a team key's place (K5), so the successor fits wherever it did.
        let ends = if grace.is_zero() { at } else { at + grace };
        let step_aside = if grace.is_zero() {
            "UPDATE api_keys SET revoked_at = $1, revoked_by_label = $2 \
             WHERE id = $3 AND team_id = $4 AND revoked_at IS NULL AND revoke_at IS NULL"
        } else {
            "UPDATE api_keys SET revoke_at = $1, revoked_by_label = $2 \
             WHERE id = $3 AND team_id = $4 AND revoked_at IS NULL AND revoke_at IS NULL"
        };
        let stepped_aside = sqlx::query(step_aside)
            .bind(ends.unix_timestamp())
            .bind(format!("{} (rotation)", actor.label))
            .bind(predecessor.to_string())
            .bind(team.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        if stepped_aside.rows_affected() != 1 {
            return Err(DomainError::AlreadyRotating(predecessor.to_string()).into());
        }
        if current.kind == KeyKind::Team {
            ensure_team_key_capacity(&mut tx, team, max_active_team_keys, at).await?;
        }
        let shape = Shape {
            kind: current.kind,
            name: current.name.clone(),
            roles: current.roles,
            member: current.member_id,
            key_manager: capability::successor_keeps_key_manager(&current, &actor.actor),
            detail: format!("{} key '{}' generated as the successor of {predecessor}", current.kind, current.name),
        };
        let successor = insert_key(&mut tx, &locked, &successor_id, shape, terms, Some(predecessor), actor, at).await?;
        let detail = if grace.is_zero() {
            format!("rotated to {successor_id}; revoked at once")
        } else {
            format!("rotated to {successor_id}; revoked when the grace period ends at {}", rfc3339(ends))
        };
        tx::audit(&mut tx, team, actor, AuditKind::KeyRotated, Some(predecessor.as_str()), &detail, at).await?;
        if grace.is_zero() {
            let detail = format!("{} key '{}' revoked: rotated to {successor_id}", current.kind, current.name);
            tx::audit(&mut tx, team, actor, AuditKind::KeyRevoked, Some(predecessor.as_str()), &detail, at).await?;
        }
        // Every node re-reads the predecessor: dropped if revoked, refused from `ends` if not.
        tx::change(&mut tx, &Change::KeyRevoked { team_id: team, key_id: predecessor.clone() }, at).await?;
        let predecessor = key_in_tx(&mut tx, team, predecessor).await?;
        if grace.is_zero() {
            key_events::emit(&mut tx, team, key_event::REVOKED, &predecessor, &actor.label, at).await?;
        }
        tx::commit(tx).await?;
        Ok(Rotated { predecessor, successor })
    }

    async fn revoke_rotated_out(&self, now: OffsetDateTime) -> Result<Vec<ApiKey>, StoreError> {
        let due = sqlx::query(
            "SELECT id, team_id FROM api_keys WHERE revoke_at IS NOT NULL AND revoked_at IS NULL AND revoke_at <= $1",
        )
        .bind(now.unix_timestamp())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        let mut revoked = Vec::new();
        let mut failed = None;
        for row in due {
            // One key that cannot be revoked (a corrupt row) must not hold back the others.
            match self.revoke_one_rotated_out(&row, now).await {
                Ok(Some(key)) => revoked.push(key),
                Ok(None) => {}
                Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                Err(e) => failed = Some(e),
            }
        }
        match failed {
            Some(e) if revoked.is_empty() => Err(e),
            _ => Ok(revoked),
        }
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
        key::may_download(&current, &actor.actor, at)?;
        // K9: the conditional update is what makes the download single, whatever ran concurrently.
        let won = sqlx::query(
            "UPDATE api_keys SET public_key = $1, downloaded_at = $2 \
             WHERE id = $3 AND team_id = $4 AND downloaded_at IS NULL AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)",
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
        key_events::emit(&mut tx, team, key_event::DOWNLOADED, &downloaded, &actor.label, at).await?;
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
            "WHERE team_id = $1 AND (revoked_at IS NULL OR revoked_at > $2) AND (expires_at IS NULL OR expires_at > $2) \
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
            let key = key_in_tx(&mut tx, team, id).await?;
            key_events::emit(&mut tx, team, key_event::REVOKED, &key, &actor.label, at).await?;
            revoked.push(key);
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

    async fn set_key_capability(
        &self,
        team: TeamId,
        key_id: &KeyId,
        capability: Capability,
        grant: bool,
        actor: &ActorContext,
    ) -> Result<ApiKey, StoreError> {
        self.write_key_capability(team, key_id, capability, grant, actor).await
    }

    async fn purge_revoked(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        // X2: a purged key's public half is kept, so its pair never works again under a new ID.
        sqlx::query(
            "INSERT INTO retired_public_keys (public_key, retired_at) \
             SELECT public_key, $1 FROM api_keys WHERE public_key IS NOT NULL \
             AND ((revoked_at IS NOT NULL AND revoked_at <= $1) OR (expires_at IS NOT NULL AND expires_at <= $1)) \
             ON CONFLICT (public_key) DO NOTHING",
        )
        .bind(cutoff.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        // Expired keys were never revoked, so every node's verifier still holds them (refusing
        // them): the feed tells the nodes to let go.
        let expired = sqlx::query(
            "SELECT id, team_id FROM api_keys WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1",
        )
        .bind(cutoff.unix_timestamp())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend_error)?;
        let at = now();
        for row in &expired {
            let key_id =
                KeyId::parse(&convert::get::<String>(row, "id")?).map_err(|e| StoreError::Backend(e.to_string()))?;
            tx::change(&mut tx, &Change::KeyRevoked { team_id: convert::parsed(row, "team_id")?, key_id }, at).await?;
        }
        let done = sqlx::query(
            "DELETE FROM api_keys WHERE (revoked_at IS NOT NULL AND revoked_at <= $1) \
             OR (expires_at IS NOT NULL AND expires_at <= $1)",
        )
        .bind(cutoff.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(backend_error)?;
        tx::commit(tx).await?;
        Ok(done.rows_affected())
    }
}
