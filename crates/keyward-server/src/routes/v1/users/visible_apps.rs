//! `GET /v1/users/{id}/visibleApps`: the apps a member sees (all of the team's when `allAppsVisible`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::get::{member, member_id};
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::visible_apps_document;
use crate::views::{Fields, app};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 3] = ["fields[apps]", "limit", "cursor"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[apps]", app::app_fields())?);
    let member = member(&state, &key, member_id(&id)?)?;
    let visible = (!member.all_apps_visible).then(|| member.visible_apps.clone());
    visible_apps_document(&state, &key, visible, &uri, &headers, &params, |a, base| app::resource(a, base, &fields))
        .await
}
