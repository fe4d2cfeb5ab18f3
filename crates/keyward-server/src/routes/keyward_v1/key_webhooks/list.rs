//! `GET /keyward/v1/keyWebhooks`: the team's key webhooks, oldest first (at most
//! `MAX_WEBHOOKS`, so one page).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::key_event::MAX_WEBHOOKS;

use super::resource;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::{base, self_url};
use crate::views;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Params::parse(uri.query(), &[])?;
    let hooks = state.store.key_webhooks(caller.team_id).await?;
    let base = base(&state, &headers);
    let data: Vec<_> = hooks.iter().map(|h| resource(h, &base, None)).collect();
    let total = data.len() as u64;
    Ok(views::document(StatusCode::OK, &views::list(data, None, self_url(&base, &uri), None, total, MAX_WEBHOOKS)))
}
