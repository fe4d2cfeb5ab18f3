//! `/v1` endpoints, one file per endpoint, grouped by resource.

pub(crate) mod apps;
pub(crate) mod user_invitations;
pub(crate) mod users;

use axum::http::{HeaderMap, Uri};
use keyward_core::ids::AppId;
use keyward_core::paging::Keyset;
use keyward_token::verify::Principal;

use crate::AppState;
use crate::jsonapi::cursor;
use crate::jsonapi::params::Params;
use crate::views::BaseUrl;

pub(crate) const DEFAULT_LIMIT: u32 = 50;
pub(crate) const MAX_LIMIT: u32 = 200;
/// Apple's bound for `limit[visibleApps]`, and its default when the relationship is included.
pub(crate) const MAX_RELATED_LIMIT: u32 = 50;
pub(crate) const DEFAULT_RELATED_LIMIT: u32 = 10;

pub(crate) fn base(state: &AppState, headers: &HeaderMap) -> BaseUrl {
    BaseUrl::from_request(state.public_url.as_deref(), headers, state.https)
}

/// The request URL, its query string as the client sent it.
pub(crate) fn self_url(base: &BaseUrl, uri: &Uri) -> String {
    base.url_with_query(uri.path(), uri.query().unwrap_or_default())
}

/// `links.next`: the same request with the cursor after the page's last item.
pub(crate) fn next_url(base: &BaseUrl, uri: &Uri, params: &Params, next: Option<&Keyset>) -> Option<String> {
    next.map(|k| base.url_with_query(uri.path(), &params.link_query(Some(&cursor::encode(k)))))
}

/// A4: whether the calling key sees this app (team keys see all; individual keys their member's).
pub(crate) fn key_sees(key: &Principal, app: AppId) -> bool {
    key.visible_apps.as_ref().is_none_or(|v| v.contains(&app))
}

/// A4 for app IDs a client sent (`filter[visibleApps]`): an app the key does not see is treated as
/// one that does not exist, so the answer tells nothing about it.
pub(crate) fn as_seen_by(key: &Principal, ids: Vec<AppId>) -> Vec<AppId> {
    ids.into_iter().map(|id| if key_sees(key, id) { id } else { AppId(-1) }).collect()
}

/// The apps someone sees (`visible`: `None` means all of the team's), one page in the order of
/// `GET /v1/apps`, as a list document whose items `render` draws (resources or linkages). A4: an
/// individual key's view narrows it, in the items and in `meta.paging.total`.
pub(crate) async fn visible_apps_document(
    state: &AppState,
    key: &Principal,
    visible: Option<Vec<AppId>>,
    uri: &Uri,
    headers: &HeaderMap,
    params: &Params,
    render: impl Fn(&keyward_core::app::App, &BaseUrl) -> serde_json::Value,
) -> Result<axum::response::Response, crate::error::ApiError> {
    use keyward_core::paging::{AppFilter, AppSort, PageRequest};
    let visible = match (visible, &key.visible_apps) {
        (Some(ids), _) => Some(ids.into_iter().filter(|id| key_sees(key, *id)).collect()),
        (None, Some(view)) => Some(view.iter().copied().collect()),
        (None, None) => None,
    };
    let filter = AppFilter { visible_to: visible, ..AppFilter::default() };
    let page = PageRequest {
        sort: AppSort::Name,
        descending: false,
        after: params.cursor()?,
        limit: params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?,
    };
    let result = state.replica.catalog().list_apps(key.team_id, &filter, &page);
    let base = base(state, headers);
    let data = result.items.iter().map(|a| render(a, &base)).collect();
    let next = next_url(&base, uri, params, result.next.as_ref());
    let doc = crate::views::list(data, None, self_url(&base, uri), next, result.total, page.limit);
    Ok(crate::views::document(axum::http::StatusCode::OK, &doc))
}
