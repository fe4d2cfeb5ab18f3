//! `/v1/users` (team members): one file per endpoint; `include=visibleApps` shared here.

pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod relationships;
pub(crate) mod update;
pub(crate) mod visible_apps;

use std::collections::HashSet;
use std::sync::Arc;

use keyward_core::ids::{AppId, TeamId};
use keyward_core::paging::{AppFilter, AppSort, PageRequest};
use keyward_token::verify::Principal;
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::jsonapi::params::Params;
use crate::replica::Replica;
use crate::routes::v1::{DEFAULT_RELATED_LIMIT, MAX_RELATED_LIMIT};
use crate::views::app::AppWriter;
use crate::views::{BaseUrl, Fields, Related, app};

/// `include=visibleApps`, `limit[visibleApps]`, `fields[apps]` of a users or invitations request.
pub(crate) struct Include {
    pub limit: u32,
    pub app_fields: Fields,
    replica: Arc<Replica>,
    team: TeamId,
    /// A4: the apps the calling key sees, when it does not see all of the team's.
    key_view: Option<Arc<HashSet<AppId>>>,
    /// In order of first appearance.
    included: Vec<Value>,
    seen: HashSet<AppId>,
}

impl Include {
    /// `None` when the request includes nothing. A4: only the apps the calling key sees are ever
    /// listed, linked or counted.
    pub fn from_params(state: &AppState, key: &Principal, params: &Params) -> Result<Option<Include>, ApiError> {
        let app_fields = Fields(params.fields("fields[apps]", app::app_fields())?);
        let includes = params.list("include")?;
        if let Some(bad) = includes.iter().find(|i| i.as_str() != "visibleApps") {
            return Err(ApiError::parameter("include", format!("'{bad}' is not a valid relationship name")));
        }
        let limit = params.limit("limit[visibleApps]", DEFAULT_RELATED_LIMIT, MAX_RELATED_LIMIT)?;
        if includes.is_empty() {
            return Ok(None);
        }
        Ok(Some(Include {
            limit,
            app_fields,
            replica: state.replica.clone(),
            team: key.team_id,
            key_view: key.visible_apps.clone(),
            included: Vec::new(),
            seen: HashSet::new(),
        }))
    }

    /// The relationship linkage of one resource's visible apps (the first `limit` in the order of
    /// `GET /v1/apps`, and how many there are), adding them to `included`. A member who sees all
    /// apps lists every app of the team. Read from the read model's name index: the cost is the
    /// page, not the team's size.
    pub fn related(&mut self, all_apps: bool, visible: &[AppId], base: &BaseUrl) -> Related {
        let visible_to = match (all_apps, &self.key_view) {
            (true, view) => view.as_ref().map(|v| v.iter().copied().collect()),
            (false, None) => Some(visible.to_vec()),
            (false, Some(view)) => Some(visible.iter().copied().filter(|id| view.contains(id)).collect()),
        };
        let filter = AppFilter { visible_to, ..AppFilter::default() };
        let request = PageRequest { sort: AppSort::Name, descending: false, after: None, limit: self.limit };
        let page = self.replica.catalog().list_apps(self.team, &filter, &request);
        let writer = AppWriter::new(base, &self.app_fields);
        for a in &page.items {
            if self.seen.insert(a.id) {
                self.included.push(writer.value(a));
            }
        }
        let ids = page.items.iter().map(|a| ("apps".to_owned(), a.id.to_string())).collect();
        Related { ids, total: usize::try_from(page.total).unwrap_or(usize::MAX), limit: self.limit }
    }

    pub fn included(self) -> Vec<Value> {
        self.included
    }
}
