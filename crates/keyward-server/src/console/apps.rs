//! Apps: the list, and New App for the Account Holder, Admins, App Managers and Create Apps.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::Form;
use keyward_core::app::{App, NewApp, may_create_app};
use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ports::AppStore;
use serde::Deserialize;

use super::chrome::Chrome;
use super::error::PageResult;
use super::flash::{self, Flash};
use super::page::render;
use super::team_page::{TeamPage, actor};
use super::words::sentence;
use crate::AppState;

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    c: Chrome,
    can_create: bool,
    apps: Vec<App>,
    flash: Flash,
    /// The team's 10-character Team ID (spec F1).
    team_identifier: String,
}

async fn show(state: &AppState, page: &TeamPage, flash: Flash, status: StatusCode) -> PageResult {
    let TeamPage { session, team, me, .. } = page;
    match state.store.apps(team.id).await {
        Ok(apps) => Ok(render(
            status,
            &AppsPage {
                c: Chrome::for_team(session, team, me),
                can_create: may_create_app(me.roles).is_ok(),
                apps,
                flash,
                team_identifier: keyward_core::team::team_identifier(team.id),
            },
        )),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn page(State(state): State<AppState>, page: TeamPage) -> PageResult {
    show(&state, &page, page.flash.clone(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub(crate) struct NewAppForm {
    csrf: String,
    name: String,
    bundle_id: String,
    sku: String,
    primary_locale: String,
}

/// New App: on success a redirect to the list, which names the app once.
pub(crate) async fn create(State(state): State<AppState>, page: TeamPage, Form(form): Form<NewAppForm>) -> PageResult {
    page.check(&form.csrf)?;
    let new = NewApp { name: form.name, bundle_id: form.bundle_id, sku: form.sku, primary_locale: form.primary_locale };
    match state.store.create_app(page.team.id, new, &actor(&page.me, page.ip.clone())).await {
        Ok(app) => {
            state.written(&[Change::App { team_id: page.team.id, app_id: app.id }]).await;
            let notice = Flash::notice(format!("Created {} ({}).", app.name, app.bundle_id));
            Ok(flash::redirect(&page.session, &format!("/teams/{}/apps", page.team.issuer_id), notice))
        }
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, Flash::error(sentence(&rule.to_string())), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The installation's code-signing CA (spec F1) as a PEM file, for a member to trust in the tests
/// that check the certificates and profiles Keyward signs. Public material; members only, like
/// the rest of the team's pages.
pub(crate) async fn signing_ca(State(state): State<AppState>, _page: TeamPage) -> axum::response::Response {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let headers = [
        (CONTENT_TYPE, "application/x-pem-file"),
        (CONTENT_DISPOSITION, "attachment; filename=\"keyward-signing-ca.pem\""),
    ];
    (headers, state.signing.cert_pem.clone()).into_response()
}
