//! X1: granting and withdrawing `KEY_MANAGER` (a key manager's standing in each write it makes is
//! `tx::key_manager_roles`).

use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::capability::{self, Capability};
use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ids::{KeyId, TeamId};
use keyward_core::key::ApiKey;

use crate::Store;
use crate::error::backend_error;
use crate::key_rows::key_in_tx;
use crate::tx::{self, lock_team, now};

impl Store {
    /// Grants (`grant`) or withdraws `capability` on a key of `team`. Idempotent: asking for the
    /// state a key is in writes nothing and audits nothing. Every node re-reads the key before
    /// this returns on the node that wrote it (the caller applies the change), and soon after
    /// elsewhere.
    pub(crate) async fn write_key_capability(
        &self,
        team: TeamId,
        key_id: &KeyId,
        capability: Capability,
        grant: bool,
        actor: &ActorContext,
    ) -> Result<ApiKey, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let roles = tx::actor_roles(&mut tx, team, &actor.actor).await?.unwrap_or_default();
        capability::may_grant(&actor.actor, roles)?;
        let current = key_in_tx(&mut tx, team, key_id).await?;
        let Capability::KeyManager = capability;
        if current.key_manager == grant {
            return Ok(current);
        }
        if grant {
            capability::may_hold_key_manager(&current, at)?;
        }
        sqlx::query("UPDATE api_keys SET key_manager = $1 WHERE id = $2 AND team_id = $3")
            .bind(grant)
            .bind(key_id.to_string())
            .bind(team.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        let detail =
            format!("{capability} {} team key '{}'", if grant { "granted to" } else { "withdrawn from" }, current.name);
        tx::audit(&mut tx, team, actor, AuditKind::KeyCapabilityChanged, Some(key_id.as_str()), &detail, at).await?;
        tx::change(&mut tx, &Change::KeyDownloaded { team_id: team, key_id: key_id.clone() }, at).await?;
        let changed = key_in_tx(&mut tx, team, key_id).await?;
        tx::commit(tx).await?;
        Ok(changed)
    }
}
