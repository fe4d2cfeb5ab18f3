//! `POST /keyward/v1/keyWebhooks`: key events of the team to `url` (http or https; not Keyward
//! itself, link-local or metadata addresses, nor private ones unless `webhook_allow_private`),
//! `eventTypes` of them (every type when left out). 201 with the hook and its signing `secret`,
//! shown this once (`Cache-Control: no-store`); 409 beyond `MAX_WEBHOOKS`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::{TYPE, resource};
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::body::{JsonBody, Kind, Shape, entity_of, invalid};
use crate::key_webhooks::{self, AddError};
use crate::routes::keyward_v1::actor;
use crate::routes::v1::base;
use crate::views;

const ATTRIBUTES: [(&str, Kind); 2] = [("url", Kind::String), ("eventTypes", Kind::StringArray)];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let shape =
        Shape { resource_type: TYPE, id: None, attributes: &ATTRIBUTES, required: &["url"], relationships: &[] };
    let a = entity_of(&body, &shape)?.attributes;
    let url = a.get("url").and_then(Value::as_str).unwrap_or_default();
    let events: Vec<String> = match a.get("eventTypes").and_then(Value::as_array) {
        Some(list) if list.is_empty() => {
            return Err(invalid(
                "/data/attributes/eventTypes",
                "name at least one event type, or leave eventTypes out".into(),
            ));
        }
        Some(list) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        None => Vec::new(),
    };
    // Keyward itself, as this client reaches it (the public URL when one is set).
    let base = base(&state, &headers);
    let own = base.url("/");
    let added = key_webhooks::add(
        &state.store,
        caller.team_id,
        url,
        &events,
        state.settings.webhook_allow_private,
        Some(&own),
        &actor(&caller, ip),
    )
    .await
    .map_err(|e| match e {
        AddError::Events(why) => invalid("/data/attributes/eventTypes", why),
        AddError::Url(_) => invalid("/data/attributes/url", e.to_string()),
        AddError::Store(e) => e.into(),
    })?;
    let resource = resource(&added.hook, &base, Some(&added.secret));
    Ok(views::created_once(resource))
}
