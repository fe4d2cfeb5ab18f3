//! X1: Grant or Withdraw Key Manager on a key's page. Only the Account Holder and Admins see the
//! form; storage checks again (only people grant, only working ADMIN team keys hold it). Redirects
//! back to the key's page, so a reload grants nothing twice.

use axum::extract::{Path, State};
use axum_extra::extract::Form;
use keyward_core::capability::Capability;
use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::ports::KeyStore;

use super::error::{PageError, PageResult};
use super::flash::{self, Flash};
use super::key_details::own_or_managed;
use super::team_page::TeamPage;
use super::words::sentence;
use crate::AppState;

#[derive(serde::Deserialize)]
pub(crate) struct CapabilityForm {
    csrf: String,
    /// `yes` to grant, `no` to withdraw.
    grant: String,
    /// "yes" once the person confirmed a grant.
    confirm: Option<String>,
}

pub(crate) async fn change(
    State(state): State<AppState>,
    page: TeamPage,
    Path((_, key)): Path<(String, String)>,
    Form(form): Form<CapabilityForm>,
) -> PageResult {
    page.check(&form.csrf)?;
    let Ok(key_id) = KeyId::parse(&key) else { return Err(PageError::NotFound) };
    let key = match state.store.key(&key_id).await {
        Ok(key) => key,
        Err(StoreError::Rule(_)) => return Err(PageError::NotFound),
        Err(e) => return Err(e.into()),
    };
    // Someone who may not see the key's page is told it does not exist.
    if own_or_managed(&key, &page.team, &page.me).is_none() {
        return Err(PageError::NotFound);
    }
    let here = format!("/teams/{}/integrations/api/keys/{key_id}", page.team.issuer_id);
    let grant = match form.grant.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::NotFound),
    };
    if grant && form.confirm.as_deref() != Some("yes") {
        return Ok(flash::redirect(&page.session, &here, Flash::error("Confirm that this key may manage keys.")));
    }
    let who = super::team_page::actor(&page.me, page.ip.clone());
    let capability = Capability::KeyManager;
    match state.store.set_key_capability(page.team.id, &key_id, capability, grant, &who).await {
        Ok(changed) => {
            state.written(&[Change::KeyDownloaded { team_id: page.team.id, key_id: key_id.clone() }]).await;
            let notice = if changed.key_manager {
                format!(
                    "{} is a Key Manager: its tokens for the audience keyward-v1 may manage this team's keys.",
                    changed.name
                )
            } else {
                format!("{} is no longer a Key Manager.", changed.name)
            };
            Ok(flash::redirect(&page.session, &here, Flash::notice(notice)))
        }
        Err(StoreError::Rule(rule)) => {
            Ok(flash::redirect(&page.session, &here, Flash::error(sentence(&rule.to_string()))))
        }
        Err(e) => Err(e.into()),
    }
}
