//! Profile: the member's Individual API Key: generate when permitted (K6), download once (the
//! Integrations download route), revoke with confirmation (K12).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum_extra::extract::Form;
use keyward_core::error::StoreError;
use keyward_core::key::{ApiKey, KeyKind, KeyState};
use keyward_core::member::may_generate_individual_key;
use keyward_core::ports::{KeyStore, NewKey};
use serde::Deserialize;
use time::OffsetDateTime;

use super::chrome::Chrome;
use super::error::{PageError, PageResult};
use super::flash::{self, Flash};
use super::page::render;
use super::team_page::{TeamPage, actor};
use super::words::{When, sentence, title};
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
    flash: Flash,
    /// The revoke confirmation is open (`?revoke`, or Revoke posted without JavaScript).
    confirming: bool,
}

/// The member's current individual key in this team, if any: working, and not a predecessor in
/// its rotation's grace period (X4). An expired one is not current: the member may generate anew.
async fn mine(state: &AppState, page: &TeamPage) -> Result<Option<ApiKey>, StoreError> {
    let now = OffsetDateTime::now_utc();
    let keys = state.store.keys(page.team.id, now, state.settings.revoked_retention_days).await?;
    Ok(keys.into_iter().find(|k| {
        k.kind == KeyKind::Individual
            && k.member_id == Some(page.me.id)
            && k.state(now) == KeyState::Active
            && k.revoke_at.is_none()
    }))
}

async fn show(state: &AppState, page: &TeamPage, flash: Flash, status: StatusCode, confirming: bool) -> PageResult {
    let mine = mine(state, page).await?;
    let eligibility = may_generate_individual_key(page.me.roles);
    let view = ProfilePage {
        c: Chrome::for_team(&page.session, &page.team, &page.me),
        roles: page.me.roles.iter().map(title).collect::<Vec<_>>().join(", "),
        confirming: confirming && mine.is_some(),
        key: mine.map(|k| (k.id.to_string(), When::date(k.created_at), k.is_downloadable())),
        can_generate: eligibility.is_ok(),
        why_not: eligibility.err().map(|e| sentence(&e.to_string())).unwrap_or_default(),
        flash,
    };
    Ok(render(status, &view))
}

pub(crate) async fn page(State(state): State<AppState>, page: TeamPage, RawQuery(query): RawQuery) -> PageResult {
    let confirming = query.as_deref().is_some_and(|q| q.split('&').any(|p| p.split('=').next() == Some("revoke")));
    show(&state, &page, page.flash.clone(), StatusCode::OK, confirming).await
}

#[derive(Deserialize)]
pub(crate) struct KeyForm {
    csrf: String,
    action: String,
    confirm: Option<String>,
}

/// Generate or revoke the member's own individual key; on success a redirect back to the profile.
pub(crate) async fn key(State(state): State<AppState>, page: TeamPage, Form(form): Form<KeyForm>) -> PageResult {
    page.check(&form.csrf)?;
    let who = actor(&page.me, page.ip.clone());
    let outcome = match form.action.as_str() {
        "generate" => lifecycle::generate_key(
            &state.store,
            page.team.id,
            NewKey::Individual { member_id: page.me.id },
            state.settings.max_active_team_keys,
            &who,
        )
        .await
        .map(|k| format!("Generated your individual key {}. Download it now: it can be downloaded only once.", k.id)),
        "revoke" => {
            let mine = match mine(&state, &page).await {
                Ok(Some(k)) => k,
                Ok(None) => return back(&page, Flash::error("You have no individual key to revoke.")),
                Err(e) => return Err(e.into()),
            };
            if form.confirm.as_deref() != Some("yes") {
                // Nothing changes without the confirmation: the page asks for it.
                return show(&state, &page, Flash::default(), StatusCode::OK, true).await;
            }
            lifecycle::revoke_keys(&state, page.team.id, std::slice::from_ref(&mine.id), &who)
                .await
                .map(|_| format!("Revoked {}. Tokens signed with it are refused from now on.", mine.id))
        }
        _ => return Err(PageError::NotFound),
    };
    match outcome {
        Ok(notice) => back(&page, Flash::notice(notice)),
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, Flash::error(sentence(&rule.to_string())), StatusCode::CONFLICT, false).await
        }
        Err(e) => Err(e.into()),
    }
}

fn back(page: &TeamPage, flash: Flash) -> PageResult {
    Ok(flash::redirect(&page.session, &format!("/teams/{}/profile", page.team.issuer_id), flash))
}
