//! `PATCH /v1/apps/{id}`: the attributes Apple's `AppUpdateRequest` allows.

use keyward_core::actor::ActorContext;
use keyward_core::app::App;
use keyward_core::audit::AuditKind;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{AppId, TeamId};
use keyward_core::ports::AppUpdate;

use crate::error::backend_error;
use crate::tx::{self, lock_team, now};
use crate::{Store, convert};

pub(crate) async fn update(
    store: &Store,
    team: TeamId,
    id: AppId,
    u: AppUpdate,
    actor: &ActorContext,
) -> Result<App, StoreError> {
    let at = now();
    let mut tx = store.begin_write().await?;
    lock_team(&mut tx, team).await?;
    let row = sqlx::query(select_app!("WHERE id = $1 AND team_id = $2"))
        .bind(id.0)
        .bind(team.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NotFound { what: Resource::App, id: id.to_string() })?;
    let mut app = convert::app(&row)?;
    if let Some(locale) = u.primary_locale {
        app.primary_locale = locale;
    }
    if let Some(bundle) = u.bundle_id {
        app.bundle_id = bundle;
    }
    let checked = keyward_core::app::NewApp {
        name: app.name.clone(),
        bundle_id: app.bundle_id.clone(),
        sku: app.sku.clone(),
        primary_locale: app.primary_locale.clone(),
    }
    .validate()?;
    for (field, url) in [
        ("subscriptionStatusUrl", &u.subscription_status_url),
        ("subscriptionStatusUrlForSandbox", &u.subscription_status_url_for_sandbox),
    ] {
        if let Some(Some(url)) = url {
            keyward_core::app::validate_status_url(field, url)?;
        }
    }
    if let Some(v) = u.subscription_status_url {
        app.subscription_status_url = v;
    }
    if let Some(v) = u.subscription_status_url_version {
        app.subscription_status_url_version = v;
    }
    if let Some(v) = u.subscription_status_url_for_sandbox {
        app.subscription_status_url_for_sandbox = v;
    }
    if let Some(v) = u.subscription_status_url_version_for_sandbox {
        app.subscription_status_url_version_for_sandbox = v;
    }
    if let Some(v) = u.content_rights_declaration {
        app.content_rights_declaration = v;
    }
    if let Some(v) = u.streamlined_purchasing_enabled {
        app.streamlined_purchasing_enabled = Some(v);
    }
    let clash = sqlx::query("SELECT 1 AS one FROM apps WHERE bundle_id = $1 AND id <> $2")
        .bind(checked.bundle_id.clone())
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend_error)?;
    if clash.is_some() {
        return Err(
            DomainError::Conflict(format!("the bundle ID '{}' is already used by an app", checked.bundle_id)).into()
        );
    }
    sqlx::query(
        "UPDATE apps SET primary_locale = $1, bundle_id = $2, subscription_status_url = $3, subscription_status_url_version = $4, \
         subscription_status_url_for_sandbox = $5, subscription_status_url_version_for_sandbox = $6, \
         content_rights_declaration = $7, streamlined_purchasing_enabled = $8 WHERE id = $9",
    )
    .bind(checked.primary_locale)
    .bind(checked.bundle_id)
    .bind(app.subscription_status_url.clone())
    .bind(app.subscription_status_url_version.clone())
    .bind(app.subscription_status_url_for_sandbox.clone())
    .bind(app.subscription_status_url_version_for_sandbox.clone())
    .bind(app.content_rights_declaration.clone())
    .bind(app.streamlined_purchasing_enabled)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(backend_error)?;
    tx::audit(
        &mut tx,
        team,
        actor,
        AuditKind::AppUpdated,
        Some(&id.to_string()),
        &format!("app '{}' updated", app.name),
        at,
    )
    .await?;
    let row = sqlx::query(select_app!("WHERE id = $1")).bind(id.0).fetch_one(&mut *tx).await.map_err(backend_error)?;
    let updated = convert::app(&row)?;
    tx::change(&mut tx, &Change::App { team_id: team, app_id: id }, at).await?;
    tx::commit(tx).await?;
    Ok(updated)
}
