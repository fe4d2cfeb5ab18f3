//! App rows, written one way by every writer: `create_app` (the CLI, the console, the demo) and
//! seeds insert through [`insert`].

use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, TeamId};
use time::OffsetDateTime;

use crate::error::{Inserted, backend_error, inserted};
use crate::tx::Tx;

/// An app row about to be written; its values are checked by `keyward_core::app` first.
pub(crate) struct NewRow<'a> {
    pub id: AppId,
    pub team: TeamId,
    pub name: &'a str,
    pub bundle_id: &'a str,
    pub sku: &'a str,
    pub primary_locale: &'a str,
}

/// Inserts the app. [`Inserted::Taken`] when its ID, bundle ID or (in its team) SKU is taken.
pub(crate) async fn insert(tx: &mut Tx, row: NewRow<'_>, at: OffsetDateTime) -> Result<Inserted, StoreError> {
    let result = sqlx::query(
        "INSERT INTO apps (id, team_id, name, bundle_id, sku, primary_locale, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id.0)
    .bind(row.team.to_string())
    .bind(row.name.to_owned())
    .bind(row.bundle_id.to_owned())
    .bind(row.sku.to_owned())
    .bind(row.primary_locale.to_owned())
    .bind(at.unix_timestamp())
    .execute(&mut **tx)
    .await;
    inserted(result)
}

/// A seed's app brought in line with the file: the attributes a seed names besides the bundle ID
/// it is found by. (A PATCH changes other attributes, in `app_update.rs`.)
pub(crate) async fn align(
    tx: &mut Tx,
    id: AppId,
    name: &str,
    sku: &str,
    primary_locale: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE apps SET name = $1, sku = $2, primary_locale = $3 WHERE id = $4")
        .bind(name.to_owned())
        .bind(sku.to_owned())
        .bind(primary_locale.to_owned())
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}
