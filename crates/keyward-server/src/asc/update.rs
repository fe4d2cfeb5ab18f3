//! `PATCH /v1/{type}/{id}`: only what the update schema allows (R4); the body's `id` must be the
//! path's; relationships named in the body are replaced; 200 with the resource.

use axum::http::StatusCode;
use axum::response::Response;
use keyward_core::change::Change;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::{LinkChange, ResourceUpdate};
use serde_json::Value;

use super::{Call, render};
use crate::error::ApiError;

pub(super) async fn handle(call: &Call<'_>, body: Value) -> Result<Response, ApiError> {
    super::check_body(call, &body)?;
    let kind = super::resource_kind(call)?;
    let found = super::visible(call, kind, call.id())?;
    let data = &body["data"];
    if data["id"].as_str() != Some(found.id.as_str()) {
        return Err(ApiError::entity(
            "ENTITY_ERROR.ATTRIBUTE.INVALID",
            format!("the id in the body must be the path's, '{}'", found.id),
            "/data/id",
        ));
    }
    let links = super::links_of(data)?;
    super::check_links(call, &links)?;
    let mut update = ResourceUpdate {
        attributes: data["attributes"].as_object().cloned().unwrap_or_default(),
        ..ResourceUpdate::default()
    };
    if !links.is_empty() {
        let mut all = found.relationships.clone();
        for (rel, l) in &links {
            all.insert(rel.clone(), l.clone());
        }
        let app = super::app_of(call, &all.into_iter().collect::<Vec<_>>());
        super::keeps_app(call, found.app, app, "/data/relationships")?;
        update.relationships = links.into_iter().map(|(rel, l)| (rel, LinkChange::Replace(l))).collect();
    }
    let rules = super::behaviour::before_update(call, kind, &found.id, &mut update).await?;
    let (updated, mut changes) =
        call.state.store.update_resource(call.key.team_id, kind, &found.id, update, rules).await?;
    changes.push(Change::Resource {
        team_id: updated.team_id,
        resource_type: updated.kind.clone(),
        id: updated.id.clone(),
    });
    call.state.written(&changes).await;
    let data = render::resource(call.api, &call.base, &updated, None);
    let self_url = data["links"]["self"].as_str().unwrap_or_default().to_owned();
    Ok(render::single(StatusCode::OK, data, self_url))
}
