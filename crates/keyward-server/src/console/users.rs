//! Users and Access → Users: members and pending invitations; invite (the acceptance link is mailed
//! to the invitee, or shown once to the inviter without mail; Send Again renews it), edit roles and the Generate Individual API Keys permission,
//! remove (K14: their individual key is revoked at once).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::Form;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::{AppId, InvitationId, MemberId};
use keyward_core::invitation::NewInvitation;
use keyward_core::key::TEAM_KEY_ROLES;
use keyward_core::paging::{InvitationFilter, InvitationSort, PageRequest};
use keyward_core::ports::{AppStore, InvitationStore, MemberStore, MemberUpdate};
use keyward_core::role::{Role, RoleSet};
use serde::Deserialize;

use super::chrome::Chrome;
use super::error::{PageError, PageResult};
use super::flash::{self, Flash};
use super::page::render;
use super::session::CsrfForm;
use super::team_page::{TeamPage, actor};
use super::words::{When, sentence, title};
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
    flash: Flash,
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

/// The Users page with `flash` (an outcome brought by a redirect, or a refusal) and `status`.
async fn show(state: &AppState, page: &TeamPage, flash: Flash, status: StatusCode) -> PageResult {
    let TeamPage { session, team, me, .. } = page;
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
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(e.into()),
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
                    // The effective roles, as for members: the default grant is shown too.
                    i.roles_on_joining().iter().map(title).collect::<Vec<_>>().join(", "),
                    When::date(i.expires_at),
                )
            })
            .collect(),
        mail: state.mailer.enabled(),
        roles: offered_roles(),
        apps: apps.iter().map(|a| (a.id.to_string(), a.name.clone())).collect(),
        flash,
    };
    Ok(render(status, &page))
}

pub(crate) async fn page(State(state): State<AppState>, page: TeamPage) -> PageResult {
    show(&state, &page, page.flash.clone(), StatusCode::OK).await
}

/// Where every Users form returns to (Post/Redirect/Get), with its outcome shown once.
fn back(page: &TeamPage, flash: Flash) -> PageResult {
    Ok(flash::redirect(&page.session, &format!("/teams/{}/users", page.team.issuer_id), flash))
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

pub(crate) async fn invite(State(state): State<AppState>, page: TeamPage, Form(form): Form<InviteForm>) -> PageResult {
    page.check(&form.csrf)?;
    let refuse = |msg: String| show(&state, &page, Flash::error(msg), StatusCode::UNPROCESSABLE_ENTITY);
    let Some(roles) = roles(&form.roles) else { return refuse("Choose roles from the list.".into()).await };
    let visible_apps: Vec<AppId> = form.apps.iter().filter_map(|a| a.parse().ok()).collect();
    let new = NewInvitation {
        email: form.email,
        first_name: form.first_name,
        last_name: form.last_name,
        // K6: the box is ticked by default; the grant it makes is the default one (K6b: not listed).
        individual_keys_by_default: form.individual_keys.is_some(),
        roles,
        all_apps_visible: form.all_apps.is_some() || visible_apps.is_empty(),
        provisioning_allowed: form.provisioning.is_some(),
        visible_apps,
    };
    match crate::invite::create(&state, &page.headers, page.team.id, new, &actor(&page.me, page.ip.clone())).await {
        Ok((inv, delivery)) => back(&page, delivered(&inv.email, delivery)),
        Err(StoreError::Rule(rule)) => refuse(sentence(&rule.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

/// What the inviter is told. The link itself appears here once, when there is no mail to carry it.
fn delivered(email: &str, delivery: Delivery) -> Flash {
    match delivery {
        Delivery::Mailed => Flash::notice(format!("Invited {email}. The invitation was sent by email.")),
        Delivery::MailFailed(why) => Flash::error(format!(
            "Invited {email}, but the email could not be sent ({why}). The invitation stays valid: use Send Again."
        )),
        Delivery::Link(link) => {
            Flash::notice(format!("Invited {email}. Send them this link; it is shown only now and works once: {link}"))
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
) -> PageResult {
    page.check(&form.csrf)?;
    let Ok(id) = id.parse::<InvitationId>() else { return Err(PageError::NotFound) };
    match crate::invite::renew(&state, &page.headers, page.team.id, id, &actor(&page.me, page.ip.clone())).await {
        Ok((inv, delivery)) => back(&page, delivered(&inv.email, delivery)),
        Err(StoreError::Rule(DomainError::NotFound { .. })) => Err(PageError::NotFound),
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, Flash::error(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(e.into()),
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
) -> PageResult {
    page.check(&form.csrf)?;
    let Ok(member) = member.parse::<MemberId>() else { return Err(PageError::NotFound) };
    let Some(roles) = roles(&form.roles) else { return Err(PageError::NotFound) };
    let apps: Vec<AppId> = form.apps.iter().filter_map(|a| a.parse().ok()).collect();
    let all_apps = form.all_apps.is_some() || apps.is_empty();
    let update = MemberUpdate {
        roles: Some(roles),
        roles_as: keyward_core::member::RolesAs::Held,
        all_apps_visible: Some(all_apps),
        provisioning_allowed: Some(form.provisioning.is_some()),
        visible_apps: Some(keyward_core::ports::VisibleAppsChange::Replace(if all_apps { Vec::new() } else { apps })),
    };
    match state.store.update_member(page.team.id, member, update, &actor(&page.me, page.ip.clone())).await {
        Ok(m) => {
            state.written(&[Change::Member { team_id: page.team.id, member_id: member }]).await;
            back(&page, Flash::notice(format!("Saved the roles of {}.", m.email)))
        }
        Err(StoreError::Rule(DomainError::NotFound { .. })) => Err(PageError::NotFound),
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, Flash::error(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, member)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    page.check(&form.csrf)?;
    let Ok(member) = member.parse::<MemberId>() else { return Err(PageError::NotFound) };
    // Their address, for the message; a member of another team is not found here either.
    let email = match state.store.member(page.team.id, member).await {
        Ok(m) => m.email,
        Err(StoreError::Rule(DomainError::NotFound { .. })) => return Err(PageError::NotFound),
        Err(e) => return Err(e.into()),
    };
    match lifecycle::remove_member(&state, page.team.id, member, &actor(&page.me, page.ip.clone())).await {
        Ok(()) => {
            back(&page, Flash::notice(format!("Removed {email}. Their individual key, if they had one, is revoked.")))
        }
        Err(StoreError::Rule(DomainError::NotFound { .. })) => Err(PageError::NotFound),
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, Flash::error(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(e.into()),
    }
}
