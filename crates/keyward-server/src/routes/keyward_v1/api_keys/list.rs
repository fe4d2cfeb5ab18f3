//! `GET /keyward/v1/apiKeys`: the team's keys, active ones and those revoked or expired within
//! retention (K13), oldest first. Filters: `filter[kind]` (`TEAM`, `INDIVIDUAL`),
//! `filter[state]` (`ACTIVE`, `EXPIRED`, `REVOKED`), `filter[member]` (user IDs); `limit`
//! (1–200, 50 by default) and the opaque `cursor` of `links.next`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use keyward_core::key::ApiKey;
use keyward_core::paging::Keyset;
use keyward_core::ports::KeyStore;
use time::OffsetDateTime;

use super::{kind_name, resource};
use crate::AppState;
use crate::auth::middleware::Authenticated;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::{DEFAULT_LIMIT, MAX_LIMIT, base, next_url, self_url};
use crate::views;

const PARAMETERS: [&str; 5] = ["filter[kind]", "filter[state]", "filter[member]", "limit", "cursor"];

/// One allowed value of a list filter, or a 400 naming it.
fn one_of(params: &Params, name: &str, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let values = params.list(name)?;
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(v) => Err(ApiError::parameter(
            name,
            format!("'{v}' is not a valid value for '{name}'; use one of {}", allowed.join(", ")),
        )),
        None => Ok(values),
    }
}

fn position(key: &ApiKey) -> (i64, String) {
    (key.created_at.unix_timestamp(), key.id.to_string())
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query(), &PARAMETERS)?;
    let kinds = one_of(&params, "filter[kind]", &["TEAM", "INDIVIDUAL"])?;
    let states = one_of(&params, "filter[state]", &["ACTIVE", "EXPIRED", "REVOKED"])?;
    let members = params.list("filter[member]")?;
    let limit = params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = match params.cursor()? {
        Some(Keyset { value, id }) => {
            let at =
                value.parse::<i64>().map_err(|_| ApiError::parameter("cursor", "The cursor is not valid".into()))?;
            Some((at, id))
        }
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    let mut keys: Vec<ApiKey> = state
        .store
        .keys(caller.team_id, now, state.settings.revoked_retention_days)
        .await?
        .into_iter()
        .filter(|k| kinds.is_empty() || kinds.iter().any(|x| x == kind_name(k.kind)))
        .filter(|k| states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case(k.state(now).as_str())))
        .filter(|k| members.is_empty() || k.member_id.is_some_and(|m| members.contains(&m.to_string())))
        .collect();
    keys.sort_by_key(position);
    let total = keys.len() as u64;
    let page: Vec<&ApiKey> =
        keys.iter().filter(|k| after.as_ref().is_none_or(|a| position(k) > *a)).take(limit as usize).collect();
    let more = page.last().is_some_and(|last| keys.iter().any(|k| position(k) > position(last)));
    let next = page
        .last()
        .filter(|_| more)
        .map(|last| Keyset { value: last.created_at.unix_timestamp().to_string(), id: last.id.to_string() });
    let base = base(&state, &headers);
    let data = page.iter().map(|k| resource(k, &base, now, None)).collect();
    let next = next_url(&base, &uri, &params, next.as_ref());
    let doc = views::list(data, None, self_url(&base, &uri), next, total, limit);
    Ok(views::document(StatusCode::OK, &doc))
}
