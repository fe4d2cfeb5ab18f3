//! What the verifier reads and writes behind: its tables at start and per change (K11), failures
//! (T14). Every read of keys returns only active, downloaded keys: the others cannot sign.

use std::collections::HashMap;

use keyward_core::access::AccessState;
use keyward_core::app::App;
use keyward_core::auth::{AuthFailureRecord, AuthKeyRecord, AuthSnapshot, AuthTeamRecord, FAILURES_KEPT_PER_KEY};
use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, KeyId, MemberId, TeamId};
use keyward_core::member::Member;
use keyward_core::ports::{AuthStore, ChangeFeed};
use sqlx::any::AnyRow;

use crate::error::backend_error;
use crate::sql::Dynamic;
use crate::tx;
use crate::{Store, convert};

fn key_record(row: &AnyRow) -> Result<AuthKeyRecord, StoreError> {
    let member: Option<String> = convert::get(row, "member_id")?;
    Ok(AuthKeyRecord {
        key_id: KeyId::parse(&convert::get::<String>(row, "id")?).map_err(|e| StoreError::Backend(e.to_string()))?,
        team_id: convert::parsed(row, "team_id")?,
        kind: convert::parsed(row, "kind")?,
        roles: convert::roles(&convert::get::<String>(row, "roles")?)?,
        member_id: member
            .map(|m| m.parse().map_err(|_| StoreError::Backend("stored member id is invalid".into())))
            .transpose()?,
        public_key: convert::get(row, "public_key")?,
        expires_at: convert::get(row, "expires_at")?,
        revoke_at: convert::get(row, "revoke_at")?,
        key_manager: convert::flag(row, "key_manager")?,
    })
}

fn team_record(row: &AnyRow) -> Result<AuthTeamRecord, StoreError> {
    Ok(AuthTeamRecord {
        team_id: convert::parsed(row, "id")?,
        issuer_id: convert::parsed(row, "issuer_id")?,
        access: convert::parsed::<AccessState>(row, "access_state")?,
        rate_limit_per_hour: convert::get::<Option<i64>>(row, "rate_limit_per_hour")?
            .and_then(|n| u32::try_from(n).ok()),
    })
}

impl AuthStore for Store {
    async fn auth_snapshot(&self) -> Result<AuthSnapshot, StoreError> {
        // The position is read first: a change committed during the reads is applied again
        // afterwards, which is harmless (applying a change re-reads the object).
        let feed_position = self.last_change().await?;
        let teams = sqlx::query("SELECT id, issuer_id, access_state, rate_limit_per_hour FROM teams")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .iter()
            .map(team_record)
            .collect::<Result<_, _>>()?;
        let keys = sqlx::query(
            "SELECT id, team_id, kind, roles, member_id, public_key, expires_at, revoke_at, key_manager FROM api_keys \
             WHERE revoked_at IS NULL AND public_key IS NOT NULL",
        )
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?
        .iter()
        .map(key_record)
        .collect::<Result<_, _>>()?;
        let mut visible: HashMap<MemberId, Vec<AppId>> = HashMap::new();
        for row in sqlx::query("SELECT member_id, app_id FROM member_apps")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
        {
            visible.entry(convert::parsed(&row, "member_id")?).or_default().push(AppId(convert::get(&row, "app_id")?));
        }
        let mut members = Vec::new();
        for row in sqlx::query(select_member!("")).fetch_all(&mut *self.conn().await?).await.map_err(backend_error)? {
            let mut m = convert::member(&row)?;
            m.visible_apps = visible.remove(&m.id).unwrap_or_default();
            // In the order a single member's read gives them.
            m.visible_apps.sort_unstable();
            members.push(m);
        }
        let apps = sqlx::query(select_app!(""))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .iter()
            .map(convert::app)
            .collect::<Result<_, _>>()?;
        Ok(AuthSnapshot { teams, keys, members, apps, feed_position })
    }

    async fn auth_key(&self, key: &KeyId) -> Result<Option<AuthKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, team_id, kind, roles, member_id, public_key, expires_at, revoke_at, key_manager FROM api_keys \
             WHERE id = $1 AND revoked_at IS NULL AND public_key IS NOT NULL",
        )
        .bind(key.to_string())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        row.as_ref().map(key_record).transpose()
    }

    async fn auth_team(&self, team: TeamId) -> Result<Option<AuthTeamRecord>, StoreError> {
        let row = sqlx::query("SELECT id, issuer_id, access_state, rate_limit_per_hour FROM teams WHERE id = $1")
            .bind(team.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        row.as_ref().map(team_record).transpose()
    }

    async fn auth_members(&self, ids: &[MemberId]) -> Result<Vec<Member>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut q = Dynamic::new(select_member!("WHERE m.id IN "));
        q.text_list(&ids);
        let mut members = q
            .query()
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .iter()
            .map(convert::member)
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = Dynamic::new("SELECT member_id, app_id FROM member_apps WHERE member_id IN ");
        q.text_list(&ids);
        let mut visible: HashMap<MemberId, Vec<AppId>> = HashMap::new();
        for row in q.query().fetch_all(&mut *self.conn().await?).await.map_err(backend_error)? {
            visible.entry(convert::parsed(&row, "member_id")?).or_default().push(AppId(convert::get(&row, "app_id")?));
        }
        for m in &mut members {
            m.visible_apps = visible.remove(&m.id).unwrap_or_default();
            m.visible_apps.sort_unstable();
        }
        Ok(members)
    }

    async fn auth_apps(&self, ids: &[AppId]) -> Result<Vec<App>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Dynamic::new(select_app!("WHERE id IN "));
        q.int_list(&ids.iter().map(|a| a.0).collect::<Vec<_>>());
        q.query().fetch_all(&mut *self.conn().await?).await.map_err(backend_error)?.iter().map(convert::app).collect()
    }

    async fn record_auth_failures(&self, failures: &[AuthFailureRecord]) -> Result<(), StoreError> {
        if failures.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for f in failures {
            sqlx::query("INSERT INTO auth_failures (key_id, at, rule, reason, client_ip) VALUES ($1, $2, $3, $4, $5)")
                .bind(f.key_id.to_string())
                .bind(f.at.unix_timestamp())
                .bind(f.rule.clone())
                .bind(f.reason.clone())
                .bind(f.client_ip.clone())
                .execute(&mut *tx)
                .await
                .map_err(backend_error)?;
        }
        let mut keys: Vec<&KeyId> = failures.iter().map(|f| &f.key_id).collect();
        keys.sort();
        keys.dedup();
        for key in &keys {
            sqlx::query(
                "DELETE FROM auth_failures WHERE key_id = $1 AND seq NOT IN \
                 (SELECT seq FROM auth_failures WHERE key_id = $1 ORDER BY seq DESC LIMIT $2)",
            )
            .bind(key.to_string())
            .bind(i64::try_from(FAILURES_KEPT_PER_KEY).unwrap_or(50))
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        }
        tx::commit(tx).await?;
        if let Err(e) = self.announce_failure_bursts(&keys, time::OffsetDateTime::now_utc()).await {
            tracing::warn!(error = %e, "a burst of authentication failures could not be announced");
        }
        Ok(())
    }

    async fn record_usage(&self, usage: &[(KeyId, i64, u64)]) -> Result<(), StoreError> {
        if usage.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (key, hour, n) in usage {
            sqlx::query(
                "INSERT INTO key_usage (key_id, hour, requests) VALUES ($1, $2, $3) \
                 ON CONFLICT (key_id, hour) DO UPDATE SET requests = key_usage.requests + excluded.requests",
            )
            .bind(key.to_string())
            .bind(*hour)
            .bind(i64::try_from(*n).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        }
        let oldest = usage.iter().map(|(_, h, _)| *h).max().unwrap_or(0) - 48;
        sqlx::query("DELETE FROM key_usage WHERE hour < $1")
            .bind(oldest)
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        tx::commit(tx).await
    }

    async fn usage(&self, key: &KeyId, since_hour: i64) -> Result<Vec<(i64, u64)>, StoreError> {
        let rows = sqlx::query("SELECT hour, requests FROM key_usage WHERE key_id = $1 AND hour >= $2 ORDER BY hour")
            .bind(key.to_string())
            .bind(since_hour)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        rows.iter()
            .map(|r| {
                Ok((convert::get::<i64>(r, "hour")?, u64::try_from(convert::get::<i64>(r, "requests")?).unwrap_or(0)))
            })
            .collect()
    }

    async fn record_area_usage(&self, usage: &[(KeyId, String, i64, u64)]) -> Result<(), StoreError> {
        if usage.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (key, area, hour, n) in usage {
            sqlx::query(
                "INSERT INTO key_area_usage (key_id, area, hour, requests) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key_id, area, hour) DO UPDATE SET requests = key_area_usage.requests + excluded.requests",
            )
            .bind(key.to_string())
            .bind(area)
            .bind(*hour)
            .bind(i64::try_from(*n).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        }
        let oldest = usage.iter().map(|(_, _, h, _)| *h).max().unwrap_or(0) - 48;
        sqlx::query("DELETE FROM key_area_usage WHERE hour < $1")
            .bind(oldest)
            .execute(&mut *tx)
            .await
            .map_err(backend_error)?;
        tx::commit(tx).await
    }

    async fn area_usage(&self, key: &KeyId, since_hour: i64) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT area, CAST(SUM(requests) AS BIGINT) AS requests FROM key_area_usage \
             WHERE key_id = $1 AND hour >= $2 GROUP BY area ORDER BY area",
        )
        .bind(key.to_string())
        .bind(since_hour)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        rows.iter()
            .map(|r| {
                let requests = u64::try_from(convert::get::<i64>(r, "requests")?).unwrap_or(0);
                Ok((convert::get::<String>(r, "area")?, requests))
            })
            .collect()
    }

    async fn auth_failures(&self, key: &KeyId) -> Result<Vec<AuthFailureRecord>, StoreError> {
        let rows = sqlx::query("SELECT key_id, at, rule, reason, client_ip FROM auth_failures WHERE key_id = $1 ORDER BY seq DESC LIMIT $2")
            .bind(key.to_string())
            .bind(i64::try_from(FAILURES_KEPT_PER_KEY).unwrap_or(50))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        rows.iter()
            .map(|row| {
                Ok(AuthFailureRecord {
                    key_id: key.clone(),
                    at: convert::time(convert::get(row, "at")?)?,
                    rule: convert::get(row, "rule")?,
                    reason: convert::get(row, "reason")?,
                    client_ip: convert::get(row, "client_ip")?,
                })
            })
            .collect()
    }
}
