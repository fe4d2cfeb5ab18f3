//! `/_keyward/refusal/{status}`: Apple's error body for a status, for proxies that cannot pass the
//! forward-auth answer's own body on. nginx's `auth_request` answers a 401 or 403 with its own page,
//! and any other status (a 429) with a 500; its `error_page` fetches this instead, with the status
//! the check answered (see docs/GATEWAY.md). It says nothing about any key or request.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub(crate) async fn handler(Path(status): Path<String>) -> Response {
    let error = match status.as_str() {
        "401" => ApiError::not_authorized(None),
        "403" => ApiError::forbidden(),
        "429" => ApiError::rate_limited(),
        "503" => ApiError::unavailable(),
        _ => ApiError::internal(),
    };
    error.into_response()
}
