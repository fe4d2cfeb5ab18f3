//! `GET /v1/userInvitations`: pending invitations, filtered, sorted, paged.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::paging::{InvitationFilter, InvitationSort, PageRequest};
use keyward_core::ports::InvitationStore;

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::users::Include;
use crate::routes::v1::{DEFAULT_LIMIT, MAX_LIMIT, base, next_url, self_url};
use crate::views::{self, Fields, invitation};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 10] = [
    "filter[email]",
    "filter[roles]",
    "filter[visibleApps]",
    "sort",
    "fields[userInvitations]",
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
    let fields = Fields(params.fields("fields[userInvitations]", &invitation::INVITATION_FIELDS)?);
    let (sort, descending) = match params.sort(&["email", "lastName"])? {
        Some(("lastName", d)) => (InvitationSort::LastName, d),
        Some((_, d)) => (InvitationSort::Email, d),
        None => (InvitationSort::Email, false),
    };
    let filter = InvitationFilter {
        emails: params.list("filter[email]")?,
        roles: params.roles("filter[roles]")?,
        visible_apps: crate::routes::v1::as_seen_by(&key, params.app_ids("filter[visibleApps]")?),
    };
    let page = PageRequest {
        sort,
        descending,
        after: params.cursor()?,
        limit: params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?,
    };
    let mut include = Include::from_params(&state, &key, &params)?;
    let result = state.store.list_invitations(key.team_id, &filter, &page).await?;
    let base = base(&state, &headers);
    let data = result
        .items
        .iter()
        .map(|i| {
            let related = include.as_mut().map(|inc| inc.related(i.all_apps_visible, &i.visible_apps, &base));
            invitation::resource(i, &base, &fields, related.as_ref())
        })
        .collect();
    let next = next_url(&base, &uri, &params, result.next.as_ref());
    let doc = views::list(data, include.map(Include::included), self_url(&base, &uri), next, result.total, page.limit);
    Ok(views::document(StatusCode::OK, &doc))
}
