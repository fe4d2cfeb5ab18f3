//! `DELETE /v1/userInvitations/{id}`: 204.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_core::ports::InvitationStore;

use super::invitation_id;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
) -> Result<Response, ApiError> {
    let actor = crate::jsonapi::actor(&key, ip);
    state.store.delete_invitation(key.team_id, invitation_id(&id)?, &actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
