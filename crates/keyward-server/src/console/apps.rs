//! Apps: the list, and New App for the Account Holder, Admins, App Managers and Create Apps.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use keyward_core::app::{App, NewApp, may_create_app};
use keyward_core::error::StoreError;
use keyward_core::member::Member;
use keyward_core::ports::AppStore;
use keyward_core::team::Team;
use serde::Deserialize;

use super::chrome::Chrome;
use super::render;
use super::session::Session;
use super::store_failure;
use super::team_page::{TeamPage, actor};
use super::words::sentence;
use crate::AppState;

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    c: Chrome,
    can_create: bool,
    apps: Vec<App>,
    error: Option<String>,
}

async fn show(
    state: &AppState,
    session: &Session,
    team: &Team,
    me: &Member,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    match state.store.apps(team.id).await {
        Ok(apps) => render(
            status,
            &AppsPage {
                c: Chrome::for_team(session, team, me),
                can_create: may_create_app(me.roles).is_ok(),
                apps,
                error,
            },
        ),
        Err(e) => store_failure(e),
    }
}

pub(crate) async fn page(State(state): State<AppState>, TeamPage { session, team, me, .. }: TeamPage) -> Response {
    show(&state, &session, &team, &me, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(crate) struct NewAppForm {
    csrf: String,
    name: String,
    bundle_id: String,
    sku: String,
    primary_locale: String,
}

pub(crate) async fn create(State(state): State<AppState>, page: TeamPage, Form(form): Form<NewAppForm>) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    let new = NewApp { name: form.name, bundle_id: form.bundle_id, sku: form.sku, primary_locale: form.primary_locale };
    match state.store.create_app(team.id, new, &actor(&me, ip)).await {
        Ok(_) => Redirect::to(&format!("/teams/{}/apps", team.issuer_id)).into_response(),
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, Some(sentence(&rule.to_string())), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => store_failure(e),
    }
}
