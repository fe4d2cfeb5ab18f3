//! Paths no route serves: under `/v1/` they are authenticated first (a bad token is a 401, as at
//! Apple), then 404 `PATH_ERROR`; elsewhere a plain 404 in the same envelope.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::middleware;
use crate::error::ApiError;

pub(crate) async fn handler(state: State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    if ["/v1/", "/v2/", "/v3/"].iter().any(|v| path.starts_with(v)) {
        // Apple's wider API: the operation, or the authenticated 404 PATH_ERROR.
        crate::asc::dispatch(state, req).await
    } else if path == "/v1" {
        middleware::unknown_path(state, req).await
    } else {
        ApiError::path_error().into_response()
    }
}
