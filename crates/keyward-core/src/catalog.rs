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

/// The order of every list: the sort column, then the ID.
fn sort_key(app: &App, sort: AppSort) -> (&str, AppId) {
    (sort_value(app, sort), app.id)
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

/// An [`AppFilter`] as sets, so checking an app costs the same however many values were sent.
struct Matcher<'a> {
    ids: HashSet<AppId>,
    names: HashSet<&'a str>,
    bundle_ids: HashSet<&'a str>,
    skus: HashSet<&'a str>,
    visible: Option<HashSet<AppId>>,
}

impl<'a> Matcher<'a> {
    fn new(f: &'a AppFilter) -> Matcher<'a> {
        let strs = |v: &'a [String]| v.iter().map(String::as_str).collect::<HashSet<_>>();
        Matcher {
            ids: f.ids.iter().copied().collect(),
            names: strs(&f.names),
            bundle_ids: strs(&f.bundle_ids),
            skus: strs(&f.skus),
            visible: f.visible_to.as_ref().map(|v| v.iter().copied().collect()),
        }
    }

    /// Whether `app` passes every filter that is set (each filter: any of its values).
    fn matches(&self, app: &App) -> bool {
        let any = |set: &HashSet<&str>, v: &str| set.is_empty() || set.contains(v);
        (self.ids.is_empty() || self.ids.contains(&app.id))
            && any(&self.names, &app.name)
            && any(&self.bundle_ids, &app.bundle_id)
            && any(&self.skus, &app.sku)
            && self.visible.as_ref().is_none_or(|v| v.contains(&app.id))
    }
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
        let past = |a: &App| match &after {
            None => true,
            Some((value, id)) if page.descending => sort_key(a, page.sort) < (value.as_str(), *id),
            Some((value, id)) => sort_key(a, page.sort) > (value.as_str(), *id),
        };
        // Take one more than the page to know whether another follows.
        let (total, mut items) = match candidates(apps, filter) {
            // Any filter names its candidates (by ID, or by value through an index): check and sort
            // just those.
            Some(candidates) => {
                let matcher = Matcher::new(filter);
                let mut found: Vec<Arc<App>> = candidates.into_iter().filter(|a| matcher.matches(a)).collect();
                found.sort_by(|a, b| sort_key(a, page.sort).cmp(&sort_key(b, page.sort)));
                if page.descending {
                    found.reverse();
                }
                let total = found.len();
                (total, found.into_iter().filter(|a| past(a)).take(limit + 1).collect::<Vec<_>>())
            }
            // No filter: walk the sort's index from the cursor on.
            None => {
                let index = apps.index(page.sort);
                let range: Box<dyn Iterator<Item = &IndexKey>> = match (&after, page.descending) {
                    (None, false) => Box::new(index.iter()),
                    (None, true) => Box::new(index.iter().rev()),
                    (Some(k), false) => Box::new(index.range((Bound::Excluded(k), Bound::Unbounded))),
                    (Some(k), true) => Box::new(index.range((Bound::Unbounded, Bound::Excluded(k))).rev()),
                };
                let page_items = range.filter_map(|(_, id)| apps.by_id.get(id)).take(limit + 1).cloned().collect();
                (apps.by_id.len(), page_items)
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
}

/// The apps a filter can only be among, when it sets any: those it names by ID (`filter[id]`, A4's
/// visible apps), else those holding one of its values, found through that column's index. `None`
/// for no filter at all.
fn candidates(apps: &TeamApps, filter: &AppFilter) -> Option<Vec<Arc<App>>> {
    let by_ids = |ids: &[AppId]| {
        let unique: HashSet<AppId> = ids.iter().copied().collect();
        unique.iter().filter_map(|id| apps.by_id.get(id)).cloned().collect()
    };
    let by_values = |sort: AppSort, values: &[String]| {
        let unique: HashSet<&String> = values.iter().collect();
        let index = apps.index(sort);
        unique
            .into_iter()
            .flat_map(|v| index.range((v.clone(), AppId(i64::MIN))..=(v.clone(), AppId(i64::MAX))))
            .filter_map(|(_, id)| apps.by_id.get(id))
            .cloned()
            .collect()
    };
    match filter {
        AppFilter { visible_to: Some(visible), .. } => Some(by_ids(visible)),
        AppFilter { ids, .. } if !ids.is_empty() => Some(by_ids(ids)),
        AppFilter { names, .. } if !names.is_empty() => Some(by_values(AppSort::Name, names)),
        AppFilter { bundle_ids, .. } if !bundle_ids.is_empty() => Some(by_values(AppSort::BundleId, bundle_ids)),
        AppFilter { skus, .. } if !skus.is_empty() => Some(by_values(AppSort::Sku, skus)),
        _ => None,
    }
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
