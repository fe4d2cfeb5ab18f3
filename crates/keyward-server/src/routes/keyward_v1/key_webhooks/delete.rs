//! `DELETE /keyward/v1/keyWebhooks/{id}`: no more key events to that URL; its pending deliveries
//! fail as deleted. Audited with the acting key; storage re-checks the key's standing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::routes::keyward_v1::actor;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.store.remove_key_webhook(caller.team_id, &id, &actor(&caller, ip)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
