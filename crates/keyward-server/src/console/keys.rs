//! Users and Access → Integrations → App Store Connect API, team keys: the list (active, then
//! revoked within retention), Generate API Key, the single download, Revoke Key with confirmation.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use keyward_core::actor::Actor;
use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::key::{ApiKey, KeyKind, TEAM_KEY_ROLES};
use keyward_core::member::Member;
use keyward_core::ports::{KeyStore, MemberStore, NewKey, TeamStore};
use keyward_core::role::{Role, RoleSet};
use keyward_core::team::Team;
use serde::Deserialize;
use time::OffsetDateTime;

use super::chrome::Chrome;
use super::session::{CsrfForm, Session};
use super::team_page::{TeamPage, actor};
use super::words::When;
use super::words::{sentence, title};
use super::{not_found, render, store_failure};
use crate::{AppState, lifecycle};

pub(crate) struct KeyRow {
    id: String,
    name: String,
    access: String,
    created: When,
    last_used: When,
    downloadable: bool,
    revoked: When,
    revoked_by: String,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    c: Chrome,
    access: &'static str,
    is_holder: bool,
    roles: Vec<(&'static str, String)>,
    active: Vec<KeyRow>,
    individual: Vec<KeyRow>,
    revoked: Vec<KeyRow>,
    notice: Option<String>,
    error: Option<String>,
    generate_open: bool,
    editing: bool,
}

fn row(k: &ApiKey, me: &Member) -> KeyRow {
    KeyRow {
        id: k.id.to_string(),
        name: k.name.clone(),
        access: k.roles.iter().map(title).collect::<Vec<_>>().join(", "),
        created: When::date(k.created_at),
        last_used: k.last_used_at.map_or_else(|| When::words("Never"), When::date_time),
        downloadable: k.is_downloadable() && k.created_by == Actor::Member(me.id),
        revoked: k.revoked_at.map(When::date).unwrap_or_default(),
        revoked_by: k.revoked_by_label.clone().unwrap_or_default(),
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
    show_keys(state, session, team, me, notice, error, status, Panel::None).await
}

/// A member's roles as App Store Connect lists them; the Generate Individual API Keys permission,
/// carried among the roles, is not an access of the key.
fn roles_of(roles: RoleSet) -> String {
    roles.iter().filter(|r| *r != Role::GenerateIndividualKeys).map(title).collect::<Vec<_>>().join(", ")
}

/// What the keys page opens besides its tables. Both work without JavaScript, as links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    /// The Generate API Key dialog (`?generate`), also reopened with a refusal.
    Generate,
    /// Edit (`?edit`): checkboxes on the active keys and Revoke Key, as in App Store Connect.
    Edit,
}

#[allow(clippy::too_many_arguments)]
async fn show_keys(
    state: &AppState,
    session: &Session,
    team: &Team,
    me: &Member,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
    panel: Panel,
) -> Response {
    let keys = match state.store.keys(team.id, OffsetDateTime::now_utc(), state.settings.revoked_retention_days).await {
        Ok(keys) => keys,
        Err(e) => return store_failure(e),
    };
    let (active, revoked): (Vec<_>, Vec<_>) = keys.iter().partition(|k| k.is_active());
    let (active, individual): (Vec<_>, Vec<_>) = active.into_iter().partition(|k| k.kind == KeyKind::Team);
    // An individual key acts with its member's current roles (K14): show those.
    let members = match individual.is_empty() {
        true => Vec::new(),
        false => match state.store.members(team.id).await {
            Ok(members) => members,
            Err(e) => return store_failure(e),
        },
    };
    let individual_row = |k: &&ApiKey| {
        let owner = members.iter().find(|m| Some(m.id) == k.member_id);
        KeyRow { access: owner.map(|m| roles_of(m.roles)).unwrap_or_default(), ..row(k, me) }
    };
    let page = KeysPage {
        c: Chrome::for_team(session, team, me),
        access: team.access.as_str(),
        is_holder: me.is_account_holder(),
        roles: TEAM_KEY_ROLES.iter().map(|r| (r.as_str(), title(*r))).collect(),
        active: active.iter().map(|k| row(k, me)).collect(),
        individual: individual.iter().map(individual_row).collect(),
        revoked: revoked.iter().map(|k| row(k, me)).collect(),
        notice,
        error,
        generate_open: panel == Panel::Generate,
        editing: panel == Panel::Edit && super::chrome::manages(me),
    };
    render(status, &page)
}

impl Panel {
    /// `?generate` (the Generate API Key link without JavaScript) or `?edit` (the Edit link); any
    /// other query is ignored rather than refused, as a page link should be.
    fn from_query(query: Option<&str>) -> Panel {
        let names: Vec<&str> = query.unwrap_or("").split('&').map(|p| p.split('=').next().unwrap_or("")).collect();
        if names.contains(&"generate") {
            Panel::Generate
        } else if names.contains(&"edit") {
            Panel::Edit
        } else {
            Panel::None
        }
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    TeamPage { session, team, me, .. }: TeamPage,
    RawQuery(query): RawQuery,
) -> Response {
    let panel = Panel::from_query(query.as_deref());
    show_keys(&state, &session, &team, &me, None, None, StatusCode::OK, panel).await
}

#[derive(Deserialize)]
pub(crate) struct GenerateForm {
    csrf: String,
    name: String,
    #[serde(default)]
    roles: Vec<String>,
}

pub(crate) async fn generate(
    State(state): State<AppState>,
    page: TeamPage,
    Form(form): Form<GenerateForm>,
) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    let roles: Result<RoleSet, _> = form.roles.iter().map(|r| r.parse::<Role>()).collect();
    let refusal = |msg: String| {
        show_keys(&state, &session, &team, &me, None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY, Panel::Generate)
    };
    let Ok(roles) = roles else { return refusal("Choose roles from the list.".into()).await };
    let new = NewKey::Team { name: form.name, roles };
    match lifecycle::generate_key(&state.store, team.id, new, state.settings.max_active_team_keys, &actor(&me, ip))
        .await
    {
        Ok(key) => {
            show(
                &state,
                &session,
                &team,
                &me,
                Some(format!("Generated {} ({}). Download it now: it can be downloaded only once.", key.name, key.id)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(StoreError::Rule(rule)) => refusal(sentence(&rule.to_string())).await,
        Err(e) => store_failure(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct AccessForm {
    csrf: String,
    terms: Option<String>,
}

/// K1: the Account Holder requests API access, accepting the terms.
pub(crate) async fn request_access(
    State(state): State<AppState>,
    page: TeamPage,
    Form(form): Form<AccessForm>,
) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    if form.terms.as_deref() != Some("accepted") {
        return show(
            &state,
            &session,
            &team,
            &me,
            None,
            Some("Accept the terms to request access.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state.store.request_access(team.id, &actor(&me, ip), state.settings.auto_approve_api_access).await {
        Ok(_) => {
            state.catch_up().await;
            Redirect::to(&format!("/teams/{}/integrations/api", team.issuer_id)).into_response()
        }
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => store_failure(e),
    }
}

/// K9, K10: the single download, by the key's creator; `Cache-Control: no-store`.
/// The private key's bytes as they leave: the response body owns a copy that is zeroized when hyper
/// drops it after writing (the key pair itself is zeroized when `private` drops).
fn pem_body(private: &keyward_token::PrivateKeyPem) -> axum::body::Body {
    struct Wiped(zeroize::Zeroizing<Vec<u8>>);
    impl AsRef<[u8]> for Wiped {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    let bytes = zeroize::Zeroizing::new(private.expose().as_bytes().to_vec());
    axum::body::Body::from(bytes::Bytes::from_owner(Wiped(bytes)))
}

pub(crate) async fn download(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    let Ok(key_id) = KeyId::parse(&key) else { return not_found() };
    match lifecycle::download_key(&state.store, team.id, &key_id, &actor(&me, ip)).await {
        Ok((_, private)) => {
            // The key can sign from the next request on, on this server too.
            state.catch_up().await;
            let disposition = format!("attachment; filename=\"{}\"", key_id.file_name());
            let mut response = pem_body(&private).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(StoreError::Rule(keyward_core::DomainError::NotFound { .. })) => not_found(),
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::CONFLICT).await
        }
        Err(e) => store_failure(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    csrf: String,
    #[serde(default)]
    keys: Vec<String>,
    confirm: Option<String>,
}

#[derive(Template)]
#[template(path = "confirm_revoke.html")]
struct ConfirmRevoke {
    c: Chrome,
    keys: Vec<String>,
}

/// K11, K12: Revoke Key asks to confirm; the confirmation revokes all selected keys in one
/// transaction, effective on this server before the page answers.
pub(crate) async fn revoke(State(state): State<AppState>, page: TeamPage, Form(form): Form<RevokeForm>) -> Response {
    if let Err(refused) = page.check(&form.csrf) {
        return refused;
    }
    let TeamPage { session, team, me, ip, .. } = page;
    if form.keys.is_empty() {
        return show_keys(
            &state,
            &session,
            &team,
            &me,
            None,
            Some("Select the keys to revoke.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            Panel::Edit,
        )
        .await;
    }
    let Ok(ids) = form.keys.iter().map(|k| KeyId::parse(k)).collect::<Result<Vec<_>, _>>() else { return not_found() };
    if form.confirm.as_deref() != Some("yes") {
        let page = ConfirmRevoke { c: Chrome::for_team(&session, &team, &me), keys: form.keys.clone() };
        return render(StatusCode::OK, &page);
    }
    match lifecycle::revoke_keys(&state, team.id, &ids, &actor(&me, ip)).await {
        Ok(_) => Redirect::to(&format!("/teams/{}/integrations/api", team.issuer_id)).into_response(),
        Err(StoreError::Rule(keyward_core::DomainError::NotFound { .. })) => not_found(),
        Err(StoreError::Rule(rule)) => {
            show(&state, &session, &team, &me, None, Some(sentence(&rule.to_string())), StatusCode::FORBIDDEN).await
        }
        Err(e) => store_failure(e),
    }
}
