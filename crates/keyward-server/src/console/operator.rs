//! Operator pages: API access requests to approve or reject (K2). Only operators see them;
//! anyone else gets a 404.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::Form;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::error::StoreError;
use keyward_core::ports::{NewPerson, NewTeam, SessionStore, TeamRef, TeamStore};
use keyward_token::session::SessionToken;
use serde::Deserialize;
use time::OffsetDateTime;

use super::chrome::Chrome;
use super::error::{PageError, PageResult};
use super::flash::{self, Flash};
use super::page::render;
use super::session::{Session, check_form};
use super::words::sentence;
use crate::AppState;
use crate::jsonapi::ClientIp;

#[derive(Template)]
#[template(path = "operator.html")]
struct OperatorPage {
    c: Chrome,
    teams: Vec<(String, String, &'static str)>,
    flash: Flash,
}

async fn show(state: &AppState, session: &Session, flash: Flash, status: StatusCode) -> PageResult {
    let teams = state.store.teams().await?;
    let teams = teams.into_iter().map(|t| (t.name, t.issuer_id.to_string(), t.access.as_str())).collect();
    Ok(render(status, &OperatorPage { c: Chrome::of(session), teams, flash }))
}

pub(crate) async fn page(State(state): State<AppState>, session: Session, headers: HeaderMap) -> PageResult {
    if !session.person.is_operator {
        return Err(PageError::NotFound);
    }
    let flash = flash::take(&session, &headers);
    show(&state, &session, flash, StatusCode::OK).await
}

/// Back to the operator page (Post/Redirect/Get), with the outcome shown once.
fn back(session: &Session, flash: Flash) -> PageResult {
    Ok(flash::redirect(session, "/operator", flash))
}

#[derive(Deserialize)]
pub(crate) struct CreateTeamForm {
    csrf: String,
    name: String,
    account_holder: String,
}

/// A new team and its Account Holder. Someone new gets a one-time link (3 days) to set a password;
/// someone with a login already signs in as usual.
pub(crate) async fn create_team(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<CreateTeamForm>,
) -> PageResult {
    if !session.person.is_operator {
        return Err(PageError::NotFound);
    }
    check_form(&session, &form.csrf, &headers)?;
    let actor = ActorContext { actor: Actor::Operator, label: format!("operator {}", session.person.email), ip };
    let holder_email = form.account_holder.trim().to_lowercase();
    let holder = NewPerson {
        email: form.account_holder,
        first_name: String::new(),
        last_name: String::new(),
        password_hash: None,
    };
    let created = match state
        .store
        .create_team(NewTeam { name: form.name, account_holder: holder, holder_is_operator: false }, &actor)
        .await
    {
        Ok(c) => c,
        Err(StoreError::Rule(rule)) => {
            let why = Flash::error(sentence(&rule.to_string()));
            return show(&state, &session, why, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e.into()),
    };
    let has_login = matches!(state.store.login_identity(&holder_email).await, Ok(Some((_, Some(_)))));
    let notice = if has_login {
        format!("Created {}. Its Account Holder already has a login and can sign in.", created.team.name)
    } else {
        let token = SessionToken::generate().map_err(|e| StoreError::Backend(e.to_string()))?;
        let until = OffsetDateTime::now_utc() + time::Duration::days(3);
        state.store.set_activation(created.person_id, &token.hash(), until).await?;
        let base = crate::views::BaseUrl::from_request(state.public_url.as_deref(), &headers, state.https);
        let link = base.url(&format!("/activate/{}", token.expose()));
        if state.mailer.enabled() {
            let mail = crate::mail::activation(&holder_email, &created.team.name, &link);
            match state.mailer.send(mail).await {
                Ok(()) => {
                    format!("Created {}. Its Account Holder was sent an email to set a password.", created.team.name)
                }
                Err(e) => {
                    let error = format!(
                        "Created {}, but the activation email to {holder_email} could not be sent ({e}). \
                         Send them this link to set a password (valid for 3 days): {link}",
                        created.team.name
                    );
                    return back(&session, Flash::error(error));
                }
            }
        } else {
            format!(
                "Created {}. Send its Account Holder this link to set a password (valid for 3 days): {link}",
                created.team.name
            )
        }
    };
    back(&session, Flash::notice(notice))
}

#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    csrf: String,
    decision: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    session: Session,
    Path(issuer): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ReviewForm>,
) -> PageResult {
    if !session.person.is_operator {
        return Err(PageError::NotFound);
    }
    check_form(&session, &form.csrf, &headers)?;
    let Ok(issuer) = issuer.parse() else { return Err(PageError::NotFound) };
    let team = state.store.team(&TeamRef::Issuer(issuer)).await?;
    let actor = ActorContext { actor: Actor::Operator, label: format!("operator {}", session.person.email), ip };
    match state.store.review_access(team.id, form.decision == "approve", &actor).await {
        Ok(access) => {
            state.written(&[keyward_core::change::Change::TeamAccess { team_id: team.id }]).await;
            back(&session, Flash::notice(format!("{}: API access {}.", team.name, access.as_str())))
        }
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, Flash::error(sentence(&rule.to_string())), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
