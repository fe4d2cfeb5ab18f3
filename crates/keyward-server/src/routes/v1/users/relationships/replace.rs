//! `PATCH /v1/users/{id}/relationships/visibleApps`.

use axum::extract::{Path, State};
use axum::response::Response;
use keyward_core::ports::VisibleAppsChange;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::body::JsonBody;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    crate::jsonapi::ClientIp(ip): crate::jsonapi::ClientIp,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    super::change(&state, &key, &id, ip, &body, VisibleAppsChange::Replace).await
}
