//! First-run setup: on an empty database `keyward serve` prints a one-time URL; its page creates
//! the operator, the first team and its Account Holder, and signs them in. The token works once.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::Form;
use keyward_core::actor::ActorContext;
use keyward_core::ports::{NewPerson, NewTeam, TeamStore};
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::page::{message, not_found, render};
use super::session::{cross_site, sign_in};
use super::words::sentence;
use crate::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Whether `token` is the setup token (compared in constant time) and setup is still open.
fn valid(state: &AppState, token: &str) -> bool {
    let Some(setup) = &state.setup else { return false };
    let Ok(current) = setup.lock() else { return false };
    current
        .as_deref()
        .is_some_and(|t| t.len() == token.len() && t.bytes().zip(token.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0)
}

pub(crate) async fn form(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    if !valid(&state, &q.token) {
        return not_found();
    }
    render(StatusCode::OK, &SetupPage { token: q.token, error: None })
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    token: String,
    team: String,
    first_name: String,
    last_name: String,
    email: String,
    password: String,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> PageResult {
    if !valid(&state, &form.token) {
        return Err(PageError::NotFound);
    }
    // The setup token is in the URL the terminal printed: a page that learnt it must not make this
    // browser create the operator and sign in as it.
    if cross_site(&headers) {
        return Ok(message(StatusCode::FORBIDDEN, "Request refused", "This form did not come from this site."));
    }
    let refuse = |msg: String| {
        Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &SetupPage { token: form.token.clone(), error: Some(msg) }))
    };
    if form.password.chars().count() < 8 {
        return refuse("Choose a password of at least 8 characters.".into());
    }
    let Ok(hash) = state.passwords.hash(form.password.clone()).await else {
        return Ok(message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again."));
    };
    let person = NewPerson {
        email: form.email.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        password_hash: Some(hash),
    };
    let created = match state
        .store
        .create_team(
            NewTeam { name: form.team.clone(), account_holder: person, holder_is_operator: true },
            &ActorContext::operator_cli(),
        )
        .await
    {
        Ok(c) => c,
        Err(keyward_core::error::StoreError::Rule(rule)) => return refuse(sentence(&rule.to_string())),
        Err(e) => return Err(e.into()),
    };
    if let Some(setup) = &state.setup
        && let Ok(mut current) = setup.lock()
    {
        *current = None;
    }
    state.written(&[keyward_core::change::Change::TeamAccess { team_id: created.team.id }]).await;
    Ok(sign_in(&state, created.person_id, &format!("/teams/{}/integrations/api", created.team.issuer_id)).await)
}
