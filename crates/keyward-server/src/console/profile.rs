//! Profile: the member's Individual API Key: generate when permitted (K6), download once (the
//! Integrations download route), revoke with confirmation (K12).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use keyward_core::error::StoreError;
use keyward_core::key::KeyKind;
use keyward_core::member::{Member, may_generate_individual_key};
use keyward_core::ports::{KeyStore, NewKey};
use keyward_core::team::Team;
use serde::Deserialize;
use time::OffsetDateTime;

use super::chrome::Chrome;
use super::render;
use super::session::Session;
use super::store_failure;
use super::team_page::{TeamPage, actor};
use super::words::When;
use super::words::{sentence, title};
use crate::{AppState, lifecycle};

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    roles: String,
    /// Key ID, created, still downloadable.
    key: Option<(String, When, bool)>,
    can_generate: bool,
    why_not: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn show(
    state: &AppState,
    session: &Session,
    team: &Team,
    me: &Member,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let keys = match state.store.keys(team.id, OffsetDateTime::now_utc(), state.settings.revoked_retention_days).await {
        Ok(k) => k,
        Err(e) => return store_failure(e),
    };
    let mine = keys.iter().find(|k| k.kind == KeyKind::Individual && k.member_id == Some(me.id) && k.is_active());
    let eligibility = may_generate_individual_key(me.roles);
    let page = ProfilePage {
        c: Chrome::for_team(session, team, me),
        roles: me.roles.iter().map(title).collect::<Vec<_>>().join(", "),
        key: mine.map(|k| (k.id.to_string(), When::date(k.created_at), k.is_downloadable())),
        can_generate: eligibility.is_ok(),
        why_not: eligibility.err().map(|e| sentence(&e.to_string())).unwrap_or_default(),
        notice,
        error,
    };
    render(status, &page)
}

pub(crate) async fn page(State(state): State<AppState>, TeamPage { session, team, me, .. }: TeamPage) -> Response {
    show(&state, &session, &team, &me, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(crate) struct KeyForm {
    csrf: String,
    action: String,
    confirm: Option<String>,
}

pub(crate) async fn key(State(state): State<AppState>, page: TeamPage, Form(form): Form<KeyForm>) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    let who = actor(&me, ip);
    let outcome = match form.action.as_str() {
        "generate" => lifecycle::generate_key(
            &state.store,
            team.id,
            NewKey::Individual { member_id: me.id },
            state.settings.max_active_team_keys,
            &who,
        )
        .await
        .map(|k| format!("Generated your individual key {}. Download it now: it can be downloaded only once.", k.id)),
        "revoke" => {
            let keys =
                match state.store.keys(team.id, OffsetDateTime::now_utc(), state.settings.revoked_retention_days).await
                {
                    Ok(k) => k,
                    Err(e) => return store_failure(e),
                };
            let Some(mine) =
                keys.into_iter().find(|k| k.kind == KeyKind::Individual && k.member_id == Some(me.id) && k.is_active())
            else {
                return Redirect::to(&format!("/teams/{}/profile", team.issuer_id)).into_response();
            };
            if form.confirm.as_deref() != Some("yes") {
                let msg = format!(
                    "Confirm: revoking {} cannot be undone. Use the Revoke button of the dialog, or press Revoke again below.",
                    mine.id
                );
                return show(&state, &session, &team, &me, Some(msg), None, StatusCode::OK).await;
            }
            lifecycle::revoke_keys(&state, team.id, std::slice::from_ref(&mine.id), &who)
                .await
                .map(|_| format!("Revoked {}.", mine.id))
        }
        _ => return super::not_found(),
    };
    match outcome {
        Ok(notice) => show(&state, &session, &team, &me, Some(notice), None, StatusCode::OK).await,
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::CONFLICT).await
        }
        Err(e) => store_failure(e),
    }
}
