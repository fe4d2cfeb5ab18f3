//! `GET /keyward/v1/keyWebhooks/{id}`: one key webhook of the caller's team; another team's is
//! answered exactly like one that does not exist.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{TYPE, resource};
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::routes::v1::base;
use crate::views;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hooks = state.store.key_webhooks(caller.team_id).await?;
    let hook = hooks.iter().find(|h| h.id == id).ok_or_else(|| ApiError::not_found(TYPE, &id))?;
    let base = base(&state, &headers);
    Ok(views::document(StatusCode::OK, &views::single(resource(hook, &base, None), None)))
}
