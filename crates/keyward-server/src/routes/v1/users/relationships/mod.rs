//! `/v1/users/{id}/relationships/visibleApps`: read, add to, replace and remove from the apps a
//! member sees. Changes apply to the member's individual key from the next request on (K14).

pub(crate) mod add;
pub(crate) mod get;
pub(crate) mod remove;
pub(crate) mod replace;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_core::ports::{MemberStore, MemberUpdate, VisibleAppsChange};
use keyward_token::verify::Principal;
use serde_json::Value;

use super::get::member_id;
use super::update::{app_ids, keep_hidden, refusal};
use crate::AppState;
use crate::error::ApiError;
use crate::jsonapi::body::linkages;

/// Applies one linkage change; 204 as Apple answers.
pub(crate) async fn change(
    state: &AppState,
    key: &Principal,
    id: &str,
    ip: Option<String>,
    body: &Value,
    make: fn(Vec<keyward_core::ids::AppId>) -> VisibleAppsChange,
) -> Result<Response, ApiError> {
    let member = member_id(id)?;
    let apps = app_ids(key, &linkages(body, "apps")?, "/data")?;
    let mut change = make(apps);
    if let (VisibleAppsChange::Replace(new), Some(_)) = (&change, &key.visible_apps) {
        let current = state.store.member(key.team_id, member).await?;
        change = VisibleAppsChange::Replace(keep_hidden(key, &current.visible_apps, new.clone()));
    }
    let actor = crate::jsonapi::actor(key, ip);
    let update = MemberUpdate { visible_apps: Some(change), ..MemberUpdate::default() };
    state.store.update_member(key.team_id, member, update, &actor).await.map_err(refusal)?;
    state.written(&[keyward_core::change::Change::Member { team_id: key.team_id, member_id: member }]).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
