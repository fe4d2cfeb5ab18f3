//! Accepting an invitation (I1, I2). The link carries the acceptance secret, which only the
//! invitee receives (by mail, or from the inviter who was shown it once); the invitation's
//! resource ID opens nothing.
//!
//! Who may accept:
//! - nobody has the invitation's email yet: a new person chooses their name and password here;
//! - the person exists and has a password: they accept while signed in as themselves, with one
//!   click; this page never asks for, sets or changes their password;
//! - the person exists without a password: they activate their account through their own link
//!   first.
//!
//! Anyone signed in as somebody else (the inviter, typically) is refused, whatever the case.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::invitation::Invitation;
use keyward_core::ports::{Acceptance, InvitationStore, NewPerson, SessionStore, TeamStore};
use keyward_token::session::hash_token;
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::page::{message, render};
use super::session::{Session, check_form, cross_site, current, sign_in};
use super::words::title;
use crate::AppState;

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    /// The path of this page (it holds the secret; posted back to itself).
    action: String,
    team: String,
    email: String,
    roles: String,
    first_name: String,
    last_name: String,
    /// Signed in as the invitee: one button, no password. `None`: a new person's form.
    csrf: Option<String>,
    error: Option<String>,
}

/// Whether the invitee already has a Keyward login.
enum Invitee {
    New,
    WithPassword,
    NotActivated,
}

struct Found {
    invitation: Invitation,
    team: String,
    invitee: Invitee,
    session: Option<Session>,
}

fn gone() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Invitation not found",
        "This invitation link was used already, was replaced by a newer one, or has expired. Ask for a new one.",
    )
}

async fn load(state: &AppState, secret: &str, headers: &HeaderMap) -> Result<Found, PageError> {
    let invitation = match state.store.invitation_by_secret(&hash_token(secret)).await {
        Ok(i) => i,
        Err(StoreError::Rule(DomainError::NotFound { .. })) => return Err(gone().into()),
        Err(e) => return Err(e.into()),
    };
    let session = current(state, headers).await?;
    if let Some(s) = &session
        && s.person.email != invitation.email
    {
        return Err(PageError::Early(message(
            StatusCode::FORBIDDEN,
            "This invitation is for someone else",
            &format!(
                "This invitation was sent to {}. You are signed in as {}. Only {} can accept it: \
                 send them the link, or sign out first if you are them.",
                invitation.email, s.person.email, invitation.email
            ),
        )));
    }
    let team = state.store.team_by_id(invitation.team_id).await?.name;
    let invitee = match state.store.login_identity(&invitation.email).await? {
        None => Invitee::New,
        Some((_, Some(_))) => Invitee::WithPassword,
        Some((_, None)) => Invitee::NotActivated,
    };
    Ok(Found { invitation, team, invitee, session })
}

fn page(secret: &str, found: &Found, error: Option<String>) -> AcceptPage {
    let inv = &found.invitation;
    AcceptPage {
        action: format!("/invitations/{secret}"),
        team: found.team.clone(),
        email: inv.email.clone(),
        roles: inv.roles.iter().map(title).collect::<Vec<_>>().join(", "),
        first_name: inv.first_name.clone(),
        last_name: inv.last_name.clone(),
        csrf: found.session.as_ref().map(|s| s.csrf.clone()),
        error,
    }
}

/// An existing person who is not signed in: sign in first, then come back here.
fn sign_in_first(secret: &str, found: &Found) -> Response {
    let next = format!("/invitations/{secret}");
    let page = SignInFirst {
        team: found.team.clone(),
        email: found.invitation.email.clone(),
        login: format!("/login?next={}", url_encode(&next)),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "accept_sign_in.html")]
struct SignInFirst {
    team: String,
    email: String,
    login: String,
}

fn not_activated(found: &Found) -> Response {
    message(
        StatusCode::CONFLICT,
        "Activate your account first",
        &format!(
            "{} has a Keyward account that has not been activated yet. Use your own activation link \
             (ask your operator for one), sign in, then open this invitation again.",
            found.invitation.email
        ),
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) async fn form(State(state): State<AppState>, Path(secret): Path<String>, headers: HeaderMap) -> PageResult {
    let found = load(&state, &secret, &headers).await?;
    Ok(match (&found.invitee, &found.session) {
        (Invitee::NotActivated, _) => not_activated(&found),
        (Invitee::WithPassword, None) => sign_in_first(&secret, &found),
        _ => render(StatusCode::OK, &page(&secret, &found, None)),
    })
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AcceptForm>,
) -> PageResult {
    let found = load(&state, &secret, &headers).await?;
    let refuse = |status: StatusCode, msg: &str| Ok(render(status, &page(&secret, &found, Some(msg.to_owned()))));
    let acceptance = match (&found.invitee, &found.session) {
        (Invitee::NotActivated, _) => return Ok(not_activated(&found)),
        (Invitee::WithPassword, None) => return Ok(sign_in_first(&secret, &found)),
        (_, Some(session)) => {
            check_form(session, &form.csrf, &headers)?;
            Acceptance::SignedIn(session.person.id)
        }
        (Invitee::New, None) => {
            if cross_site(&headers) {
                return refuse(StatusCode::FORBIDDEN, "This form did not come from this site.");
            }
            if form.password.chars().count() < 8 {
                return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Choose a password of at least 8 characters.");
            }
            let Ok(hash) = state.passwords.hash(form.password).await else {
                return Ok(message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again."));
            };
            Acceptance::NewPerson(NewPerson {
                email: found.invitation.email.clone(),
                first_name: form.first_name,
                last_name: form.last_name,
                password_hash: Some(hash),
            })
        }
    };
    let member = match state.store.accept_invitation(&hash_token(&secret), acceptance).await {
        Ok(m) => m,
        Err(StoreError::Rule(DomainError::NotFound { .. })) => return Ok(gone()),
        Err(StoreError::Rule(rule)) => return refuse(StatusCode::CONFLICT, &super::words::sentence(&rule.to_string())),
        Err(e) => return Err(e.into()),
    };
    state.written(&[keyward_core::change::Change::Member { team_id: member.team_id, member_id: member.id }]).await;
    let team = state.store.team_by_id(member.team_id).await?;
    let to = format!("/teams/{}/profile", team.issuer_id);
    Ok(match found.session {
        // Already signed in as themselves: the session goes on (Post/Redirect/Get).
        Some(_) => (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to)]).into_response(),
        None => sign_in(&state, member.person_id, &to).await,
    })
}
