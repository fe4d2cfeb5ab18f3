//! `PATCH /v1/apps/{id}`: the attributes of Apple's `AppUpdateRequest` (apps area: Admin, App Manager).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyward_core::change::Change;
use keyward_core::ports::{AppStore, AppUpdate};
use serde_json::Value;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::body::{JsonBody, Kind, Shape, entity_of, invalid};
use crate::routes::v1::apps::get::visible_app;
use crate::routes::v1::base;
use crate::views::app::AppWriter;
use crate::views::{self, Fields};

pub(crate) const ATTRIBUTES: [(&str, Kind); 8] = [
    ("bundleId", Kind::String),
    ("primaryLocale", Kind::String),
    ("subscriptionStatusUrl", Kind::NullableString),
    ("subscriptionStatusUrlVersion", Kind::NullableString),
    ("subscriptionStatusUrlForSandbox", Kind::NullableString),
    ("subscriptionStatusUrlVersionForSandbox", Kind::NullableString),
    ("contentRightsDeclaration", Kind::NullableString),
    ("streamlinedPurchasingEnabled", Kind::Bool),
];

fn enum_value(v: &Value, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match v.as_str() {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s.to_owned())),
        Some(s) => Err(invalid(
            &format!("/data/attributes/{name}"),
            format!("'{s}' is not a valid value for '{name}'; use one of {}", allowed.join(", ")),
        )),
    }
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let app_id = visible_app(&key, &id)?;
    let entity = entity_of(
        &body,
        &Shape { resource_type: "apps", id: Some(&id), attributes: &ATTRIBUTES, required: &[], relationships: &[] },
    )?;
    let a = &entity.attributes;
    let text = |name: &str| a.get(name).map(|v| v.as_str().map(str::to_owned));
    let versions = ["V1", "V2"];
    let update = AppUpdate {
        bundle_id: a.get("bundleId").and_then(Value::as_str).map(str::to_owned),
        primary_locale: a.get("primaryLocale").and_then(Value::as_str).map(str::to_owned),
        subscription_status_url: text("subscriptionStatusUrl"),
        subscription_status_url_version: a
            .get("subscriptionStatusUrlVersion")
            .map(|v| enum_value(v, "subscriptionStatusUrlVersion", &versions))
            .transpose()?,
        subscription_status_url_for_sandbox: text("subscriptionStatusUrlForSandbox"),
        subscription_status_url_version_for_sandbox: a
            .get("subscriptionStatusUrlVersionForSandbox")
            .map(|v| enum_value(v, "subscriptionStatusUrlVersionForSandbox", &versions))
            .transpose()?,
        content_rights_declaration: a
            .get("contentRightsDeclaration")
            .map(|v| {
                enum_value(
                    v,
                    "contentRightsDeclaration",
                    &["DOES_NOT_USE_THIRD_PARTY_CONTENT", "USES_THIRD_PARTY_CONTENT"],
                )
            })
            .transpose()?,
        streamlined_purchasing_enabled: a.get("streamlinedPurchasingEnabled").and_then(Value::as_bool),
    };
    let actor = crate::jsonapi::actor(&key, ip);
    let updated = state.store.update_app(key.team_id, app_id, update, &actor).await.map_err(|e| match e {
        keyward_core::error::StoreError::Rule(keyward_core::DomainError::InvalidInput(msg)) => {
            invalid("/data/attributes", msg)
        }
        other => other.into(),
    })?;
    // The next read from this node sees the change (the read model takes it from the feed).
    state.written(&[Change::App { team_id: key.team_id, app_id }]).await;
    let base = base(&state, &headers);
    Ok(views::written(StatusCode::OK, AppWriter::new(&base, &Fields::default()).document(&updated)))
}
