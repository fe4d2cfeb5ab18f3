//! `GET /v1/apps`: the apps the key sees (A4: an individual key, only its member's visible apps).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::ports::AppStore;
use serde_json::json;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::views::{BaseUrl, app, document};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = match uri.query().unwrap_or_default().split('&').find_map(|p| p.strip_prefix("limit=")) {
        None => DEFAULT_LIMIT,
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::parameter("limit", format!("'{v}' is not a valid limit; it must be between 1 and {MAX_LIMIT}"))
        })?,
    };
    let base = BaseUrl::from_request(state.public_url.as_deref(), &headers);
    let apps: Vec<_> = state
        .store
        .apps(key.team_id)
        .await?
        .into_iter()
        .filter(|a| key.visible_apps.as_ref().is_none_or(|v| v.contains(&a.id)))
        .collect();
    let data: Vec<_> = apps.iter().take(limit).map(|a| app::resource(a, &base)).collect();
    let self_link = base.url(&uri.path_and_query().map(ToString::to_string).unwrap_or_else(|| "/v1/apps".into()));
    let body = json!({
        "data": data,
        "links": { "self": self_link },
        "meta": { "paging": { "total": apps.len(), "limit": limit } },
    });
    Ok(document(StatusCode::OK, &body))
}
