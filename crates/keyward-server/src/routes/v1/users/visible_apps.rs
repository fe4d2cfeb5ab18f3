//! `GET /v1/users/{id}/visibleApps`: the apps a member sees (all of the team's when `allAppsVisible`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::paging::{AppFilter, AppSort, PageRequest};
use keyward_core::ports::{AppStore, MemberStore};

use super::get::member_id;
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::{DEFAULT_LIMIT, MAX_LIMIT, base, next_url, self_url};
use crate::views::{self, Fields, app};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 3] = ["fields[apps]", "limit", "cursor"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[apps]", &app::app_fields())?);
    let member = state.store.member(key.team_id, member_id(&id)?).await?;
    let filter = AppFilter {
        visible_to: (!member.all_apps_visible).then(|| member.visible_apps.clone()),
        ..AppFilter::default()
    };
    let page = PageRequest {
        sort: AppSort::Name,
        descending: false,
        after: params.cursor()?,
        limit: params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?,
    };
    let result = state.store.list_apps(key.team_id, &filter, &page).await?;
    let base = base(&state, &headers);
    let data = result.items.iter().map(|a| app::resource(a, &base, &fields)).collect();
    let next = next_url(&base, &uri, &params, result.next.as_ref());
    Ok(views::document(StatusCode::OK, &views::list(data, None, self_url(&base, &uri), next, result.total, page.limit)))
}
