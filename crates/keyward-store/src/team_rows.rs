//! Team rows, written one way by every writer: `create_team` (the CLI, the console's first-run
//! setup and the operator's page) and seeds insert through [`insert`].

use keyward_core::access::AccessState;
use keyward_core::error::StoreError;
use keyward_core::ids::{IssuerId, TeamId};
use time::OffsetDateTime;

use crate::error::{Inserted, backend_error, inserted};
use crate::tx::Tx;

/// A team row about to be written.
pub(crate) struct NewRow<'a> {
    pub id: TeamId,
    pub issuer: IssuerId,
    pub name: &'a str,
    pub access: AccessState,
    /// L1: the team's own hourly budget per key; `None` is the installation's.
    pub rate_limit_per_hour: Option<u32>,
}

/// Inserts the team. [`Inserted::Taken`] when its name or Issuer ID is another team's (the unique
/// indexes decide, also under races); each caller says which in its own words.
pub(crate) async fn insert(tx: &mut Tx, row: NewRow<'_>, at: OffsetDateTime) -> Result<Inserted, StoreError> {
    let result = sqlx::query(
        "INSERT INTO teams (id, issuer_id, name, access_state, rate_limit_per_hour, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(row.id.to_string())
    .bind(row.issuer.to_string())
    .bind(row.name.to_owned())
    .bind(row.access.as_str())
    .bind(row.rate_limit_per_hour.map(i64::from))
    .bind(at.unix_timestamp())
    .execute(&mut **tx)
    .await;
    inserted(result)
}

/// K1–K2: the team's API access state.
pub(crate) async fn set_access(tx: &mut Tx, team: TeamId, state: AccessState) -> Result<(), StoreError> {
    sqlx::query("UPDATE teams SET access_state = $1 WHERE id = $2")
        .bind(state.as_str())
        .bind(team.to_string())
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}

/// X3: the team's cap on new keys' lifetime in days; `None`: no cap.
pub(crate) async fn set_key_lifetime_cap(tx: &mut Tx, team: TeamId, days: Option<u32>) -> Result<(), StoreError> {
    sqlx::query("UPDATE teams SET max_key_lifetime_days = $1 WHERE id = $2")
        .bind(days.map(i64::from))
        .bind(team.to_string())
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}

/// L1: the team's own hourly budget per key; `None` is the installation's.
pub(crate) async fn set_rate_limit(tx: &mut Tx, team: TeamId, per_hour: Option<u32>) -> Result<(), StoreError> {
    sqlx::query("UPDATE teams SET rate_limit_per_hour = $1 WHERE id = $2")
        .bind(per_hour.map(i64::from))
        .bind(team.to_string())
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(backend_error)
}
