//! Key details: the key, its requests per hour over the last 24 hours (an SVG drawn here, no
//! script), its requests per gateway route area, and its recent authentication failures with their reasons (T14). Team keys are shown to
//! the Account Holder and Admins, individual keys also to their member.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::Form;
use keyward_core::change::Change;
use keyward_core::ids::KeyId;
use keyward_core::key::{KeyKind, KeyState};
use keyward_core::ports::{AuthStore, KeyStore, KeyTerms};
use time::OffsetDateTime;

use super::chrome::{Chrome, manages};
use super::error::{PageError, PageResult};
use super::flash::Flash;
use super::page::render;
use super::team_page::TeamPage;
use super::words::When;
use super::words::title;
use crate::AppState;

#[derive(Template)]
#[template(path = "key.html")]
struct KeyPage {
    c: Chrome,
    id: String,
    name: String,
    kind: &'static str,
    access: String,
    state: &'static str,
    /// X3: "Never" or when; X4: when a rotated-out key is revoked, and its successor or predecessor.
    expires: String,
    rotation: String,
    /// X4: the Rotate form shows for a working key not already being rotated out.
    rotatable: bool,
    /// X1: holds `KEY_MANAGER`; `capability_form`: the Account Holder or an Admin may change it
    /// here (a working ADMIN team key to grant it to, or one holding it to withdraw it from).
    key_manager: bool,
    capability_form: bool,
    created: When,
    created_by: String,
    last_used: When,
    /// x, y, height, hour label, requests.
    bars: Vec<(usize, u64, u64, String, u64)>,
    total: u64,
    peak: u64,
    /// Requests through the gateway (spec section 10), by route area.
    areas: Vec<(String, u64)>,
    failures: Vec<(When, String, String, String)>,
    flash: Flash,
}

/// 24 bars, one per hour ending now, scaled to the busiest hour (100 units tall).
fn bars(usage: &[(i64, u64)], now_hour: i64) -> Vec<(usize, u64, u64, String, u64)> {
    let peak = usage.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    (0..24usize)
        .map(|i| {
            let hour = now_hour - 23 + i64::try_from(i).unwrap_or(0);
            let n = usage.iter().find(|(h, _)| *h == hour).map(|(_, n)| *n).unwrap_or(0);
            let height = n * 100 / peak;
            let label = OffsetDateTime::from_unix_timestamp(hour * 3600)
                .map(|t| format!("{:02}:00 UTC", t.hour()))
                .unwrap_or_default();
            (i * 20, 110 - height, height, label, n)
        })
        .collect()
}

/// Who may see a key's page and rotate it: its team's Account Holder and Admins, and for an
/// individual key its member. `Some(own)` when `me` may (`own`: it is their individual key); `None`
/// for anyone else, another team's people included, who are told the key does not exist.
pub(super) fn own_or_managed(
    key: &keyward_core::key::ApiKey,
    team: &keyward_core::team::Team,
    me: &keyward_core::member::Member,
) -> Option<bool> {
    let own = key.kind == KeyKind::Individual && key.member_id == Some(me.id);
    (key.team_id == team.id && (manages(me) || own)).then_some(own)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    TeamPage { session, team, me, flash, .. }: TeamPage,
    Path((_, key)): Path<(String, String)>,
) -> PageResult {
    let Ok(key_id) = KeyId::parse(&key) else { return Err(PageError::NotFound) };
    let key = state.store.key(&key_id).await?;
    let Some(own) = own_or_managed(&key, &team, &me) else { return Err(PageError::NotFound) };
    let now = OffsetDateTime::now_utc();
    let key_state = key.state(now);
    let now_hour = OffsetDateTime::now_utc().unix_timestamp().div_euclid(3600);
    let usage = state.store.usage(&key_id, now_hour - 23).await?;
    let areas = state.store.area_usage(&key_id, now_hour - 23).await?;
    let failures = state.store.auth_failures(&key_id).await?;
    let page = KeyPage {
        c: Chrome::for_team(&session, &team, &me),
        id: key.id.to_string(),
        name: key.name.clone(),
        kind: if key.kind == KeyKind::Team { "Team key" } else { "Individual key" },
        access: if key.kind == KeyKind::Team {
            key.roles.iter().map(title).collect::<Vec<_>>().join(", ")
        } else {
            "The member's roles and apps".into()
        },
        state: match key_state {
            KeyState::Active => "Active",
            KeyState::Expired => "Expired",
            KeyState::Revoked => "Revoked",
        },
        expires: key.expires_at.map_or_else(|| "Never".to_owned(), |at| When::date_time(at).to_string()),
        rotation: match (&key.replaces, key.revoke_at) {
            (_, Some(at)) => format!("Rotated out: revoked {}", When::date_time(at)),
            (Some(p), None) => format!("Successor of {p}"),
            (None, None) => String::new(),
        },
        rotatable: key_state == KeyState::Active
            && key.revoke_at.is_none()
            && (own || (key.kind == KeyKind::Team && manages(&me))),
        key_manager: key.key_manager,
        capability_form: manages(&me)
            && (key.key_manager || keyward_core::capability::may_hold_key_manager(&key, now).is_ok()),
        created: When::date(key.created_at),
        created_by: key.created_by_label.clone(),
        last_used: key.last_used_at.map_or_else(|| When::words("Never"), When::date_time),
        total: usage.iter().map(|(_, n)| n).sum(),
        peak: usage.iter().map(|(_, n)| *n).max().unwrap_or(0),
        bars: bars(&usage, now_hour),
        areas,
        failures: failures
            .into_iter()
            .map(|f| (When::date_time(f.at), f.rule, f.reason, f.client_ip.unwrap_or_default()))
            .collect(),
        flash,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub(crate) struct RotateForm {
    csrf: String,
    /// `now`, or a span such as `24h`.
    grace: String,
    /// X2: the successor's own public key (PEM); empty to have Keyward make the pair.
    #[serde(default)]
    public_key: String,
    /// "yes" once the person confirmed: rotation revokes this key, perhaps at once.
    confirm: Option<String>,
}

/// X4: Rotate Key. The successor waits for its single download on its tab; the predecessor is
/// revoked at once or when the grace period ends. A reload of the page it redirects to makes
/// nothing.
pub(crate) async fn rotate(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<RotateForm>,
) -> PageResult {
    page.check(&form.csrf)?;
    let Ok(key_id) = KeyId::parse(&key) else { return Err(PageError::NotFound) };
    let grace = match form.grace.as_str() {
        "now" => time::Duration::ZERO,
        span => keyward_core::expiry::parse_span(span).map_err(|_| PageError::NotFound)?,
    };
    let key = match state.store.key(&key_id).await {
        Ok(key) => key,
        Err(keyward_core::error::StoreError::Rule(_)) => return Err(PageError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if own_or_managed(&key, &page.team, &page.me).is_none() {
        return Err(PageError::NotFound);
    }
    let tab = if key.kind == KeyKind::Team { "" } else { "/individual" };
    let back = format!("/teams/{}/integrations/api{tab}", page.team.issuer_id);
    let here = format!("/teams/{}/integrations/api/keys/{key_id}", page.team.issuer_id);
    if form.confirm.as_deref() != Some("yes") {
        let why = "Confirm the rotation: this key is revoked when you chose.";
        return Ok(super::flash::redirect(&page.session, &here, Flash::error(why)));
    }
    let public_key = match form.public_key.trim() {
        "" => None,
        pem => match crate::lifecycle::uploaded_public_key(pem) {
            Ok(der) => Some(der),
            Err(e) => {
                let why = super::words::sentence(&e.to_string());
                return Ok(super::flash::redirect(&page.session, &here, Flash::error(why)));
            }
        },
    };
    let terms = KeyTerms { public_key, ..KeyTerms::default() };
    // An individual key's successor is downloaded from its member's profile.
    let back = if key.kind == KeyKind::Team { back } else { format!("/teams/{}/profile", page.team.issuer_id) };
    let who = super::team_page::actor(&page.me, page.ip.clone());
    let max = state.settings.max_active_team_keys;
    match crate::lifecycle::rotate_key(&state.store, page.team.id, &key_id, grace, terms, max, &who).await {
        Ok(rotated) => {
            let successor = &rotated.successor;
            let mut changes = vec![Change::KeyRevoked { team_id: page.team.id, key_id: key_id.clone() }];
            if successor.uploaded {
                changes.push(Change::KeyDownloaded { team_id: page.team.id, key_id: successor.id.clone() });
            }
            state.written(&changes).await;
            let when = match rotated.predecessor.revoke_at {
                Some(at) => format!("keeps working until {}", When::date_time(at)),
                None => "is revoked".to_owned(),
            };
            let next = if successor.uploaded {
                format!("{} works now with your private key.", successor.id)
            } else {
                format!("Download {} now: it can be downloaded only once.", successor.id)
            };
            let notice = format!("Rotated {key_id} to {}. {next} {key_id} {when}.", successor.id);
            Ok(super::flash::redirect(&page.session, &back, Flash::notice(notice)))
        }
        Err(keyward_core::error::StoreError::Rule(rule)) => {
            Ok(super::flash::redirect(&page.session, &here, Flash::error(super::words::sentence(&rule.to_string()))))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_hour() {
        let b = bars(&[(100, 10), (99, 5)], 100);
        assert_eq!(b.len(), 24);
        assert_eq!((b[23].2, b[23].4), (100, 10), "the current hour is last, full height");
        assert_eq!((b[22].2, b[22].4), (50, 5));
        assert_eq!(b[0].2, 0);
    }
}
