//! `POST /v1/apps` and `DELETE /v1/apps/{id}`: apps are created by people (console or CLI), never
//! through the API, exactly as App Store Connect answers.

use axum::response::{IntoResponse, Response};

use crate::auth::middleware::Authenticated;
use crate::error::ApiError;

const ALLOWED: &str = "GET_COLLECTION, GET_INSTANCE, UPDATE";

pub(crate) async fn create(_: Authenticated) -> Response {
    ApiError::operation_not_allowed("apps", "CREATE", ALLOWED).into_response()
}

pub(crate) async fn delete(_: Authenticated) -> Response {
    ApiError::operation_not_allowed("apps", "DELETE", ALLOWED).into_response()
}
