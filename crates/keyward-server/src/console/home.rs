//! The signed-in home page: the person's teams.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use keyward_core::ports::SessionStore;

use super::chrome::Chrome;
use super::page::render;
use super::session::Session;
use crate::AppState;

pub(crate) struct TeamRow {
    name: String,
    issuer_id: String,
    roles: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    teams: Vec<TeamRow>,
}

pub(crate) async fn page(State(state): State<AppState>, session: Session) -> Response {
    match state.store.memberships(session.person.id).await {
        Ok(memberships) => {
            let teams = memberships
                .into_iter()
                .map(|(t, m)| TeamRow {
                    name: t.name,
                    issuer_id: t.issuer_id.to_string(),
                    roles: m.roles.to_list().replace(',', ", "),
                })
                .collect();
            render(StatusCode::OK, &HomePage { c: Chrome::of(&session), teams })
        }
        Err(e) => super::page::store_failure(e),
    }
}
