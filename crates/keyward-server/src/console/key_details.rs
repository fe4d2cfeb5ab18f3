//! Key details: the key, its requests per hour over the last 24 hours (an SVG drawn here, no
//! script), its requests per gateway route area, and its recent authentication failures with their reasons (T14). Team keys are shown to
//! the Account Holder and Admins, individual keys also to their member.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::ids::KeyId;
use keyward_core::key::KeyKind;
use keyward_core::ports::{AuthStore, KeyStore};
use time::OffsetDateTime;

use super::chrome::{Chrome, manages};
use super::error::{PageError, PageResult};
use super::page::render;
use super::team_page::TeamPage;
use super::words::When;
use super::words::title;
use crate::AppState;

#[derive(Template)]
#[template(path = "key.html")]
struct KeyPage {
    c: Chrome,
    id: String,
    name: String,
    kind: &'static str,
    access: String,
    state: &'static str,
    created: When,
    created_by: String,
    last_used: When,
    /// x, y, height, hour label, requests.
    bars: Vec<(usize, u64, u64, String, u64)>,
    total: u64,
    peak: u64,
    /// Requests through the gateway (spec section 10), by route area.
    areas: Vec<(String, u64)>,
    failures: Vec<(When, String, String, String)>,
}

/// 24 bars, one per hour ending now, scaled to the busiest hour (100 units tall).
fn bars(usage: &[(i64, u64)], now_hour: i64) -> Vec<(usize, u64, u64, String, u64)> {
    let peak = usage.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    (0..24usize)
        .map(|i| {
            let hour = now_hour - 23 + i64::try_from(i).unwrap_or(0);
            let n = usage.iter().find(|(h, _)| *h == hour).map(|(_, n)| *n).unwrap_or(0);
            let height = n * 100 / peak;
            let label = OffsetDateTime::from_unix_timestamp(hour * 3600)
                .map(|t| format!("{:02}:00 UTC", t.hour()))
                .unwrap_or_default();
            (i * 20, 110 - height, height, label, n)
        })
        .collect()
}

pub(crate) async fn page(
    State(state): State<AppState>,
    TeamPage { session, team, me, .. }: TeamPage,
    Path((_, key)): Path<(String, String)>,
) -> PageResult {
    let Ok(key_id) = KeyId::parse(&key) else { return Err(PageError::NotFound) };
    let key = state.store.key(&key_id).await?;
    let own = key.kind == KeyKind::Individual && key.member_id == Some(me.id);
    if key.team_id != team.id || !(manages(&me) || own) {
        return Err(PageError::NotFound);
    }
    let now_hour = OffsetDateTime::now_utc().unix_timestamp().div_euclid(3600);
    let usage = state.store.usage(&key_id, now_hour - 23).await?;
    let areas = state.store.area_usage(&key_id, now_hour - 23).await?;
    let failures = state.store.auth_failures(&key_id).await?;
    let page = KeyPage {
        c: Chrome::for_team(&session, &team, &me),
        id: key.id.to_string(),
        name: key.name.clone(),
        kind: if key.kind == KeyKind::Team { "Team key" } else { "Individual key" },
        access: if key.kind == KeyKind::Team {
            key.roles.iter().map(title).collect::<Vec<_>>().join(", ")
        } else {
            "The member's roles and apps".into()
        },
        state: if key.is_active() { "Active" } else { "Revoked" },
        created: When::date(key.created_at),
        created_by: key.created_by_label.clone(),
        last_used: key.last_used_at.map_or_else(|| When::words("Never"), When::date_time),
        total: usage.iter().map(|(_, n)| n).sum(),
        peak: usage.iter().map(|(_, n)| *n).max().unwrap_or(0),
        bars: bars(&usage, now_hour),
        areas,
        failures: failures
            .into_iter()
            .map(|f| (When::date_time(f.at), f.rule, f.reason, f.client_ip.unwrap_or_default()))
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_hour() {
        let b = bars(&[(100, 10), (99, 5)], 100);
        assert_eq!(b.len(), 24);
        assert_eq!((b[23].2, b[23].4), (100, 10), "the current hour is last, full height");
        assert_eq!((b[22].2, b[22].4), (50, 5));
        assert_eq!(b[0].2, 0);
    }
}
