//! `GET /v1/apps/{id}`: one app; A4: an app the individual key's member does not see is a 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyward_core::ids::AppId;
use keyward_core::ports::AppStore;
use serde_json::json;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::views::{BaseUrl, app, document};

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("apps", &id);
    let app_id: AppId = id.parse().map_err(|_| not_found())?;
    if key.visible_apps.as_ref().is_some_and(|v| !v.contains(&app_id)) {
        return Err(not_found());
    }
    let app = state.store.app(key.team_id, app_id).await?;
    let base = BaseUrl::from_request(state.public_url.as_deref(), &headers);
    let resource = app::resource(&app, &base);
    let body = json!({ "data": resource, "links": { "self": resource["links"]["self"] } });
    Ok(document(StatusCode::OK, &body))
}
