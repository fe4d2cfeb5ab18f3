//! `GET /v1/apps`: the apps the key sees (A4: an individual key, only its member's visible apps),
//! filtered, sorted and paged, from the read model.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::paging::{AppFilter, AppSort, PageRequest};

use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::{DEFAULT_LIMIT, MAX_LIMIT, base, next_url, self_url};
use crate::views::app::AppWriter;
use crate::views::{self, Fields, Links, Paging, app};

/// The query parameters this endpoint accepts (also its OpenAPI parameters).
pub(crate) const PARAMS: [&str; 8] =
    ["filter[name]", "filter[bundleId]", "filter[sku]", "filter[id]", "sort", "fields[apps]", "limit", "cursor"];

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(key): Authenticated,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMS)?;
    let fields = Fields(params.fields("fields[apps]", app::app_fields())?);
    let (sort, descending) = match params.sort(&["name", "bundleId", "sku"])? {
        Some(("bundleId", d)) => (AppSort::BundleId, d),
        Some(("sku", d)) => (AppSort::Sku, d),
        Some((_, d)) => (AppSort::Name, d),
        None => (AppSort::Name, false),
    };
    let filter = AppFilter {
        ids: params.app_ids("filter[id]")?,
        names: params.list("filter[name]")?,
        bundle_ids: params.list("filter[bundleId]")?,
        skus: params.list("filter[sku]")?,
        visible_to: key.visible_apps.as_ref().map(|v| v.iter().copied().collect()),
    };
    let page = PageRequest {
        sort,
        descending,
        after: params.cursor()?,
        limit: params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?,
    };
    let result = state.replica.catalog().list_apps(key.team_id, &filter, &page);
    let base = base(&state, &headers);
    let links = Links { next: next_url(&base, &uri, &params, result.next.as_ref()), this: self_url(&base, &uri) };
    let paging = Paging { limit: page.limit, total: result.total };
    Ok(views::written(StatusCode::OK, AppWriter::new(&base, &fields).list(&result.items, &links, &paging)))
}
