//! Apps of a team.

use keyward_core::actor::ActorContext;
use keyward_core::app::{self, App, NewApp};
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{AppId, TeamId};
use keyward_core::ports::AppStore;

use crate::error::backend_error;
use crate::tx::{self, Tx, lock_team, now};
use crate::{Store, app_rows, convert};

/// Apple's app IDs are 10-digit numbers; ours are random in that range, so they reveal nothing
/// about how many apps other teams have.
fn random_app_id() -> AppId {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[..8]);
    let n = u64::from_le_bytes(n) % 8_999_999_999 + 1_000_000_000;
    AppId(i64::try_from(n).unwrap_or(1_000_000_000))
}

impl AppStore for Store {
    async fn list_apps(
        &self,
        team: TeamId,
        filter: &keyward_core::paging::AppFilter,
        page: &keyward_core::paging::PageRequest<keyward_core::paging::AppSort>,
    ) -> Result<keyward_core::paging::Page<App>, StoreError> {
        crate::app_list::list(self, team, filter, page).await
    }

    async fn update_app(
        &self,
        team: TeamId,
        id: AppId,
        update: keyward_core::ports::AppUpdate,
        actor: &ActorContext,
    ) -> Result<App, StoreError> {
        crate::app_update::update(self, team, id, update, actor).await
    }

    async fn create_app(&self, team: TeamId, new: NewApp, actor: &ActorContext) -> Result<App, StoreError> {
        let new = new.validate()?;
        let at = now();
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        if let Some(roles) = tx::actor_roles(&mut tx, team, &actor.actor).await? {
            app::may_create_app(roles)?;
        }
        let clash = sqlx::query("SELECT bundle_id, sku FROM apps WHERE bundle_id = $1 OR (team_id = $2 AND sku = $3)")
            .bind(new.bundle_id.clone())
            .bind(team.to_string())
            .bind(new.sku.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?;
        if let Some(row) = clash {
            let bundle: String = convert::get(&row, "bundle_id")?;
            let msg = if bundle == new.bundle_id {
                format!("the bundle ID '{}' is already used by an app", new.bundle_id)
            } else {
                format!("the SKU '{}' is already used by an app of this team", new.sku)
            };
            return Err(DomainError::Conflict(msg).into());
        }
        let mut id = random_app_id();
        while sqlx::query("SELECT 1 AS one FROM apps WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend_error)?
            .is_some()
        {
            id = random_app_id();
        }
        let row = app_rows::NewRow {
            id,
            team,
            name: &new.name,
            bundle_id: &new.bundle_id,
            sku: &new.sku,
            primary_locale: &new.primary_locale,
        };
        // Checked above under the team's lock; a clash here is another team's bundle ID, committed
        // meanwhile.
        app_rows::insert(&mut tx, row, at).await?.or_taken(|| {
            DomainError::Conflict(format!("the bundle ID '{}' is already used by an app", new.bundle_id)).into()
        })?;
        let detail = format!("app '{}' ({}) created", new.name, new.bundle_id);
        tx::audit(&mut tx, team, actor, AuditKind::AppCreated, Some(&id.to_string()), &detail, at).await?;
        let row =
            sqlx::query(select_app!("WHERE id = $1")).bind(id.0).fetch_one(&mut *tx).await.map_err(backend_error)?;
        let created = convert::app(&row)?;
        tx::change(&mut tx, &Change::App { team_id: team, app_id: id }, at).await?;
        tx::commit(tx).await?;
        Ok(created)
    }

    async fn apps(&self, team: TeamId) -> Result<Vec<App>, StoreError> {
        let rows = sqlx::query(select_app!("WHERE team_id = $1 ORDER BY name, id"))
            .bind(team.to_string())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        rows.iter().map(convert::app).collect()
    }

    async fn app(&self, team: TeamId, app: AppId) -> Result<App, StoreError> {
        let row = sqlx::query(select_app!("WHERE id = $1 AND team_id = $2"))
            .bind(app.0)
            .bind(team.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?
            .ok_or_else(|| DomainError::NotFound { what: Resource::App, id: app.to_string() })?;
        convert::app(&row)
    }
}

/// Every app must belong to the team (an app of another team is `NotFound`, as if it did not exist).
pub(crate) async fn ensure_team_apps(tx: &mut Tx, team: TeamId, apps: &[AppId]) -> Result<(), StoreError> {
    for app in apps {
        let found = sqlx::query("SELECT 1 AS one FROM apps WHERE id = $1 AND team_id = $2")
            .bind(app.0)
            .bind(team.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend_error)?;
        if found.is_none() {
            return Err(DomainError::NotFound { what: Resource::App, id: app.to_string() }.into());
        }
    }
    Ok(())
}
