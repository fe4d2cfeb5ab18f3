//! `/v1/users` (team members): one file per endpoint; `include=visibleApps` shared here.

pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod relationships;
pub(crate) mod update;
pub(crate) mod visible_apps;

use std::collections::HashMap;
use std::sync::Arc;

use keyward_core::app::App;
use keyward_core::ids::AppId;
use keyward_token::verify::Principal;
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::routes::v1::{DEFAULT_RELATED_LIMIT, MAX_RELATED_LIMIT};
use crate::views::{BaseUrl, Fields, Related, app};

/// `include=visibleApps`, `limit[visibleApps]`, `fields[apps]` of a users or invitations request.
pub(crate) struct Include {
    pub limit: u32,
    pub app_fields: Fields,
    apps: HashMap<AppId, Arc<App>>,
    /// In order of first appearance.
    included: Vec<(AppId, Value)>,
}

impl Include {
    /// `None` when the request includes nothing. A4: only the apps the calling key sees are ever
    /// listed, linked or counted.
    pub fn from_params(state: &AppState, key: &Principal, params: &Params) -> Result<Option<Include>, ApiError> {
        let app_fields = Fields(params.fields("fields[apps]", &app::app_fields())?);
        let includes = params.list("include")?;
        if let Some(bad) = includes.iter().find(|i| i.as_str() != "visibleApps") {
            return Err(ApiError::parameter("include", format!("'{bad}' is not a valid relationship name")));
        }
        let limit = params.limit("limit[visibleApps]", DEFAULT_RELATED_LIMIT, MAX_RELATED_LIMIT)?;
        if includes.is_empty() {
            return Ok(None);
        }
        let apps = state
            .auth
            .catalog()
            .team_apps(key.team_id)
            .into_iter()
            .filter(|a| crate::routes::v1::key_sees(key, a.id))
            .map(|a| (a.id, a))
            .collect();
        Ok(Some(Include { limit, app_fields, apps, included: Vec::new() }))
    }

    /// The relationship linkage of one resource's visible apps, adding them to `included`.
    /// A member who sees all apps lists every app of the team.
    pub fn related(&mut self, all_apps: bool, visible: &[AppId], base: &BaseUrl) -> Related {
        let mut ids: Vec<AppId> = if all_apps {
            self.apps.keys().copied().collect()
        } else {
            visible.iter().copied().filter(|id| self.apps.contains_key(id)).collect()
        };
        // The order of GET /v1/apps: by name, then ID.
        ids.sort_by(|a, b| {
            let name = |id: &AppId| self.apps.get(id).map(|x| x.name.clone()).unwrap_or_default();
            name(a).cmp(&name(b)).then(a.cmp(b))
        });
        let total = ids.len();
        ids.truncate(self.limit as usize);
        for id in &ids {
            if let Some(a) = self.apps.get(id)
                && !self.included.iter().any(|(seen, _)| seen == id)
            {
                self.included.push((*id, app::resource(a, base, &self.app_fields)));
            }
        }
        Related { ids: ids.iter().map(|i| ("apps".to_owned(), i.to_string())).collect(), total, limit: self.limit }
    }

    pub fn included(self) -> Vec<Value> {
        self.included.into_iter().map(|(_, v)| v).collect()
    }
}
