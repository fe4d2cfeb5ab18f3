//! `GET /v1/{type}/{id}/{relationship}`: the related resources (a list, paged and filtered like a
//! collection) or the related resource (`data` may be `null`), consistent with the linkage path
//! and with what the resources themselves link to (R3).

use axum::http::StatusCode;
use axum::response::Response;
use keyward_asc::OpKind;
use serde_json::Value;

use super::{Call, include, list, parent, render};
use crate::error::ApiError;

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let parent = parent::of(call)?;
    let rel = call.operation.relationship.as_deref().unwrap_or_default();
    let kind = super::resource_kind(call)?;
    let links = parent.related(call, rel, kind);
    let fields = render::fields(call, kind);
    if kind == "apps" {
        let apps = super::visible_apps(call, &links);
        return Ok(match call.operation.kind {
            OpKind::GetToOneRelated => {
                let data = apps.first().map_or(Value::Null, |a| super::app_resource(call, a));
                render::single(StatusCode::OK, data, call.self_url())
            }
            _ => {
                let page = list::page_in_order(call, apps, |a| a.id.to_string())?;
                let data = page.items.iter().map(|a| super::app_resource(call, a)).collect();
                list::document(call, data, None, page.total, page.next)
            }
        });
    }
    let items = {
        let index = call.state.replica.resources();
        links.iter().filter_map(|l| index.get(call.key.team_id, &l.kind, &l.id)).collect::<Vec<_>>()
    };
    match call.operation.kind {
        OpKind::GetToOneRelated => {
            let data = items
                .iter()
                .find(|r| list::sees(&call.key, r))
                .map_or(Value::Null, |r| render::resource(call.api, &call.base, r, fields));
            Ok(render::single(StatusCode::OK, data, call.self_url()))
        }
        _ => {
            let page = list::page(call, items)?;
            let mut data: Vec<_> =
                page.items.iter().map(|r| render::resource(call.api, &call.base, r, fields)).collect();
            let included = include::apply(call, &page.items, &mut data);
            Ok(list::document(call, data, included, page.total, page.next))
        }
    }
}
