//! `GET /v1/users`: members with filters, a sort and keyset paging; their visible apps in one query.

use std::collections::HashMap;

use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, TeamId};
use keyward_core::member::Member;
use keyward_core::paging::{Keyset, MemberFilter, Page, PageRequest, UserSort};
use keyward_core::role::Role;

use crate::error::backend_error;
use crate::sql::Dynamic;
use crate::{Store, convert};

fn sort_column(sort: UserSort) -> &'static str {
    match sort {
        UserSort::Username => "p.email",
        UserSort::LastName => "p.last_name",
    }
}

fn filters(q: &mut Dynamic, team: TeamId, f: &MemberFilter) {
    q.push("WHERE m.team_id = ").text(team.to_string());
    if !f.roles.is_empty() {
        q.push(" AND (");
        for (i, role) in f.roles.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            // K6b: the permission matches where it is listed, that is where it was granted explicitly.
            if *role == Role::GenerateIndividualKeys {
                q.push("m.individual_keys_explicit = TRUE AND ");
            }
            q.push("(',' || m.roles || ',') LIKE ").text(format!("%,{role},%"));
        }
        q.push(")");
    }
    if !f.usernames.is_empty() {
        q.push(" AND p.email IN ").text_list(&f.usernames.iter().map(|u| u.to_lowercase()).collect::<Vec<_>>());
    }
    if !f.visible_apps.is_empty() {
        q.push(" AND (m.all_apps_visible = TRUE OR EXISTS (SELECT 1 FROM member_apps ma WHERE ma.member_id = m.id AND ma.app_id IN ")
            .int_list(&f.visible_apps.iter().map(|a| a.0).collect::<Vec<_>>())
            .push("))");
    }
}

pub(crate) async fn list(
    store: &Store,
    team: TeamId,
    filter: &MemberFilter,
    page: &PageRequest<UserSort>,
) -> Result<Page<Member>, StoreError> {
    let mut count = Dynamic::new("SELECT COUNT(*) AS n FROM members m JOIN persons p ON p.id = m.person_id ");
    filters(&mut count, team, filter);
    let total: i64 =
        convert::get(&count.query().fetch_one(&mut *store.conn().await?).await.map_err(backend_error)?, "n")?;

    let col = sort_column(page.sort);
    let mut q = Dynamic::new(select_member!(""));
    filters(&mut q, team, filter);
    if let Some(after) = &page.after {
        let op = if page.descending { "<" } else { ">" };
        q.push(&format!(" AND ({col}, m.id) {op} ("))
            .text(after.value.clone())
            .push(", ")
            .text(after.id.clone())
            .push(")");
    }
    let dir = if page.descending { "DESC" } else { "ASC" };
    q.push(&format!(" ORDER BY {col} {dir}, m.id {dir} LIMIT ")).int(i64::from(page.limit) + 1);
    let rows = q.query().fetch_all(&mut *store.conn().await?).await.map_err(backend_error)?;
    let mut items = rows.iter().map(convert::member).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() > page.limit as usize;
    items.truncate(page.limit as usize);
    attach_apps(store, &mut items).await?;
    let next = if more {
        items.last().map(|m| Keyset {
            value: match page.sort {
                UserSort::Username => m.email.clone(),
                UserSort::LastName => m.last_name.clone(),
            },
            id: m.id.to_string(),
        })
    } else {
        None
    };
    Ok(Page { items, total: u64::try_from(total).unwrap_or(0), next })
}

/// Fills `visible_apps` of every member with one query.
pub(crate) async fn attach_apps(store: &Store, members: &mut [Member]) -> Result<(), StoreError> {
    if members.is_empty() {
        return Ok(());
    }
    let mut q = Dynamic::new("SELECT member_id, app_id FROM member_apps WHERE member_id IN ");
    q.text_list(&members.iter().map(|m| m.id.to_string()).collect::<Vec<_>>()).push(" ORDER BY app_id");
    let mut apps: HashMap<String, Vec<AppId>> = HashMap::new();
    for row in q.query().fetch_all(&mut *store.conn().await?).await.map_err(backend_error)? {
        apps.entry(convert::get(&row, "member_id")?).or_default().push(AppId(convert::get(&row, "app_id")?));
    }
    for m in members {
        m.visible_apps = apps.remove(&m.id.to_string()).unwrap_or_default();
    }
    Ok(())
}
