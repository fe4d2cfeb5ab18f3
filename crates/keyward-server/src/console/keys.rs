//! Users and Access → Integrations → App Store Connect API, team keys: the list (active, then
//! expired and revoked within retention), Generate API Key (with an uploaded public key or an
//! expiry, X2–X3), the single download, Revoke Key with confirmation, keys unused for a span, and
//! the team's cap on new keys' lifetime.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum_extra::extract::Form;
use keyward_core::access::AccessState;
use keyward_core::actor::Actor;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::expiry;
use keyward_core::ids::KeyId;
use keyward_core::key::{ApiKey, KeyKind, KeyState, TEAM_KEY_ROLES};
use keyward_core::member::Member;
use keyward_core::ports::{KeyStore, KeyTerms, MemberStore, NewKey, TeamStore};
use keyward_core::role::{Role, RoleSet};
use serde::Deserialize;
use time::OffsetDateTime;

use super::chrome::Chrome;
use super::error::{PageError, PageResult};
use super::flash::{self, Flash};
use super::page::render;
use super::session::CsrfForm;
use super::team_page::{TeamPage, actor};
use super::words::{When, sentence, title};
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
    /// X3: when it expired (the Expired table).
    expired: When,
    /// X3: "Never", the expiry, or (X4) when a rotated-out key is revoked, whichever comes first.
    ends: String,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    c: Chrome,
    access: &'static str,
    is_holder: bool,
    roles: Vec<(&'static str, String)>,
    tab: Tab,
    /// The Team Keys tab's address, under which the page's forms post.
    base: String,
    /// The current tab's address.
    here: String,
    active: Vec<KeyRow>,
    expired: Vec<KeyRow>,
    revoked: Vec<KeyRow>,
    flash: Flash,
    generate_open: bool,
    editing: bool,
    /// X3: the span of `?unused=…`, when the active keys are filtered by it.
    unused: Option<String>,
    /// X3: the team's cap on new keys' lifetime, in days ("" for none).
    lifetime_cap: String,
}

fn row(k: &ApiKey, me: &Member) -> KeyRow {
    KeyRow {
        id: k.id.to_string(),
        name: k.name.clone(),
        access: k.roles.iter().map(title).collect::<Vec<_>>().join(", "),
        created: When::date(k.created_at),
        last_used: k.last_used_at.map_or_else(|| When::words("Never"), When::date_time),
        downloadable: k.is_downloadable() && k.created_by == Actor::Member(me.id),
        revoked: k.revoked_at.or(k.revoke_at).map(When::date).unwrap_or_default(),
        revoked_by: k.revoked_by_label.clone().unwrap_or_default(),
        expired: k.expires_at.map(When::date).unwrap_or_default(),
        ends: match (k.revoke_at, k.expires_at) {
            (Some(r), Some(e)) if e < r => When::date_time(e).to_string(),
            (Some(at), _) => format!("Rotated out: revoked {}", When::date_time(at)),
            (None, Some(at)) => When::date_time(at).to_string(),
            (None, None) => "Never".to_owned(),
        },
    }
}

/// A member's roles as App Store Connect lists them; the Generate Individual API Keys permission,
/// carried among the roles, is not an access of the key.
fn roles_of(roles: RoleSet) -> String {
    roles.iter().filter(|r| *r != Role::GenerateIndividualKeys).map(title).collect::<Vec<_>>().join(", ")
}

/// The two tabs of the page, one kind of key each, as in App Store Connect. Each is its own
/// address, so the tabs are links that work without JavaScript and the current one is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Team,
    Individual,
}

impl Tab {
    fn kind(self) -> KeyKind {
        match self {
            Tab::Team => KeyKind::Team,
            Tab::Individual => KeyKind::Individual,
        }
    }

    /// The tab's address, from the team's Issuer ID.
    pub fn path(self, issuer: &str) -> String {
        match self {
            Tab::Team => format!("/teams/{issuer}/integrations/api"),
            Tab::Individual => format!("/teams/{issuer}/integrations/api/individual"),
        }
    }

    /// The tab a form came from (its hidden `tab` field); the team tab when absent.
    fn named(name: Option<&str>) -> Tab {
        match name {
            Some("individual") => Tab::Individual,
            _ => Tab::Team,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tab::Team => "team",
            Tab::Individual => "individual",
        }
    }
}

/// What the keys page opens besides its tables. Both work without JavaScript, as links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    /// The Generate API Key dialog (`?generate`, team tab), also reopened with a refusal.
    Generate,
    /// Edit (`?edit`): checkboxes on the active keys and Revoke Key, as in App Store Connect.
    Edit,
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

/// How the keys page is shown: which tab, what is open, the message and the status.
struct View {
    tab: Tab,
    panel: Panel,
    flash: Flash,
    status: StatusCode,
    /// X3: `?unused=90d`, only the active keys unused for that long: the span as written and read.
    unused: Option<(String, time::Duration)>,
}

impl View {
    /// A refusal of a form posted from `tab`: the page answers with the reason, nothing changed.
    fn refusal(tab: Tab, panel: Panel, status: StatusCode, why: String) -> View {
        View { tab, panel, flash: Flash::error(why), status, unused: None }
    }
}

/// `unused=SPAN` of the query, when it is a span (anything else shows every key).
fn unused_of(query: Option<&str>) -> Option<(String, time::Duration)> {
    query?.split('&').find_map(|pair| {
        let span = pair.strip_prefix("unused=")?;
        expiry::parse_span(span).ok().map(|d| (span.to_owned(), d))
    })
}

async fn show(state: &AppState, page: &TeamPage, view: View) -> PageResult {
    let TeamPage { session, team, me, .. } = page;
    let now = OffsetDateTime::now_utc();
    let keys = state.store.keys(team.id, now, state.settings.revoked_retention_days).await?;
    let of_tab = || keys.iter().filter(|k| k.kind == view.tab.kind());
    let unused = view.unused;
    let active: Vec<&ApiKey> = of_tab()
        .filter(|k| k.state(now) == KeyState::Active)
        .filter(|k| unused.as_ref().is_none_or(|(_, span)| expiry::is_unused(k, now, *span)))
        .collect();
    let expired: Vec<&ApiKey> = of_tab().filter(|k| k.state(now) == KeyState::Expired).collect();
    let revoked: Vec<&ApiKey> = of_tab().filter(|k| k.state(now) == KeyState::Revoked).collect();
    // An individual key acts with its member's current roles (K14): show those.
    let members = match view.tab {
        Tab::Team => Vec::new(),
        Tab::Individual => match state.store.members(team.id).await {
            Ok(members) => members,
            Err(e) => return Err(e.into()),
        },
    };
    let active_row = |k: &&ApiKey| match view.tab {
        Tab::Team => row(k, me),
        Tab::Individual => {
            let owner = members.iter().find(|m| Some(m.id) == k.member_id);
            KeyRow { access: owner.map(|m| roles_of(m.roles)).unwrap_or_default(), ..row(k, me) }
        }
    };
    let page = KeysPage {
        c: Chrome::for_team(session, team, me),
        access: team.access.as_str(),
        is_holder: me.is_account_holder(),
        roles: TEAM_KEY_ROLES.iter().map(|r| (r.as_str(), title(*r))).collect(),
        tab: view.tab,
        base: Tab::Team.path(&team.issuer_id.to_string()),
        here: view.tab.path(&team.issuer_id.to_string()),
        active: active.iter().map(active_row).collect(),
        expired: expired.iter().map(|k| row(k, me)).collect(),
        revoked: revoked.iter().map(|k| row(k, me)).collect(),
        flash: view.flash,
        generate_open: view.panel == Panel::Generate && view.tab == Tab::Team,
        editing: view.panel == Panel::Edit && super::chrome::manages(me),
        unused: unused.map(|(span, _)| span),
        lifetime_cap: team.max_key_lifetime_days.map(|d| d.to_string()).unwrap_or_default(),
    };
    Ok(render(view.status, &page))
}

/// The Team Keys tab.
pub(crate) async fn page(State(state): State<AppState>, page: TeamPage, RawQuery(query): RawQuery) -> PageResult {
    shown_tab(&state, page, Tab::Team, query.as_deref()).await
}

/// The Individual Keys tab.
pub(crate) async fn individual(State(state): State<AppState>, page: TeamPage, RawQuery(query): RawQuery) -> PageResult {
    shown_tab(&state, page, Tab::Individual, query.as_deref()).await
}

async fn shown_tab(state: &AppState, page: TeamPage, tab: Tab, query: Option<&str>) -> PageResult {
    let unused = unused_of(query);
    let view = View { tab, panel: Panel::from_query(query), flash: page.flash.clone(), status: StatusCode::OK, unused };
    show(state, &page, view).await
}

#[derive(Deserialize)]
pub(crate) struct GenerateForm {
    csrf: String,
    name: String,
    #[serde(default)]
    roles: Vec<String>,
    /// X3: a span (90d), a date or an RFC 3339 time; empty for none (or the team's cap).
    #[serde(default)]
    expires: String,
    /// X2: the owner's P-256 public key (PEM); empty to have Keyward make the pair at download.
    #[serde(default)]
    public_key: String,
}

/// X2, X3: what the form asks for besides name and roles, or the sentence saying why not.
fn terms_of(form: &GenerateForm) -> Result<KeyTerms, String> {
    let public_key = match form.public_key.trim() {
        "" => None,
        pem => Some(lifecycle::uploaded_public_key(pem).map_err(|e| sentence(&e.to_string()))?),
    };
    let expires_at = match form.expires.trim() {
        "" => None,
        when => Some(expiry::parse_expiry(when, OffsetDateTime::now_utc()).map_err(|e| sentence(&e.to_string()))?),
    };
    Ok(KeyTerms { public_key, expires_at, ..KeyTerms::default() })
}

/// Generate API Key (K2–K6): on success a redirect to the Team Keys tab, where the new key waits
/// for its single download; a reload of that page makes nothing.
pub(crate) async fn generate(
    State(state): State<AppState>,
    page: TeamPage,
    Form(form): Form<GenerateForm>,
) -> PageResult {
    page.check(&form.csrf)?;
    let refusal = |why: String| View::refusal(Tab::Team, Panel::Generate, StatusCode::UNPROCESSABLE_ENTITY, why);
    let roles: Result<RoleSet, _> = form.roles.iter().map(|r| r.parse::<Role>()).collect();
    let Ok(roles) = roles else { return show(&state, &page, refusal("Choose roles from the list.".into())).await };
    let terms = match terms_of(&form) {
        Ok(terms) => terms,
        Err(why) => return show(&state, &page, refusal(why)).await,
    };
    let new = NewKey::Team { name: form.name, roles };
    let max = state.settings.max_active_team_keys;
    let who = actor(&page.me, page.ip.clone());
    match lifecycle::generate_key_with(&state.store, page.team.id, new, terms, max, &who).await {
        Ok(key) => {
            let notice = if key.uploaded {
                // It works from the next request on, on this server too.
                state.written(&[Change::KeyDownloaded { team_id: page.team.id, key_id: key.id.clone() }]).await;
                format!(
                    "Made {} ({}) from your public key. Sign tokens with your private key: there is nothing to download.",
                    key.name, key.id
                )
            } else {
                format!("Generated {} ({}). Download it now: it can be downloaded only once.", key.name, key.id)
            };
            Ok(flash::redirect(&page.session, &Tab::Team.path(&page.team.issuer_id.to_string()), Flash::notice(notice)))
        }
        Err(StoreError::Rule(rule)) => show(&state, &page, refusal(sentence(&rule.to_string()))).await,
        Err(e) => Err(e.into()),
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
) -> PageResult {
    page.check(&form.csrf)?;
    let refusal = |status, why: String| View::refusal(Tab::Team, Panel::None, status, why);
    if form.terms.as_deref() != Some("accepted") {
        let why = "Accept the terms to request access.".to_owned();
        return show(&state, &page, refusal(StatusCode::UNPROCESSABLE_ENTITY, why)).await;
    }
    let who = actor(&page.me, page.ip.clone());
    match state.store.request_access(page.team.id, &who, state.settings.auto_approve_api_access).await {
        Ok(access) => {
            state.written(&[Change::TeamAccess { team_id: page.team.id }]).await;
            let notice = match access {
                AccessState::Approved => "API access is granted: you can generate keys.",
                _ => "Requested API access. It is awaiting review.",
            };
            Ok(flash::redirect(&page.session, &Tab::Team.path(&page.team.issuer_id.to_string()), Flash::notice(notice)))
        }
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, refusal(StatusCode::FORBIDDEN, sentence(&rule.to_string()))).await
        }
        Err(e) => Err(e.into()),
    }
}

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

/// K9, K10: the single download, by the key's creator; `Cache-Control: no-store`. The answer is
/// the file itself, so the browser stays on the page it was on and nothing can be re-posted by a
/// reload; the page shows the key without its Download button from then on.
pub(crate) async fn download(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    page.check(&form.csrf)?;
    let Ok(key_id) = KeyId::parse(&key) else { return Err(PageError::NotFound) };
    match lifecycle::download_key(&state.store, page.team.id, &key_id, &actor(&page.me, page.ip.clone())).await {
        Ok((_, private)) => {
            // The key can sign from the next request on, on this server too.
            state.written(&[Change::KeyDownloaded { team_id: page.team.id, key_id: key_id.clone() }]).await;
            let disposition = format!("attachment; filename=\"{}\"", key_id.file_name());
            let mut response = pem_body(&private).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(response)
        }
        Err(StoreError::Rule(DomainError::NotFound { .. })) => Err(PageError::NotFound),
        Err(StoreError::Rule(rule)) => {
            let view = View::refusal(Tab::Team, Panel::None, StatusCode::CONFLICT, sentence(&rule.to_string()));
            show(&state, &page, view).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    csrf: String,
    #[serde(default)]
    keys: Vec<String>,
    confirm: Option<String>,
    /// The tab the form was posted from, to return to.
    tab: Option<String>,
}

#[derive(Template)]
#[template(path = "confirm_revoke.html")]
struct ConfirmRevoke {
    c: Chrome,
    keys: Vec<String>,
    tab: &'static str,
    back: String,
}

/// K11, K12: Revoke Key asks to confirm; the confirmation revokes all selected keys in one
/// transaction, effective on this server before the redirect back to the tab.
pub(crate) async fn revoke(State(state): State<AppState>, page: TeamPage, Form(form): Form<RevokeForm>) -> PageResult {
    page.check(&form.csrf)?;
    let tab = Tab::named(form.tab.as_deref());
    let back = tab.path(&page.team.issuer_id.to_string());
    if form.keys.is_empty() {
        let why = "Select the keys to revoke.".to_owned();
        return show(&state, &page, View::refusal(tab, Panel::Edit, StatusCode::UNPROCESSABLE_ENTITY, why)).await;
    }
    let Ok(ids) = form.keys.iter().map(|k| KeyId::parse(k)).collect::<Result<Vec<_>, _>>() else {
        return Err(PageError::NotFound);
    };
    if form.confirm.as_deref() != Some("yes") {
        let c = Chrome::for_team(&page.session, &page.team, &page.me);
        return Ok(render(StatusCode::OK, &ConfirmRevoke { c, keys: form.keys.clone(), tab: tab.name(), back }));
    }
    match lifecycle::revoke_keys(&state, page.team.id, &ids, &actor(&page.me, page.ip.clone())).await {
        Ok(_) => {
            let list = form.keys.join(", ");
            let notice = match ids.len() {
                1 => format!("Revoked {list}. Tokens signed with it are refused from now on."),
                _ => format!("Revoked {list}. Tokens signed with them are refused from now on."),
            };
            Ok(flash::redirect(&page.session, &back, Flash::notice(notice)))
        }
        Err(StoreError::Rule(DomainError::NotFound { .. })) => Err(PageError::NotFound),
        Err(StoreError::Rule(rule)) => {
            show(&state, &page, View::refusal(tab, Panel::Edit, StatusCode::FORBIDDEN, sentence(&rule.to_string())))
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct LifetimeForm {
    csrf: String,
    /// Days, or empty for no cap.
    #[serde(default)]
    days: String,
}

/// X3: the team's cap on new keys' lifetime, set by the Account Holder or an Admin.
pub(crate) async fn key_lifetime(
    State(state): State<AppState>,
    page: TeamPage,
    Form(form): Form<LifetimeForm>,
) -> PageResult {
    page.check(&form.csrf)?;
    let refusal = |why: String| View::refusal(Tab::Team, Panel::None, StatusCode::UNPROCESSABLE_ENTITY, why);
    let days = match form.days.trim() {
        "" => None,
        n => match n.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                return show(&state, &page, refusal("Give the cap in whole days, or leave it empty.".into())).await;
            }
        },
    };
    match state.store.set_key_lifetime_cap(page.team.id, days, &actor(&page.me, page.ip.clone())).await {
        Ok(team) => {
            let notice = match team.max_key_lifetime_days {
                Some(n) => format!("New keys now expire within {n} days."),
                None => "New keys may live for ever again.".to_owned(),
            };
            Ok(flash::redirect(&page.session, &Tab::Team.path(&page.team.issuer_id.to_string()), Flash::notice(notice)))
        }
        Err(StoreError::Rule(rule)) => show(&state, &page, refusal(sentence(&rule.to_string()))).await,
        Err(e) => Err(e.into()),
    }
}
