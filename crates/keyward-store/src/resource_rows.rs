//! Resource rows (spec R2), written one way: `resources.rs` (the API) and seeds insert, update and
//! delete through here. Attributes and linkage are JSON text, read back by [`read`].

use std::collections::BTreeMap;

use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::{AppId, TeamId};
use keyward_core::resource::{Link, Resource};
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::convert;
use crate::error::{Inserted, backend_error, corrupt, inserted};
use crate::sql::Dynamic;
use crate::tx::Tx;

pub(crate) const COLUMNS: &str =
    "SELECT kind, id, team_id, app_id, attributes, relationships, created_at, updated_at FROM resources ";

/// A row as the domain sees it.
pub(crate) fn read(row: &AnyRow) -> Result<Resource, StoreError> {
    let attributes: String = convert::get(row, "attributes")?;
    let relationships: String = convert::get(row, "relationships")?;
    let team: String = convert::get(row, "team_id")?;
    Ok(Resource {
        team_id: team.parse().map_err(|_| corrupt("team id", &team))?,
        kind: convert::get(row, "kind")?,
        id: convert::get(row, "id")?,
        app: convert::get::<Option<i64>>(row, "app_id")?.map(AppId),
        attributes: serde_json::from_str::<Map<String, Value>>(&attributes).map_err(|_| corrupt("attributes", "…"))?,
        relationships: serde_json::from_str::<BTreeMap<String, Vec<Link>>>(&relationships)
            .map_err(|_| corrupt("relationships", "…"))?,
        created_at: convert::time(convert::get(row, "created_at")?)?,
        updated_at: convert::time(convert::get(row, "updated_at")?)?,
    })
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("cannot write JSON: {e}")))
}

/// The team a resource belongs to, if it exists (types and IDs are unique in the installation).
pub(crate) async fn team_of(
    pool: impl sqlx::Executor<'_, Database = sqlx::Any>,
    kind: &str,
    id: &str,
) -> Result<Option<TeamId>, StoreError> {
    let row = sqlx::query("SELECT team_id FROM resources WHERE kind = $1 AND id = $2")
        .bind(kind.to_owned())
        .bind(id.to_owned())
        .fetch_optional(pool)
        .await
        .map_err(backend_error)?;
    let Some(row) = row else { return Ok(None) };
    let team: String = sqlx::Row::try_get(&row, 0).map_err(backend_error)?;
    team.parse().map(Some).map_err(|_| StoreError::Backend(format!("a resource's team '{team}' is no ID")))
}

/// The team's resources of one type, in ID order (for the rules a write keeps: a few hundred
/// certificates, devices or profiles at most).
pub(crate) async fn of_kind(tx: &mut Tx, team: TeamId, kind: &str) -> Result<Vec<Resource>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS}WHERE team_id = $1 AND kind = $2 ORDER BY id")))
        .bind(team.to_string())
        .bind(kind.to_owned())
        .fetch_all(&mut **tx)
        .await
        .map_err(backend_error)?;
    rows.iter().map(read).collect()
}

/// Inserts `resource`. A resource of that type and ID existing already is `Taken`.
pub(crate) async fn insert(tx: &mut Tx, resource: &Resource) -> Result<Inserted, StoreError> {
    let result = sqlx::query(
        "INSERT INTO resources (kind, id, team_id, app_id, attributes, relationships, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(resource.kind.clone())
    .bind(resource.id.clone())
    .bind(resource.team_id.to_string())
    .bind(resource.app.map(|a| a.0))
    .bind(json(&resource.attributes)?)
    .bind(json(&resource.relationships)?)
    .bind(resource.created_at.unix_timestamp())
    .bind(resource.updated_at.unix_timestamp())
    .execute(&mut **tx)
    .await;
    inserted(result)
}

/// Writes a changed resource back (attributes, linkage, app, update time).
pub(crate) async fn update(tx: &mut Tx, resource: &Resource) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE resources SET app_id = $1, attributes = $2, relationships = $3, updated_at = $4 \
         WHERE kind = $5 AND id = $6 AND team_id = $7",
    )
    .bind(resource.app.map(|a| a.0))
    .bind(json(&resource.attributes)?)
    .bind(json(&resource.relationships)?)
    .bind(resource.updated_at.unix_timestamp())
    .bind(resource.kind.clone())
    .bind(resource.id.clone())
    .bind(resource.team_id.to_string())
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(backend_error)
}

/// Deletes one resource of `team`; whether there was one.
pub(crate) async fn delete(tx: &mut Tx, team: TeamId, kind: &str, id: &str) -> Result<bool, StoreError> {
    sqlx::query("DELETE FROM resources WHERE kind = $1 AND id = $2 AND team_id = $3")
        .bind(kind.to_owned())
        .bind(id.to_owned())
        .bind(team.to_string())
        .execute(&mut **tx)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(backend_error)
}

/// One resource of `team`, inside the transaction.
pub(crate) async fn in_tx(tx: &mut Tx, team: TeamId, kind: &str, id: &str) -> Result<Resource, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS}WHERE kind = $1 AND id = $2 AND team_id = $3")))
        .bind(kind.to_owned())
        .bind(id.to_owned())
        .bind(team.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NoSuchResource { kind: kind.to_owned(), id: id.to_owned() })?;
    read(&row)
}

/// Every link names something `team` has: one of its apps, members or invitations (section 7's
/// types), or one of its resources. The first that does not is `UnknownLink`.
pub(crate) async fn ensure_links(tx: &mut Tx, team: TeamId, links: &[&Link]) -> Result<(), StoreError> {
    for link in links {
        let unknown = || StoreError::from(DomainError::UnknownLink { kind: link.kind.clone(), id: link.id.clone() });
        let mut q = Dynamic::new("SELECT 1 AS one FROM ");
        match link.kind.as_str() {
            "apps" => {
                let app = link.id.parse::<i64>().map_err(|_| unknown())?;
                q.push("apps WHERE id = ").int(app);
            }
            "users" => {
                q.push("members WHERE id = ").text(link.id.clone());
            }
            "userInvitations" => {
                q.push("invitations WHERE id = ").text(link.id.clone());
            }
            kind => {
                q.push("resources WHERE kind = ").text(kind).push(" AND id = ").text(link.id.clone());
            }
        }
        q.push(" AND team_id = ").text(team.to_string());
        if q.query().fetch_optional(&mut **tx).await.map_err(backend_error)?.is_none() {
            return Err(unknown());
        }
    }
    Ok(())
}

/// When a resource was last written, to the second (stored as Unix seconds).
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A4: the app a resource with these links belongs to, read in the writing transaction: the app
/// it links to, else the app of the first resource of the team it links to that has one.
pub(crate) async fn app_of(
    tx: &mut Tx,
    team: TeamId,
    relationships: &BTreeMap<String, Vec<Link>>,
) -> Result<Option<AppId>, StoreError> {
    let links = || relationships.values().flatten();
    if let Some(app) = links().find(|l| l.kind == "apps").and_then(|l| l.id.parse::<i64>().ok()) {
        return Ok(Some(AppId(app)));
    }
    for link in links().filter(|l| !matches!(l.kind.as_str(), "apps" | "users" | "userInvitations")) {
        let row = sqlx::query("SELECT app_id FROM resources WHERE kind = $1 AND id = $2 AND team_id = $3")
            .bind(link.kind.clone())
            .bind(link.id.clone())
            .bind(team.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend_error)?;
        if let Some(app) = row.map(|r| convert::get::<Option<i64>>(&r, "app_id")).transpose()?.flatten() {
            return Ok(Some(AppId(app)));
        }
    }
    Ok(None)
}

/// The most linkages one relationship of a resource holds, however many requests added them.
pub(crate) const MAX_LINKS: usize = 1000;

/// The most resources of Apple's wider API one team keeps: every node holds a copy of them all.
pub(crate) const MAX_PER_TEAM: i64 = 250_000;

/// How many resources `team` has.
pub(crate) async fn count(tx: &mut Tx, team: TeamId) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM resources WHERE team_id = $1")
        .bind(team.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend_error)?;
    convert::get(&row, "n")
}
