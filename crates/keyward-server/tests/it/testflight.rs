//! TestFlight (spec F2) over real HTTP, on SQLite and PostgreSQL: Apple's REST build upload makes
//! a build under a pre-release version once the bytes are in and their checksum matches; upload
//! URLs need their secret and no token; bad checksums, missing bytes and oversized bodies are
//! Apple's errors and change nothing. Beta groups, testers, beta review and build localizations
//! keep TestFlight's rules.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn builds_of(srv: &Server, token: &str, app: &str) -> Value {
    parts(srv.get(&format!("/v1/apps/{app}/builds"), token).await).await.2
}

server_test!(f2_apples_rest_upload_makes_a_build_once_the_checksum_matches, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "APP_MANAGER").await.token();
    let body = json!({"data": {"type": "buildUploads",
        "attributes": {"cfBundleShortVersionString": "1.2", "cfBundleVersion": "42", "platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (status, upload) = srv.json(Method::POST, "/v1/buildUploads", &token, body).await;
    assert_eq!(status, 201, "{upload}");
    assert_eq!(upload["data"]["attributes"]["state"]["state"], "AWAITING_UPLOAD");
    let upload_id = upload["data"]["id"].as_str().unwrap().to_owned();
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let body = json!({"data": {"type": "buildUploadFiles",
        "attributes": {"fileName": "Fizz.ipa", "fileSize": bytes.len(), "uti": "com.apple.ipa", "assetType": "ASSET"},
        "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": upload_id}}}}});
    let (status, file) = srv.json(Method::POST, "/v1/buildUploadFiles", &token, body).await;
    assert_eq!(status, 201, "{file}");
    let file_id = file["data"]["id"].as_str().unwrap().to_owned();
    let operation = &file["data"]["attributes"]["uploadOperations"][0];
    assert_eq!((operation["method"].as_str(), operation["length"].as_u64()), (Some("PUT"), Some(bytes.len() as u64)));
    let url = operation["url"].as_str().unwrap().to_owned();
    assert!(file["data"]["attributes"].get("_uploadSecret").is_none(), "internal attributes are never shown");

    let patch = |hash: &str| {
        json!({"data": {"type": "buildUploadFiles", "id": file_id, "attributes": {
            "uploaded": true, "sourceFileChecksums": {"file": {"hash": hash, "algorithm": "MD5"}}}}})
    };
    let file_path = format!("/v1/buildUploadFiles/{file_id}");
    // Marked uploaded before the bytes: refused, nothing made.
    let (status, body) = srv.json(Method::PATCH, &file_path, &token, patch(&md5_hex(&bytes))).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (409, Some("STATE_ERROR")), "{body}");
    let client = reqwest::Client::new();
    // The URL is the authority: a wrong secret is refused like an unknown file.
    let forged = format!("{}x", url);
    // (Small bodies: a refusal answers before reading the body and closes the connection.)
    assert_eq!(client.put(&forged).body("x").send().await.unwrap().status().as_u16(), 403);
    let unknown = url.replace(&file_id, "no-such-file");
    assert_eq!(client.put(&unknown).body("x").send().await.unwrap().status().as_u16(), 403);
    let put =
        client.put(&url).header("content-type", "application/octet-stream").body(bytes.clone()).send().await.unwrap();
    assert_eq!(put.status().as_u16(), 200);
    assert_eq!(put.headers()["etag"], format!("\"{}\"", md5_hex(&bytes)));
    // A checksum of other bytes: Apple's 409 at the checksum, no build.
    let (status, body) = srv.json(Method::PATCH, &file_path, &token, patch(&md5_hex(b"other"))).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/sourceFileChecksums", "{body}");
    assert_eq!(builds_of(&srv, &token, &app).await["data"], json!([]));
    // The right one, twice at once: the file is complete once, and one build appears, processing,
    // under 1.2.
    let right = patch(&md5_hex(&bytes).to_uppercase());
    let (a, b) = futures::join!(
        srv.json(Method::PATCH, &file_path, &token, right.clone()),
        srv.json(Method::PATCH, &file_path, &token, right.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let body = if a.0 == 200 { a.1 } else { b.1 };
    assert_eq!(body["data"]["attributes"]["assetDeliveryState"]["state"], "COMPLETE", "{body}");
    let builds = builds_of(&srv, &token, &app).await;
    assert_eq!(builds["data"].as_array().unwrap().len(), 1, "{builds}");
    let build = &builds["data"][0];
    assert_eq!(build["attributes"]["version"], "42");
    assert_eq!(build["attributes"]["processingState"], "PROCESSING");
    let build_id = build["id"].as_str().unwrap();
    let (_, _, version) = parts(srv.get(&format!("/v1/builds/{build_id}/preReleaseVersion"), &token).await).await;
    assert_eq!(version["data"]["attributes"]["version"], "1.2", "{version}");
    let (_, _, upload) = parts(srv.get(&format!("/v1/buildUploads/{upload_id}?include=build"), &token).await).await;
    assert_eq!(upload["data"]["attributes"]["state"]["state"], "PROCESSING", "{upload}");
    assert_eq!(upload["included"][0]["id"], build_id, "{upload}");
    // Marked uploaded twice, or bytes sent again after: refused.
    let (status, _) = srv.json(Method::PATCH, &file_path, &token, patch(&md5_hex(&bytes))).await;
    assert_eq!(status, 409);
    assert_eq!(client.put(&url).body("x").send().await.unwrap().status().as_u16(), 409);
    // A file for a finished upload is refused.
    let body = json!({"data": {"type": "buildUploadFiles",
        "attributes": {"fileName": "More.ipa", "fileSize": 10, "uti": "com.apple.ipa", "assetType": "ASSET"},
        "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": upload_id}}}}});
    let (status, body) = srv.json(Method::POST, "/v1/buildUploadFiles", &token, body).await;
    assert_eq!(status, 409, "{body}");
});

server_test!(f2_another_team_cannot_see_or_complete_an_upload, |srv: Server| async move {
    let acme = srv.team("Acme").await;
    let app = srv.app(&acme, "Fizz").await.to_string();
    let token = srv.team_key(&acme, "ADMIN").await.token();
    let other = srv.team("Globex").await;
    let intruder = srv.team_key(&other, "ADMIN").await.token();
    let body = json!({"data": {"type": "buildUploads",
        "attributes": {"cfBundleShortVersionString": "1.0", "cfBundleVersion": "1", "platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (_, upload) = srv.json(Method::POST, "/v1/buildUploads", &token, body).await;
    let upload_id = upload["data"]["id"].as_str().unwrap();
    let body = json!({"data": {"type": "buildUploadFiles",
        "attributes": {"fileName": "x.ipa", "fileSize": 3, "uti": "com.apple.ipa", "assetType": "ASSET"},
        "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": upload_id}}}}});
    let (status, _) = srv.json(Method::POST, "/v1/buildUploadFiles", &intruder, body.clone()).await;
    assert_eq!(status, 409, "another team's upload is no upload of Globex");
    let (_, file) = srv.json(Method::POST, "/v1/buildUploadFiles", &token, body).await;
    let file_id = file["data"]["id"].as_str().unwrap();
    let patch = json!({"data": {"type": "buildUploadFiles", "id": file_id, "attributes": {"uploaded": true}}});
    let (status, _) = srv.json(Method::PATCH, &format!("/v1/buildUploadFiles/{file_id}"), &intruder, patch).await;
    assert_eq!(status, 404);
    let (status, _, _) = parts(srv.get(&format!("/v1/buildUploads/{upload_id}"), &intruder).await).await;
    assert_eq!(status, 404);
});

/// An upload of version `version` (`number`) of `app` with one 4-byte binary file awaiting its
/// bytes: the file's ID and upload URL.
async fn four_byte_upload(srv: &Server, token: &str, app: &str, version: &str, number: &str) -> (String, String) {
    let body = json!({"data": {"type": "buildUploads",
        "attributes": {"cfBundleShortVersionString": version, "cfBundleVersion": number, "platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (_, upload) = srv.json(Method::POST, "/v1/buildUploads", token, body).await;
    let body = json!({"data": {"type": "buildUploadFiles",
        "attributes": {"fileName": "x.ipa", "fileSize": 4, "uti": "com.apple.ipa", "assetType": "ASSET"},
        "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": upload["data"]["id"]}}}}});
    let (_, file) = srv.json(Method::POST, "/v1/buildUploadFiles", token, body).await;
    let url = file["data"]["attributes"]["uploadOperations"][0]["url"].as_str().unwrap().to_owned();
    (file["data"]["id"].as_str().unwrap().to_owned(), url)
}

server_test!(f2_more_bytes_than_declared_are_refused_before_they_are_read, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "ADMIN").await.token();
    let (file, url) = four_byte_upload(&srv, &token, &app, "1.0", "7").await;
    let put = reqwest::Client::new().put(&url).body("abcde").send().await.unwrap();
    assert_eq!(put.status().as_u16(), 413);
    let (_, _, read) = parts(srv.get(&format!("/v1/buildUploadFiles/{file}"), &token).await).await;
    assert_eq!(read["data"]["attributes"]["assetDeliveryState"]["state"], "AWAITING_UPLOAD", "{read}");
    assert_eq!(reqwest::Client::new().put(&url).body("abcd").send().await.unwrap().status().as_u16(), 200);
});

/// A build of `app` as processing leaves it: `VALID`, with its beta detail (IDs `b-APP`, `d-APP`).
async fn processed_build(srv: &Server, team: keyward_core::ids::TeamId, app: &str) -> (String, String) {
    let (build, detail) = (format!("b-{app}"), format!("d-{app}"));
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::{Link, Resource};
    let now = time::OffsetDateTime::now_utc();
    let resource = |kind: &str, id: &str, attributes: serde_json::Map<String, Value>, link: (&str, Link)| Resource {
        team_id: team,
        kind: kind.into(),
        id: id.into(),
        app: None,
        attributes,
        relationships: [(link.0.to_owned(), vec![link.1])].into_iter().collect(),
        created_at: now,
        updated_at: now,
    };
    let build = resource(
        "builds",
        &build,
        json!({"version": "1", "processingState": "VALID"}).as_object().cloned().unwrap(),
        ("app", Link { kind: "apps".into(), id: app.to_owned() }),
    );
    let detail = resource(
        "buildBetaDetails",
        &detail,
        keyward_core::testflight::new_detail(),
        ("build", Link { kind: "builds".into(), id: build.id.clone() }),
    );
    let ids = (build.id.clone(), detail.id.clone());
    srv.store().create_resource(build, Default::default()).await.unwrap();
    srv.store().create_resource(detail, Default::default()).await.unwrap();
    srv.sync().await;
    ids
}

server_test!(f2_beta_review_and_tester_invitations_move_their_states, |srv: Server| async move {
    use keyward_core::review::Move;
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "APP_MANAGER").await.token();
    let (build, detail) = processed_build(&srv, team.team.id, &app).await;
    let (_, _, before) = parts(srv.get(&format!("/v1/builds/{build}/buildBetaDetail"), &token).await).await;
    assert_eq!(before["data"]["attributes"]["externalBuildState"], "READY_FOR_BETA_SUBMISSION", "{before}");
    let submit = json!({"data": {"type": "betaAppReviewSubmissions",
        "relationships": {"build": {"data": {"type": "builds", "id": build}}}}});
    let (status, submission) = srv.json(Method::POST, "/v1/betaAppReviewSubmissions", &token, submit.clone()).await;
    assert_eq!(status, 201, "{submission}");
    assert_eq!(submission["data"]["attributes"]["betaReviewState"], "WAITING_FOR_REVIEW");
    let (status, _) = srv.json(Method::POST, "/v1/betaAppReviewSubmissions", &token, submit).await;
    assert_eq!(status, 409, "submitted once");
    let detail_path = format!("/v1/buildBetaDetails/{detail}");
    let (_, _, waiting) = parts(srv.get(&detail_path, &token).await).await;
    assert_eq!(waiting["data"]["attributes"]["externalBuildState"], "WAITING_FOR_BETA_REVIEW", "{waiting}");
    let id = submission["data"]["id"].as_str().unwrap();
    assert!(srv.store().move_review(id, Move::Approve, "now", "").await.is_err(), "approved before review");
    srv.store().move_review(id, Move::StartReview, "now", "").await.unwrap();
    srv.store().move_review(id, Move::Approve, "now", "").await.unwrap();
    srv.sync().await;
    let (_, _, approved) = parts(srv.get(&detail_path, &token).await).await;
    assert_eq!(approved["data"]["attributes"]["externalBuildState"], "BETA_APPROVED", "{approved}");

    let tester = json!({"data": {"type": "betaTesters", "attributes": {"email": "tester@acme.test"},
        "relationships": {"betaGroups": {"data": []}}}});
    let (status, tester) = srv.json(Method::POST, "/v1/betaTesters", &token, tester).await;
    assert_eq!((status, tester["data"]["attributes"]["state"].as_str()), (201, Some("NOT_INVITED")), "{tester}");
    let tester_id = tester["data"]["id"].as_str().unwrap();
    let invite = json!({"data": {"type": "betaTesterInvitations", "relationships": {
        "betaTester": {"data": {"type": "betaTesters", "id": tester_id}},
        "app": {"data": {"type": "apps", "id": app}}}}});
    let (status, body) = srv.json(Method::POST, "/v1/betaTesterInvitations", &token, invite.clone()).await;
    assert_eq!(status, 201, "{body}");
    let (_, _, invited) = parts(srv.get(&format!("/v1/betaTesters/{tester_id}"), &token).await).await;
    assert_eq!(invited["data"]["attributes"]["state"], "INVITED", "{invited}");
    // The tester's own moves, in the tester's order.
    assert!(srv.store().move_tester(tester_id, "NOT_INVITED").await.is_err(), "not a tester's move");
    srv.store().move_tester(tester_id, "ACCEPTED").await.unwrap();
    assert!(srv.store().move_tester(tester_id, "ACCEPTED").await.is_err(), "accepted once");
    srv.store().move_tester(tester_id, "INSTALLED").await.unwrap();
    srv.sync().await;
    let (_, _, installed) = parts(srv.get(&format!("/v1/betaTesters/{tester_id}"), &token).await).await;
    assert_eq!(installed["data"]["attributes"]["state"], "INSTALLED", "{installed}");
    // An invitation sent again does not take the tester back.
    let (status, body) = srv.json(Method::POST, "/v1/betaTesterInvitations", &token, invite).await;
    assert_eq!(status, 201, "{body}");
    let (_, _, still) = parts(srv.get(&format!("/v1/betaTesters/{tester_id}"), &token).await).await;
    assert_eq!(still["data"]["attributes"]["state"], "INSTALLED", "{still}");
});

// Two uploads of one new version completing at once share one pre-release version.
server_test!(f2_racing_uploads_of_a_new_version_share_its_pre_release_version, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "ADMIN").await.token();
    let mut patches = Vec::new();
    for number in ["50", "51"] {
        let (id, url) = four_byte_upload(&srv, &token, &app, "5.0", number).await;
        assert_eq!(reqwest::Client::new().put(&url).body("abcd").send().await.unwrap().status().as_u16(), 200);
        let patch = json!({"data": {"type": "buildUploadFiles", "id": id, "attributes": {"uploaded": true,
            "sourceFileChecksums": {"file": {"hash": md5_hex(b"abcd"), "algorithm": "MD5"}}}}});
        patches.push((format!("/v1/buildUploadFiles/{id}"), patch));
    }
    let sent = patches.iter().map(|(path, body)| srv.json(Method::PATCH, path, &token, body.clone()));
    for (status, body) in futures::future::join_all(sent).await {
        assert_eq!(status, 200, "{body}");
    }
    let builds = builds_of(&srv, &token, &app).await;
    assert_eq!(builds["data"].as_array().unwrap().len(), 2, "{builds}");
    let (_, _, versions) = parts(srv.get(&format!("/v1/apps/{app}/preReleaseVersions"), &token).await).await;
    let fives: Vec<&Value> =
        versions["data"].as_array().unwrap().iter().filter(|v| v["attributes"]["version"] == "5.0").collect();
    assert_eq!(fives.len(), 1, "one pre-release version 5.0: {versions}");
});

server_test!(f2_beta_groups_have_public_links_names_once_per_app_and_processed_builds, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let other_app = srv.app(&team, "Buzz").await.to_string();
    let token = srv.team_key(&team, "APP_MANAGER").await.token();
    let group = |name: &str, app: &str, attributes: Value| {
        let mut attributes = attributes;
        attributes["name"] = json!(name);
        json!({"data": {"type": "betaGroups", "attributes": attributes,
            "relationships": {"app": {"data": {"type": "apps", "id": app}}}}})
    };
    let groups_of = |app: String| {
        let (srv, token) = (&srv, &token);
        async move { parts(srv.get(&format!("/v1/apps/{app}/betaGroups"), token).await).await.2["data"].clone() }
    };
    // A public link asked for an internal group, or a limit out of range: refused, nothing made.
    let internal = group("Team", &app, json!({"isInternalGroup": true, "publicLinkEnabled": true}));
    let (status, body) = srv.json(Method::POST, "/v1/betaGroups", &token, internal).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/publicLinkEnabled", "{body}");
    let huge = group("Public", &app, json!({"publicLinkEnabled": true, "publicLinkLimit": 10_001}));
    let (status, body) = srv.json(Method::POST, "/v1/betaGroups", &token, huge).await;
    assert_eq!(
        (status, body["errors"][0]["source"]["pointer"].as_str()),
        (409, Some("/data/attributes/publicLinkLimit"))
    );
    assert_eq!(groups_of(app.clone()).await, json!([]));

    // Two creates of one name at once: one group. The name is free in another app.
    let public = group(
        "Public",
        &app,
        json!({"publicLinkEnabled": true, "publicLinkLimitEnabled": true, "publicLinkLimit": 50}),
    );
    let (a, b) = futures::join!(
        srv.json(Method::POST, "/v1/betaGroups", &token, public.clone()),
        srv.json(Method::POST, "/v1/betaGroups", &token, public.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    let created = if a.0 == 201 { a.1 } else { b.1 };
    let attributes = &created["data"]["attributes"];
    let link_id = attributes["publicLinkId"].as_str().unwrap().to_owned();
    assert_eq!(link_id.len(), 8, "{attributes}");
    assert_eq!(attributes["publicLink"], format!("https://testflight.apple.com/join/{link_id}"));
    assert_eq!(
        (attributes["isInternalGroup"].as_bool(), attributes["publicLinkLimit"].as_i64()),
        (Some(false), Some(50))
    );
    assert_eq!(groups_of(app.clone()).await.as_array().unwrap().len(), 1);
    let (status, _) = srv.json(Method::POST, "/v1/betaGroups", &token, group("Public", &other_app, json!({}))).await;
    assert_eq!(status, 201, "the same name in another app");

    // The link is kept while on, cleared when switched off; a rename onto a taken name is refused.
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let own = format!("/v1/betaGroups/{id}");
    let patch = |attributes: Value| json!({"data": {"type": "betaGroups", "id": id, "attributes": attributes}});
    let (status, kept) = srv.json(Method::PATCH, &own, &token, patch(json!({"publicLinkLimit": 80}))).await;
    assert_eq!((status, kept["data"]["attributes"]["publicLinkId"].as_str()), (200, Some(link_id.as_str())));
    let (_, off) = srv.json(Method::PATCH, &own, &token, patch(json!({"publicLinkEnabled": false}))).await;
    assert_eq!(off["data"]["attributes"]["publicLink"], Value::Null, "{off}");
    srv.json(Method::POST, "/v1/betaGroups", &token, group("Beta", &app, json!({}))).await;
    let (status, _) = srv.json(Method::PATCH, &own, &token, patch(json!({"name": "Beta"}))).await;
    assert_eq!(status, 409, "a name used once per app");

    // Only a processed build joins a group, from either side of the link.
    let (valid, _) = processed_build(&srv, team.team.id, &app).await;
    let (file, url) = four_byte_upload(&srv, &token, &app, "2.0", "20").await;
    assert_eq!(reqwest::Client::new().put(&url).body("abcd").send().await.unwrap().status().as_u16(), 200);
    let done = json!({"data": {"type": "buildUploadFiles", "id": file, "attributes": {"uploaded": true,
        "sourceFileChecksums": {"file": {"hash": md5_hex(b"abcd"), "algorithm": "MD5"}}}}});
    assert_eq!(srv.json(Method::PATCH, &format!("/v1/buildUploadFiles/{file}"), &token, done).await.0, 200);
    let builds = builds_of(&srv, &token, &app).await;
    let processing = builds["data"].as_array().unwrap().iter().find(|b| b["attributes"]["version"] == "20").unwrap();
    assert_eq!(processing["attributes"]["processingState"], "PROCESSING", "no background loop in these tests");
    let processing = processing["id"].as_str().unwrap().to_owned();
    let link = |kind: &str, id: &str| json!({"data": [{"type": kind, "id": id}]});
    let to_group = format!("/v1/betaGroups/{id}/relationships/builds");
    let (status, body) = srv.json(Method::POST, &to_group, &token, link("builds", &processing)).await;
    assert_eq!(status, 409, "{body}");
    let to_build = format!("/v1/builds/{processing}/relationships/betaGroups");
    let (status, body) = srv.json(Method::POST, &to_build, &token, link("betaGroups", &id)).await;
    assert_eq!(status, 409, "{body}");
    // Nor a build of another app, from either side.
    let (foreign, _) = processed_build(&srv, team.team.id, &other_app).await;
    let (status, body) = srv.json(Method::POST, &to_group, &token, link("builds", &foreign)).await;
    assert_eq!(status, 409, "{body}");
    let to_foreign = format!("/v1/builds/{foreign}/relationships/betaGroups");
    let (status, body) = srv.json(Method::POST, &to_foreign, &token, link("betaGroups", &id)).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = srv.json(Method::POST, &to_group, &token, link("builds", &valid)).await;
    assert_eq!(status, 204, "{body}");
    // A null name in Apple's nullable update leaves the name as it is.
    let (status, named) = srv.json(Method::PATCH, &own, &token, patch(json!({"name": null}))).await;
    assert_eq!((status, named["data"]["attributes"]["name"].as_str()), (200, Some("Public")), "{named}");
    let (_, _, members) = parts(srv.get(&format!("{own}/builds"), &token).await).await;
    let ids: Vec<&str> = members["data"].as_array().unwrap().iter().filter_map(|b| b["id"].as_str()).collect();
    assert_eq!(ids, [valid.as_str()], "{members}");
});

server_test!(f2_a_build_has_one_localization_per_locale, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "APP_MANAGER").await.token();
    let (build, _) = processed_build(&srv, team.team.id, &app).await;
    let localization = |locale: &str, whats_new: &str| {
        json!({"data": {"type": "betaBuildLocalizations", "attributes": {"locale": locale, "whatsNew": whats_new},
            "relationships": {"build": {"data": {"type": "builds", "id": build}}}}})
    };
    let (status, body) =
        srv.json(Method::POST, "/v1/betaBuildLocalizations", &token, localization("en-US", "Fixes")).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) =
        srv.json(Method::POST, "/v1/betaBuildLocalizations", &token, localization("en-US", "Again")).await;
    assert_eq!((status, body["errors"][0]["source"]["pointer"].as_str()), (409, Some("/data/attributes/locale")));
    let long = "x".repeat(4001);
    let (status, body) =
        srv.json(Method::POST, "/v1/betaBuildLocalizations", &token, localization("fr-FR", &long)).await;
    assert_eq!((status, body["errors"][0]["source"]["pointer"].as_str()), (409, Some("/data/attributes/whatsNew")));
    let (_, _, all) = parts(srv.get(&format!("/v1/builds/{build}/betaBuildLocalizations"), &token).await).await;
    let locales: Vec<&str> =
        all["data"].as_array().unwrap().iter().filter_map(|l| l["attributes"]["locale"].as_str()).collect();
    assert_eq!(locales, ["en-US"], "{all}");
});
