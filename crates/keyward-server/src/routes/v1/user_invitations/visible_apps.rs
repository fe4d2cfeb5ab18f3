//! `GET /v1/userInvitations/{id}/visibleApps`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use keyward_core::ports::InvitationStore;

use super::invitation_id;
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
    let found = state.store.invitation(key.team_id, invitation_id(&id)?).await?;
    let visible = (!found.all_apps_visible).then_some(found.visible_apps);
    visible_apps_document(&state, &key, visible, &uri, &headers, &params, |a, base| app::resource(a, base, &fields))
        .await
}
