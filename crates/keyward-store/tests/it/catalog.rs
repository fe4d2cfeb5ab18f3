//! The read model (`keyward_core::catalog`) answers `GET /v1/apps` exactly as the SQL it replaced:
//! the same items, order, totals and cursors for every filter, sort, direction and page size, on
//! both backends. The snapshot and the feed fill it, as they do a serving process's.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::app::NewApp;
use keyward_core::catalog::Catalog;
use keyward_core::change::Change;
use keyward_core::ids::{AppId, TeamId};
use keyward_core::paging::*;
use keyward_core::ports::*;

/// Every page of one request, from the catalog and from SQL, compared page by page.
async fn same_pages(
    store: &keyward_store::Store,
    catalog: &Catalog,
    team: TeamId,
    filter: &AppFilter,
    first: PageRequest<AppSort>,
) -> usize {
    let mut request = first;
    let mut pages = 0;
    loop {
        let sql = store.list_apps(team, filter, &request).await.unwrap();
        let memory = catalog.list_apps(team, filter, &request);
        let ids = |items: &[AppId]| items.to_vec();
        assert_eq!(
            ids(&memory.items.iter().map(|a| a.id).collect::<Vec<_>>()),
            ids(&sql.items.iter().map(|a| a.id).collect::<Vec<_>>()),
            "{filter:?} {request:?}"
        );
        assert_eq!(memory.total, sql.total, "{filter:?} {request:?}");
        assert_eq!(memory.next, sql.next, "{filter:?} {request:?}");
        for (m, s) in memory.items.iter().zip(&sql.items) {
            assert_eq!(**m, *s, "the same app");
        }
        pages += 1;
        match sql.next {
            Some(k) => request.after = Some(k),
            None => return pages,
        }
    }
}

both_backends!(the_catalog_lists_apps_as_the_sql_does, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let other = approved_team(&store, "Globex").await;
    // Names that collide, differ in case, carry accents and sort differently by each column.
    let names = ["beta", "Beta", "alpha", "beta", "Émile", "zeta", "alpha", "émile", "Zeta", "b"];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let new = NewApp {
            name: (*name).into(),
            bundle_id: format!("com.acme.{}", (b'a' + ((i * 7) % 10) as u8) as char),
            sku: format!("SKU{}", (i * 3) % 10),
            primary_locale: "en-US".into(),
        };
        ids.push(store.create_app(t.team.id, new, &operator()).await.unwrap().id);
    }
    let new = NewApp {
        name: "beta".into(),
        bundle_id: "com.globex.beta".into(),
        sku: "G".into(),
        primary_locale: "en-US".into(),
    };
    store.create_app(other.team.id, new, &operator()).await.unwrap();

    let mut catalog = Catalog::default();
    for app in store.auth_snapshot().await.unwrap().apps {
        catalog.put_app(app);
    }
    let filters = [
        AppFilter::default(),
        AppFilter { names: vec!["beta".into(), "alpha".into()], ..AppFilter::default() },
        AppFilter { bundle_ids: vec!["com.acme.a".into(), "com.acme.h".into(), "nope".into()], ..AppFilter::default() },
        AppFilter { skus: vec!["SKU0".into(), "SKU3".into()], ..AppFilter::default() },
        AppFilter { ids: vec![ids[0], ids[3], ids[5], AppId(7)], ..AppFilter::default() },
        AppFilter { visible_to: Some(vec![ids[1], ids[2], ids[3], ids[8]]), ..AppFilter::default() },
        AppFilter { visible_to: Some(vec![]), ..AppFilter::default() },
        AppFilter {
            ids: vec![ids[1], ids[4]],
            visible_to: Some(vec![ids[1], ids[2]]),
            names: vec!["Beta".into()],
            ..AppFilter::default()
        },
    ];
    let mut pages = 0;
    for filter in &filters {
        for sort in [AppSort::Name, AppSort::BundleId, AppSort::Sku] {
            for descending in [false, true] {
                for limit in [1, 3, 200] {
                    let first = PageRequest { sort, descending, after: None, limit };
                    pages += same_pages(&store, &catalog, t.team.id, filter, first).await;
                }
            }
        }
    }
    assert!(pages > 200, "every page was compared: {pages}");
    // A cursor a client made up, whose ID is not a number, pages as the SQL does.
    let forged = Keyset { value: "beta".into(), id: "x".into() };
    let request = PageRequest { sort: AppSort::Name, descending: false, after: Some(forged), limit: 2 };
    same_pages(&store, &catalog, t.team.id, &AppFilter::default(), request).await;
});

both_backends!(
    creating_and_changing_an_app_reach_the_catalog_through_the_feed,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let position = store.last_change().await.unwrap();
        let new = NewApp {
            name: "Fizz".into(),
            bundle_id: "com.acme.fizz".into(),
            sku: "FIZZ".into(),
            primary_locale: "en-US".into(),
        };
        let app = store.create_app(t.team.id, new, &operator()).await.unwrap();
        let update = AppUpdate { primary_locale: Some("fr-FR".into()), ..AppUpdate::default() };
        store.update_app(t.team.id, app.id, update, &operator()).await.unwrap();
        let changes: Vec<Change> = store.changes_since(position).await.unwrap().into_iter().map(|e| e.change).collect();
        let this_app = Change::App { team_id: t.team.id, app_id: app.id };
        assert_eq!(changes.iter().filter(|c| **c == this_app).count(), 2, "{changes:?}");
        // What the feed names, re-read, is the app as it is now.
        assert_eq!(store.auth_apps(&[app.id]).await.unwrap()[0].primary_locale, "fr-FR");
    }
);
