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

/// What a write keeps and carries along beyond its own row (spec section 13), checked and made by
/// the store in the write's transaction under the team's lock, so racing writes cannot break it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteRules {
    pub guards: Vec<Guard>,
    pub cascades: Vec<Cascade>,
    /// Other resources the write makes or changes with it (an upload's build and its state).
    pub also: Vec<AlsoWrite>,
}

/// A write carried along with another, in its transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum AlsoWrite {
    /// A new resource; its links are checked and its app decided as for any create.
    Create(Resource),
    /// A resource made unless one of its type and ID exists already (two racing writes that
    /// both need it, under an ID derived from what makes it unique, share one).
    Ensure(Resource),
    /// A change to a resource of the same team, under `guards` (a state it must have been in).
    Update { kind: String, id: String, update: ResourceUpdate, guards: Vec<Guard> },
    /// A resource of the same team removed.
    Delete { kind: String, id: String },
    /// Every resource of `kind` of the team that links to `target` through `relationship`, but
    /// `keep`, removed, as found in the transaction (a review's earlier responses, replaced).
    DeleteLinking { kind: String, relationship: String, target: Link, keep: String },
    /// An event to the webhooks that take it (spec F5), found in the transaction itself, so a
    /// webhook made or deleted meanwhile is seen as it now is.
    Notify(Notice),
}

/// An event about one resource, for [`AlsoWrite::Notify`].
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// Apple's event type (`BUILD_UPLOAD_STATE_UPDATED`).
    pub event: String,
    pub attributes: Value,
    /// The resource it is about (type, ID), and the app that owns it: only that app's webhooks
    /// hear of it.
    pub instance: (String, String),
    pub app: Option<AppId>,
    /// The base of the instance's link (`https://asc.example.com`, or empty for a path).
    pub base: String,
    /// The time, in Apple's form.
    pub now: String,
}

/// A rule across the resources of the written one's type in its team. Broken, the write is
/// refused with `DomainError::Refused` carrying `detail`.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// No other resource has `attribute` equal to `value` (a bundle ID's identifier, a UDID).
    Unique { attribute: String, value: Value, detail: String },
    /// No other resource linking through `relationship` to one of `scope` has `attribute` equal
    /// to `value` (a beta group's name within its app, a localization's locale within its build).
    UniqueAmong { attribute: String, value: Value, relationship: String, scope: Vec<Link>, detail: String },
    /// Fewer than `max` others have `attribute` among `values` (certificates per type).
    AtMost { attribute: String, values: Vec<Value>, max: usize, detail: String },
    /// None of the resources the written one links to through `relationship` has `attribute`
    /// equal to `value` (a profile's devices are not disabled), read in the write's transaction.
    LinkedNot { relationship: String, attribute: String, value: Value, detail: String },
    /// Every resource the written one links to through `relationship` has `attribute` among
    /// `values` (an item joins a submission still being put together), read in the transaction.
    LinkedIs { relationship: String, attribute: String, values: Vec<Value>, detail: String },
    /// Every resource the written one links to through `relationship` links through `via` to
    /// one of `targets` (a group's builds are of the group's app); no targets, no constraint.
    LinkedVia { relationship: String, via: String, targets: Vec<Link>, detail: String },
    /// The written resource's `attribute` was among `values` before the write (a state machine's
    /// move from the state it was read in), read in the write's transaction.
    Was { attribute: String, values: Vec<Value>, detail: String },
}

impl Guard {
    /// Whether `others` (the type's resources in the team, the written one excluded) allow the
    /// write. `LinkedNot` is about other types: see [`Guard::allows_linked`].
    pub fn holds<'a>(&self, others: impl IntoIterator<Item = &'a Resource>) -> bool {
        match self {
            Guard::LinkedNot { .. } | Guard::LinkedIs { .. } | Guard::LinkedVia { .. } | Guard::Was { .. } => true,
            Guard::Unique { attribute, value, .. } => {
                others.into_iter().all(|r| r.attributes.get(attribute) != Some(value))
            }
            Guard::UniqueAmong { attribute, value, relationship, scope, .. } => others
                .into_iter()
                .filter(|r| r.link(relationship).iter().any(|l| scope.contains(l)))
                .all(|r| r.attributes.get(attribute) != Some(value)),
            Guard::AtMost { attribute, values, max, .. } => {
                others.into_iter().filter(|r| r.attributes.get(attribute).is_some_and(|v| values.contains(v))).count()
                    < *max
            }
        }
    }

    /// Whether `before`, the written resource as it was, passes a `Was`.
    pub fn allows_before(&self, before: &Resource) -> bool {
        match self {
            // An attribute never written reads as null, as the API shows it.
            Guard::Was { attribute, values, .. } => {
                values.contains(before.attributes.get(attribute).unwrap_or(&Value::Null))
            }
            _ => true,
        }
    }

    /// Whether `linked`, a resource the written one links to, passes a `LinkedNot`.
    pub fn allows_linked(&self, linked: &Resource) -> bool {
        match self {
            Guard::LinkedNot { attribute, value, .. } => linked.attributes.get(attribute) != Some(value),
            Guard::LinkedIs { attribute, values, .. } => {
                linked.attributes.get(attribute).is_some_and(|v| values.contains(v))
            }
            Guard::LinkedVia { via, targets, .. } => {
                targets.is_empty() || linked.link(via).iter().any(|l| targets.contains(l))
            }
            _ => true,
        }
    }

    /// Where in the body it is about (a JSON pointer), and why it refuses.
    pub fn refusal(&self) -> (String, &str) {
        match self {
            Guard::Unique { attribute, detail, .. }
            | Guard::UniqueAmong { attribute, detail, .. }
            | Guard::AtMost { attribute, detail, .. } => (format!("/data/attributes/{attribute}"), detail),
            Guard::LinkedNot { relationship, detail, .. }
            | Guard::LinkedIs { relationship, detail, .. }
            | Guard::LinkedVia { relationship, detail, .. } => (format!("/data/relationships/{relationship}"), detail),
            Guard::Was { detail, .. } => (String::new(), detail),
        }
    }
}

/// A change the write carries to the resources of `kind` in the team that link to the written
/// one through `relationship`: `attribute` set to `value` (profiles go `INVALID` when a
/// certificate is revoked).
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    pub kind: String,
    pub relationship: String,
    pub attribute: String,
    pub value: Value,
}

impl Cascade {
    /// Whether `resource` is one it changes, linking to `target` and not yet set.
    pub fn reaches(&self, resource: &Resource, target: &Link) -> bool {
        resource.kind == self.kind
            && resource.link(&self.relationship).contains(target)
            && resource.attributes.get(&self.attribute) != Some(&self.value)
    }
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

    fn with(kind: &str, id: &str, attribute: &str, value: Value) -> Resource {
        let mut attributes = Map::new();
        attributes.insert(attribute.into(), value);
        Resource {
            team_id: TeamId::from_uuid(uuid::Uuid::nil()),
            kind: kind.into(),
            id: id.into(),
            app: None,
            attributes,
            relationships: BTreeMap::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn f1_guards_count_what_the_team_already_has() {
        let certs: Vec<Resource> =
            (0..3).map(|i| with("certificates", &i.to_string(), "certificateType", "DISTRIBUTION".into())).collect();
        let cap = |max| Guard::AtMost {
            attribute: "certificateType".into(),
            values: vec!["DISTRIBUTION".into(), "IOS_DISTRIBUTION".into()],
            max,
            detail: "full".into(),
        };
        assert!(!cap(3).holds(&certs));
        assert!(cap(4).holds(&certs));
        let unique =
            Guard::Unique { attribute: "certificateType".into(), value: "DEVELOPMENT".into(), detail: "x".into() };
        assert!(unique.holds(&certs));
        let taken =
            Guard::Unique { attribute: "certificateType".into(), value: "DISTRIBUTION".into(), detail: "x".into() };
        assert!(!taken.holds(&certs));
        assert_eq!(taken.refusal(), ("/data/attributes/certificateType".to_owned(), "x"));
        let linked = Guard::LinkedNot {
            relationship: "devices".into(),
            attribute: "certificateType".into(),
            value: "DISTRIBUTION".into(),
            detail: "disabled".into(),
        };
        assert!(linked.holds(&certs), "about linked resources only");
        assert!(!linked.allows_linked(&certs[0]));
        assert_eq!(linked.refusal().0, "/data/relationships/devices");
    }

    #[test]
    fn f2_unique_among_counts_only_siblings_of_the_same_parent() {
        let app = |id: &str| Link { kind: "apps".into(), id: id.into() };
        let mut group = with("betaGroups", "g1", "name", "QA".into());
        group.relationships.insert("app".into(), vec![app("1")]);
        let named = |scope: Link| Guard::UniqueAmong {
            attribute: "name".into(),
            value: "QA".into(),
            relationship: "app".into(),
            scope: vec![scope],
            detail: "taken".into(),
        };
        assert!(!named(app("1")).holds([&group]), "same name, same app");
        assert!(named(app("2")).holds([&group]), "same name, another app");
        assert_eq!(named(app("1")).refusal().0, "/data/attributes/name");
    }

    #[test]
    fn f1_a_cascade_reaches_what_links_to_the_target_once() {
        let cert = Link { kind: "certificates".into(), id: "c1".into() };
        let mut profile = with("profiles", "p1", "profileState", "ACTIVE".into());
        let cascade = Cascade {
            kind: "profiles".into(),
            relationship: "certificates".into(),
            attribute: "profileState".into(),
            value: "INVALID".into(),
        };
        assert!(!cascade.reaches(&profile, &cert), "no link yet");
        profile.relationships.insert("certificates".into(), vec![cert.clone()]);
        assert!(cascade.reaches(&profile, &cert));
        profile.attributes.insert("profileState".into(), "INVALID".into());
        assert!(!cascade.reaches(&profile, &cert), "already set");
    }

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
