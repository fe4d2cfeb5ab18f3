//! `GET /v1/userInvitations/{id}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::ports::InvitationStore;

use super::invitation_id;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::base;
use crate::routes::v1::users::Include;
use crate::views::{self, Fields, invitation};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 4] = ["fields[userInvitations]", "fields[apps]", "include", "limit[visibleApps]"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[userInvitations]", &invitation::INVITATION_FIELDS)?);
    let mut include = Include::from_params(&state, &key, &params)?;
    let found = state.store.invitation(key.team_id, invitation_id(&id)?).await?;
    let base = base(&state, &headers);
    let related = include.as_mut().map(|i| i.related(found.all_apps_visible, &found.visible_apps, &base));
    let doc =
        views::single(invitation::resource(&found, &base, &fields, related.as_ref()), include.map(Include::included));
    Ok(views::document(StatusCode::OK, &doc))
}
