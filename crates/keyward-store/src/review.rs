//! App Review's moves of a review submission (spec F3) for test mode and the CLI: the
//! submission, its items and their App Store versions read and changed in one transaction
//! under the team's lock, so a move races nothing.

use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::TeamId;
use keyward_core::resource::Link;
use keyward_core::review::{Move, changes};
use keyward_core::webhook;

use crate::tx::{self, lock_team};
use crate::{Store, resource_rows, resources};

impl Store {
    /// Moves the review submission `id` (of any team) by `step`; its team and the changes made.
    /// `now` is the time in Apple's form, for `submittedDate`. Each version whose state changes is
    /// an `APP_STORE_VERSION_APP_VERSION_STATE_UPDATED` event to the webhooks of its app that take
    /// it (spec F5), written in the same transaction; `base` makes the event's link.
    pub async fn move_review(
        &self,
        id: &str,
        step: Move,
        now: &str,
        base: &str,
    ) -> Result<(TeamId, Vec<Change>), StoreError> {
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
        let hooks = resource_rows::of_kind(&mut tx, team, "webhooks").await?;
        let event = "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED";
        let at = time::OffsetDateTime::now_utc();
        for (kind, id, update) in changes(step, &submission, &items, &versions, now)? {
            let before = versions.iter().find(|v| v.kind == kind && v.id == id);
            let changed = resources::update_in(&mut tx, team, &kind, &id, update, &[]).await?;
            if let Some(before) = before {
                let old = before.attributes.get("appVersionState").cloned().unwrap_or_default();
                let new = changed.attributes.get("appVersionState").cloned().unwrap_or_default();
                let url = format!("{base}/v1/appStoreVersions/{}", changed.id);
                let attributes = serde_json::json!({ "oldValue": old, "newValue": new, "timestamp": now });
                for hook in hooks.iter().filter(|h| webhook::takes(h, event, changed.app)) {
                    let body = webhook::payload(
                        &uuid::Uuid::new_v4().to_string(),
                        event,
                        attributes.clone(),
                        Some(("appStoreVersions", &changed.id, url.clone())),
                    );
                    let delivery =
                        webhook::delivery(team, uuid::Uuid::new_v4().to_string(), hook, body, at, now, false);
                    let made = resources::insert_in(&mut tx, delivery).await?;
                    written.push(Change::Resource { team_id: team, resource_type: made.kind, id: made.id });
                }
            }
            written.push(Change::Resource { team_id: team, resource_type: changed.kind, id: changed.id });
        }
        tx::commit(tx).await?;
        Ok((team, written))
    }
}
