//! `DELETE /keyward/v1/apiKeys/{id}`: revokes the key (K11, K12), at once and for good. This node
//! refuses its tokens before the answer leaves; every other node as soon as it reads the change
//! feed. A key manager may revoke itself.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::key_id;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::lifecycle;
use crate::routes::keyward_v1::actor;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let key_id = key_id(&id)?;
    lifecycle::revoke_keys(&state, caller.team_id, &[key_id], &actor(&caller, ip)).await.map_err(super::refusal)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
