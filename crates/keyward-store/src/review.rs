//! App Review's moves of a review submission (spec F3) for test mode and the CLI: the
//! submission, its items and their App Store versions read and changed in one transaction
//! under the team's lock, so a move races nothing.

use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::TeamId;
use keyward_core::resource::Link;
use keyward_core::review::{Move, changes};

use crate::tx::{self, lock_team};
use crate::{Store, resource_rows, resources};

impl Store {
    /// Moves the review submission `id` (of any team) by `step`; its team and the changes made.
    /// `now` is the time in Apple's form, for `submittedDate`.
    pub async fn move_review(&self, id: &str, step: Move, now: &str) -> Result<(TeamId, Vec<Change>), StoreError> {
        let kind = "reviewSubmissions";
        let team = resource_rows::team_of(self.pool(), kind, id)
            .await?
            .ok_or_else(|| DomainError::NoSuchResource { kind: kind.to_owned(), id: id.to_owned() })?;
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let submission = resource_rows::in_tx(&mut tx, team, kind, id).await?;
        let target = Link { kind: kind.to_owned(), id: id.to_owned() };
        let items: Vec<_> = resource_rows::of_kind(&mut tx, team, "reviewSubmissionItems")
            .await?
            .into_iter()
            .filter(|i| i.link("reviewSubmission").contains(&target))
            .collect();
        let mut versions = Vec::new();
        for link in items.iter().flat_map(|i| i.link("appStoreVersion")) {
            // A version deleted meanwhile no longer moves; the submission still does.
            match resource_rows::in_tx(&mut tx, team, &link.kind, &link.id).await {
                Ok(version) => versions.push(version),
                Err(StoreError::Rule(DomainError::NoSuchResource { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        let mut written = Vec::new();
        for (kind, id, update) in changes(step, &submission, &items, &versions, now)? {
            let changed = resources::update_in(&mut tx, team, &kind, &id, update, &[]).await?;
            written.push(Change::Resource { team_id: team, resource_type: changed.kind, id: changed.id });
        }
        tx::commit(tx).await?;
        Ok((team, written))
    }
}
