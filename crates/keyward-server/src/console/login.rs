//! Sign in and sign out. A new session (new token, new CSRF token) at every sign-in.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyward_core::ports::SessionStore;
use serde::Deserialize;

use super::page::{message, render};
use super::session::sign_in;
use super::session::{Session, check_form, clear_cookie, cookie_value, cross_site, local_path, secure};
use crate::AppState;
use crate::jsonapi::ClientIp;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    email: &'a str,
    /// Where to go once signed in (a path on this site), e.g. back to an invitation.
    next: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct Next {
    #[serde(default)]
    next: String,
}

pub(crate) async fn form(Query(q): Query<Next>) -> Response {
    render(StatusCode::OK, &LoginPage { email: "", next: local_path(&q.next).unwrap_or_default(), error: None })
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Every password check counts against the throttle before it runs (so concurrent guesses cannot
/// all be checked), runs on the blocking pool a few at a time, and takes as long for an unknown
/// account as for a known one.
pub(crate) async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let ip = ip.unwrap_or_else(|| "unknown".into());
    let account = form.email.trim().to_lowercase();
    let next = local_path(&form.next).unwrap_or("/");
    // Login CSRF: another site must not sign this browser in to an account of its choosing.
    if cross_site(&headers) {
        return message(StatusCode::FORBIDDEN, "Request refused", "This form did not come from this site.");
    }
    let Some(attempt) = state.throttle.begin(&account, &ip) else {
        return render(
            StatusCode::TOO_MANY_REQUESTS,
            &LoginPage {
                email: &form.email,
                next,
                error: Some("Too many failed attempts. Wait a few minutes, then try again."),
            },
        );
    };
    let identity = match state.store.login_identity(&account).await {
        Ok(identity) => identity,
        Err(e) => return super::page::store_failure(e),
    };
    let (person, hash) = match identity {
        Some((person, Some(hash))) => (Some(person), Some(hash)),
        _ => (None, None),
    };
    let Ok(verified) = state.passwords.verify(form.password, hash).await else {
        return render(
            StatusCode::SERVICE_UNAVAILABLE,
            &LoginPage { email: &form.email, next, error: Some("Too many sign-ins at once. Try again in a moment.") },
        );
    };
    let Some(person) = person.filter(|_| verified) else {
        return render(
            StatusCode::UNAUTHORIZED,
            &LoginPage { email: &form.email, next, error: Some("The email or password is not correct.") },
        );
    };
    state.throttle.succeeded(attempt);
    // Rotation: any session this browser had is ended; the new one gets a new token.
    if let Some(old) = cookie_value(&headers, secure(&state)) {
        let _ = state.store.delete_session(&keyward_token::session::hash_token(&old)).await;
    }
    sign_in(&state, person.id, next).await
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
    ([(header::SET_COOKIE, clear_cookie(session.secure))], Redirect::to("/login")).into_response()
}
