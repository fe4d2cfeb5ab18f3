//! Spec F3 through the binary: a submission of the example seed's version, submitted through the
//! API, moved by App Review through test mode's `POST /_keyward/review/{id}` and the CLI's
//! `admin review move`, in App Review's order; impossible moves and cross-site posts refused.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::common::send;

cli_test!(f3_app_reviews_moves_come_from_test_mode_and_the_cli, |kw: crate::common::Keyward| async move {
    let seed = crate::seeds::example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[]);
    let base = server.base.clone();
    let token = crate::seeds::token(&kw);
    let body = json!({"data": {"type": "reviewSubmissions", "attributes": {"platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    let (status, submission) =
        send(reqwest::Method::POST, format!("{base}/v1/reviewSubmissions"), &token, Some(body)).await;
    assert_eq!(status, 201, "{submission}");
    let id = submission["data"]["id"].as_str().unwrap().to_owned();
    let item = json!({"data": {"type": "reviewSubmissionItems", "relationships": {
        "reviewSubmission": {"data": {"type": "reviewSubmissions", "id": id}},
        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": "acme-version-1-0"}}}}});
    assert_eq!(
        send(reqwest::Method::POST, format!("{base}/v1/reviewSubmissionItems"), &token, Some(item)).await.0,
        201
    );
    let submit = json!({"data": {"type": "reviewSubmissions", "id": id, "attributes": {"submitted": true}}});
    let own = format!("{base}/v1/reviewSubmissions/{id}");
    assert_eq!(send(reqwest::Method::PATCH, own.clone(), &token, Some(submit)).await.0, 200);

    let review = |state: &str| {
        reqwest::Client::new().post(format!("{base}/_keyward/review/{id}")).json(&json!({ "state": state }))
    };
    // A web page cannot move it; App Review does not approve what it has not reviewed.
    let cross = review("IN_REVIEW").header("origin", "https://evil.test").send().await.unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    assert_eq!(review("APPROVED").send().await.unwrap().status().as_u16(), 409);
    assert_eq!(review("DONE").send().await.unwrap().status().as_u16(), 409);
    assert_eq!(review("IN_REVIEW").send().await.unwrap().status().as_u16(), 200);
    let version = format!("{base}/v1/appStoreVersions/acme-version-1-0");
    let (_, v) = send(reqwest::Method::GET, version.clone(), &token, None).await;
    assert_eq!(v["data"]["attributes"]["appStoreState"], "IN_REVIEW", "{v}");

    let moved = kw.ok(&["admin", "review", "move", &id, "--to", "REJECTED", "--json"]).json();
    assert_eq!(moved["moved"], "REJECTED");
    assert_eq!(kw.run(&["admin", "review", "move", &id, "--to", "APPROVED"]).code, 1, "rejected is not in review");
    assert_eq!(kw.run(&["admin", "review", "move", &id, "--to", "SOLD"]).code, 2);
    let mut seen = Value::Null;
    for _ in 0..50 {
        seen = send(reqwest::Method::GET, version.clone(), &token, None).await.1;
        if seen["data"]["attributes"]["appStoreState"] == "REJECTED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen["data"]["attributes"]["appStoreState"], "REJECTED", "the CLI's move reaches the server: {seen}");
    let (_, s) = send(reqwest::Method::GET, own, &token, None).await;
    assert_eq!(s["data"]["attributes"]["state"], "UNRESOLVED_ISSUES", "{s}");
});
