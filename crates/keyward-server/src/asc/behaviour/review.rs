//! Release (spec F3): review submissions and their items, submitting and canceling, and the
//! developer's release of an approved version. What each move does to the submission, its items
//! and their App Store versions is `keyward_core::review`'s; here the developer's moves come from
//! the API (`PATCH … submitted: true` / `canceled: true`), App Review's from test mode and the
//! CLI (`Store::move_review`). A move is guarded on the state it was read in, in the write's
//! transaction, so two racing moves cannot both apply.

use keyward_core::resource::{AlsoWrite, Guard, Link, ResourceUpdate, WriteRules};
use keyward_core::review::{self, Move};
use serde_json::{Map, Value, json};

use super::Call;
use crate::error::ApiError;

fn linked(links: &[(String, Vec<Link>)], name: &str) -> Option<Link> {
    links.iter().find(|(n, _)| n == name).and_then(|(_, l)| l.first().cloned())
}

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

/// An item goes into a submission being put together, with a version being prepared that has a
/// build.
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
    Ok(WriteRules::default())
}

/// `submitted: true` or `canceled: true`: the developer's moves, carried to the items and
/// versions. Neither flag is an attribute; they leave the update.
pub(super) fn before_update_submission(
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
    let index = call.state.replica.resources();
    let team = call.key.team_id;
    let submission =
        index.get(team, "reviewSubmissions", id).ok_or_else(|| ApiError::not_found("reviewSubmissions", id))?;
    let target = Link { kind: "reviewSubmissions".into(), id: id.to_owned() };
    let items: Vec<_> = index
        .referring(team, "reviewSubmissions", id, "reviewSubmissionItems")
        .into_iter()
        .filter(|i| i.link("reviewSubmission").contains(&target))
        .map(|i| (*i).clone())
        .collect();
    let versions: Vec<_> = items
        .iter()
        .flat_map(|i| i.link("appStoreVersion"))
        .filter_map(|l| index.get(team, &l.kind, &l.id).map(|v| (*v).clone()))
        .collect();
    let now = super::dates(0).0;
    let mut moves =
        review::changes(step, &submission, &items, &versions, &now).map_err(|e| ApiError::state(e.to_string()))?;
    let mut rules = WriteRules::default();
    if !moves.is_empty() {
        let (_, _, own) = moves.remove(0);
        update.attributes.extend(own.attributes);
    }
    rules.guards.push(Guard::Was {
        attribute: "state".into(),
        values: step.from().iter().map(|s| json!(s)).collect(),
        detail: "The review submission changed state meanwhile; read it again.".into(),
    });
    rules.also = moves.into_iter().map(|(kind, id, update)| AlsoWrite::Update { kind, id, update }).collect();
    Ok(rules)
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
    let update = review::release(&version).map_err(|e| ApiError::state(e.to_string()))?;
    let also = vec![AlsoWrite::Update { kind: version.kind.clone(), id: version.id.clone(), update }];
    Ok(WriteRules { also, ..WriteRules::default() })
}
