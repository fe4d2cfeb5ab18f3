//! The team's audit log (K15) for the Account Holder and Admins: filter by event and actor, export
//! as JSON Lines.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use keyward_core::audit::{AuditEvent, AuditKind};
use keyward_core::ports::AuditStore;
use serde::Deserialize;

use super::chrome::{Chrome, manages};
use super::error::{PageError, PageResult};
use super::page::render;
use super::team_page::TeamPage;
use super::words::When;
use crate::AppState;
use crate::views::timestamp;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    /// Every event name, and whether it is the one filtered on.
    events: Vec<(&'static str, bool)>,
    actor: String,
    rows: Vec<(When, &'static str, String, String, String, String)>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Filter {
    #[serde(default)]
    event: String,
    #[serde(default)]
    actor: String,
}

fn keep(e: &AuditEvent, f: &Filter) -> bool {
    (f.event.is_empty() || e.event.as_str() == f.event)
        && (f.actor.is_empty() || e.actor.to_lowercase().contains(&f.actor.to_lowercase()))
}

pub(crate) async fn page(State(state): State<AppState>, page: TeamPage, Query(filter): Query<Filter>) -> PageResult {
    let TeamPage { session, team, me, .. } = page;
    if !manages(&me) {
        return Err(PageError::NotFound);
    }
    let events = state.store.audit(team.id).await?;
    let rows = events
        .iter()
        .filter(|e| keep(e, &filter))
        .map(|e| {
            (
                When::date_time(e.at),
                e.event.as_str(),
                e.actor.clone(),
                e.actor_ip.clone().unwrap_or_default(),
                e.subject.clone().unwrap_or_default(),
                e.detail.clone(),
            )
        })
        .collect();
    let page = AuditPage {
        c: Chrome::for_team(&session, &team, &me),
        events: AuditKind::ALL.iter().map(|k| (k.as_str(), k.as_str() == filter.event)).collect(),
        actor: filter.actor,
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

pub(crate) async fn export(State(state): State<AppState>, TeamPage { team, me, .. }: TeamPage) -> PageResult {
    if !manages(&me) {
        return Err(PageError::NotFound);
    }
    let events = state.store.audit(team.id).await?;
    let mut body = String::new();
    for e in events {
        let line = serde_json::json!({"at": timestamp(e.at), "event": e.event.as_str(), "actor": e.actor, "actor_ip": e.actor_ip, "subject": e.subject, "detail": e.detail});
        body.push_str(&line.to_string());
        body.push('\n');
    }
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"audit-{}.jsonl\"", team.issuer_id)) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
