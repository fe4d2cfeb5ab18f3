//! `DELETE /v1/{type}/{id}`: 204, or 404 naming the type (R4); what a deletion carries to others
//! (a revoked certificate's profiles going `INVALID`) in the same transaction.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_core::change::Change;
use keyward_core::ports::ResourceStore;

use super::Call;
use crate::error::ApiError;

pub(super) async fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let kind = super::resource_kind(call)?;
    let found = super::visible(call, kind, call.id())?;
    let rules = super::behaviour::before_delete(call, kind, &found)?;
    let mut changes = call.state.store.delete_resource(call.key.team_id, kind, &found.id, rules).await?;
    changes.push(Change::Resource { team_id: call.key.team_id, resource_type: kind.to_owned(), id: found.id.clone() });
    call.state.written(&changes).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
