//! Operator pages: API access requests to approve or reject (K2). Only operators see them;
//! anyone else gets a 404.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ports::{TeamRef, TeamStore};
use serde::Deserialize;

use super::chrome::Chrome;
use super::keys::store_failure;
use super::session::{Session, check_form};
use super::{not_found, render};
use crate::AppState;
use crate::jsonapi::ClientIp;

#[derive(Template)]
#[template(path = "operator.html")]
struct OperatorPage {
    c: Chrome,
    teams: Vec<(String, String, &'static str)>,
}

pub(crate) async fn page(State(state): State<AppState>, session: Session) -> Response {
    if !session.person.is_operator {
        return not_found();
    }
    match state.store.teams().await {
        Ok(teams) => {
            let teams = teams.into_iter().map(|t| (t.name, t.issuer_id.to_string(), t.access.as_str())).collect();
            render(StatusCode::OK, &OperatorPage { c: Chrome::of(&session), teams })
        }
        Err(e) => store_failure(e),
    }
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
) -> Response {
    if !session.person.is_operator {
        return not_found();
    }
    if let Err(refused) = check_form(&session, &form.csrf, &headers) {
        return refused;
    }
    let Ok(issuer) = issuer.parse() else { return not_found() };
    let Ok(team) = state.store.team(&TeamRef::Issuer(issuer)).await else { return not_found() };
    let actor = ActorContext { actor: Actor::Operator, label: format!("operator {}", session.person.email), ip };
    match state.store.review_access(team.id, form.decision == "approve", &actor).await {
        Ok(_) => {
            let _ = state.auth.sync(&state.store).await;
            Redirect::to("/operator").into_response()
        }
        Err(e) => store_failure(e),
    }
}
