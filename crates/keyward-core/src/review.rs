//! App Review's moves (spec F3): what a review submission, its items and the App Store versions
//! they carry become when a submission is submitted, canceled, taken into review, rejected or
//! approved, in the order App Review makes them. Pure: the caller reads the resources and writes
//! the changes (in one transaction, guarded on the submission's state as read).

use serde_json::{Value, json};

use crate::error::DomainError;
use crate::resource::{Resource, ResourceUpdate};

/// A move of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// The developer submits (`PATCH … submitted: true`).
    Submit,
    /// The developer cancels (`PATCH … canceled: true`).
    Cancel,
    /// App Review takes it (`IN_REVIEW`).
    StartReview,
    /// App Review rejects it.
    Reject,
    /// App Review approves it.
    Approve,
}

impl Move {
    /// The moves App Review makes, by the name the CLI and test mode take.
    pub fn parse(name: &str) -> Option<Move> {
        Some(match name {
            "IN_REVIEW" => Move::StartReview,
            "REJECTED" => Move::Reject,
            "APPROVED" | "ACCEPTED" | "READY_FOR_DISTRIBUTION" => Move::Approve,
            _ => return None,
        })
    }

    /// The submission states it starts from.
    pub fn from(self) -> &'static [&'static str] {
        match self {
            Move::Submit => &["READY_FOR_REVIEW", "UNRESOLVED_ISSUES"],
            Move::Cancel => &["WAITING_FOR_REVIEW", "IN_REVIEW", "UNRESOLVED_ISSUES"],
            Move::StartReview => &["WAITING_FOR_REVIEW"],
            Move::Reject | Move::Approve => &["IN_REVIEW"],
        }
    }

    fn submission_state(self) -> &'static str {
        match self {
            Move::Submit => "WAITING_FOR_REVIEW",
            Move::Cancel | Move::Approve => "COMPLETE",
            Move::StartReview => "IN_REVIEW",
            Move::Reject => "UNRESOLVED_ISSUES",
        }
    }
}

fn text<'a>(r: &'a Resource, name: &str) -> &'a str {
    r.attributes.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A state for a message: its name, or that there is none.
fn shown(state: &str) -> &str {
    if state.is_empty() { "in no state" } else { state }
}

fn set(pairs: &[(&str, Value)]) -> ResourceUpdate {
    let mut update = ResourceUpdate::default();
    for (name, value) in pairs {
        update.attributes.insert((*name).to_owned(), value.clone());
    }
    update
}

/// The changes `step` makes: to the submission first, then to each item and each App Store
/// version its items carry (`versions`, the ones found). `now` is the time in Apple's form.
/// Refused, naming the states it takes, when the submission is not in one of them, or when a
/// submission to submit has no items.
pub fn changes(
    step: Move,
    submission: &Resource,
    items: &[Resource],
    versions: &[Resource],
    now: &str,
) -> Result<Vec<(String, String, ResourceUpdate)>, DomainError> {
    let state = text(submission, "state");
    if !step.from().contains(&state) {
        return Err(DomainError::Conflict(format!(
            "The review submission is {}; this needs it {}.",
            shown(state),
            step.from().join(" or ")
        )));
    }
    if step == Move::Submit && items.is_empty() {
        return Err(DomainError::Conflict("A review submission needs at least one item to submit.".into()));
    }
    let mut submission_update = set(&[("state", json!(step.submission_state()))]);
    if step == Move::Submit {
        submission_update.attributes.insert("submittedDate".into(), json!(now));
    }
    let mut out = vec![(submission.kind.clone(), submission.id.clone(), submission_update)];
    let item_state = match step {
        Move::Submit | Move::StartReview => None,
        Move::Cancel => Some("REMOVED"),
        Move::Reject => Some("REJECTED"),
        Move::Approve => Some("APPROVED"),
    };
    if let Some(item_state) = item_state {
        for item in items {
            out.push((item.kind.clone(), item.id.clone(), set(&[("state", json!(item_state))])));
        }
    }
    for version in versions {
        let (store, app) = match step {
            Move::Submit => ("WAITING_FOR_REVIEW", "WAITING_FOR_REVIEW"),
            Move::Cancel => ("DEVELOPER_REJECTED", "DEVELOPER_REJECTED"),
            Move::StartReview => ("IN_REVIEW", "IN_REVIEW"),
            Move::Reject => ("REJECTED", "REJECTED"),
            Move::Approve => match text(version, "releaseType") {
                "AFTER_APPROVAL" => ("READY_FOR_SALE", "READY_FOR_DISTRIBUTION"),
                "SCHEDULED" => ("PENDING_APPLE_RELEASE", "PENDING_APPLE_RELEASE"),
                _ => ("PENDING_DEVELOPER_RELEASE", "PENDING_DEVELOPER_RELEASE"),
            },
        };
        out.push((
            version.kind.clone(),
            version.id.clone(),
            set(&[("appStoreState", json!(store)), ("appVersionState", json!(app))]),
        ));
    }
    Ok(out)
}

/// A developer release of an approved version (`POST /v1/appStoreVersionReleaseRequests`): a
/// version pending the developer's release goes on sale.
pub fn release(version: &Resource) -> Result<ResourceUpdate, DomainError> {
    if text(version, "appStoreState") != "PENDING_DEVELOPER_RELEASE" {
        return Err(DomainError::Conflict(format!(
            "The version is {}; only a version pending the developer's release can be released.",
            shown(text(version, "appStoreState"))
        )));
    }
    Ok(set(&[("appStoreState", json!("READY_FOR_SALE")), ("appVersionState", json!("READY_FOR_DISTRIBUTION"))]))
}

/// The submission states that take items.
pub const OPEN: [&str; 2] = ["READY_FOR_REVIEW", "UNRESOLVED_ISSUES"];

/// The App Store version states that can go into a submission.
pub const EDITABLE: [&str; 5] =
    ["PREPARE_FOR_SUBMISSION", "READY_FOR_REVIEW", "REJECTED", "METADATA_REJECTED", "DEVELOPER_REJECTED"];

/// Whether `version` may go into `submission` (`POST /v1/reviewSubmissionItems`): the
/// submission is still being put together, and the version is editable and has a build.
pub fn may_add(submission: &Resource, version: Option<&Resource>) -> Result<(), DomainError> {
    let state = text(submission, "state");
    if !OPEN.contains(&state) {
        return Err(DomainError::Conflict(format!(
            "The review submission is {} and takes no more items.",
            shown(state)
        )));
    }
    let Some(version) = version else { return Ok(()) };
    // One submission is one app's, on one platform: another app's version cannot ride along.
    if version.app.is_some() && submission.app.is_some() && version.app != submission.app {
        return Err(DomainError::Conflict("The App Store version belongs to another app than the submission.".into()));
    }
    let (submitted_for, version_for) = (text(submission, "platform"), text(version, "platform"));
    if !submitted_for.is_empty() && !version_for.is_empty() && submitted_for != version_for {
        return Err(DomainError::Conflict(format!(
            "The App Store version is for {version_for}; the submission is for {submitted_for}."
        )));
    }
    if !EDITABLE.contains(&text(version, "appStoreState")) {
        return Err(DomainError::Conflict(format!(
            "The App Store version is {}; only a version being prepared can be submitted.",
            shown(text(version, "appStoreState"))
        )));
    }
    if version.link("build").is_empty() {
        return Err(DomainError::Conflict("The App Store version has no build; attach one before submitting.".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ids::TeamId;
    use crate::resource::Link;

    fn resource(kind: &str, id: &str, attributes: Value) -> Resource {
        Resource {
            team_id: TeamId::from_uuid(uuid::Uuid::nil()),
            kind: kind.into(),
            id: id.into(),
            app: None,
            attributes: attributes.as_object().cloned().unwrap_or_default(),
            relationships: Default::default(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn state_of(changes: &[(String, String, ResourceUpdate)], id: &str, name: &str) -> Value {
        changes.iter().find(|(_, i, _)| i == id).map(|(_, _, u)| u.attributes[name].clone()).unwrap_or_default()
    }

    #[test]
    fn f3_a_submission_moves_in_app_reviews_order_and_carries_its_versions() {
        let version = resource(
            "appStoreVersions",
            "v",
            json!({"appStoreState": "PREPARE_FOR_SUBMISSION", "releaseType": "MANUAL"}),
        );
        let item = resource("reviewSubmissionItems", "i", json!({"state": "READY_FOR_REVIEW"}));
        let at = |state: &str| resource("reviewSubmissions", "s", json!({"state": state}));
        let submitted = changes(
            Move::Submit,
            &at("READY_FOR_REVIEW"),
            std::slice::from_ref(&item),
            std::slice::from_ref(&version),
            "now",
        )
        .unwrap();
        assert_eq!(state_of(&submitted, "s", "state"), "WAITING_FOR_REVIEW");
        assert_eq!(state_of(&submitted, "s", "submittedDate"), "now");
        assert_eq!(state_of(&submitted, "v", "appStoreState"), "WAITING_FOR_REVIEW");
        let review = changes(
            Move::StartReview,
            &at("WAITING_FOR_REVIEW"),
            std::slice::from_ref(&item),
            std::slice::from_ref(&version),
            "now",
        )
        .unwrap();
        assert_eq!(state_of(&review, "v", "appStoreState"), "IN_REVIEW");
        let approved = changes(
            Move::Approve,
            &at("IN_REVIEW"),
            std::slice::from_ref(&item),
            std::slice::from_ref(&version),
            "now",
        )
        .unwrap();
        assert_eq!(state_of(&approved, "s", "state"), "COMPLETE");
        assert_eq!(state_of(&approved, "i", "state"), "APPROVED");
        assert_eq!(state_of(&approved, "v", "appStoreState"), "PENDING_DEVELOPER_RELEASE");
        let rejected =
            changes(Move::Reject, &at("IN_REVIEW"), std::slice::from_ref(&item), std::slice::from_ref(&version), "now")
                .unwrap();
        assert_eq!(state_of(&rejected, "s", "state"), "UNRESOLVED_ISSUES");
        assert_eq!(state_of(&rejected, "v", "appStoreState"), "REJECTED");
        let automatic = resource("appStoreVersions", "v", json!({"releaseType": "AFTER_APPROVAL"}));
        let approved = changes(Move::Approve, &at("IN_REVIEW"), &[], &[automatic], "now").unwrap();
        assert_eq!(state_of(&approved, "v", "appVersionState"), "READY_FOR_DISTRIBUTION");
    }

    #[test]
    fn f3_impossible_moves_are_refused() {
        let at = |state: &str| resource("reviewSubmissions", "s", json!({"state": state}));
        let item = resource("reviewSubmissionItems", "i", json!({}));
        assert!(changes(Move::Approve, &at("WAITING_FOR_REVIEW"), &[], &[], "now").is_err(), "approve before review");
        assert!(changes(Move::StartReview, &at("READY_FOR_REVIEW"), &[], &[], "now").is_err(), "review before submit");
        assert!(changes(Move::Submit, &at("READY_FOR_REVIEW"), &[], &[], "now").is_err(), "nothing to submit");
        assert!(changes(Move::Submit, &at("COMPLETE"), &[item], &[], "now").is_err(), "a finished submission");
        assert_eq!(Move::parse("IN_REVIEW"), Some(Move::StartReview));
        assert_eq!(Move::parse("WAITING_FOR_REVIEW"), None, "the developer's move, not App Review's");
    }

    #[test]
    fn f3_only_a_version_being_prepared_with_a_build_goes_into_a_submission() {
        let open = resource("reviewSubmissions", "s", json!({"state": "READY_FOR_REVIEW"}));
        let mut version = resource("appStoreVersions", "v", json!({"appStoreState": "PREPARE_FOR_SUBMISSION"}));
        assert!(may_add(&open, Some(&version)).is_err(), "no build");
        version.relationships.insert("build".into(), vec![Link { kind: "builds".into(), id: "b".into() }]);
        assert!(may_add(&open, Some(&version)).is_ok());
        let sold = resource("appStoreVersions", "v", json!({"appStoreState": "READY_FOR_SALE"}));
        assert!(may_add(&open, Some(&sold)).is_err());
        let waiting = resource("reviewSubmissions", "s", json!({"state": "WAITING_FOR_REVIEW"}));
        assert!(may_add(&waiting, Some(&version)).is_err());
    }
}
