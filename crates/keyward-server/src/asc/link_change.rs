//! `POST`/`PATCH`/`DELETE /v1/{type}/{id}/relationships/{relationship}`: to-many linkage added,
//! replaced or removed, and to-one linkage set (R4); 204. Links are checked like a create's.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_asc::OpKind;
use keyward_core::change::Change;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::{LinkChange, ResourceUpdate};
use serde_json::{Value, json};

use super::Call;
use super::parent::{self, Parent};
use crate::error::ApiError;

pub(super) async fn handle(call: &Call<'_>, body: Value) -> Result<Response, ApiError> {
    super::check_body(call, &body)?;
    let Parent::Resource(found) = parent::of(call)? else {
        // Section 7's apps keep their relationships on the other side (a build's `app`).
        let allowed = "GET_RELATIONSHIP";
        return Err(ApiError::operation_not_allowed("apps", call.operation.kind.apple_name(), allowed));
    };
    let rel = call.operation.relationship.clone().unwrap_or_default();
    let links = super::links_of(&json!({ "relationships": { rel.clone(): { "data": body["data"].clone() } } }))?
        .into_iter()
        .next()
        .map(|(_, l)| l)
        .unwrap_or_default();
    super::check_links(call, &[(rel.clone(), links.clone())])?;
    let change = match call.operation.kind {
        OpKind::AddToMany => LinkChange::Add(links),
        OpKind::RemoveToMany => LinkChange::Remove(links),
        _ => LinkChange::Replace(links),
    };
    let mut all = found.relationships.clone();
    all.insert(rel.clone(), change.apply(found.link(&rel)));
    let app = super::app_of(call, &all.into_iter().collect::<Vec<_>>());
    super::keeps_app(call, found.app, app, "/data")?;
    let mut update =
        ResourceUpdate { relationships: [(rel, change)].into_iter().collect(), ..ResourceUpdate::default() };
    let rules = super::behaviour::before_update(call, &found.kind, &found.id, &mut update).await?;
    let (updated, mut changes) =
        call.state.store.update_resource(call.key.team_id, &found.kind, &found.id, update, rules).await?;
    changes.push(Change::Resource {
        team_id: updated.team_id,
        resource_type: updated.kind.clone(),
        id: updated.id.clone(),
    });
    call.state.written(&changes).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
