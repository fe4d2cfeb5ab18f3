//! TestFlight's states (spec F2) beyond the upload: a processed build gets its beta detail, a
//! beta app review submission moves the detail to `WAITING_FOR_BETA_REVIEW` (App Review's moves
//! follow from test mode and the CLI, `Store::move_review`), and a tester invitation makes the
//! tester `INVITED` (the tester's own moves follow from test mode and the CLI,
//! `Store::move_tester`); a build has one localization per locale. What each move does is
//! `keyward_core::testflight`'s.

use keyward_core::ids::TeamId;
use keyward_core::resource::{AlsoWrite, Guard, Link, Resource, ResourceUpdate, WriteRules};
use keyward_core::testflight;
use serde_json::{Map, Value, json};

use super::{Call, linked};
use crate::error::ApiError;

/// The beta detail of a build that becomes `VALID` now, to write with that change.
pub(super) fn detail_of(team: TeamId, build_id: &str, now: time::OffsetDateTime) -> AlsoWrite {
    AlsoWrite::Create(Resource {
        team_id: team,
        kind: "buildBetaDetails".into(),
        id: super::super::new_id("buildBetaDetails"),
        app: None,
        attributes: testflight::new_detail(),
        relationships: [("build".to_owned(), vec![Link { kind: "builds".into(), id: build_id.to_owned() }])]
            .into_iter()
            .collect(),
        created_at: now,
        updated_at: now,
    })
}

/// `POST /v1/betaAppReviewSubmissions`: a processed build, ready for beta submission, goes to
/// beta review; its detail follows, guarded on the state it was read in.
pub(super) fn before_create_beta_submission(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    let team = call.key.team_id;
    let (build, detail) = {
        let index = call.state.replica.resources();
        let build = linked(links, "build").and_then(|l| index.get(team, "builds", &l.id)).ok_or_else(|| {
            ApiError::entity(
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "A beta review submission names its build.".into(),
                "/data/relationships/build",
            )
        })?;
        let detail = index.referring(team, "builds", &build.id, "buildBetaDetails").into_iter().next();
        (build, detail)
    };
    let detail =
        detail.ok_or_else(|| ApiError::state("The build has no beta detail yet: it is not processed.".into()))?;
    let update: ResourceUpdate = testflight::submit(&build, &detail).map_err(|e| ApiError::state(e.to_string()))?;
    let now = super::dates(0).0;
    attributes.insert("betaReviewState".into(), json!("WAITING_FOR_REVIEW"));
    attributes.insert("submittedDate".into(), json!(now));
    let old = detail.attributes.get("externalBuildState").cloned().unwrap_or(Value::Null);
    let guards = vec![Guard::Was {
        attribute: "externalBuildState".into(),
        values: vec![old.clone()],
        detail: "The build's beta state changed meanwhile; read it again.".into(),
    }];
    let mut also = vec![AlsoWrite::Update { kind: detail.kind.clone(), id: detail.id.clone(), update, guards }];
    also.extend(super::webhooks::events(
        &super::webhooks::base_of(call),
        build.link("app").first(),
        "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED",
        json!({ "oldValue": old, "newValue": "WAITING_FOR_BETA_REVIEW", "timestamp": now }),
        ("buildBetaDetails", &detail.id),
    ));
    Ok(WriteRules { also, ..WriteRules::default() })
}

/// `POST /v1/betaTesterInvitations`: a tester not invited yet (or whose access was revoked) is
/// `INVITED`; one who has accepted or installed stays so, as an invitation sent again at Apple.
pub(super) fn before_create_invitation(call: &Call<'_>, links: &[(String, Vec<Link>)]) -> WriteRules {
    const INVITABLE: [&str; 2] = ["NOT_INVITED", "REVOKED"];
    let Some(tester) = linked(links, "betaTester") else { return WriteRules::default() };
    let known = call.state.replica.resources().get(call.key.team_id, &tester.kind, &tester.id);
    let state = known.and_then(|t| t.attributes.get("state").and_then(Value::as_str).map(str::to_owned));
    if state.is_some_and(|s| !INVITABLE.contains(&s.as_str())) {
        return WriteRules::default();
    }
    let mut update = ResourceUpdate::default();
    update.attributes.insert("state".into(), json!("INVITED"));
    let guards = vec![Guard::Was {
        attribute: "state".into(),
        values: INVITABLE.iter().map(|s| json!(s)).chain([Value::Null]).collect(),
        detail: "The tester's state changed meanwhile; read it again.".into(),
    }];
    let also = vec![AlsoWrite::Update { kind: tester.kind, id: tester.id, update, guards }];
    WriteRules { also, ..WriteRules::default() }
}

/// A new tester is `NOT_INVITED`, invited by email unless the body says otherwise.
pub(super) fn before_create_tester(attributes: &mut Map<String, Value>) -> WriteRules {
    attributes.insert("state".into(), json!("NOT_INVITED"));
    attributes.entry("inviteType").or_insert(json!("EMAIL"));
    WriteRules::default()
}

/// `POST /v1/betaBuildLocalizations`: one per locale of a build.
pub(super) fn before_create_localization(attributes: &Map<String, Value>, links: &[(String, Vec<Link>)]) -> WriteRules {
    let Some(locale) = attributes.get("locale").filter(|l| !l.is_null()) else { return WriteRules::default() };
    let guards = vec![Guard::UniqueAmong {
        attribute: "locale".into(),
        value: locale.clone(),
        relationship: "build".into(),
        scope: linked(links, "build").into_iter().collect(),
        detail: format!("The build already has a localization for {locale}."),
    }];
    WriteRules { guards, ..WriteRules::default() }
}
