//! App Review's moves of a review submission (spec F3) for test mode and the CLI: the
//! submission, its items and their App Store versions read and changed in one transaction
//! under the team's lock, so a move races nothing.

use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::TeamId;
use keyward_core::resource::Link;
use keyward_core::resource::{Notice, Resource};
use keyward_core::review::{Move, changes};

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
        let Some(team) = resource_rows::team_of(&mut *self.conn().await?, kind, id).await? else {
            return self.move_beta_review(id, step, now, base).await;
        };
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
        let event = "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED";
        for (kind, id, update) in changes(step, &submission, &items, &versions, now)? {
            let before = versions.iter().find(|v| v.kind == kind && v.id == id);
            let changed = resources::update_in(&mut tx, team, &kind, &id, update, &[]).await?;
            if let Some(before) = before {
                let old = before.attributes.get("appVersionState").cloned().unwrap_or_default();
                let new = changed.attributes.get("appVersionState").cloned().unwrap_or_default();
                let attributes = serde_json::json!({ "oldValue": old, "newValue": new, "timestamp": now });
                written
                    .extend(resources::notify(&mut tx, team, &notice(event, attributes, &changed, base, now)).await?);
            }
            written.push(Change::Resource { team_id: team, resource_type: changed.kind, id: changed.id });
        }
        tx::commit(tx).await?;
        Ok((team, written))
    }

    /// App Review's move of a beta app review submission (spec F2): the submission and its
    /// build's beta detail, in one transaction, with a `BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED`
    /// event to the webhooks of the build's app that take it.
    async fn move_beta_review(
        &self,
        id: &str,
        step: Move,
        now: &str,
        base: &str,
    ) -> Result<(TeamId, Vec<Change>), StoreError> {
        let kind = "betaAppReviewSubmissions";
        let team = resource_rows::team_of(&mut *self.conn().await?, kind, id)
            .await?
            .ok_or_else(|| DomainError::NoSuchResource { kind: "reviewSubmissions".to_owned(), id: id.to_owned() })?;
        let mut tx = self.begin_write().await?;
        lock_team(&mut tx, team).await?;
        let submission = resource_rows::in_tx(&mut tx, team, kind, id).await?;
        let build = submission.link("build").first().cloned();
        let detail = resource_rows::of_kind(&mut tx, team, "buildBetaDetails")
            .await?
            .into_iter()
            .find(|d| build.as_ref().is_some_and(|b| d.link("build").contains(b)))
            .ok_or_else(|| DomainError::Conflict("The submission's build has no beta detail.".into()))?;
        let (own, detail_update) = keyward_core::testflight::moved(step, &submission)?;
        let old = detail.attributes.get("externalBuildState").cloned().unwrap_or_default();
        let moved = resources::update_in(&mut tx, team, kind, id, own, &[]).await?;
        let changed = resources::update_in(&mut tx, team, &detail.kind, &detail.id, detail_update, &[]).await?;
        let mut written = vec![
            Change::Resource { team_id: team, resource_type: moved.kind, id: moved.id },
            Change::Resource { team_id: team, resource_type: changed.kind.clone(), id: changed.id.clone() },
        ];
        let event = "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED";
        let new = changed.attributes.get("externalBuildState").cloned().unwrap_or_default();
        let attributes = serde_json::json!({ "oldValue": old, "newValue": new, "timestamp": now });
        written.extend(resources::notify(&mut tx, team, &notice(event, attributes, &changed, base, now)).await?);
        tx::commit(tx).await?;
        Ok((team, written))
    }
}

/// An event about `instance` (spec F5).
fn notice(event: &str, attributes: serde_json::Value, instance: &Resource, base: &str, now: &str) -> Notice {
    Notice {
        event: event.to_owned(),
        attributes,
        instance: (instance.kind.clone(), instance.id.clone()),
        app: instance.app,
        base: base.to_owned(),
        now: now.to_owned(),
    }
}
