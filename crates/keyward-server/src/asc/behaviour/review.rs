//! Release (spec F3): review submissions and their items, submitting and canceling, and the
//! developer's release of an approved version. What each move does to the submission, its items
//! and their App Store versions is `keyward_core::review`'s; here the developer's moves come from
//! the API (`PATCH … submitted: true` / `canceled: true`), App Review's from test mode and the
//! CLI; every move runs in `Store::move_review`, which reads the submission, its items and their
//! versions in the transaction that changes them, so two racing moves cannot both apply.

use keyward_core::resource::{AlsoWrite, Guard, Link, ResourceUpdate, WriteRules};
use keyward_core::review::{self, Move};
use serde_json::{Map, Value, json};

use super::{Call, linked};
use crate::error::ApiError;

/// A new submission is `READY_FOR_REVIEW`; an app has one open submission per platform.
pub(super) fn before_create_submission(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    let platform = attributes.get("platform").cloned().unwrap_or(Value::Null);
    if let Some(app) = linked(links, "app") {
        let index = call.state.replica.resources();
        let open = index.referring(call.key.team_id, &app.kind, &app.id, "reviewSubmissions").into_iter().any(|s| {
            s.attributes.get("platform") == Some(&platform)
                && s.attributes.get("state").and_then(Value::as_str) != Some("COMPLETE")
        });
        if open {
            return Err(ApiError::state(
                "The app has a review submission in progress for this platform; add items to it or cancel it.".into(),
            ));
        }
    }
    attributes.insert("state".into(), json!("READY_FOR_REVIEW"));
    attributes.insert("submittedDate".into(), Value::Null);
    Ok(WriteRules::default())
}

/// An item goes into a submission being put together, of the same app and platform, with a
/// version being prepared that has a build. The states are checked again in the write's
/// transaction, so an item cannot slip into a submission submitted meanwhile on another node.
pub(super) fn before_create_item(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    let index = call.state.replica.resources();
    let team = call.key.team_id;
    let submission = linked(links, "reviewSubmission")
        .and_then(|l| index.get(team, "reviewSubmissions", &l.id))
        .ok_or_else(|| {
            ApiError::entity(
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "An item belongs to a review submission.".into(),
                "/data/relationships/reviewSubmission",
            )
        })?;
    let version = linked(links, "appStoreVersion").and_then(|l| index.get(team, "appStoreVersions", &l.id));
    review::may_add(&submission, version.as_deref()).map_err(|e| ApiError::state(e.to_string()))?;
    attributes.insert("state".into(), json!("READY_FOR_REVIEW"));
    let states = |list: &[&str]| list.iter().map(|s| json!(s)).collect::<Vec<_>>();
    let guards = vec![
        Guard::LinkedIs {
            relationship: "reviewSubmission".into(),
            attribute: "state".into(),
            values: states(&review::OPEN),
            detail: "The review submission was submitted meanwhile and takes no more items.".into(),
        },
        Guard::LinkedIs {
            relationship: "appStoreVersion".into(),
            attribute: "appStoreState".into(),
            values: states(&review::EDITABLE),
            detail: "The App Store version changed state meanwhile and cannot be submitted.".into(),
        },
    ];
    Ok(WriteRules { guards, ..WriteRules::default() })
}

/// `submitted: true` or `canceled: true`: the developer's moves, carried to the items and
/// versions by `Store::move_review`, which reads them in its own transaction. Neither flag is an
/// attribute; they leave the update, whose other attributes are then written as usual.
pub(super) async fn before_update_submission(
    call: &Call<'_>,
    id: &str,
    update: &mut ResourceUpdate,
) -> Result<WriteRules, ApiError> {
    let flag = |update: &mut ResourceUpdate, name: &str| {
        update.attributes.remove(name).and_then(|v| v.as_bool()) == Some(true)
    };
    let step = match (flag(update, "submitted"), flag(update, "canceled")) {
        (true, false) => Move::Submit,
        (false, true) => Move::Cancel,
        (false, false) => return Ok(WriteRules::default()),
        (true, true) => {
            let detail = "A submission is either submitted or canceled.".into();
            return Err(ApiError::entity("ENTITY_ERROR.ATTRIBUTE.INVALID", detail, "/data/attributes"));
        }
    };
    let base = super::webhooks::base_of(call);
    let (team, changes) = call.state.store.move_review(id, step, &super::dates(0).0, &base).await?;
    if team != call.key.team_id {
        // `visible` found the submission in the caller's team; IDs are unique in the installation.
        tracing::error!(submission = id, "a review submission moved in another team than the caller's");
        return Err(ApiError::internal());
    }
    call.state.written(&changes).await;
    Ok(WriteRules::default())
}

/// `POST /v1/appStoreVersionReleaseRequests`: the developer releases an approved version.
pub(super) fn before_create_release(call: &Call<'_>, links: &[(String, Vec<Link>)]) -> Result<WriteRules, ApiError> {
    let index = call.state.replica.resources();
    let version = linked(links, "appStoreVersion")
        .and_then(|l| index.get(call.key.team_id, "appStoreVersions", &l.id))
        .ok_or_else(|| {
            ApiError::entity(
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "A release request names the App Store version.".into(),
                "/data/relationships/appStoreVersion",
            )
        })?;
    // The replica's read lock is not held while `events` takes it again.
    drop(index);
    let update = review::release(&version).map_err(|e| ApiError::state(e.to_string()))?;
    let guards = vec![Guard::Was {
        attribute: "appStoreState".into(),
        values: vec![json!("PENDING_DEVELOPER_RELEASE")],
        detail: "The App Store version changed state meanwhile; read it again.".into(),
    }];
    let old = version.attributes.get("appVersionState").cloned().unwrap_or(Value::Null);
    let new = update.attributes.get("appVersionState").cloned().unwrap_or(Value::Null);
    let mut also = vec![AlsoWrite::Update { kind: version.kind.clone(), id: version.id.clone(), update, guards }];
    let attributes = json!({ "oldValue": old, "newValue": new, "timestamp": super::dates(0).0 });
    also.extend(super::webhooks::events(
        &super::webhooks::base_of(call),
        version.link("app").first(),
        "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED",
        attributes,
        ("appStoreVersions", &version.id),
    ));
    Ok(WriteRules { also, ..WriteRules::default() })
}
