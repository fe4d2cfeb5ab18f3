//! The resources of Apple's API beyond section 7 (spec section 12, R2), as Keyward keeps them:
//! one shape for every type, since what a type's attributes and relationships are is Apple's
//! document's to say (`keyward-asc`), not this crate's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::ids::{AppId, TeamId};

/// A resource a relationship points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// One resource of one team.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub team_id: TeamId,
    /// Apple's resource type (`betaGroups`).
    pub kind: String,
    pub id: String,
    /// A4: the app it belongs to, directly or through its to-one relationships.
    pub app: Option<AppId>,
    pub attributes: Map<String, Value>,
    /// Linkage by relationship, in order; a to-one relationship has at most one.
    pub relationships: BTreeMap<String, Vec<Link>>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Resource {
    pub fn link(&self, relationship: &str) -> &[Link] {
        self.relationships.get(relationship).map_or(&[], Vec::as_slice)
    }
}

/// How a write changes a relationship's linkage (R4's to-many endpoints, and PATCH bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkChange {
    Replace(Vec<Link>),
    Add(Vec<Link>),
    Remove(Vec<Link>),
}

impl LinkChange {
    /// The linkage after the change: adding keeps the order and never repeats a link.
    pub fn apply(&self, current: &[Link]) -> Vec<Link> {
        match self {
            LinkChange::Replace(links) => dedup(links.clone()),
            LinkChange::Add(links) => dedup(current.iter().chain(links).cloned().collect()),
            LinkChange::Remove(links) => current.iter().filter(|l| !links.contains(l)).cloned().collect(),
        }
    }
}

fn dedup(links: Vec<Link>) -> Vec<Link> {
    let mut seen = std::collections::HashSet::new();
    links.into_iter().filter(|l| seen.insert(l.clone())).collect()
}

/// A change to one resource: attributes set (a `null` sets null), relationships changed. The app
/// it belongs to follows from its links, in the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceUpdate {
    pub attributes: Map<String, Value>,
    pub relationships: BTreeMap<String, LinkChange>,
}

/// A4 for a write that changes which app a resource belongs to (`before` → `after`), by a key
/// that sees only some apps (`limited`, and `sees` which): the resource may not leave every app,
/// where it would be every key's to see, nor move to an app the key does not see. Keys that see
/// all apps may do either.
pub fn may_change_app(
    limited: bool,
    sees: impl Fn(AppId) -> bool,
    before: Option<AppId>,
    after: Option<AppId>,
) -> bool {
    let leaves = before.is_some() && after.is_none();
    let hidden = after.is_some_and(|app| !sees(app));
    !(limited && (leaves || hidden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a4_a_limited_key_keeps_a_resource_within_its_apps() {
        let sees = |app: AppId| app == AppId(1);
        assert!(may_change_app(true, sees, Some(AppId(1)), Some(AppId(1))));
        assert!(may_change_app(true, sees, None, None), "an app-less resource stays app-less");
        assert!(!may_change_app(true, sees, Some(AppId(1)), None), "out of every app");
        assert!(!may_change_app(true, sees, Some(AppId(1)), Some(AppId(2))), "to a hidden app");
        assert!(may_change_app(false, sees, Some(AppId(1)), None), "a team key may");
    }

    fn l(id: &str) -> Link {
        Link { kind: "builds".into(), id: id.into() }
    }

    #[test]
    fn r4_linkage_changes_keep_order_and_never_repeat() {
        let current = vec![l("a"), l("b")];
        assert_eq!(LinkChange::Add(vec![l("b"), l("c")]).apply(&current), vec![l("a"), l("b"), l("c")]);
        assert_eq!(LinkChange::Remove(vec![l("a"), l("z")]).apply(&current), vec![l("b")]);
        assert_eq!(LinkChange::Replace(vec![l("c"), l("c")]).apply(&current), vec![l("c")]);
    }
}
