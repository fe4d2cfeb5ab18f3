//! `DELETE /v1/{type}/{id}`: 204, or 404 naming the type (R4).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_core::change::Change;
use keyward_core::ports::ResourceStore;

use super::Call;
use crate::error::ApiError;

pub(super) async fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let kind = super::resource_kind(call)?;
    let found = super::visible(call, kind, call.id())?;
    call.state.store.delete_resource(call.key.team_id, kind, &found.id).await?;
    let change = Change::Resource { team_id: call.key.team_id, resource_type: kind.to_owned(), id: found.id.clone() };
    call.state.written(&[change]).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
