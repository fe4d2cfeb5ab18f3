//! Apps of a team, with Apple's App attributes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::DomainError;
use crate::ids::{AppId, TeamId};
use crate::role::{Role, RoleSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct App {
    pub id: AppId,
    #[serde(skip)]
    pub team_id: Option<TeamId>,
    pub name: String,
    pub bundle_id: String,
    pub sku: String,
    pub primary_locale: String,
    pub is_or_ever_was_made_for_kids: bool,
    pub subscription_status_url: Option<String>,
    pub subscription_status_url_version: Option<String>,
    pub subscription_status_url_for_sandbox: Option<String>,
    pub subscription_status_url_version_for_sandbox: Option<String>,
    pub available_in_new_territories: Option<bool>,
    pub content_rights_declaration: Option<String>,
    pub streamlined_purchasing_enabled: Option<bool>,
    #[serde(skip)]
    pub created_at: Option<OffsetDateTime>,
}

/// What it takes to create an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApp {
    pub name: String,
    pub bundle_id: String,
    pub sku: String,
    pub primary_locale: String,
}

impl NewApp {
    /// Apple's limits: name up to 30 characters, bundle ID reverse-DNS, SKU of letters, digits,
    /// `-`, `_` and `.`.
    pub fn validate(self) -> Result<NewApp, DomainError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 30 || name.chars().any(char::is_control) {
            return Err(DomainError::InvalidInput("an app name must be 1 to 30 printable characters".into()));
        }
        let bundle_ok = !self.bundle_id.is_empty()
            && self.bundle_id.len() <= 155
            && self.bundle_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !self.bundle_id.starts_with('.')
            && !self.bundle_id.ends_with('.');
        if !bundle_ok {
            return Err(DomainError::InvalidInput(format!(
                "'{}' is not a bundle ID (letters, digits, '-' and '.', like com.example.app)",
                self.bundle_id
            )));
        }
        let sku_ok = !self.sku.is_empty()
            && self.sku.len() <= 100
            && self.sku.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !sku_ok {
            return Err(DomainError::InvalidInput(format!(
                "'{}' is not a SKU (letters, digits, '-', '_' and '.')",
                self.sku
            )));
        }
        let locale_ok = (2..=10).contains(&self.primary_locale.len())
            && self.primary_locale.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !locale_ok {
            return Err(DomainError::InvalidInput(format!("'{}' is not a locale such as en-US", self.primary_locale)));
        }
        Ok(NewApp { name, ..self })
    }
}

/// The longest subscription status URL accepted: every serving process keeps every app in memory
/// (the read model), so a field a client sets is bounded like the ones Apple bounds.
pub const MAX_URL_CHARS: usize = 2048;

/// A subscription status URL: absolute http(s), printable, at most [`MAX_URL_CHARS`] characters.
pub fn validate_status_url(field: &str, url: &str) -> Result<(), DomainError> {
    let absolute = url.starts_with("https://") || url.starts_with("http://");
    if !absolute || url.chars().count() > MAX_URL_CHARS || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(DomainError::InvalidInput(format!(
            "{field} must be an http or https URL of at most {MAX_URL_CHARS} characters"
        )));
    }
    Ok(())
}

/// Who may create apps, as in App Store Connect.
pub fn may_create_app(roles: RoleSet) -> Result<(), DomainError> {
    if roles.intersects(RoleSet::of(&[Role::AccountHolder, Role::Admin, Role::AppManager, Role::CreateApps])) {
        Ok(())
    } else {
        Err(DomainError::NotAllowed(
            "only the Account Holder, Admins, App Managers and members with Create Apps can create apps".into(),
        ))
    }
}

/// A4 for writes: replacing someone's visible apps through a view limited to `view` (an individual
/// key's apps; `None` sees all) keeps the apps outside that view as they were, so a key never
/// changes access to apps it cannot see. `new` holds only apps inside the view.
pub fn keep_hidden_apps(
    view: Option<&std::collections::HashSet<AppId>>,
    current: &[AppId],
    mut new: Vec<AppId>,
) -> Vec<AppId> {
    if let Some(view) = view {
        new.extend(current.iter().copied().filter(|id| !view.contains(id)));
    }
    new
}

/// A4 for writes: a view limited to some apps can neither grant nor withdraw "all apps".
pub fn may_set_all_apps(view_is_limited: bool, current: bool, requested: bool) -> bool {
    !view_is_limited || current == requested
}

#[cfg(test)]
mod tests {
    #[test]
    fn subscription_status_urls_are_bounded_absolute_urls() {
        assert!(validate_status_url("x", "https://example.com/notify").is_ok());
        assert!(validate_status_url("x", &format!("https://e.com/{}", "a".repeat(2030))).is_ok());
        assert!(validate_status_url("x", &format!("https://e.com/{}", "a".repeat(2040))).is_err());
        assert!(validate_status_url("x", "ftp://example.com").is_err());
        assert!(validate_status_url("x", "https://exa mple.com").is_err());
    }

    use super::*;

    #[test]
    fn a4_a_limited_view_keeps_hidden_apps_and_cannot_change_all_apps() {
        let view: std::collections::HashSet<AppId> = [AppId(1)].into();
        assert_eq!(keep_hidden_apps(Some(&view), &[AppId(1), AppId(2)], vec![]), vec![AppId(2)]);
        assert_eq!(keep_hidden_apps(None, &[AppId(1), AppId(2)], vec![AppId(1)]), vec![AppId(1)]);
        assert!(!may_set_all_apps(true, false, true) && !may_set_all_apps(true, true, false));
        assert!(may_set_all_apps(true, false, false) && may_set_all_apps(false, false, true));
    }

    fn app(bundle: &str, sku: &str) -> NewApp {
        NewApp { name: "Fizz".into(), bundle_id: bundle.into(), sku: sku.into(), primary_locale: "en-US".into() }
    }

    #[test]
    fn apps_need_apple_shaped_attributes() {
        assert!(app("com.example.fizz", "FIZZ_1").validate().is_ok());
        assert!(app("com example", "FIZZ").validate().is_err());
        assert!(app("com.example.fizz", "").validate().is_err());
        assert!(NewApp { name: "x".repeat(31), ..app("a.b", "S") }.validate().is_err());
    }

    #[test]
    fn only_some_roles_create_apps() {
        assert!(may_create_app(RoleSet::of(&[Role::CreateApps])).is_ok());
        assert!(may_create_app(RoleSet::of(&[Role::Developer])).is_err());
    }
}
