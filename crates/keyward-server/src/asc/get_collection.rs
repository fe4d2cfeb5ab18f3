//! `GET /v1/{type}`: the team's resources of the type, as the key sees them (R3).

use axum::response::Response;

use super::{Call, include, list, render};
use crate::error::ApiError;

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let kind = super::resource_kind(call)?;
    let items = call.state.replica.resources().of_kind(call.key.team_id, kind);
    let page = list::page(call, items)?;
    let fields = render::fields(call, kind);
    let mut data: Vec<_> = page.items.iter().map(|r| render::resource(call.api, &call.base, r, fields)).collect();
    let included = include::apply(call, &page.items, &mut data);
    Ok(list::document(call, data, included, page.total, page.next))
}
