//! A tester's own moves (spec F2) for test mode and the CLI: accepting an invitation, installing
//! a build, access revoked. Read and changed in one transaction under the team's lock, so a move
//! races neither an invitation nor another move.

use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::TeamId;

use crate::tx::{self, lock_team};
use crate::{Store, resource_rows, resources};

impl Store {
    /// Moves the beta tester `id` (of any team) to `to`; its team and the change made.
    pub async fn move_tester(&self, id: &str, to: &str) -> Result<(TeamId, Change), StoreError> {
        let kind = "betaTesters";
        let team = resource_rows::team_of(&mut *self.conn().await?, kind, id)
            .await?
            .ok_or_else(|| DomainError::NoSuchResource { kind: kind.to_owned(), id: id.to_owned() })?;
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let tester = resource_rows::in_tx(&mut tx, team, kind, id).await?;
        let update = keyward_core::testflight::tester_moved(&tester, to)?;
        let moved = resources::update_in(&mut tx, team, kind, id, update, &[]).await?;
        tx::commit(tx).await?;
        Ok((team, Change::Resource { team_id: team, resource_type: moved.kind, id: moved.id }))
    }
}
