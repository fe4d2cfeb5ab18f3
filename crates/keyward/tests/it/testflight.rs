//! Spec F2 through the binary: `keyward admin build add` (under the app's pre-release version,
//! reused for the same version), and an uploaded build that stays `PROCESSING` for the configured
//! delay (`KEYWARD_BUILD_PROCESSING_SECONDS`) and then becomes `VALID` without any request; a
//! review response (F4) is published after the same delay.
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

        let server = kw.serve_with(&[], &[("KEYWARD_BUILD_PROCESSING_SECONDS", "1")]);
        let token = crate::seeds::token(&kw);
        let base = server.base.clone();
        let (status, build) =
            send(reqwest::Method::GET, format!("{base}/v1/builds/{}", first["id"].as_str().unwrap()), &token, None)
                .await;
        assert_eq!((status, build["data"]["attributes"]["version"].as_str()), (200, Some("300")), "{build}");

        let body = json!({"data": {"type": "buildUploads",
        "attributes": {"cfBundleShortVersionString": "3.1", "cfBundleVersion": "310", "platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
        let (_, upload) = send(reqwest::Method::POST, format!("{base}/v1/buildUploads"), &token, Some(body)).await;
        let body = json!({"data": {"type": "buildUploadFiles",
        "attributes": {"fileName": "Fizz.ipa", "fileSize": 4, "uti": "com.apple.ipa", "assetType": "ASSET"},
        "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": upload["data"]["id"]}}}}});
        let (_, file) = send(reqwest::Method::POST, format!("{base}/v1/buildUploadFiles"), &token, Some(body)).await;
        let url = file["data"]["attributes"]["uploadOperations"][0]["url"].as_str().unwrap().to_owned();
        assert_eq!(reqwest::Client::new().put(url).body("abcd").send().await.unwrap().status().as_u16(), 200);
        let id = file["data"]["id"].as_str().unwrap();
        let sha = "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589";
        let body = json!({"data": {"type": "buildUploadFiles", "id": id, "attributes": {"uploaded": true,
        "sourceFileChecksums": {"file": {"hash": sha, "algorithm": "SHA_256"}}}}});
        let (status, done) =
            send(reqwest::Method::PATCH, format!("{base}/v1/buildUploadFiles/{id}"), &token, Some(body)).await;
        assert_eq!(status, 200, "{done}");
        let state = || async {
            let (_, builds) =
                send(reqwest::Method::GET, format!("{base}/v1/builds?filter[version]=310"), &token, None).await;
            builds["data"][0]["attributes"]["processingState"].as_str().unwrap_or_default().to_owned()
        };
        assert_eq!(state().await, "PROCESSING", "processing for the configured delay");
        let mut waited = 0;
        while state().await != "VALID" {
            assert!(waited < 100, "still not VALID after 10 s");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }

        // The processed build has its beta detail, ready for beta review.
        let (_, builds) =
            send(reqwest::Method::GET, format!("{base}/v1/builds?filter[version]=310"), &token, None).await;
        let build = builds["data"][0]["id"].as_str().unwrap();
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
        let mut waited = 0;
        while send(reqwest::Method::GET, own.clone(), &token, None).await.1["data"]["attributes"]["state"]
            != "PUBLISHED"
        {
            assert!(waited < 100, "still not PUBLISHED after 10 s");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }
    }
);
