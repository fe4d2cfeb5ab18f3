//! The one-time link an operator gives a new team's Account Holder: set names and a password, then
//! signed in. The link works once and for 3 days.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::Form;
use keyward_core::ports::SessionStore;
use keyward_token::session::hash_token;
use serde::Deserialize;
use time::OffsetDateTime;

use super::error::PageResult;
use super::page::{message, render};
use super::session::{cross_site, sign_in};
use crate::AppState;

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    token: String,
    email: String,
    error: Option<String>,
}

fn gone() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Link not valid",
        "This link was used already or has expired. Ask your operator for a new one.",
    )
}

pub(crate) async fn form(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    Ok(match state.store.activation(&hash_token(&token), OffsetDateTime::now_utc()).await? {
        Some(person) => render(StatusCode::OK, &ActivatePage { token, email: person.email, error: None }),
        None => gone(),
    })
}

#[derive(Deserialize)]
pub(crate) struct ActivateForm {
    first_name: String,
    last_name: String,
    password: String,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ActivateForm>,
) -> PageResult {
    // Login CSRF: a page must not activate its author's own link in a victim's browser and so
    // sign the victim in to the author's account.
    if cross_site(&headers) {
        return Ok(message(StatusCode::FORBIDDEN, "Request refused", "This form did not come from this site."));
    }
    let hash = hash_token(&token);
    let now = OffsetDateTime::now_utc();
    let Some(person) = state.store.activation(&hash, now).await? else { return Ok(gone()) };
    if form.password.chars().count() < 8 {
        let page = ActivatePage {
            token,
            email: person.email,
            error: Some("Choose a password of at least 8 characters.".into()),
        };
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let Ok(password) = state.passwords.hash(form.password.clone()).await else {
        return Ok(message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again."));
    };
    let activated = state.store.activate(&hash, &form.first_name, &form.last_name, password, now).await?;
    let Some(person_id) = activated else { return Ok(gone()) };
    // The name is part of the person's memberships in the read model: read the feed now.
    state.written(&[]).await;
    Ok(sign_in(&state, person_id, "/").await)
}
