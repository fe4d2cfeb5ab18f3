//! `GET /v1/{type}/{id}`: one resource, or 404 `NOT_FOUND` naming its type (R3, A4).

use axum::http::StatusCode;
use axum::response::Response;

use super::{Call, include, render};
use crate::error::ApiError;

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let kind = super::resource_kind(call)?;
    let found = super::visible(call, kind, call.id())?;
    if call.query.include.is_empty() {
        let body = render::single_document(call.api, &call.base, &found, render::fields(call, kind));
        return Ok(crate::views::written(StatusCode::OK, body));
    }
    let mut data = [render::resource(call.api, &call.base, &found, render::fields(call, kind))];
    let included = include::apply(call, std::slice::from_ref(&found), &mut data);
    let [data] = data;
    let self_url = data["links"]["self"].as_str().unwrap_or_default().to_owned();
    Ok(render::single_with(StatusCode::OK, data, included, self_url))
}
