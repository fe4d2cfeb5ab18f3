//! The read model of Apple's wider API (spec R2, R3, R8): every resource in memory, by team and
//! type in ID order, with the reverse of every link, so a related path (`/v1/apps/{id}/builds`)
//! finds what points at a resource without scanning. Kept by each node's replica from the
//! change feed, like `catalog.rs` for apps and members.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::ids::TeamId;
use crate::resource::Resource;

type Key = (String, String);

#[derive(Debug, Default)]
pub struct ResourceIndex {
    by_key: HashMap<Key, Arc<Resource>>,
    /// (team, type) → ID → resource.
    by_kind: HashMap<(TeamId, String), BTreeMap<String, Arc<Resource>>>,
    /// A linked (type, ID) → the (type, ID, relationship) of each resource linking to it.
    referrers: HashMap<Key, BTreeSet<(String, String, String)>>,
}

impl ResourceIndex {
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Adds or replaces a resource.
    pub fn put(&mut self, resource: Resource) {
        let key = (resource.kind.clone(), resource.id.clone());
        self.remove(&key.0, &key.1);
        for (rel, links) in &resource.relationships {
            for link in links {
                self.referrers.entry((link.kind.clone(), link.id.clone())).or_default().insert((
                    key.0.clone(),
                    key.1.clone(),
                    rel.clone(),
                ));
            }
        }
        let resource = Arc::new(resource);
        self.by_kind
            .entry((resource.team_id, resource.kind.clone()))
            .or_default()
            .insert(resource.id.clone(), resource.clone());
        self.by_key.insert(key, resource);
    }

    pub fn remove(&mut self, kind: &str, id: &str) {
        let key = (kind.to_owned(), id.to_owned());
        let Some(old) = self.by_key.remove(&key) else { return };
        if let Some(of_kind) = self.by_kind.get_mut(&(old.team_id, old.kind.clone())) {
            of_kind.remove(id);
        }
        for (rel, links) in &old.relationships {
            for link in links {
                let target = (link.kind.clone(), link.id.clone());
                if let Some(set) = self.referrers.get_mut(&target) {
                    set.remove(&(key.0.clone(), key.1.clone(), rel.clone()));
                    if set.is_empty() {
                        self.referrers.remove(&target);
                    }
                }
            }
        }
    }

    /// A resource of `team`; another team's is absent, as if it did not exist.
    pub fn get(&self, team: TeamId, kind: &str, id: &str) -> Option<Arc<Resource>> {
        self.by_key.get(&(kind.to_owned(), id.to_owned())).filter(|r| r.team_id == team).cloned()
    }

    /// Every resource of `kind` of `team`, in ID order.
    pub fn of_kind(&self, team: TeamId, kind: &str) -> Vec<Arc<Resource>> {
        self.by_kind.get(&(team, kind.to_owned())).map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// The resources of type `kind` of every team (the background work that finishes what Apple
    /// finishes later: processing builds).
    pub fn of_kind_everywhere(&self, kind: &str) -> Vec<Arc<Resource>> {
        self.by_kind.iter().filter(|((_, k), _)| k == kind).flat_map(|(_, m)| m.values().cloned()).collect()
    }

    /// Every resource of every team (tests and diagnostics).
    pub fn all(&self) -> Vec<Arc<Resource>> {
        self.by_key.values().cloned().collect()
    }

    /// The resources of `team` of type `from` that link to (`kind`, `id`), in ID order.
    pub fn referring(&self, team: TeamId, kind: &str, id: &str, from: &str) -> Vec<Arc<Resource>> {
        let Some(set) = self.referrers.get(&(kind.to_owned(), id.to_owned())) else { return Vec::new() };
        let mut seen = BTreeSet::new();
        set.iter()
            .filter(|(k, _, _)| k == from)
            .filter(|(k, i, _)| seen.insert((k.clone(), i.clone())))
            .filter_map(|(k, i, _)| self.get(team, k, i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Link;
    use time::OffsetDateTime;

    fn resource(team: TeamId, kind: &str, id: &str, links: &[(&str, &str, &str)]) -> Resource {
        let mut relationships: BTreeMap<String, Vec<Link>> = BTreeMap::new();
        for (rel, k, i) in links {
            relationships.entry((*rel).to_owned()).or_default().push(Link { kind: (*k).into(), id: (*i).into() });
        }
        Resource {
            team_id: team,
            kind: kind.into(),
            id: id.into(),
            app: None,
            attributes: serde_json::Map::new(),
            relationships,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn r3_related_resources_are_found_from_either_side_and_teams_stay_apart() {
        let (a, b) = (TeamId::random(), TeamId::random());
        let mut index = ResourceIndex::default();
        index.put(resource(a, "builds", "b2", &[("app", "apps", "1")]));
        index.put(resource(a, "builds", "b1", &[("app", "apps", "1")]));
        index.put(resource(a, "betaGroups", "g1", &[("app", "apps", "1"), ("builds", "builds", "b1")]));
        index.put(resource(b, "builds", "b9", &[("app", "apps", "2")]));
        let ids = |v: Vec<Arc<Resource>>| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(index.referring(a, "apps", "1", "builds")), ["b1", "b2"]);
        assert_eq!(ids(index.referring(a, "builds", "b1", "betaGroups")), ["g1"]);
        assert_eq!(ids(index.of_kind(a, "builds")), ["b1", "b2"]);
        assert!(index.get(b, "builds", "b1").is_none(), "another team's resource is absent");
        // Replacing drops the old links; removing drops the resource and its links.
        index.put(resource(a, "betaGroups", "g1", &[("app", "apps", "1")]));
        assert!(index.referring(a, "builds", "b1", "betaGroups").is_empty());
        index.remove("builds", "b2");
        assert_eq!(ids(index.referring(a, "apps", "1", "builds")), ["b1"]);
        assert_eq!(index.len(), 3);
    }
}
