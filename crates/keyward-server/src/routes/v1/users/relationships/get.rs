//! `GET /v1/users/{id}/relationships/visibleApps`: the linkage (`{type, id}`) of the apps a member sees.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::json;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::users::get::{member, member_id};
use crate::routes::v1::visible_apps_document;

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 2] = ["limit", "cursor"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let member = member(&state, &key, member_id(&id)?)?;
    let visible = (!member.all_apps_visible).then(|| member.visible_apps.clone());
    visible_apps_document(
        &state,
        &key,
        visible,
        &uri,
        &headers,
        &params,
        |a, _| json!({"type": "apps", "id": a.id.to_string()}),
    )
    .await
}
