//! Users and Access → Users: members and pending invitations; invite (the acceptance link is mailed
//! to the invitee, or shown once to the inviter without mail; Send Again renews it), edit roles and the Generate Individual API Keys permission,
//! remove (K14: their individual key is revoked at once).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, InvitationId, MemberId};
use keyward_core::invitation::NewInvitation;
use keyward_core::key::TEAM_KEY_ROLES;
use keyward_core::member::Member;
use keyward_core::paging::{InvitationFilter, InvitationSort, PageRequest};
use keyward_core::ports::{AppStore, InvitationStore, MemberStore, MemberUpdate};
use keyward_core::role::{Role, RoleSet};
use keyward_core::team::Team;
use serde::Deserialize;

use super::chrome::Chrome;
use super::session::{CsrfForm, Session};
use super::store_failure;
use super::team_page::{TeamPage, actor};
use super::words::When;
use super::words::{sentence, title};
use super::{not_found, render};
use crate::invite::Delivery;
use crate::{AppState, lifecycle};

pub(crate) struct MemberRow {
    id: String,
    name: String,
    email: String,
    roles: String,
    role_names: Vec<&'static str>,
    apps: String,
    holder: bool,
    all_apps: bool,
    app_ids: Vec<String>,
    provisioning: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    members: Vec<MemberRow>,
    /// ID, email, role titles, expiry. Never the acceptance link: it is shown once, at creation.
    invitations: Vec<(String, String, String, When)>,
    /// Invitations are mailed to the invitee.
    mail: bool,
    roles: Vec<(&'static str, String)>,
    apps: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// Roles offered for people: the team-key roles (Apple's list minus ACCOUNT_HOLDER).
fn offered_roles() -> Vec<(&'static str, String)> {
    TEAM_KEY_ROLES.iter().map(|r| (r.as_str(), title(*r))).collect()
}

impl MemberRow {
    fn has(&self, role: &str) -> bool {
        self.role_names.contains(&role)
    }

    fn sees(&self, app: &str) -> bool {
        self.app_ids.iter().any(|a| a == app)
    }
}

async fn show(
    state: &AppState,
    session: &Session,
    team: &Team,
    me: &Member,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (members, apps, invitations) = match (
        state.store.members(team.id).await,
        state.store.apps(team.id).await,
        state
            .store
            .list_invitations(
                team.id,
                &InvitationFilter::default(),
                &PageRequest { sort: InvitationSort::Email, descending: false, after: None, limit: 200 },
            )
            .await,
    ) {
        (Ok(m), Ok(a), Ok(i)) => (m, a, i),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return store_failure(e),
    };
    let app_name =
        |id: &AppId| apps.iter().find(|a| a.id == *id).map(|a| a.name.clone()).unwrap_or_else(|| id.to_string());
    let page = UsersPage {
        c: Chrome::for_team(session, team, me),
        members: members
            .iter()
            .map(|m| MemberRow {
                id: m.id.to_string(),
                name: format!("{} {}", m.first_name, m.last_name).trim().to_owned(),
                email: m.email.clone(),
                roles: m.roles.iter().map(title).collect::<Vec<_>>().join(", "),
                role_names: m.roles.iter().map(Role::as_str).collect(),
                apps: if m.all_apps_visible {
                    "All Apps".into()
                } else {
                    m.visible_apps.iter().map(app_name).collect::<Vec<_>>().join(", ")
                },
                holder: m.is_account_holder(),
                all_apps: m.all_apps_visible,
                app_ids: m.visible_apps.iter().map(ToString::to_string).collect(),
                provisioning: m.provisioning_allowed,
            })
            .collect(),
        invitations: invitations
            .items
            .iter()
            .map(|i| {
                (
                    i.id.to_string(),
                    i.email.clone(),
                    i.roles.iter().map(title).collect::<Vec<_>>().join(", "),
                    When::date(i.expires_at),
                )
            })
            .collect(),
        mail: state.mailer.enabled(),
        roles: offered_roles(),
        apps: apps.iter().map(|a| (a.id.to_string(), a.name.clone())).collect(),
        notice,
        error,
    };
    render(status, &page)
}

pub(crate) async fn page(State(state): State<AppState>, page: TeamPage) -> Response {
    match super::flash::take(&page.headers) {
        Some(f) => super::flash::clear(
            show(&state, &page.session, &page.team, &page.me, f.notice, f.error, StatusCode::OK).await,
        ),
        None => show(&state, &page.session, &page.team, &page.me, None, None, StatusCode::OK).await,
    }
}

/// Post/Redirect/Get for invitations: the outcome (with the link, when it is shown once) travels in
/// a one-time flash, so a reload neither invites again nor renews the link again.
fn after_invite(team: &Team, email: &str, delivery: Delivery) -> Response {
    let (notice, error) = delivered(email, delivery);
    super::flash::redirect(&format!("/teams/{}/users", team.issuer_id), &super::flash::Flash { notice, error })
}

fn roles(names: &[String]) -> Option<RoleSet> {
    names.iter().map(|r| r.parse::<Role>().ok()).collect()
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    csrf: String,
    email: String,
    first_name: String,
    last_name: String,
    #[serde(default)]
    roles: Vec<String>,
    all_apps: Option<String>,
    #[serde(default)]
    apps: Vec<String>,
    provisioning: Option<String>,
    individual_keys: Option<String>,
}

pub(crate) async fn invite(State(state): State<AppState>, page: TeamPage, Form(form): Form<InviteForm>) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let page_headers = page.headers.clone();
    let TeamPage { session, team, me, ip, .. } = page;
    let refuse = |msg: String| show(&state, &session, &team, &me, None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY);
    let Some(mut roles) = roles(&form.roles) else { return refuse("Choose roles from the list.".into()).await };
    if form.individual_keys.is_some() {
        roles.insert(Role::GenerateIndividualKeys);
    }
    let visible_apps: Vec<AppId> = form.apps.iter().filter_map(|a| a.parse().ok()).collect();
    let new = NewInvitation {
        email: form.email,
        first_name: form.first_name,
        last_name: form.last_name,
        roles,
        all_apps_visible: form.all_apps.is_some() || visible_apps.is_empty(),
        provisioning_allowed: form.provisioning.is_some(),
        visible_apps,
    };
    match crate::invite::create(&state, &page_headers, team.id, new, &actor(&me, ip)).await {
        Ok((inv, delivery)) => after_invite(&team, &inv.email, delivery),
        Err(StoreError::Rule(rule)) => refuse(sentence(&rule.to_string())).await,
        Err(e) => store_failure(e),
    }
}

/// What the inviter is told. The link itself appears here once, when there is no mail to carry it.
fn delivered(email: &str, delivery: Delivery) -> (Option<String>, Option<String>) {
    match delivery {
        Delivery::Mailed => (Some(format!("Invited {email}. The invitation was sent by email.")), None),
        Delivery::MailFailed(why) => (
            None,
            Some(format!(
                "Invited {email}, but the email could not be sent ({why}). The invitation stays valid: use Send Again."
            )),
        ),
        Delivery::Link(link) => {
            (Some(format!("Invited {email}. Send them this link; it is shown only now and works once: {link}")), None)
        }
    }
}

/// Send Again: a new acceptance secret for a pending invitation (the previous link stops working),
/// mailed to the invitee or shown once.
pub(crate) async fn renew(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let page_headers = page.headers.clone();
    let TeamPage { session, team, me, ip, .. } = page;
    let Ok(id) = id.parse::<InvitationId>() else { return not_found() };
    match crate::invite::renew(&state, &page_headers, team.id, id, &actor(&me, ip)).await {
        Ok((inv, delivery)) => after_invite(&team, &inv.email, delivery),
        Err(StoreError::Rule(keyward_core::DomainError::NotFound { .. })) => not_found(),
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => store_failure(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct EditForm {
    csrf: String,
    #[serde(default)]
    roles: Vec<String>,
    all_apps: Option<String>,
    #[serde(default)]
    apps: Vec<String>,
    provisioning: Option<String>,
}

/// Edit a member's roles (the Generate Individual API Keys permission among them; K7: removing it
/// keeps an existing key), the apps they see, and provisioning access.
pub(crate) async fn update(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, member)): Path<(String, String)>,
    Form(form): Form<EditForm>,
) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    let Ok(member) = member.parse::<MemberId>() else { return not_found() };
    let Some(roles) = roles(&form.roles) else { return not_found() };
    let apps: Vec<AppId> = form.apps.iter().filter_map(|a| a.parse().ok()).collect();
    let all_apps = form.all_apps.is_some() || apps.is_empty();
    let update = MemberUpdate {
        roles: Some(roles),
        all_apps_visible: Some(all_apps),
        provisioning_allowed: Some(form.provisioning.is_some()),
        visible_apps: Some(keyward_core::ports::VisibleAppsChange::Replace(if all_apps { Vec::new() } else { apps })),
    };
    match state.store.update_member(team.id, member, update, &actor(&me, ip)).await {
        Ok(m) => {
            state.catch_up().await;
            show(&state, &session, &team, &me, Some(format!("Saved the roles of {}.", m.email)), None, StatusCode::OK)
                .await
        }
        Err(StoreError::Rule(keyward_core::DomainError::NotFound { .. })) => not_found(),
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => store_failure(e),
    }
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, member)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    let Ok(member) = member.parse::<MemberId>() else { return not_found() };
    match lifecycle::remove_member(&state, team.id, member, &actor(&me, ip)).await {
        Ok(()) => Redirect::to(&format!("/teams/{}/users", team.issuer_id)).into_response(),
        Err(StoreError::Rule(keyward_core::DomainError::NotFound { .. })) => not_found(),
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => store_failure(e),
    }
}
