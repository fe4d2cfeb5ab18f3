//! X5: the deliveries of a key event to each of the team's key webhooks that takes it, written in
//! the transaction of the change they report (the outbox of F5): an event is never lost to a
//! crash, nor sent for a change that rolled back.

use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::KeyId;
use keyward_core::ids::TeamId;
use keyward_core::key::ApiKey;
use keyward_core::resource::Resource;
use keyward_core::{expiry, key_event, webhook};
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::tx::{self, Tx, lock_team, now};
use crate::{Store, convert, resource_rows, resources};

/// Writes the deliveries of `event` about `key`, done by `actor` (the audit log's name). A
/// revocation's are always written: a team at its cap of resources must still be able to revoke a
/// key, and hear of it. Other events are skipped, with a warning, while the team is at its cap,
/// so a loop of creations cannot grow the team's rows past it.
pub(crate) async fn emit(
    tx: &mut Tx,
    team: TeamId,
    event: &str,
    key: &ApiKey,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    emit_with(tx, team, event, key, actor, at, serde_json::Map::new()).await
}

/// [`emit`] with more `data` in the body.
async fn emit_with(
    tx: &mut Tx,
    team: TeamId,
    event: &str,
    key: &ApiKey,
    actor: &str,
    at: OffsetDateTime,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<(), StoreError> {
    let hooks = resource_rows::of_kind(tx, team, key_event::WEBHOOK_KIND).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    if event != key_event::REVOKED && resource_rows::count(tx, team).await? >= resource_rows::MAX_PER_TEAM {
        tracing::warn!(%team, event, key = %key.id, "the team is at its cap of resources: this key event is not sent");
        return Ok(());
    }
    let stamp = at
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    for hook in hooks.iter().filter(|h| key_event::takes(h, event)) {
        let body = key_event::payload(event, key, actor, at, extra.clone());
        // The delivery's ID is the message's `webhook-id`, the same on every retry.
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let delivery = webhook::delivery(team, id, hook, body, at, &stamp, false);
        // Not through `insert_in`: the cap is settled above, and the hook this links to was read
        // in this transaction.
        resource_rows::insert(tx, &delivery)
            .await?
            .or_taken(|| StoreError::Backend(format!("delivery {} exists", delivery.id)))?;
        let change = Change::Resource { team_id: team, resource_type: delivery.kind, id: delivery.id };
        tx::change(tx, &change, at).await?;
    }
    Ok(())
}

impl Store {
    /// Adds a key webhook, audited in the same transaction (it will receive the team's key
    /// activity, members' emails included).
    pub async fn add_key_webhook(&self, hook: Resource, actor: &ActorContext) -> Result<Resource, StoreError> {
        let at = now();
        let team = hook.team_id;
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        key_event::may_manage_webhooks(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        let url = hook.attributes.get("url").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        // Counted under the team's lock: racing adds cannot pass the cap together.
        let existing = resource_rows::of_kind(&mut tx, team, key_event::WEBHOOK_KIND).await?;
        if existing.len() >= key_event::MAX_WEBHOOKS as usize {
            return Err(DomainError::KeyWebhookLimit { max: key_event::MAX_WEBHOOKS }.into());
        }
        let made = resources::insert_in(&mut tx, hook).await?;
        let detail = format!("key events posted to {url}");
        tx::audit(&mut tx, team, actor, AuditKind::KeyWebhookAdded, Some(&made.id), &detail, at).await?;
        let change = Change::Resource { team_id: team, resource_type: made.kind.clone(), id: made.id.clone() };
        tx::change(&mut tx, &change, at).await?;
        tx::commit(tx).await?;
        Ok(made)
    }

    /// The key webhooks of `team`, oldest first.
    pub async fn key_webhooks(&self, team: TeamId) -> Result<Vec<Resource>, StoreError> {
        let mut tx = sqlx::Transaction::begin(self.conn().await?, None).await.map_err(backend_error)?;
        let mut hooks = resource_rows::of_kind(&mut tx, team, key_event::WEBHOOK_KIND).await?;
        hooks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(hooks)
    }

    /// Removes a key webhook of `team`, audited; its pending deliveries fail as "deleted".
    pub async fn remove_key_webhook(&self, team: TeamId, id: &str, actor: &ActorContext) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        key_event::may_manage_webhooks(tx::actor_roles(&mut tx, team, &actor.actor).await?)?;
        if !resource_rows::delete(&mut tx, team, key_event::WEBHOOK_KIND, id).await? {
            return Err(DomainError::NoSuchResource { kind: key_event::WEBHOOK_KIND.into(), id: id.to_owned() }.into());
        }
        tx::audit(
            &mut tx,
            team,
            actor,
            AuditKind::KeyWebhookRemoved,
            Some(id),
            "key events no longer posted there",
            at,
        )
        .await?;
        let change =
            Change::Resource { team_id: team, resource_type: key_event::WEBHOOK_KIND.into(), id: id.to_owned() };
        tx::change(&mut tx, &change, at).await?;
        tx::commit(tx).await
    }
}

impl Store {
    /// X5: announces, once across nodes, each working key whose expiry is within
    /// [`expiry::EXPIRING_NOTICE`] (`key.expiring`) or has passed (`key.expired`; a key that
    /// expired before its notice was sent gets this one only). Returns how many were announced.
    pub async fn announce_key_ends(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let notice = (now + expiry::EXPIRING_NOTICE).unix_timestamp();
        let due = sqlx::query(
            "SELECT id, team_id, expires_at FROM api_keys WHERE revoked_at IS NULL AND expires_at IS NOT NULL \
             AND expired_announced_at IS NULL AND (expires_at <= $2 OR (expiring_announced_at IS NULL AND expires_at <= $1)) \
             ORDER BY expires_at LIMIT 100",
        )
        .bind(notice)
        .bind(now.unix_timestamp())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        let mut announced = 0;
        for row in due {
            let id =
                KeyId::parse(&convert::get::<String>(&row, "id")?).map_err(|e| StoreError::Backend(e.to_string()))?;
            let team: TeamId = convert::parsed(&row, "team_id")?;
            let expired = convert::get::<i64>(&row, "expires_at")? <= now.unix_timestamp();
            if self.announce_key_end(team, &id, expired, now).await? {
                announced += 1;
            }
        }
        Ok(announced)
    }

    /// One announcement, recorded by a conditional update so that only one node sends it.
    async fn announce_key_end(
        &self,
        team: TeamId,
        id: &KeyId,
        expired: bool,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let update = if expired {
            "UPDATE api_keys SET expired_announced_at = $1, expiring_announced_at = COALESCE(expiring_announced_at, $1) \
             WHERE id = $2 AND expired_announced_at IS NULL AND revoked_at IS NULL"
        } else {
            "UPDATE api_keys SET expiring_announced_at = $1 \
             WHERE id = $2 AND expiring_announced_at IS NULL AND revoked_at IS NULL"
        };
        let won = sqlx::query(update)
            .bind(now.unix_timestamp())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        if won.rows_affected() != 1 {
            return Ok(false);
        }
        let key = crate::key_rows::key_in_tx(&mut tx, team, id).await?;
        let event = if expired { key_event::EXPIRED } else { key_event::EXPIRING };
        emit(&mut tx, team, event, &key, key_event::EXPIRY_ACTOR, now).await?;
        tx::commit(tx).await?;
        Ok(true)
    }
}

impl Store {
    /// X5: for each of `keys` that was refused [`key_event::BURST_FAILURES`] times or more within
    /// the last [`key_event::BURST_WINDOW_SECONDS`], announces `key.authentication_failures`, at
    /// most once per key every [`key_event::BURST_QUIET_SECONDS`] across nodes. Called after the
    /// failures are recorded; its own failure loses an announcement, never a record.
    pub(crate) async fn announce_failure_bursts(&self, keys: &[&KeyId], now: OffsetDateTime) -> Result<(), StoreError> {
        let since = now.unix_timestamp() - key_event::BURST_WINDOW_SECONDS;
        for key_id in keys {
            let row = sqlx::query(
                "SELECT k.team_id, COUNT(f.seq) AS n FROM api_keys k JOIN auth_failures f ON f.key_id = k.id \
                 WHERE k.id = $1 AND f.at > $2 GROUP BY k.team_id",
            )
            .bind(key_id.to_string())
            .bind(since)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
            let Some(row) = row else { continue };
            let failures: i64 = convert::get(&row, "n")?;
            if failures < key_event::BURST_FAILURES {
                continue;
            }
            let team: TeamId = convert::parsed(&row, "team_id")?;
            let mut tx = self.begin_write().await?;
            lock_team(&mut tx, team).await?;
            let won = sqlx::query(
                "UPDATE api_keys SET failures_announced_at = $1 WHERE id = $2 \
                 AND (failures_announced_at IS NULL OR failures_announced_at <= $3)",
            )
            .bind(now.unix_timestamp())
            .bind(key_id.to_string())
            .bind(now.unix_timestamp() - key_event::BURST_QUIET_SECONDS)
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
            if won.rows_affected() != 1 {
                continue;
            }
            let key = crate::key_rows::key_in_tx(&mut tx, team, key_id).await?;
            let mut extra = serde_json::Map::new();
            extra.insert("failures".into(), failures.into());
            extra.insert("windowSeconds".into(), key_event::BURST_WINDOW_SECONDS.into());
            let event = key_event::AUTHENTICATION_FAILURES;
            emit_with(&mut tx, team, event, &key, key_event::FAILURES_ACTOR, now, extra).await?;
            tx::commit(tx).await?;
        }
        Ok(())
    }
}
