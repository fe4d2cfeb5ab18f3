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

/// The internal attribute of what Apple finishes later (a processing build, a review response
/// being published): when it is done, in Unix seconds. Never served: a resource shows only the
/// attributes Apple's document lists.
pub const PROCESSED_AT: &str = "_processedAt";

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

/// Where TestFlight's public links point, as at Apple: clients show and parse them.
pub const PUBLIC_LINK_BASE: &str = "https://testflight.apple.com/join/";

/// The most testers a public link may admit, as App Store Connect allows.
pub const PUBLIC_LINK_MAX: i64 = 10_000;

/// A beta group's public-link settings once `asked` (the body's attributes) is applied to
/// `current` (the group as stored; empty for a new one). Adds the link when it is switched on and
/// the group has none (its ID from `new_id`), clears it when switched off. The attribute at fault
/// and why, when the settings break App Store Connect's rules.
pub fn public_link(
    current: &Map<String, Value>,
    asked: &mut Map<String, Value>,
    new_id: impl FnOnce() -> String,
) -> Result<(), (&'static str, String)> {
    let now = |name: &str| asked.get(name).or_else(|| current.get(name)).filter(|v| !v.is_null());
    let on = |name: &str| now(name).and_then(Value::as_bool).unwrap_or(false);
    let enabled = on("publicLinkEnabled");
    if enabled && on("isInternalGroup") {
        let why = "An internal group has no public link: its testers are the team's own members.";
        return Err(("publicLinkEnabled", why.into()));
    }
    let limit = now("publicLinkLimit");
    if let Some(limit) = limit
        && !limit.as_i64().is_some_and(|n| (1..=PUBLIC_LINK_MAX).contains(&n))
    {
        let why = format!("A public link admits 1 to {PUBLIC_LINK_MAX} testers, not {limit}.");
        return Err(("publicLinkLimit", why));
    }
    if on("publicLinkLimitEnabled") && limit.is_none() {
        return Err(("publicLinkLimit", "A limited public link needs its publicLinkLimit.".into()));
    }
    let has_link = current.get("publicLinkId").is_some_and(|v| !v.is_null());
    if enabled && !has_link {
        let id = new_id();
        asked.insert("publicLink".into(), json!(format!("{PUBLIC_LINK_BASE}{id}")));
        asked.insert("publicLinkId".into(), json!(id));
    } else if !enabled && asked.contains_key("publicLinkEnabled") {
        asked.insert("publicLink".into(), Value::Null);
        asked.insert("publicLinkId".into(), Value::Null);
    }
    Ok(())
}

/// A tester's own move, which Keyward has no tester to make (test mode and the CLI make it):
/// accepting the invitation, installing a build, or access revoked. Its change.
pub fn tester_moved(tester: &Resource, to: &str) -> Result<ResourceUpdate, DomainError> {
    let from: &[&str] = match to {
        "ACCEPTED" => &["INVITED"],
        "INSTALLED" => &["INVITED", "ACCEPTED"],
        "REVOKED" => &["INVITED", "ACCEPTED", "INSTALLED"],
        _ => return Err(DomainError::Conflict(format!("'{to}' is none of ACCEPTED, INSTALLED, REVOKED."))),
    };
    let state = text(tester, "state");
    if !from.contains(&state) {
        return Err(DomainError::Conflict(format!("The tester is {state}; {to} needs it {}.", from.join(" or "))));
    }
    Ok(update(&[("state", to)]))
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
    fn f2_a_public_link_is_made_once_for_external_groups_and_cleared_when_off() {
        let map = |v: Value| v.as_object().cloned().unwrap_or_default();
        let mut asked = map(json!({"publicLinkEnabled": true}));
        public_link(&Map::new(), &mut asked, || "AbCd1234".into()).unwrap();
        assert_eq!(asked["publicLink"], "https://testflight.apple.com/join/AbCd1234");
        let stored = asked.clone();
        let mut again = map(json!({"publicLinkEnabled": true, "publicLinkLimit": 50}));
        public_link(&stored, &mut again, || unreachable!("the group keeps its link")).unwrap();
        assert!(!again.contains_key("publicLink"));
        let mut off = map(json!({"publicLinkEnabled": false}));
        public_link(&stored, &mut off, || unreachable!()).unwrap();
        assert_eq!(off["publicLink"], Value::Null);
        let internal = map(json!({"isInternalGroup": true}));
        let err = public_link(&internal, &mut map(json!({"publicLinkEnabled": true})), || "x".into()).unwrap_err();
        assert_eq!(err.0, "publicLinkEnabled");
        for limit in [json!(0), json!(10_001), json!("5")] {
            let err = public_link(&Map::new(), &mut map(json!({"publicLinkLimit": limit})), || "x".into());
            assert_eq!(err.unwrap_err().0, "publicLinkLimit");
        }
        let err = public_link(&Map::new(), &mut map(json!({"publicLinkLimitEnabled": true})), || "x".into());
        assert_eq!(err.unwrap_err().0, "publicLinkLimit", "a limit switched on needs its number");
    }

    #[test]
    fn f2_testers_accept_and_install_only_after_an_invitation() {
        let tester = |state: &str| resource("betaTesters", json!({ "state": state }));
        assert!(tester_moved(&tester("NOT_INVITED"), "ACCEPTED").is_err());
        assert_eq!(tester_moved(&tester("INVITED"), "ACCEPTED").unwrap().attributes["state"], "ACCEPTED");
        assert_eq!(tester_moved(&tester("ACCEPTED"), "INSTALLED").unwrap().attributes["state"], "INSTALLED");
        assert!(tester_moved(&tester("INSTALLED"), "ACCEPTED").is_err(), "no way back");
        assert!(tester_moved(&tester("REVOKED"), "INSTALLED").is_err());
        assert!(tester_moved(&tester("INVITED"), "NOT_INVITED").is_err(), "not a tester's move");
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
