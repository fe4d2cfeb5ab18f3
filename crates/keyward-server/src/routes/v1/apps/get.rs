//! `GET /v1/apps/{id}`: one app, from the read model; A4: an app the individual key's member does
//! not see is a 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::ids::AppId;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::base;
use crate::views::app::AppWriter;
use crate::views::{self, Fields, app};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 1] = ["fields[apps]"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[apps]", app::app_fields())?);
    let app_id = visible_app(&key, &id)?;
    let app = state
        .replica
        .catalog()
        .app(key.team_id, app_id)
        .ok_or_else(|| ApiError::not_found("apps", &app_id.to_string()))?;
    let base = base(&state, &headers);
    Ok(views::written(StatusCode::OK, AppWriter::new(&base, &fields).document(&app)))
}

/// The app ID of the path, when the key may see it (A4); otherwise the 404 Apple gives.
pub(crate) fn visible_app(key: &keyward_token::verify::Principal, id: &str) -> Result<AppId, ApiError> {
    let not_found = || ApiError::not_found("apps", id);
    let app_id: AppId = id.parse().map_err(|_| not_found())?;
    if key.visible_apps.as_ref().is_some_and(|v| !v.contains(&app_id)) {
        return Err(not_found());
    }
    Ok(app_id)
}
