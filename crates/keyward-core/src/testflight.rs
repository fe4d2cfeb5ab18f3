//! TestFlight's states (spec F2): what a processed build's beta detail starts as, what submitting
//! it to beta review and App Review's beta moves do to the submission and the detail. Pure, like
//! `review.rs`; the caller reads and writes in one transaction.

use serde_json::{Map, Value, json};

use crate::error::DomainError;
use crate::resource::{Resource, ResourceUpdate};
use crate::review::Move;

fn text<'a>(r: &'a Resource, name: &str) -> &'a str {
    r.attributes.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn update(pairs: &[(&str, &str)]) -> ResourceUpdate {
    let mut u = ResourceUpdate::default();
    for (name, value) in pairs {
        u.attributes.insert((*name).to_owned(), json!(value));
    }
    u
}

/// The beta detail of a build that has just become `VALID`: ready for internal testing, and for
/// submission to beta review.
pub fn new_detail() -> Map<String, Value> {
    let mut attributes = Map::new();
    attributes.insert("autoNotifyEnabled".into(), json!(false));
    attributes.insert("internalBuildState".into(), json!("READY_FOR_BETA_TESTING"));
    attributes.insert("externalBuildState".into(), json!("READY_FOR_BETA_SUBMISSION"));
    attributes
}

/// The external states a build may be submitted to beta review from.
pub const SUBMITTABLE: [&str; 2] = ["READY_FOR_BETA_SUBMISSION", "BETA_REJECTED"];

/// A beta app review submission of the build whose detail is `detail`: the detail's change.
pub fn submit(build: &Resource, detail: &Resource) -> Result<ResourceUpdate, DomainError> {
    if text(build, "processingState") != "VALID" {
        return Err(DomainError::Conflict(format!(
            "The build is {}; only a processed (VALID) build goes to beta review.",
            text(build, "processingState")
        )));
    }
    if !SUBMITTABLE.contains(&text(detail, "externalBuildState")) {
        return Err(DomainError::Conflict(format!(
            "The build's external state is {}; it can be submitted from {}.",
            text(detail, "externalBuildState"),
            SUBMITTABLE.join(" or ")
        )));
    }
    Ok(update(&[("externalBuildState", "WAITING_FOR_BETA_REVIEW")]))
}

/// App Review's beta move of `submission`: its change and its build detail's.
pub fn moved(step: Move, submission: &Resource) -> Result<(ResourceUpdate, ResourceUpdate), DomainError> {
    let (from, to, external) = match step {
        Move::StartReview => ("WAITING_FOR_REVIEW", "IN_REVIEW", "IN_BETA_REVIEW"),
        Move::Approve => ("IN_REVIEW", "APPROVED", "BETA_APPROVED"),
        Move::Reject => ("IN_REVIEW", "REJECTED", "BETA_REJECTED"),
        Move::Submit | Move::Cancel => return Err(DomainError::Conflict("Not a move of App Review's.".into())),
    };
    let state = text(submission, "betaReviewState");
    if state != from {
        return Err(DomainError::Conflict(format!("The beta review submission is {state}; this needs it {from}.")));
    }
    Ok((update(&[("betaReviewState", to)]), update(&[("externalBuildState", external)])))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ids::TeamId;

    fn resource(kind: &str, attributes: Value) -> Resource {
        Resource {
            team_id: TeamId::from_uuid(uuid::Uuid::nil()),
            kind: kind.into(),
            id: "x".into(),
            app: None,
            attributes: attributes.as_object().cloned().unwrap_or_default(),
            relationships: Default::default(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn f2_a_processed_build_goes_through_beta_review_in_order() {
        let build = resource("builds", json!({"processingState": "VALID"}));
        let detail = resource("buildBetaDetails", Value::Object(new_detail()));
        assert_eq!(submit(&build, &detail).unwrap().attributes["externalBuildState"], "WAITING_FOR_BETA_REVIEW");
        let processing = resource("builds", json!({"processingState": "PROCESSING"}));
        assert!(submit(&processing, &detail).is_err());
        let waiting = resource("betaAppReviewSubmissions", json!({"betaReviewState": "WAITING_FOR_REVIEW"}));
        assert!(moved(Move::Approve, &waiting).is_err(), "approved before review");
        let (s, d) = moved(Move::StartReview, &waiting).unwrap();
        assert_eq!(
            (s.attributes["betaReviewState"].clone(), d.attributes["externalBuildState"].clone()),
            (json!("IN_REVIEW"), json!("IN_BETA_REVIEW"))
        );
        let reviewing = resource("betaAppReviewSubmissions", json!({"betaReviewState": "IN_REVIEW"}));
        assert_eq!(moved(Move::Approve, &reviewing).unwrap().1.attributes["externalBuildState"], "BETA_APPROVED");
        assert_eq!(moved(Move::Reject, &reviewing).unwrap().1.attributes["externalBuildState"], "BETA_REJECTED");
    }
}
