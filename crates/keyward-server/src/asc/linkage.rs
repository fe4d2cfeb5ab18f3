//! `GET /v1/{type}/{id}/relationships/{relationship}`: the linkage only, the same resources the
//! related path lists, in the same order (R3).

use axum::http::StatusCode;
use axum::response::Response;
use keyward_asc::OpKind;
use keyward_core::resource::Link;
use serde_json::Value;

use super::{Call, list, parent, render};
use crate::error::ApiError;

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let parent = parent::of(call)?;
    let rel = call.operation.relationship.as_deref().unwrap_or_default();
    let kind =
        call.api.relationship(parent.kind(), rel).and_then(|r| r.target.clone()).ok_or_else(ApiError::path_error)?;
    let links = parent.related(call, rel, &kind);
    let visible: Vec<Link> = if kind == "apps" {
        super::visible_apps(call, &links).iter().map(|a| Link { kind: "apps".into(), id: a.id.to_string() }).collect()
    } else {
        let index = call.state.replica.resources();
        let items = links.iter().filter_map(|l| index.get(call.key.team_id, &l.kind, &l.id)).collect::<Vec<_>>();
        drop(index);
        if call.operation.kind == OpKind::GetToManyRelationship {
            let page = list::page(call, items)?;
            let data =
                page.items.iter().map(|r| render::linkage(&Link { kind: r.kind.clone(), id: r.id.clone() })).collect();
            return Ok(list::document(call, data, None, page.total, page.next));
        }
        items
            .iter()
            .filter(|r| list::sees(&call.key, r))
            .map(|r| Link { kind: r.kind.clone(), id: r.id.clone() })
            .collect()
    };
    Ok(match call.operation.kind {
        OpKind::GetToOneRelationship => {
            let data = visible.first().map_or(Value::Null, render::linkage);
            render::single(StatusCode::OK, data, call.self_url())
        }
        _ => {
            let page = list::page_in_order(call, visible, |l| l.id.clone())?;
            let data = page.items.iter().map(render::linkage).collect();
            list::document(call, data, None, page.total, page.next)
        }
    })
}
