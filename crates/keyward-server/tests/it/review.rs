//! Release (spec F3) over real HTTP, on SQLite and PostgreSQL: a review submission is put
//! together, submitted (its App Store version follows), moved by App Review in its order, and an
//! approved version released; impossible moves and racing submits change nothing twice.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

async fn get(srv: &Server, path: &str, token: &str) -> Value {
    parts(srv.get(path, token).await).await.2
}

/// An App Store version of `app` made through the API, `PREPARE_FOR_SUBMISSION`.
async fn version(srv: &Server, token: &str, app: &str) -> String {
    let body = json!({"data": {"type": "appStoreVersions", "attributes": {"platform": "IOS", "versionString": "1.0"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (status, made) = srv.json(Method::POST, "/v1/appStoreVersions", token, body).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["data"]["attributes"]["appStoreState"], "PREPARE_FOR_SUBMISSION");
    made["data"]["id"].as_str().unwrap().to_owned()
}

/// A build of `app`, as an upload would leave it.
async fn build(srv: &Server, team: keyward_core::ids::TeamId, app: &str) -> String {
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::{Link, Resource};
    let now = time::OffsetDateTime::now_utc();
    let mut attributes = serde_json::Map::new();
    attributes.insert("version".into(), json!("100"));
    attributes.insert("processingState".into(), json!("VALID"));
    let build = Resource {
        team_id: team,
        kind: "builds".into(),
        id: "b-100".into(),
        app: None,
        attributes,
        relationships: [("app".to_owned(), vec![Link { kind: "apps".into(), id: app.to_owned() }])]
            .into_iter()
            .collect(),
        created_at: now,
        updated_at: now,
    };
    srv.store().create_resource(build, Default::default()).await.unwrap();
    srv.sync().await;
    "b-100".into()
}

server_test!(f3_a_submission_goes_through_review_in_app_reviews_order, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "APP_MANAGER").await.token();
    let version = version(&srv, &token, &app).await;
    let body = json!({"data": {"type": "reviewSubmissions", "attributes": {"platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (status, submission) = srv.json(Method::POST, "/v1/reviewSubmissions", &token, body.clone()).await;
    assert_eq!(status, 201, "{submission}");
    assert_eq!(submission["data"]["attributes"]["state"], "READY_FOR_REVIEW");
    let id = submission["data"]["id"].as_str().unwrap().to_owned();
    let (status, second) = srv.json(Method::POST, "/v1/reviewSubmissions", &token, body).await;
    assert_eq!((status, second["errors"][0]["code"].as_str()), (409, Some("STATE_ERROR")), "one open per platform");

    let item = json!({"data": {"type": "reviewSubmissionItems", "relationships": {
        "reviewSubmission": {"data": {"type": "reviewSubmissions", "id": id}},
        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version}}}}});
    let (status, body) = srv.json(Method::POST, "/v1/reviewSubmissionItems", &token, item.clone()).await;
    assert_eq!(status, 409, "a version without a build: {body}");
    let build = build(&srv, team.team.id, &app).await;
    let attach = json!({"data": {"type": "builds", "id": build}});
    let path = format!("/v1/appStoreVersions/{version}/relationships/build");
    assert_eq!(srv.json(Method::PATCH, &path, &token, attach).await.0, 204);
    let (status, body) = srv.json(Method::POST, "/v1/reviewSubmissionItems", &token, item).await;
    assert_eq!(status, 201, "{body}");

    // Two racing submits: one moves the submission, the other is refused.
    let submit = json!({"data": {"type": "reviewSubmissions", "id": id, "attributes": {"submitted": true}}});
    let own = format!("/v1/reviewSubmissions/{id}");
    let (a, b) = futures::join!(
        srv.json(Method::PATCH, &own, &token, submit.clone()),
        srv.json(Method::PATCH, &own, &token, submit.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let after = get(&srv, &own, &token).await;
    assert_eq!(after["data"]["attributes"]["state"], "WAITING_FOR_REVIEW", "{after}");
    assert!(after["data"]["attributes"]["submittedDate"].is_string(), "{after}");
    let v = get(&srv, &format!("/v1/appStoreVersions/{version}"), &token).await;
    assert_eq!(v["data"]["attributes"]["appStoreState"], "WAITING_FOR_REVIEW", "{v}");

    // App Review's moves, in order; an impossible one changes nothing.
    use keyward_core::review::Move;
    let impossible = srv.store().move_review(&id, Move::Approve, "now", "").await;
    assert!(impossible.is_err(), "approved before review: {impossible:?}");
    srv.store().move_review(&id, Move::StartReview, "now", "").await.unwrap();
    srv.store().move_review(&id, Move::Approve, "now", "").await.unwrap();
    srv.sync().await;
    assert_eq!(get(&srv, &own, &token).await["data"]["attributes"]["state"], "COMPLETE");
    let v = get(&srv, &format!("/v1/appStoreVersions/{version}"), &token).await;
    assert_eq!(v["data"]["attributes"]["appStoreState"], "PENDING_DEVELOPER_RELEASE", "{v}");
    let (_, items) = (0, get(&srv, &format!("{own}/items"), &token).await);
    assert_eq!(items["data"][0]["attributes"]["state"], "APPROVED", "{items}");

    // The developer releases it.
    let release = json!({"data": {"type": "appStoreVersionReleaseRequests", "relationships": {
        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version}}}}});
    let (status, body) = srv.json(Method::POST, "/v1/appStoreVersionReleaseRequests", &token, release.clone()).await;
    assert_eq!(status, 201, "{body}");
    let v = get(&srv, &format!("/v1/appStoreVersions/{version}"), &token).await;
    assert_eq!(v["data"]["attributes"]["appStoreState"], "READY_FOR_SALE", "{v}");
    assert_eq!(v["data"]["attributes"]["appVersionState"], "READY_FOR_DISTRIBUTION", "{v}");
    let (status, _) = srv.json(Method::POST, "/v1/appStoreVersionReleaseRequests", &token, release).await;
    assert_eq!(status, 409, "released once");
});

server_test!(f3_a_canceled_submission_returns_its_version_to_the_developer, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "ADMIN").await.token();
    let version = version(&srv, &token, &app).await;
    let build = build(&srv, team.team.id, &app).await;
    let path = format!("/v1/appStoreVersions/{version}/relationships/build");
    srv.json(Method::PATCH, &path, &token, json!({"data": {"type": "builds", "id": build}})).await;
    let body = json!({"data": {"type": "reviewSubmissions", "attributes": {"platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (_, submission) = srv.json(Method::POST, "/v1/reviewSubmissions", &token, body).await;
    let id = submission["data"]["id"].as_str().unwrap().to_owned();
    let own = format!("/v1/reviewSubmissions/{id}");
    let submit = json!({"data": {"type": "reviewSubmissions", "id": id, "attributes": {"submitted": true}}});
    let (status, body) = srv.json(Method::PATCH, &own, &token, submit.clone()).await;
    assert_eq!(status, 409, "nothing to submit: {body}");
    let item = json!({"data": {"type": "reviewSubmissionItems", "relationships": {
        "reviewSubmission": {"data": {"type": "reviewSubmissions", "id": id}},
        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version}}}}});
    srv.json(Method::POST, "/v1/reviewSubmissionItems", &token, item).await;
    assert_eq!(srv.json(Method::PATCH, &own, &token, submit).await.0, 200);
    let cancel = json!({"data": {"type": "reviewSubmissions", "id": id, "attributes": {"canceled": true}}});
    let (status, body) = srv.json(Method::PATCH, &own, &token, cancel).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["state"], "COMPLETE", "{body}");
    let v = get(&srv, &format!("/v1/appStoreVersions/{version}"), &token).await;
    assert_eq!(v["data"]["attributes"]["appStoreState"], "DEVELOPER_REJECTED", "{v}");
});

// A4 and one submission per app: another app's version cannot ride along in a submission.
server_test!(f3_a_submission_takes_only_its_own_apps_versions, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let fizz = srv.app(&team, "Fizz").await.to_string();
    let buzz = srv.app(&team, "Buzz").await.to_string();
    let token = srv.team_key(&team, "ADMIN").await.token();
    let version = version(&srv, &token, &buzz).await;
    let build = build(&srv, team.team.id, &buzz).await;
    let path = format!("/v1/appStoreVersions/{version}/relationships/build");
    srv.json(Method::PATCH, &path, &token, json!({"data": {"type": "builds", "id": build}})).await;
    let body = json!({"data": {"type": "reviewSubmissions", "attributes": {"platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": fizz}}}}});
    let (_, submission) = srv.json(Method::POST, "/v1/reviewSubmissions", &token, body).await;
    let item = json!({"data": {"type": "reviewSubmissionItems", "relationships": {
        "reviewSubmission": {"data": {"type": "reviewSubmissions", "id": submission["data"]["id"]}},
        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version}}}}});
    let (status, body) = srv.json(Method::POST, "/v1/reviewSubmissionItems", &token, item).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (409, Some("STATE_ERROR")), "{body}");
});
