//! The read model: every app and member a serving process answers `GET /v1/apps…` and
//! `GET /v1/users/{id}` from, held in memory and kept true through the change feed, like the
//! verifier's key table (spec M1: a read is as fresh as authentication).
//!
//! Why in memory: measured on a release build, a read through sqlx cost as much as authentication
//! and rendering together, so an authenticated read ran at 0.19× the authenticated 404 (#13).
//!
//! Lists follow the SQL they replace exactly (`keyward-store/src/app_list.rs`, which stays as the
//! oracle the store's tests compare against): filters are "any of" lists, the sort is a column then
//! the ID, and paging is by keyset, comparing strings byte by byte (SQLite's `BINARY` collation,
//! and PostgreSQL's under the `C` or `C.UTF-8` collations).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use crate::app::App;
use crate::ids::{AppId, MemberId, TeamId};
use crate::member::Member;
use crate::paging::{AppFilter, AppSort, Keyset, Page, PageRequest};

/// One sort index entry: the sort column's value, then the ID (the tie-break of every list).
type IndexKey = (String, AppId);

/// One team's apps, with an index per sort.
#[derive(Debug, Default)]
struct TeamApps {
    by_id: HashMap<AppId, Arc<App>>,
    by_name: BTreeSet<IndexKey>,
    by_bundle_id: BTreeSet<IndexKey>,
    by_sku: BTreeSet<IndexKey>,
}

fn sort_value(app: &App, sort: AppSort) -> &str {
    match sort {
        AppSort::Name => &app.name,
        AppSort::BundleId => &app.bundle_id,
        AppSort::Sku => &app.sku,
    }
}

const SORTS: [AppSort; 3] = [AppSort::Name, AppSort::BundleId, AppSort::Sku];

impl TeamApps {
    fn index(&self, sort: AppSort) -> &BTreeSet<IndexKey> {
        match sort {
            AppSort::Name => &self.by_name,
            AppSort::BundleId => &self.by_bundle_id,
            AppSort::Sku => &self.by_sku,
        }
    }

    fn index_mut(&mut self, sort: AppSort) -> &mut BTreeSet<IndexKey> {
        match sort {
            AppSort::Name => &mut self.by_name,
            AppSort::BundleId => &mut self.by_bundle_id,
            AppSort::Sku => &mut self.by_sku,
        }
    }

    fn remove(&mut self, id: AppId) -> Option<Arc<App>> {
        let old = self.by_id.remove(&id)?;
        for sort in SORTS {
            self.index_mut(sort).remove(&(sort_value(&old, sort).to_owned(), id));
        }
        Some(old)
    }

    fn insert(&mut self, app: Arc<App>) {
        self.remove(app.id);
        for sort in SORTS {
            self.index_mut(sort).insert((sort_value(&app, sort).to_owned(), app.id));
        }
        self.by_id.insert(app.id, app);
    }
}

/// Whether `app` passes every filter that is set (each filter: any of its values).
fn matches(app: &App, f: &AppFilter) -> bool {
    let any = |values: &[String], v: &str| values.is_empty() || values.iter().any(|x| x == v);
    (f.ids.is_empty() || f.ids.contains(&app.id))
        && any(&f.names, &app.name)
        && any(&f.bundle_ids, &app.bundle_id)
        && any(&f.skus, &app.sku)
        && f.visible_to.as_ref().is_none_or(|v| v.contains(&app.id))
}

/// The keyset of a cursor as the SQL compares it: a cursor ID that is not a number compares as 0.
fn cursor_key(after: &Keyset) -> IndexKey {
    (after.value.clone(), AppId(after.id.parse().unwrap_or(0)))
}

/// Apps and members of every team.
#[derive(Debug, Default)]
pub struct Catalog {
    apps: HashMap<TeamId, TeamApps>,
    members: HashMap<MemberId, Arc<Member>>,
}

impl Catalog {
    /// Adds an app, or replaces it with its new state. An app without a team is ignored: every
    /// stored app has one.
    pub fn put_app(&mut self, app: App) {
        if let Some(team) = app.team_id {
            self.apps.entry(team).or_default().insert(Arc::new(app));
        }
    }

    pub fn remove_app(&mut self, team: TeamId, id: AppId) {
        if let Some(apps) = self.apps.get_mut(&team) {
            apps.remove(id);
        }
    }

    /// One app of `team`; another team's app is not found.
    pub fn app(&self, team: TeamId, id: AppId) -> Option<Arc<App>> {
        self.apps.get(&team)?.by_id.get(&id).cloned()
    }

    /// Every app of `team`, in no particular order.
    pub fn team_apps(&self, team: TeamId) -> Vec<Arc<App>> {
        self.apps.get(&team).map(|t| t.by_id.values().cloned().collect()).unwrap_or_default()
    }

    pub fn app_count(&self) -> usize {
        self.apps.values().map(|t| t.by_id.len()).sum()
    }

    /// `GET /v1/apps`: the matching apps of `team`, one page in the requested order, with the
    /// total and the keyset of the next page.
    pub fn list_apps(&self, team: TeamId, filter: &AppFilter, page: &PageRequest<AppSort>) -> Page<Arc<App>> {
        let Some(apps) = self.apps.get(&team) else {
            return Page { items: Vec::new(), total: 0, next: None };
        };
        let limit = page.limit as usize;
        let after = page.after.as_ref().map(cursor_key);
        // Take one more than the page to know whether another follows.
        let (total, mut items) = match narrowed(apps, filter) {
            // Few candidates (IDs asked for, or an individual key's apps): sort just those.
            Some(candidates) => {
                let mut found: Vec<Arc<App>> = candidates.into_iter().filter(|a| matches(a, filter)).collect();
                let key = |a: &Arc<App>| (sort_value(a, page.sort).to_owned(), a.id);
                found.sort_by_key(key);
                if page.descending {
                    found.reverse();
                }
                let total = found.len();
                let past = |a: &Arc<App>| match &after {
                    None => true,
                    Some(k) if page.descending => key(a) < *k,
                    Some(k) => key(a) > *k,
                };
                (total, found.into_iter().filter(past).take(limit + 1).collect::<Vec<_>>())
            }
            // Otherwise walk the sort's index from the cursor on.
            None => {
                let index = apps.index(page.sort);
                let range: Box<dyn Iterator<Item = &IndexKey>> = match (&after, page.descending) {
                    (None, false) => Box::new(index.iter()),
                    (None, true) => Box::new(index.iter().rev()),
                    (Some(k), false) => Box::new(index.range((Bound::Excluded(k), Bound::Unbounded))),
                    (Some(k), true) => Box::new(index.range((Bound::Unbounded, Bound::Excluded(k))).rev()),
                };
                let unfiltered = filter == &AppFilter::default();
                let page_items = range
                    .filter_map(|(_, id)| apps.by_id.get(id))
                    .filter(|a| unfiltered || matches(a, filter))
                    .take(limit + 1)
                    .cloned()
                    .collect::<Vec<_>>();
                let total = if unfiltered {
                    apps.by_id.len()
                } else {
                    apps.by_id.values().filter(|a| matches(a, filter)).count()
                };
                (total, page_items)
            }
        };
        let more = items.len() > limit;
        items.truncate(limit);
        let next = more
            .then(|| items.last())
            .flatten()
            .map(|a| Keyset { value: sort_value(a, page.sort).to_owned(), id: a.id.to_string() });
        Page { items, total: total as u64, next }
    }

    /// Adds a member, or replaces them with their new state.
    pub fn put_member(&mut self, member: Member) {
        self.members.insert(member.id, Arc::new(member));
    }

    pub fn remove_member(&mut self, id: MemberId) {
        self.members.remove(&id);
    }

    /// One member of `team`; another team's member is not found.
    pub fn member(&self, team: TeamId, id: MemberId) -> Option<Arc<Member>> {
        self.members.get(&id).filter(|m| m.team_id == team).cloned()
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }
}

/// The apps a filter names by ID (`filter[id]`, and A4's visible apps), when it does: a short list
/// to sort instead of walking the team's index.
fn narrowed(apps: &TeamApps, filter: &AppFilter) -> Option<Vec<Arc<App>>> {
    let named = match (&filter.visible_to, filter.ids.is_empty()) {
        (None, true) => return None,
        (None, false) => filter.ids.clone(),
        (Some(visible), _) => visible.clone(),
    };
    let unique: HashSet<AppId> = named.into_iter().collect();
    Some(unique.iter().filter_map(|id| apps.by_id.get(id)).cloned().collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn app(team: TeamId, id: i64, name: &str, bundle: &str) -> App {
        App {
            id: AppId(id),
            team_id: Some(team),
            name: name.into(),
            bundle_id: bundle.into(),
            sku: format!("SKU{id}"),
            primary_locale: "en-US".into(),
            is_or_ever_was_made_for_kids: false,
            subscription_status_url: None,
            subscription_status_url_version: None,
            subscription_status_url_for_sandbox: None,
            subscription_status_url_version_for_sandbox: None,
            available_in_new_territories: None,
            content_rights_declaration: None,
            streamlined_purchasing_enabled: None,
            created_at: None,
        }
    }

    fn request(sort: AppSort, descending: bool, limit: u32, after: Option<Keyset>) -> PageRequest<AppSort> {
        PageRequest { sort, descending, after, limit }
    }

    fn ids(page: &Page<Arc<App>>) -> Vec<i64> {
        page.items.iter().map(|a| a.id.0).collect()
    }

    #[test]
    fn pages_follow_the_sort_then_the_id_and_the_cursor() {
        let team = TeamId::random();
        let mut c = Catalog::default();
        for (id, name) in [(5, "b"), (3, "a"), (4, "b"), (9, "c"), (1, "B")] {
            c.put_app(app(team, id, name, &format!("com.x.{id}")));
        }
        let first = c.list_apps(team, &AppFilter::default(), &request(AppSort::Name, false, 2, None));
        // Bytewise: "B" sorts before "a".
        assert_eq!(ids(&first), vec![1, 3]);
        assert_eq!(first.total, 5);
        let next = first.next.clone().unwrap();
        assert_eq!((next.value.as_str(), next.id.as_str()), ("a", "3"));
        let second = c.list_apps(team, &AppFilter::default(), &request(AppSort::Name, false, 2, Some(next)));
        assert_eq!(ids(&second), vec![4, 5], "ties broken by ID");
        let last = c.list_apps(team, &AppFilter::default(), &request(AppSort::Name, false, 2, second.next.clone()));
        assert_eq!(ids(&last), vec![9]);
        assert!(last.next.is_none());

        let down = c.list_apps(team, &AppFilter::default(), &request(AppSort::Name, true, 3, None));
        assert_eq!(ids(&down), vec![9, 5, 4]);
        let rest = c.list_apps(team, &AppFilter::default(), &request(AppSort::Name, true, 3, down.next.clone()));
        assert_eq!(ids(&rest), vec![3, 1]);
    }

    #[test]
    fn filters_narrow_the_page_and_the_total() {
        let team = TeamId::random();
        let mut c = Catalog::default();
        for id in 1..=6 {
            c.put_app(app(team, id, if id % 2 == 0 { "even" } else { "odd" }, &format!("com.x.{id}")));
        }
        let evens = AppFilter { names: vec!["even".into()], ..AppFilter::default() };
        let page = c.list_apps(team, &evens, &request(AppSort::BundleId, false, 2, None));
        assert_eq!((ids(&page), page.total), (vec![2, 4], 3));

        // A4: an individual key's apps; IDs it does not see or that do not exist count for nothing.
        let visible = AppFilter { visible_to: Some(vec![AppId(6), AppId(1), AppId(77)]), ..AppFilter::default() };
        let page = c.list_apps(team, &visible, &request(AppSort::Name, false, 10, None));
        assert_eq!((ids(&page), page.total), (vec![6, 1], 2));
        let both = AppFilter { ids: vec![AppId(2), AppId(6)], ..visible.clone() };
        assert_eq!(ids(&c.list_apps(team, &both, &request(AppSort::Name, false, 10, None))), vec![6]);
        let none = AppFilter { visible_to: Some(vec![]), ..AppFilter::default() };
        assert_eq!(c.list_apps(team, &none, &request(AppSort::Name, false, 10, None)).total, 0);
    }

    #[test]
    fn a_changed_app_moves_in_every_index_and_another_team_sees_nothing() {
        let (team, other) = (TeamId::random(), TeamId::random());
        let mut c = Catalog::default();
        c.put_app(app(team, 1, "zz", "com.z"));
        c.put_app(app(team, 2, "mm", "com.m"));
        c.put_app(app(team, 1, "aa", "com.z"));
        let page = c.list_apps(team, &AppFilter::default(), &request(AppSort::Name, false, 10, None));
        assert_eq!((ids(&page), page.total), (vec![1, 2], 2));
        assert_eq!(c.app(team, AppId(1)).unwrap().name, "aa");
        assert!(c.app(other, AppId(1)).is_none());
        assert_eq!(c.list_apps(other, &AppFilter::default(), &request(AppSort::Sku, false, 10, None)).total, 0);
        c.remove_app(team, AppId(1));
        assert_eq!(ids(&c.list_apps(team, &AppFilter::default(), &request(AppSort::Sku, false, 10, None))), vec![2]);
        assert_eq!(c.app_count(), 1);
    }
}
