//! X5: the team's key webhooks on their own page under the API page: where key events go, a form
//! to add one (its signing secret shown once, in the message of the page the form redirects to)
//! and a button to remove each. For the Account Holder and Admins only; storage checks again.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::Form;
use keyward_core::error::StoreError;
use keyward_core::key_event::{EVENT_TYPES, MAX_WEBHOOKS};
use serde::Deserialize;

use super::chrome::{Chrome, manages};
use super::error::{PageError, PageResult};
use super::flash::{self, Flash};
use super::page::render;
use super::team_page::{TeamPage, actor};
use super::words::{When, sentence};
use crate::AppState;
use crate::key_webhooks::{self, AddError, events_of, url_of};

#[derive(Template)]
#[template(path = "key_webhooks.html")]
struct KeyWebhooksPage {
    c: Chrome,
    flash: Flash,
    /// (ID, URL, event types, added)
    hooks: Vec<(String, String, String, When)>,
    events: [&'static str; 6],
    max: u32,
    here: String,
}

fn path(page: &TeamPage) -> String {
    format!("/teams/{}/integrations/api/key-events", page.team.issuer_id)
}

pub(crate) async fn page(State(state): State<AppState>, page: TeamPage) -> PageResult {
    if !manages(&page.me) {
        return Err(PageError::NotFound);
    }
    let hooks = state.store.key_webhooks(page.team.id).await?;
    let view = KeyWebhooksPage {
        c: Chrome::for_team(&page.session, &page.team, &page.me),
        flash: page.flash.clone(),
        hooks: hooks
            .iter()
            .map(|h| (h.id.clone(), url_of(h).to_owned(), events_of(h).join(", "), When::date_time(h.created_at)))
            .collect(),
        events: EVENT_TYPES,
        max: MAX_WEBHOOKS,
        here: path(&page),
    };
    Ok(render(StatusCode::OK, &view))
}

#[derive(Deserialize)]
pub(crate) struct AddForm {
    csrf: String,
    url: String,
    #[serde(default)]
    events: Vec<String>,
}

/// Add: a redirect back to the page, whose message shows the new hook's secret this once.
pub(crate) async fn add(State(state): State<AppState>, page: TeamPage, Form(form): Form<AddForm>) -> PageResult {
    page.check(&form.csrf)?;
    if !manages(&page.me) {
        return Err(PageError::NotFound);
    }
    let here = path(&page);
    if form.events.is_empty() {
        return Ok(flash::redirect(&page.session, &here, Flash::error("Choose at least one event.")));
    }
    let own = crate::routes::v1::base(&state, &page.headers).url("/");
    let who = actor(&page.me, page.ip.clone());
    let allow_private = state.settings.webhook_allow_private;
    let added =
        key_webhooks::add(&state.store, page.team.id, form.url.trim(), &form.events, allow_private, Some(&own), &who)
            .await;
    let message = match added {
        Ok(added) => Flash::notice(format!(
            "Key events now go to {}. Its signing secret, shown this once: {} (verify each delivery with it as Standard Webhooks describe).",
            url_of(&added.hook),
            added.secret
        )),
        Err(AddError::Store(StoreError::Rule(rule))) => Flash::error(sentence(&rule.to_string())),
        Err(AddError::Store(e)) => return Err(e.into()),
        Err(refused) => Flash::error(sentence(&refused.to_string())),
    };
    Ok(flash::redirect(&page.session, &here, message))
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    csrf: String,
    id: String,
}

pub(crate) async fn remove(State(state): State<AppState>, page: TeamPage, Form(form): Form<RemoveForm>) -> PageResult {
    page.check(&form.csrf)?;
    if !manages(&page.me) {
        return Err(PageError::NotFound);
    }
    let here = path(&page);
    let message = match state.store.remove_key_webhook(page.team.id, &form.id, &actor(&page.me, page.ip.clone())).await
    {
        Ok(()) => Flash::notice("Key events no longer go there."),
        Err(StoreError::Rule(rule)) => Flash::error(sentence(&rule.to_string())),
        Err(e) => return Err(e.into()),
    };
    Ok(flash::redirect(&page.session, &here, message))
}
