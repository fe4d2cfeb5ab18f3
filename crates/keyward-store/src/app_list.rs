//! `GET /v1/apps`: filters, a sort, keyset paging, and A4 visibility.

use keyward_core::app::App;
use keyward_core::error::StoreError;
use keyward_core::ids::TeamId;
use keyward_core::paging::{AppFilter, AppSort, Keyset, Page, PageRequest};

use crate::error::backend_error;
use crate::sql::Dynamic;
use crate::{Store, convert};

fn sort_column(sort: AppSort) -> &'static str {
    match sort {
        AppSort::Name => "name",
        AppSort::BundleId => "bundle_id",
        AppSort::Sku => "sku",
    }
}

fn filters(q: &mut Dynamic, team: TeamId, f: &AppFilter) {
    q.push("WHERE team_id = ").text(team.to_string());
    let ids = |v: &[keyward_core::ids::AppId]| v.iter().map(|a| a.0).collect::<Vec<_>>();
    if !f.ids.is_empty() {
        q.push(" AND id IN ").int_list(&ids(&f.ids));
    }
    if !f.names.is_empty() {
        q.push(" AND name IN ").text_list(&f.names);
    }
    if !f.bundle_ids.is_empty() {
        q.push(" AND bundle_id IN ").text_list(&f.bundle_ids);
    }
    if !f.skus.is_empty() {
        q.push(" AND sku IN ").text_list(&f.skus);
    }
    if let Some(visible) = &f.visible_to {
        if visible.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND id IN ").int_list(&ids(visible));
        }
    }
}

pub(crate) async fn list(
    store: &Store,
    team: TeamId,
    filter: &AppFilter,
    page: &PageRequest<AppSort>,
) -> Result<Page<App>, StoreError> {
    let mut count = Dynamic::new("SELECT COUNT(*) AS n FROM apps ");
    filters(&mut count, team, filter);
    let total: i64 =
        convert::get(&count.query().fetch_one(&mut *store.conn().await?).await.map_err(backend_error)?, "n")?;

    let col = sort_column(page.sort);
    let mut q = Dynamic::new(select_app!(""));
    filters(&mut q, team, filter);
    if let Some(after) = &page.after {
        let op = if page.descending { "<" } else { ">" };
        let id: i64 = after.id.parse().unwrap_or(0);
        q.push(&format!(" AND ({col}, id) {op} (")).text(after.value.clone()).push(", ").int(id).push(")");
    }
    let dir = if page.descending { "DESC" } else { "ASC" };
    q.push(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT ")).int(i64::from(page.limit) + 1);
    let rows = q.query().fetch_all(&mut *store.conn().await?).await.map_err(backend_error)?;
    let mut items = rows.iter().map(convert::app).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() > page.limit as usize;
    items.truncate(page.limit as usize);
    let next = if more {
        items.last().map(|a| Keyset {
            value: match page.sort {
                AppSort::Name => a.name.clone(),
                AppSort::BundleId => a.bundle_id.clone(),
                AppSort::Sku => a.sku.clone(),
            },
            id: a.id.to_string(),
        })
    } else {
        None
    };
    Ok(Page { items, total: u64::try_from(total).unwrap_or(0), next })
}
