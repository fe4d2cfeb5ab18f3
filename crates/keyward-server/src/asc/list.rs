//! Lists (R3): the A4 view of the calling key, `filter[…]` and `exists[…]`, `sort` (ties by ID),
//! keyset cursors, `limit`, `meta.paging.total` — the same for every collection, related list and
//! linkage list, over the replica's copies.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use keyward_core::resource::{Link, Resource};
use keyward_core::resource_index::ResourceIndex;
use keyward_token::verify::Principal;
use serde_json::{Value, json};

use super::Call;
use crate::error::ApiError;
use crate::views;

/// A4: whether the key sees a resource: one that belongs to an app only when it sees the app.
pub(super) fn sees(key: &Principal, r: &Resource) -> bool {
    r.app.is_none_or(|app| crate::routes::v1::key_sees(key, app))
}

/// A value as a filter compares it: strings as they are, other scalars as JSON writes them.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether the key sees what a link points at (A4): a filter or `exists` must not tell about
/// what is hidden from it.
fn sees_link(key: &Principal, index: &ResourceIndex, team: keyward_core::ids::TeamId, link: &Link) -> bool {
    match link.kind.as_str() {
        "apps" => link.id.parse().is_ok_and(|app| crate::routes::v1::key_sees(key, app)),
        "users" | "userInvitations" => true,
        kind => index.get(team, kind, &link.id).is_some_and(|found| sees(key, &found)),
    }
}

/// `filter[field]`: the resource's ID, a relationship's linkage, an attribute, or through a
/// relationship (`filter[preReleaseVersion.version]`) an attribute of what it links to, each as
/// the key sees it.
fn matches(key: &Principal, index: &ResourceIndex, r: &Resource, field: &str, values: &[String]) -> bool {
    if field == "id" {
        return values.contains(&r.id);
    }
    if let Some((rel, attribute)) = field.split_once('.') {
        return r
            .link(rel)
            .iter()
            .filter_map(|l| index.get(r.team_id, &l.kind, &l.id))
            .filter(|linked| sees(key, linked))
            .any(|linked| matches(key, index, &linked, attribute, values));
    }
    if let Some(links) = r.relationships.get(field) {
        return links.iter().any(|l| values.contains(&l.id) && sees_link(key, index, r.team_id, l));
    }
    match r.attributes.get(field) {
        Some(Value::Array(items)) => items.iter().any(|i| values.contains(&text(i))),
        Some(v) if !v.is_null() => values.contains(&text(v)),
        _ => false,
    }
}

fn exists(key: &Principal, index: &ResourceIndex, r: &Resource, field: &str) -> bool {
    r.relationships.get(field).is_some_and(|links| links.iter().any(|l| sees_link(key, index, r.team_id, l)))
        || r.attributes.get(field).is_some_and(|v| !v.is_null())
}

/// JSON values in a list's order: null first, then numbers, strings, booleans, each in its order.
fn compare(a: &Value, b: &Value) -> Ordering {
    let rank = |v: &Value| match v {
        Value::Null => 0,
        Value::Number(_) => 1,
        Value::String(_) => 2,
        Value::Bool(_) => 3,
        _ => 4,
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or_default().partial_cmp(&y.as_f64().unwrap_or_default()).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

/// A resource's place in a list: its values of the sort's fields, then its ID.
type SortKey = (Vec<Value>, String);

fn sort_key(call: &Call<'_>, r: &Resource) -> SortKey {
    let values = call.query.sort.iter().map(|s| r.attributes.get(&s.field).cloned().unwrap_or(Value::Null)).collect();
    (values, r.id.clone())
}

fn order(call: &Call<'_>, a: &SortKey, b: &SortKey) -> Ordering {
    for (i, sort) in call.query.sort.iter().enumerate() {
        let o = compare(&a.0[i], &b.0[i]);
        let o = if sort.descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.1.cmp(&b.1)
}

/// One page of a list.
pub(super) struct Page<T = Arc<Resource>> {
    pub items: Vec<T>,
    pub total: usize,
    pub next: Option<String>,
}

fn bad_cursor(cursor: &str) -> ApiError {
    ApiError::parameter("cursor", format!("'{cursor}' is not a valid cursor for this request"))
}

/// The page of `items` the call asks for. Cursors carry the last item's sort key, so a page
/// starts right after it even when items were added or removed meanwhile.
pub(super) fn page(call: &Call<'_>, items: Vec<Arc<Resource>>) -> Result<Page, ApiError> {
    let mut kept: Vec<(SortKey, Arc<Resource>)> = {
        let index = call.state.replica.resources();
        items
            .into_iter()
            .filter(|r| sees(&call.key, r))
            .filter(|r| call.query.filters.iter().all(|(f, values)| matches(&call.key, &index, r, f, values)))
            .filter(|r| call.query.exists.iter().all(|(f, want)| exists(&call.key, &index, r, f) == *want))
            .map(|r| (sort_key(call, &r), r))
            .collect()
    };
    kept.sort_by(|a, b| order(call, &a.0, &b.0));
    let total = kept.len();
    let start = match &call.query.cursor {
        None => 0,
        Some(c) => {
            let raw = keyward_token::b64::decode(c).ok_or_else(|| bad_cursor(c))?;
            let after: SortKey = serde_json::from_slice(&raw).map_err(|_| bad_cursor(c))?;
            if after.0.len() != call.query.sort.len() {
                return Err(bad_cursor(c));
            }
            kept.partition_point(|(k, _)| order(call, k, &after) != Ordering::Greater)
        }
    };
    let limit = usize::try_from(call.query.limit).unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(kept.len());
    let next = (end < kept.len() && end > start)
        .then(|| kept.get(end - 1))
        .flatten()
        .and_then(|(k, _)| serde_json::to_vec(k).ok())
        .map(keyward_token::b64::encode);
    let items = kept.drain(start.min(end)..end).map(|(_, r)| r).collect();
    Ok(Page { items, total, next })
}

/// A list document: `data`, `links.self`, `links.next` when more follow, `meta.paging`.
pub(super) fn document(
    call: &Call<'_>,
    data: Vec<Value>,
    included: Option<Vec<Value>>,
    total: usize,
    next: Option<String>,
) -> Response {
    let mut links = json!({ "self": call.self_url() });
    if let Some(cursor) = next {
        let mut query: Vec<String> = call
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty() && keyward_asc::decode(p.split('=').next().unwrap_or_default()) != "cursor")
            .map(str::to_owned)
            .collect();
        query.push(format!("cursor={cursor}"));
        links["next"] = Value::String(call.base.url_with_query(call.uri.path(), &query.join("&")));
    }
    let mut body = json!({
        "data": data,
        "links": links,
        "meta": { "paging": { "total": total, "limit": call.query.limit } },
    });
    if let Some(included) = included {
        body["included"] = Value::Array(included);
    }
    views::document(StatusCode::OK, &body)
}

/// A page of items kept in their given order, keyed by ID (the apps a relationship lists):
/// the items after the cursor's ID, at most `limit`, the total, and the next cursor.
pub(super) fn page_in_order<T>(call: &Call<'_>, items: Vec<T>, id: impl Fn(&T) -> String) -> Result<Page<T>, ApiError> {
    let total = items.len();
    let start = match &call.query.cursor {
        None => 0,
        Some(c) => {
            let raw = keyward_token::b64::decode(c).ok_or_else(|| bad_cursor(c))?;
            let after = String::from_utf8(raw).map_err(|_| bad_cursor(c))?;
            items.iter().position(|i| id(i) == after).map_or(total, |p| p + 1)
        }
    };
    let limit = usize::try_from(call.query.limit).unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(total);
    let next = (end < total && end > start).then(|| keyward_token::b64::encode(id(&items[end - 1])));
    let items = items.into_iter().skip(start).take(end.saturating_sub(start)).collect();
    Ok(Page { items, total, next })
}
