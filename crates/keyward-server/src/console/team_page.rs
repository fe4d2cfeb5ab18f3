//! `TeamPage`: the extractor of every team page. A signed-in person, the team of the path's
//! Issuer ID and their membership of it (a team they are not in is a 404, indistinguishable from
//! one that does not exist), the client's IP, and the CSRF/Origin check of the page's forms.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ids::IssuerId;
use keyward_core::member::Member;
use keyward_core::ports::SessionStore;
use keyward_core::team::Team;

use super::flash::Flash;
use super::page::not_found;
use super::session::{Session, check_form};
use crate::AppState;

#[derive(Debug)]
pub(crate) struct TeamPage {
    pub session: Session,
    pub team: Team,
    pub me: Member,
    pub ip: Option<String>,
    pub headers: HeaderMap,
    /// The one-time outcome of the form that redirected here (Post/Redirect/Get).
    pub flash: Flash,
}

impl TeamPage {
    /// A state-changing form must echo the session's CSRF token and come from this site.
    pub fn check(&self, csrf: &str) -> Result<(), Response> {
        check_form(&self.session, csrf, &self.headers)
    }
}

/// The audit actor of a member acting in the console (K15).
pub(crate) fn actor(member: &Member, ip: Option<String>) -> ActorContext {
    ActorContext { actor: Actor::Member(member.id), label: member.email.clone(), ip }
}

impl FromRequestParts<AppState> for TeamPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let mut session = Session::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| not_found())?;
        let issuer =
            params.iter().find(|(name, _)| *name == "issuer").map(|(_, v)| v.to_owned()).ok_or_else(not_found)?;
        let issuer: IssuerId = issuer.parse().map_err(|_| not_found())?;
        // Only the person's own teams are looked at: another team's Issuer ID takes the same path,
        // and the same time, as one that does not exist.
        let memberships = state.store.memberships(session.person.id).await.map_err(|_| not_found())?;
        session.other_teams = memberships
            .iter()
            .filter(|(t, _)| t.issuer_id != issuer)
            .map(|(t, _)| (t.name.clone(), t.issuer_id.to_string()))
            .collect();
        let (team, me) = memberships.into_iter().find(|(t, _)| t.issuer_id == issuer).ok_or_else(not_found)?;
        let ip = crate::client_ip::of(&parts.extensions, &parts.headers, &state.trusted_proxies);
        let flash = super::flash::take(&session, &parts.headers);
        Ok(TeamPage { session, team, me, ip, headers: parts.headers.clone(), flash })
    }
}
