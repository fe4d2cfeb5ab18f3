//! Accepting an invitation (the link shown on the Users page): a new person sets their name and
//! password; someone who already has a login confirms it with their password. Then they are signed
//! in, and the invitation is gone.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use keyward_core::ids::InvitationId;
use keyward_core::invitation::Invitation;
use keyward_core::ports::{InvitationStore, NewPerson, SessionStore, TeamStore};
use keyward_token::password::{hash_password, verify_password};
use serde::Deserialize;

use super::session::sign_in;
use super::store_failure;
use super::{message, not_found, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    id: String,
    team: String,
    email: String,
    roles: String,
    first_name: String,
    last_name: String,
    existing: bool,
    error: Option<String>,
}

async fn load(state: &AppState, id: &str) -> Result<(Invitation, String, bool), Response> {
    let Ok(id) = id.parse::<InvitationId>() else { return Err(not_found()) };
    let invitation = state.store.find_invitation(id).await.map_err(|_| {
        message(
            StatusCode::NOT_FOUND,
            "Invitation not found",
            "This invitation was accepted, deleted, or has expired. Ask for a new one.",
        )
    })?;
    let team = state.store.team_by_id(invitation.team_id).await.map_err(store_failure)?;
    let existing = matches!(state.store.login_identity(&invitation.email).await, Ok(Some((_, Some(_)))));
    Ok((invitation, team.name, existing))
}

fn page(inv: &Invitation, team: String, existing: bool, error: Option<String>) -> AcceptPage {
    AcceptPage {
        id: inv.id.to_string(),
        team,
        email: inv.email.clone(),
        roles: inv.roles.to_list().replace(',', ", "),
        first_name: inv.first_name.clone(),
        last_name: inv.last_name.clone(),
        existing,
        error,
    }
}

pub(crate) async fn form(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match load(&state, &id).await {
        Ok((inv, team, existing)) => render(StatusCode::OK, &page(&inv, team, existing, None)),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    password: String,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let (inv, team, existing) = match load(&state, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let refuse =
        |msg: &str| render(StatusCode::UNPROCESSABLE_ENTITY, &page(&inv, team.clone(), existing, Some(msg.to_owned())));
    let password_hash = if existing {
        let identity = state.store.login_identity(&inv.email).await.ok().flatten();
        let ok = identity.and_then(|(_, h)| h).is_some_and(|h| verify_password(&form.password, &h));
        if !ok {
            return refuse("The password is not correct.");
        }
        None
    } else {
        if form.password.chars().count() < 8 {
            return refuse("Choose a password of at least 8 characters.");
        }
        match hash_password(&form.password) {
            Ok(h) => Some(h),
            Err(_) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again."),
        }
    };
    let person =
        NewPerson { email: inv.email.clone(), first_name: form.first_name, last_name: form.last_name, password_hash };
    let member = match state.store.accept_invitation(inv.id, person).await {
        Ok(m) => m,
        Err(e) => return store_failure(e),
    };
    state.catch_up().await;
    let team = match state.store.team_by_id(member.team_id).await {
        Ok(t) => t,
        Err(e) => return store_failure(e),
    };
    sign_in(&state, member.person_id, &format!("/teams/{}/profile", team.issuer_id)).await
}
