//! `GET /v1/users/{id}`, from the read model.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::ids::MemberId;

use super::Include;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::base;
use crate::views::{self, Fields, user};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 4] = ["fields[users]", "fields[apps]", "include", "limit[visibleApps]"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[users]", &user::USER_FIELDS)?);
    let member_id = member_id(&id)?;
    let mut include = Include::from_params(&state, &key, &params)?;
    let member = member(&state, &key, member_id)?;
    let base = base(&state, &headers);
    let related = include.as_mut().map(|i| i.related(member.all_apps_visible, &member.visible_apps, &base));
    let doc =
        user::UserResource::new(&member, &base, &fields, related.as_ref()).document(include.map(Include::included));
    Ok(views::document(StatusCode::OK, &doc))
}

/// A member of the calling key's team, from the read model; another team's is not found.
pub(crate) fn member(
    state: &AppState,
    key: &keyward_token::verify::Principal,
    id: MemberId,
) -> Result<std::sync::Arc<keyward_core::member::Member>, ApiError> {
    state.replica.catalog().member(key.team_id, id).ok_or_else(|| ApiError::not_found("users", &id.to_string()))
}

/// A `users` ID from the path; anything that is not one is a 404, like an unknown ID.
pub(crate) fn member_id(id: &str) -> Result<MemberId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("users", id))
}
