//! Spec F2 through the binary: `keyward admin build add` (under the app's pre-release version,
//! reused for the same version), and an uploaded build that stays `PROCESSING` for the configured
//! delay (`KEYWARD_BUILD_PROCESSING_SECONDS`) and then becomes `VALID` without any request; a
//! review response (F4) is published after the same delay. Testers' own moves come from test
//! mode and `keyward admin tester move`.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use crate::common::send;

cli_test!(
    f2_builds_are_added_by_the_cli_and_uploads_are_processed_after_the_delay,
    |kw: crate::common::Keyward| async move {
        let seed = crate::seeds::example(&kw);
        kw.ok(&["admin", "seed", &seed]);
        // `admin build add` for the example app's version 3.0, with `extra` options.
        let add = |app: &str, number: &str, extra: &[&str]| {
            let mut args = vec!["admin", "build", "add", "--team", "Acme", "--app", app, "--version", "3.0"];
            args.extend(["--build-number", number, "--json"]);
            args.extend(extra);
            kw.run(&args)
        };
        let first = add("com.acme.fizz", "300", &[]).json();
        assert_eq!((first["processing_state"].as_str(), first["app"].as_str()), (Some("VALID"), Some("1500000001")));
        let second = add("1500000001", "301", &[]).json();
        assert_eq!(second["pre_release_version"], first["pre_release_version"], "one pre-release version per version");
        let bad = add("com.acme.fizz", "302", &["--state", "DONE"]);
        assert_eq!(bad.code, 2, "{bad:?}");
        let unknown = add("com.nobody", "1", &[]);
        assert_eq!(unknown.code, 1, "{unknown:?}");
        let misplaced = add("com.acme.fizz", "302", &["--processing-seconds", "5"]);
        assert_eq!(misplaced.code, 2, "a VALID build has no processing time: {misplaced:?}");
        // Added while no server runs: the first node to start finishes it.
        let pending = add("com.acme.fizz", "303", &["--state", "PROCESSING", "--processing-seconds", "0"]).json();
        assert_eq!(pending["processing_state"], "PROCESSING");

        let server = kw.serve_with(&[], &[("KEYWARD_BUILD_PROCESSING_SECONDS", "1")]);
        let token = crate::seeds::token(&kw);
        let base = server.base.clone();
        let (status, build) =
            send(reqwest::Method::GET, format!("{base}/v1/builds/{}", first["id"].as_str().unwrap()), &token, None)
                .await;
        assert_eq!((status, build["data"]["attributes"]["version"].as_str()), (200, Some("300")), "{build}");
        // A build the CLI adds as VALID is ready for beta review, like a processed upload.
        let submit = json!({"data": {"type": "betaAppReviewSubmissions",
            "relationships": {"build": {"data": {"type": "builds", "id": first["id"]}}}}});
        let (status, body) =
            send(reqwest::Method::POST, format!("{base}/v1/betaAppReviewSubmissions"), &token, Some(submit)).await;
        assert_eq!(status, 201, "{body}");
        let pending = format!("{base}/v1/builds/{}", pending["id"].as_str().unwrap());
        crate::common::until_attribute(&pending, &token, "processingState", "VALID").await;

        crate::common::upload_four_bytes(&base, &token, "3.1", "310").await;
        let (_, builds) =
            send(reqwest::Method::GET, format!("{base}/v1/builds?filter[version]=310"), &token, None).await;
        assert_eq!(builds["data"][0]["attributes"]["processingState"], "PROCESSING", "for the configured delay");
        let build = builds["data"][0]["id"].as_str().unwrap();
        crate::common::until_attribute(&format!("{base}/v1/builds/{build}"), &token, "processingState", "VALID").await;

        // The processed build has its beta detail, ready for beta review.
        let (_, detail) =
            send(reqwest::Method::GET, format!("{base}/v1/builds/{build}/buildBetaDetail"), &token, None).await;
        assert_eq!(detail["data"]["attributes"]["externalBuildState"], "READY_FOR_BETA_SUBMISSION", "{detail}");

        // F4: a review response is published after the same delay, by the same loop.
        let body = json!({"data": {"type": "customerReviewResponses", "attributes": {"responseBody": "Thanks!"},
            "relationships": {"review": {"data": {"type": "customerReviews", "id": "acme-review-1"}}}}});
        let (status, response) =
            send(reqwest::Method::POST, format!("{base}/v1/customerReviewResponses"), &token, Some(body)).await;
        assert_eq!((status, response["data"]["attributes"]["state"].as_str()), (201, Some("PENDING_PUBLISH")));
        let own = format!("{base}/v1/customerReviewResponses/{}", response["data"]["id"].as_str().unwrap());
        crate::common::until_attribute(&own, &token, "state", "PUBLISHED").await;
    }
);

cli_test!(f2_testers_moves_come_from_test_mode_and_the_cli, |kw: crate::common::Keyward| async move {
    let seed = crate::seeds::example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[]);
    let base = server.base.clone();
    let token = crate::seeds::token(&kw);
    let tester = json!({"data": {"type": "betaTesters", "attributes": {"email": "pat@acme.test"},
        "relationships": {"betaGroups": {"data": []}}}});
    let (status, tester) = send(reqwest::Method::POST, format!("{base}/v1/betaTesters"), &token, Some(tester)).await;
    assert_eq!(status, 201, "{tester}");
    let id = tester["data"]["id"].as_str().unwrap().to_owned();
    let own = format!("{base}/v1/betaTesters/{id}");
    let state = || async {
        send(reqwest::Method::GET, own.clone(), &token, None).await.1["data"]["attributes"]["state"].clone()
    };
    let moved = |state: &str| {
        reqwest::Client::new().post(format!("{base}/_keyward/testers/{id}")).json(&json!({ "state": state }))
    };
    assert_eq!(moved("ACCEPTED").send().await.unwrap().status().as_u16(), 409, "not invited yet");
    let invite = json!({"data": {"type": "betaTesterInvitations", "relationships": {
        "betaTester": {"data": {"type": "betaTesters", "id": id}},
        "app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    let (status, body) =
        send(reqwest::Method::POST, format!("{base}/v1/betaTesterInvitations"), &token, Some(invite)).await;
    assert_eq!(status, 201, "{body}");
    let cross = moved("ACCEPTED").header("origin", "https://evil.test").send().await.unwrap();
    assert_eq!(cross.status().as_u16(), 403, "a web page cannot move a tester");
    assert_eq!(moved("SOLD").send().await.unwrap().status().as_u16(), 409);
    assert_eq!(state().await, "INVITED");
    assert_eq!(moved("ACCEPTED").send().await.unwrap().status().as_u16(), 200);
    assert_eq!(state().await, "ACCEPTED");

    let installed = kw.ok(&["admin", "tester", "move", &id, "--to", "INSTALLED", "--json"]).json();
    assert_eq!(installed["moved"], "INSTALLED");
    assert_eq!(kw.run(&["admin", "tester", "move", &id, "--to", "ACCEPTED"]).code, 1, "no way back");
    assert_eq!(kw.run(&["admin", "tester", "move", &id, "--to", "NOT_INVITED"]).code, 2);
    assert_eq!(kw.run(&["admin", "tester", "move", "no-such-tester", "--to", "ACCEPTED"]).code, 1);
    crate::common::until_attribute(&own, &token, "state", "INSTALLED").await; // the CLI's move reaches the server
});
