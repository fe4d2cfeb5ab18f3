//! The resource a related, linkage or relationship-write path hangs from (`/v1/apps/{id}/builds`:
//! the app), and what its relationship holds: the links it stores, and the resources of the
//! relationship's type that link to it (a build's `app` makes it one of the app's `builds`).

use std::sync::Arc;

use keyward_core::app::App;
use keyward_core::resource::{Link, Resource};

use super::Call;
use super::list::sees;
use crate::error::ApiError;

pub(super) enum Parent {
    /// Section 7's apps live in the catalog.
    App(Arc<App>),
    Resource(Arc<Resource>),
}

/// The parent of the call's path, as the key may see it (A4): another team's, a hidden app's
/// or a missing one is the 404 Apple gives, naming its type.
pub(super) fn of(call: &Call<'_>) -> Result<Parent, ApiError> {
    let family = call.operation.family.as_str();
    let id = call.id();
    let not_found = || ApiError::not_found(family, id);
    if family == "apps" {
        let app_id = crate::routes::v1::apps::get::visible_app(&call.key, id)?;
        let app = call.state.replica.catalog().app(call.key.team_id, app_id).ok_or_else(not_found)?;
        return Ok(Parent::App(app));
    }
    let found = call.state.replica.resources().get(call.key.team_id, family, id).ok_or_else(not_found)?;
    if !sees(&call.key, &found) {
        return Err(not_found());
    }
    Ok(Parent::Resource(found))
}

impl Parent {
    pub fn kind(&self) -> &str {
        match self {
            Parent::App(_) => "apps",
            Parent::Resource(r) => &r.kind,
        }
    }

    pub fn id(&self) -> String {
        match self {
            Parent::App(a) => a.id.to_string(),
            Parent::Resource(r) => r.id.clone(),
        }
    }

    /// What the relationship `rel` (to resources of `target`) holds: stored links first, in their
    /// order, then the resources that link here, in ID order; each once.
    pub fn related(&self, call: &Call<'_>, rel: &str, target: &str) -> Vec<Link> {
        let mut links: Vec<Link> = match self {
            Parent::Resource(r) => r.link(rel).iter().filter(|l| l.kind == target).cloned().collect(),
            Parent::App(_) => Vec::new(),
        };
        let index = call.state.replica.resources();
        for r in index.referring(call.key.team_id, self.kind(), &self.id(), target) {
            let link = Link { kind: r.kind.clone(), id: r.id.clone() };
            if !links.contains(&link) {
                links.push(link);
            }
        }
        links
    }
}
