//! `DELETE /v1/users/{id}`: removes the member; their individual key is revoked in the same
//! transaction (K14) and stops working here before this returns. The Account Holder stays.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::get::member_id;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::lifecycle;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
) -> Result<Response, ApiError> {
    let member = member_id(&id)?;
    let actor = crate::jsonapi::actor(&key, ip);
    lifecycle::remove_member(&state, key.team_id, member, &actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
