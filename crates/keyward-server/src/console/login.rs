//! Sign in and sign out. A new session (new token, new CSRF token) at every sign-in.

use std::sync::OnceLock;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyward_core::ports::SessionStore;
use keyward_core::secret::PasswordHash;
use keyward_token::password::{hash_password, verify_password};
use serde::Deserialize;

use super::session::sign_in;
use super::session::{Session, check_form, clear_cookie, cookie_value};
use super::{message, render};
use crate::AppState;
use crate::jsonapi::ClientIp;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    email: &'a str,
    error: Option<&'a str>,
}

pub(crate) async fn form() -> Response {
    render(StatusCode::OK, &LoginPage { email: "", error: None })
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    email: String,
    password: String,
}

/// Verified when the account does not exist, so both answers take as long.
fn decoy_hash() -> &'static Option<PasswordHash> {
    static DECOY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("keyward decoy password").ok())
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let ip = ip.unwrap_or_else(|| "unknown".into());
    let account = form.email.trim().to_lowercase();
    if !state.throttle.allowed(&account, &ip) {
        return render(
            StatusCode::TOO_MANY_REQUESTS,
            &LoginPage {
                email: &form.email,
                error: Some("Too many failed attempts. Wait a few minutes, then try again."),
            },
        );
    }
    let identity = match state.store.login_identity(&account).await {
        Ok(identity) => identity,
        Err(e) => {
            tracing::error!(error = %e, "sign-in lookup failed");
            return message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.");
        }
    };
    let password = form.password;
    let (person, hash) = match identity {
        Some((person, Some(hash))) => (Some(person), hash),
        _ => (None, decoy_hash().clone().unwrap_or_else(|| PasswordHash::new(String::new()))),
    };
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    let Some(person) = person.filter(|_| verified) else {
        state.throttle.failed(&account, &ip);
        return render(
            StatusCode::UNAUTHORIZED,
            &LoginPage { email: &form.email, error: Some("The email or password is not correct.") },
        );
    };
    state.throttle.succeeded(&account);
    // Rotation: any session this browser had is ended; the new one gets a new token.
    if let Some(old) = cookie_value(&headers) {
        let _ = state.store.delete_session(&keyward_token::session::hash_token(&old)).await;
    }
    sign_in(&state, person.id, "/").await
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = check_form(&session, &form.csrf, &headers) {
        return refused;
    }
    let _ = state.store.delete_session(&session.token_hash).await;
    ([(header::SET_COOKIE, clear_cookie())], Redirect::to("/login")).into_response()
}
