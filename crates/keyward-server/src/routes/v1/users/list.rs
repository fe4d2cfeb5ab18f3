//! `GET /v1/users`: the team's members, filtered, sorted, paged, optionally with their visible apps.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::paging::{MemberFilter, PageRequest, UserSort};
use keyward_core::ports::MemberStore;

use super::Include;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::{DEFAULT_LIMIT, MAX_LIMIT, base, next_url, self_url};
use crate::views::{self, Fields, user};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 10] = [
    "filter[username]",
    "filter[roles]",
    "filter[visibleApps]",
    "sort",
    "fields[users]",
    "fields[apps]",
    "limit",
    "include",
    "limit[visibleApps]",
    "cursor",
];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[users]", &user::USER_FIELDS)?);
    let (sort, descending) = match params.sort(&["username", "lastName"])? {
        Some(("lastName", d)) => (UserSort::LastName, d),
        Some((_, d)) => (UserSort::Username, d),
        None => (UserSort::Username, false),
    };
    let filter = MemberFilter {
        roles: params.roles("filter[roles]")?,
        usernames: params.list("filter[username]")?,
        visible_apps: crate::routes::v1::as_seen_by(&key, params.app_ids("filter[visibleApps]")?),
    };
    let page = PageRequest {
        sort,
        descending,
        after: params.cursor()?,
        limit: params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?,
    };
    let mut include = Include::from_params(&state, &key, &params)?;
    let result = state.store.list_members(key.team_id, &filter, &page).await?;
    let base = base(&state, &headers);
    let data = result
        .items
        .iter()
        .map(|m| {
            let related = include.as_mut().map(|i| i.related(m.all_apps_visible, &m.visible_apps, &base));
            user::resource(m, &base, &fields, related.as_ref())
        })
        .collect();
    let next = next_url(&base, &uri, &params, result.next.as_ref());
    let doc = views::list(data, include.map(Include::included), self_url(&base, &uri), next, result.total, page.limit);
    Ok(views::document(StatusCode::OK, &doc))
}
