//! `GET /keyward/v1/apiKeys/{id}`: one key of the caller's team. A key of another team is
//! answered exactly like one that does not exist.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ports::KeyStore;
use time::OffsetDateTime;

use super::{TYPE, key_id, resource};
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
    let key_id = key_id(&id)?;
    let key = match state.store.key(&key_id).await {
        Ok(key) if key.team_id == caller.team_id => key,
        Ok(_) | Err(StoreError::Rule(DomainError::NotFound { .. })) => return Err(ApiError::not_found(TYPE, &id)),
        Err(e) => return Err(e.into()),
    };
    let now = OffsetDateTime::now_utc();
    let listed = keyward_core::key::is_listed(&key, now, state.settings.revoked_retention_days);
    if !listed {
        return Err(ApiError::not_found(TYPE, &id));
    }
    let base = base(&state, &headers);
    Ok(views::document(StatusCode::OK, &views::single(resource(&key, &base, now, None), None)))
}
