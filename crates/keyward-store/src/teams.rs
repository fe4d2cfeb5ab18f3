//! Teams and their API access (K1–K2).

use keyward_core::access::{self, AccessState};
use keyward_core::actor::ActorContext;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{IssuerId, MemberId, TeamId};
use keyward_core::member::account_holder_roles;
use keyward_core::ports::{NewTeam, TeamCreated, TeamRef, TeamStore};
use keyward_core::team::{Team, validate_team_name};
use sqlx::Row;

use crate::error::backend_error;
use crate::tx::{self, lock_team, now};
use crate::{Store, convert, member_rows, persons, team_rows};

impl TeamStore for Store {
    async fn is_empty(&self) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM teams) AS teams, (SELECT COUNT(*) FROM persons WHERE is_operator) AS operators",
        )
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        let teams: i64 = convert::get(&row, "teams")?;
        let operators: i64 = convert::get(&row, "operators")?;
        Ok(teams == 0 && operators == 0)
    }

    async fn create_team(&self, new: NewTeam, actor: &ActorContext) -> Result<TeamCreated, StoreError> {
        let name = validate_team_name(&new.name)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        if new.holder_is_operator {
            let operators: i64 = sqlx::query("SELECT COUNT(*) AS n FROM persons WHERE is_operator")
                .fetch_one(&mut *tx)
                .await
                .map_err(backend_error)?
                .try_get("n")
                .map_err(backend_error)?;
            if operators > 0 {
                return Err(DomainError::Conflict(
                    "Keyward is already initialized; create further teams with `keyward admin team create`".into(),
                )
                .into());
            }
        }
        let taken = sqlx::query("SELECT 1 AS one FROM teams WHERE name = $1")
            .bind(name.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
        if taken.is_some() {
            return Err(DomainError::Conflict(format!("a team named '{name}' already exists")).into());
        }
        let person_id = persons::find_or_create(&mut tx, &new.account_holder, new.holder_is_operator, at).await?;
        let team = Team {
            id: TeamId::random(),
            issuer_id: IssuerId::random(),
            name,
            access: AccessState::NotRequested,
            rate_limit_per_hour: None,
            max_key_lifetime_days: None,
            created_at: at.replace_nanosecond(0).unwrap_or(at),
        };
        let row = team_rows::NewRow {
            id: team.id,
            issuer: team.issuer_id,
            name: &team.name,
            access: team.access,
            rate_limit_per_hour: None,
        };
        team_rows::insert(&mut tx, row, at)
            .await?
            .or_taken(|| DomainError::Conflict(format!("a team named '{}' already exists", team.name)).into())?;
        let member_id = MemberId::random();
        let holder_email = new.account_holder.email.trim().to_lowercase();
        let holder = member_rows::NewRow {
            id: member_id,
            team: team.id,
            person: person_id,
            email: &holder_email,
            roles: account_holder_roles(),
            individual_keys_explicit: false,
            all_apps_visible: true,
            provisioning_allowed: true,
            visible_apps: &[],
        };
        member_rows::insert(&mut tx, holder, at).await?;
        tx::change(&mut tx, &Change::Member { team_id: team.id, member_id }, at).await?;
        let detail = format!("team '{}' created with Account Holder {holder_email}", team.name);
        tx::audit(&mut tx, team.id, actor, AuditKind::TeamCreated, Some(&team.issuer_id.to_string()), &detail, at)
            .await?;
        tx::commit(tx).await?;
        Ok(TeamCreated { team, person_id, member_id })
    }

    async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query(select_team!("ORDER BY name"))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        rows.iter().map(convert::team).collect()
    }

    async fn team_by_id(&self, team: TeamId) -> Result<Team, StoreError> {
        let row = sqlx::query(select_team!("WHERE id = $1"))
            .bind(team.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .ok_or_else(|| DomainError::NotFound { what: Resource::Team, id: team.to_string() })?;
        convert::team(&row)
    }

    async fn team(&self, team: &TeamRef) -> Result<Team, StoreError> {
        let row = match team {
            TeamRef::Issuer(id) => sqlx::query(select_team!("WHERE issuer_id = $1")).bind(id.to_string()),
            TeamRef::Name(name) => sqlx::query(select_team!("WHERE name = $1")).bind(name.clone()),
        }
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        match row {
            Some(row) => convert::team(&row),
            None => Err(DomainError::NotFound { what: Resource::Team, id: team.to_string() }.into()),
        }
    }

    async fn request_access(
        &self,
        team: TeamId,
        actor: &ActorContext,
        auto_approve: bool,
    ) -> Result<AccessState, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let current = lock_team(&mut tx, team).await?;
        let roles = tx::actor_roles(&mut tx, team, &actor.actor).await?.unwrap_or_default();
        let next = access::request_access(roles, current.access, auto_approve)?;
        team_rows::set_access(&mut tx, team, next).await?;
        tx::audit(
            &mut tx,
            team,
            actor,
            AuditKind::AccessRequested,
            None,
            "requested API access and accepted the terms",
            at,
        )
        .await?;
        if next == AccessState::Approved {
            tx::audit(
                &mut tx,
                team,
                actor,
                AuditKind::AccessApproved,
                None,
                "approved automatically (auto_approve_api_access)",
                at,
            )
            .await?;
            tx::change(&mut tx, &Change::TeamAccess { team_id: team }, at).await?;
        }
        tx::commit(tx).await?;
        Ok(next)
    }

    async fn set_rate_limit(
        &self,
        team: TeamId,
        per_hour: Option<u32>,
        actor: &ActorContext,
    ) -> Result<Team, StoreError> {
        if per_hour == Some(0) {
            return Err(DomainError::InvalidInput("a rate limit must be at least 1 request per hour".into()).into());
        }
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        team_rows::set_rate_limit(&mut tx, team, per_hour).await?;
        let detail = match per_hour {
            Some(n) => format!("each key's hourly budget set to {n} requests"),
            None => "each key's hourly budget reset to the installation default".to_owned(),
        };
        tx::audit(&mut tx, team, actor, AuditKind::RateLimitChanged, None, &detail, at).await?;
        // The verifier re-reads the team on this change, budget included.
        tx::change(&mut tx, &Change::TeamAccess { team_id: team }, at).await?;
        let updated = lock_team(&mut tx, team).await?;
        tx::commit(tx).await?;
        Ok(updated)
    }

    async fn set_key_lifetime_cap(
        &self,
        team: TeamId,
        days: Option<u32>,
        actor: &ActorContext,
    ) -> Result<Team, StoreError> {
        let days = days.map(keyward_core::expiry::validate_lifetime_cap).transpose()?;
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        // The policy binds every key made after it: the same people who make team keys set it.
        if matches!(
            actor.actor,
            keyward_core::actor::Actor::TeamKey { .. } | keyward_core::actor::Actor::KeyManager { .. }
        ) {
            return Err(DomainError::NotAllowed("API keys cannot change the team's key policy".into()).into());
        }
        let roles = tx::actor_roles(&mut tx, team, &actor.actor).await?.unwrap_or_default();
        keyward_core::key::may_generate_team_key(&actor.actor, roles).map_err(|_| {
            DomainError::NotAllowed("only the Account Holder or an Admin sets the team's key lifetime".into())
        })?;
        team_rows::set_key_lifetime_cap(&mut tx, team, days).await?;
        let detail = match days {
            Some(n) => format!("new keys expire within {n} days"),
            None => "new keys' lifetime no longer capped".to_owned(),
        };
        tx::audit(&mut tx, team, actor, AuditKind::KeyPolicyChanged, None, &detail, at).await?;
        let updated = lock_team(&mut tx, team).await?;
        tx::commit(tx).await?;
        Ok(updated)
    }

    async fn review_access(
        &self,
        team: TeamId,
        approve: bool,
        actor: &ActorContext,
    ) -> Result<AccessState, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let current = lock_team(&mut tx, team).await?;
        let next = access::review_access(current.access, approve)?;
        team_rows::set_access(&mut tx, team, next).await?;
        let (kind, detail) = if approve {
            (AuditKind::AccessApproved, "approved the API access request")
        } else {
            (AuditKind::AccessRejected, "rejected the API access request")
        };
        tx::audit(&mut tx, team, actor, kind, None, detail, at).await?;
        tx::change(&mut tx, &Change::TeamAccess { team_id: team }, at).await?;
        tx::commit(tx).await?;
        Ok(next)
    }
}
