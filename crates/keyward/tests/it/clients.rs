//! Tokens from independent signers (PyJWT + cryptography, Node's jose) in the shapes popular
//! clients send, against the real `keyward serve`; revocation by another process (the CLI) takes
//! effect within 100 ms.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

async fn status(base: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// A team with API access, a team key and a developer's individual key, both downloaded.
fn keys(kw: &crate::common::Keyward) -> (String, String, String, String, String) {
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", "dev@acme.test", "--roles", "DEVELOPER"]);
    let team = kw
        .ok(&[
            "admin",
            "key",
            "create",
            "--team",
            "Acme",
            "--name",
            "CI",
            "--roles",
            "APP_MANAGER",
            "--out",
            "keys",
            "--json",
        ])
        .json();
    let ind = kw
        .ok(&[
            "admin",
            "key",
            "create",
            "--team",
            "Acme",
            "--individual",
            "--member",
            "dev@acme.test",
            "--out",
            "keys",
            "--json",
        ])
        .json();
    let path = |v: &serde_json::Value| kw.path(v["file"].as_str().unwrap()).display().to_string();
    (issuer, team["key_id"].as_str().unwrap().into(), path(&team), ind["key_id"].as_str().unwrap().into(), path(&ind))
}

cli_test!(independent_signers_in_popular_shapes_are_accepted, |kw: crate::common::Keyward| async move {
    let (issuer, team_kid, team_p8, ind_kid, ind_p8) = keys(&kw);
    let server = kw.serve(&[]);
    for (program, script) in
        [(crate::common::python(), "tests/python/pyjwt_token.py"), (crate::common::node(), "tests/node/jose_token.mjs")]
    {
        for shape in ["with_iat", "without_iat", "no_typ", "fastlane"] {
            if shape == "fastlane" && script.ends_with(".mjs") {
                continue;
            }
            let token = crate::common::external_token(
                &program,
                script,
                &["--p8", &team_p8, "--kid", &team_kid, "--iss", &issuer, "--shape", shape],
            );
            assert_eq!(status(&server.base, "/v1/apps", &token).await.0, 200, "{script} {shape}");
            let token = crate::common::external_token(
                &program,
                script,
                &["--p8", &ind_p8, "--kid", &ind_kid, "--shape", shape],
            );
            assert_eq!(status(&server.base, "/v1/apps", &token).await.0, 200, "{script} individual {shape}");
        }
    }
});

cli_test!(a_pyjwt_token_is_refused_the_moment_the_cli_revokes_its_key, |kw: crate::common::Keyward| async move {
    let (issuer, team_kid, team_p8, _, _) = keys(&kw);
    let server = kw.serve(&[]);
    let token = crate::common::external_token(
        &crate::common::python(),
        "tests/python/pyjwt_token.py",
        &["--p8", &team_p8, "--kid", &team_kid, "--iss", &issuer],
    );
    assert_eq!(status(&server.base, "/v1/apps", &token).await.0, 200);
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &team_kid]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, body) = status(&server.base, "/v1/apps", &token).await;
    assert_eq!(code, 401, "K11: another process's revocation applies within 100 ms");
    assert_eq!(body["errors"][0]["code"], "NOT_AUTHORIZED");
    assert_eq!(body["errors"][0]["title"], "Authentication credentials are missing or invalid.");
});

cli_test!(keyward_token_and_api_work_and_key_show_lists_failures, |kw: crate::common::Keyward| async move {
    let (issuer, team_kid, team_p8, _, _) = keys(&kw);
    kw.ok(&[
        "admin",
        "app",
        "create",
        "--team",
        "Acme",
        "--name",
        "Fizz",
        "--bundle-id",
        "com.acme.fizz",
        "--sku",
        "FIZZ",
    ]);
    let server = kw.serve(&[]);
    let token = kw.ok(&["token", "--key-file", &team_p8, "--issuer-id", &issuer]).stdout.trim().to_owned();
    assert_eq!(status(&server.base, "/v1/apps", &token).await.0, 200, "Key ID taken from the AuthKey_<KEYID>.p8 name");
    let apps =
        kw.ok(&["api", "--base-url", &server.base, "GET", "/v1/apps", "--key-file", &team_p8, "--issuer-id", &issuer]);
    let body: serde_json::Value = serde_json::from_str(&apps.stdout).unwrap();
    assert_eq!(body["data"][0]["attributes"]["name"], "Fizz");
    // fastlane's JSON and the ASC_* environment.
    let json = kw.path("api_key.json");
    let key_text = std::fs::read_to_string(&team_p8).unwrap();
    std::fs::write(
        &json,
        serde_json::json!({"key_id": team_kid, "issuer_id": issuer, "key": key_text, "duration": 600}).to_string(),
    )
    .unwrap();
    kw.ok(&["api", "--base-url", &server.base, "GET", "/v1/apps", "--api-key-json", json.to_str().unwrap()]);
    let mut env_cmd = kw.command(&["api", "GET", "/v1/apps"]);
    let env_run = env_cmd
        .env("ASC_KEY_ID", &team_kid)
        .env("ASC_ISSUER_ID", &issuer)
        .env("ASC_PRIVATE_KEY_PATH", &team_p8)
        .env("ASC_BASE_URL", &server.base)
        .output()
        .unwrap();
    assert!(env_run.status.success(), "{}", String::from_utf8_lossy(&env_run.stderr));
    // A refused request: readable Apple error on stderr, exit 1; recorded against the key (T14).
    let refused = kw.run(&[
        "api",
        "--base-url",
        &server.base,
        "GET",
        "/v1/apps",
        "--key-file",
        &team_p8,
        "--issuer-id",
        &issuer,
        "--lifetime",
        "1260",
    ]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("401 NOT_AUTHORIZED"), "{}", refused.stderr);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let shown = kw.ok(&["admin", "key", "show", &team_kid, "--json"]).json();
    let failures = shown["recent_auth_failures"].as_array().unwrap();
    assert_eq!(failures[0]["reason"], "lifetime 1260 s exceeds 1200 s");
    assert_eq!(failures[0]["rule"], "T9");
    assert!(shown["last_used_at"].is_string(), "K16: last use recorded: {shown}");
});

// K6b: asconnect 7.1.1 lists users and invitations (its role enum has no GENERATE_INDIVIDUAL_KEYS).
cli_test!(python_and_node_clients_drive_the_users_and_access_api, |kw: crate::common::Keyward| async move {
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    let mut apps = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie"] {
        let app = kw
            .ok(&[
                "admin",
                "app",
                "create",
                "--team",
                "Acme",
                "--name",
                name,
                "--bundle-id",
                &format!("com.acme.{}", name.to_lowercase()),
                "--sku",
                name,
                "--json",
            ])
            .json();
        apps.push(app["id"].as_str().unwrap().to_owned());
    }
    let member = kw
        .ok(&[
            "admin",
            "member",
            "add",
            "--team",
            "Acme",
            "--email",
            "dev@acme.test",
            "--roles",
            "DEVELOPER",
            "--apps",
            &apps[1],
            "--json",
        ])
        .json();
    kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", "mkt@acme.test", "--roles", "MARKETING"]);
    let key = |args: &[&str]| {
        let mut all = vec!["admin", "key", "create", "--team", "Acme", "--out", "keys", "--json"];
        all.extend_from_slice(args);
        let v = kw.ok(&all).json();
        (v["key_id"].as_str().unwrap().to_owned(), kw.path(v["file"].as_str().unwrap()).display().to_string())
    };
    let (admin_kid, admin_p8) = key(&["--name", "admin", "--roles", "ADMIN"]);
    let (dev_kid, dev_p8) = key(&["--name", "dev", "--roles", "DEVELOPER"]);
    let (ind_kid, ind_p8) = key(&["--individual", "--member", "dev@acme.test"]);
    let server = kw.serve(&[]);
    let env = [
        ("KEYWARD_BASE", server.base.clone()),
        ("ISSUER", issuer),
        ("ADMIN_KID", admin_kid),
        ("ADMIN_P8", admin_p8),
        ("DEV_KID", dev_kid),
        ("DEV_P8", dev_p8),
        ("IND_KID", ind_kid),
        ("IND_P8", ind_p8),
        ("EXPECT_USERS", "3".into()),
        ("EXPECT_APPS", "3".into()),
        ("MEMBER_ID", member["member_id"].as_str().unwrap().to_owned()),
        ("VISIBLE_APP", apps[1].clone()),
    ];
    // asconnect first: the interop scripts then grant GENERATE_INDIVIDUAL_KEYS explicitly, which
    // Apple lists too and asconnect's enum cannot parse.
    let holder = [("HOLDER_EMAIL", "ana@acme.test".to_owned())];
    for (program, script) in [
        (crate::common::python(), "tests/python/asconnect_users.py"),
        (crate::common::python(), "tests/python/interop.py"),
        (crate::common::node(), "tests/node/interop.mjs"),
    ] {
        let path = format!("{}/../../{script}", env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new(&program)
            .arg(&path)
            .envs(env.iter().chain(&holder).map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{script}: {}{stdout}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    }
});

// Spec section 12 with an unchanged client: asconnect 7.1.1 lists the builds (by app and by
// version, through `filter[preReleaseVersion.version]`), App Store versions and beta groups of the
// example seed's app, reads a version's localizations and attached build, and adds a build to a
// beta group.
cli_test!(asconnect_drives_builds_versions_and_beta_groups, |kw: crate::common::Keyward| async move {
    against_the_example_seed(&kw, &crate::common::python(), "python/asconnect_testflight.py");
});

/// Runs `script` (under `tests/`) with `interpreter` against `serve --test-mode` with the example
/// seed, its key and app in the environment; it must pass every check.
fn against_the_example_seed(kw: &crate::common::Keyward, interpreter: &str, script: &str) {
    let seed = crate::seeds::example(kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[]);
    let env = [
        ("KEYWARD_BASE", server.base.clone()),
        ("APP_ID", "1500000001".to_owned()),
        ("VERSION_ID", "acme-version-1-0".to_owned()),
        ("KEY_ID", "ACMECI0001".to_owned()),
        ("KEY_P8", crate::seeds::example_key()),
        ("ISSUER", "6a9d2c0e-1f3b-4c55-8e77-0123456789ab".to_owned()),
    ];
    let path = format!("{}/../../tests/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(interpreter).arg(&path).envs(env).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// `betaGroups_getCollection` → `betaGroupsGetCollection`: the SDK's name for an operation.
fn sdk_name(operation_id: &str) -> String {
    let mut parts = operation_id.split('_');
    let mut name = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

// Spec section 12 with a client generated from Apple's document: appstore-connect-sdk 2.0.0 lists
// every collection that takes no required filter, creates resources of six families, reads them
// back and follows related paths, each answer checked with the SDK's own zod schema.
cli_test!(the_sdk_generated_from_apples_document_drives_the_whole_api, |kw: crate::common::Keyward| async move {
    use serde_json::json;
    let api = keyward_asc::Api::shared().unwrap();
    let op = |id: &str| api.operations().iter().find(|o| o.id == id).unwrap_or_else(|| panic!("{id}"));
    let call = |id: &str,
                status: u16,
                path: Option<serde_json::Value>,
                body: Option<serde_json::Value>,
                remember: Option<&str>| {
        let o = op(id);
        json!({"fn": sdk_name(&o.id), "schema": o.response, "status": status, "family": o.family,
            "path": path, "body": body, "remember": remember})
    };
    let mut calls: Vec<serde_json::Value> = api
        .operations()
        .iter()
        .filter(|o| o.kind == keyward_asc::OpKind::GetCollection && !o.params.iter().any(|p| p.required))
        .filter(|o| o.response.is_some())
        .map(|o| call(&o.id, 200, None, None, None))
        .collect();
    let app = json!({"data": {"type": "apps", "id": "1500000001"}});
    let creates = [
        (
            "betaGroups_createInstance",
            "betaGroups",
            json!({"data": {"type": "betaGroups", "attributes": {"name": "SDK"}, "relationships": {"app": app}}}),
        ),
        (
            "betaTesters_createInstance",
            "betaTesters",
            json!({"data": {"type": "betaTesters", "attributes": {"email": "sdk@x.test"},
            "relationships": {"betaGroups": {"data": [{"type": "betaGroups", "id": "$made:betaGroups"}]}}}}),
        ),
        (
            "bundleIds_createInstance",
            "bundleIds",
            json!({"data": {"type": "bundleIds", "attributes": {"name": "SDK", "identifier": "com.acme.sdk", "platform": "IOS"}}}),
        ),
        (
            "devices_createInstance",
            "devices",
            json!({"data": {"type": "devices", "attributes": {"name": "SDK phone", "udid": "00008110-000A1C3E0E12801F", "platform": "IOS"}}}),
        ),
        (
            "appStoreVersions_createInstance",
            "appStoreVersions",
            json!({"data": {"type": "appStoreVersions", "attributes": {"platform": "IOS", "versionString": "3.0"}, "relationships": {"app": app}}}),
        ),
        (
            "appStoreVersionLocalizations_createInstance",
            "appStoreVersionLocalizations",
            json!({"data": {"type": "appStoreVersionLocalizations", "attributes": {"locale": "en-GB", "keywords": "sdk"},
            "relationships": {"appStoreVersion": {"data": {"type": "appStoreVersions", "id": "$made:appStoreVersions"}}}}}),
        ),
    ];
    for (id, kind, body) in creates {
        calls.push(call(id, 201, None, Some(body), Some(kind)));
        calls.push(call(&format!("{kind}_getInstance"), 200, Some(json!({"id": kind})), None, None));
    }
    calls.push(call("apps_builds_getToManyRelated", 200, Some(json!({"id": "1500000001"})), None, None));
    calls.push(call("apps_betaGroups_getToManyRelated", 200, Some(json!({"id": "1500000001"})), None, None));
    calls.push(call("apps_appStoreVersions_getToManyRelated", 200, Some(json!({"id": "1500000001"})), None, None));
    calls.push(call(
        "builds_preReleaseVersion_getToOneRelated",
        200,
        Some(json!({"id": "acme-build-100"})),
        None,
        None,
    ));
    calls.push(call(
        "appStoreVersions_appStoreVersionLocalizations_getToManyRelated",
        200,
        Some(json!({"id": "appStoreVersions"})),
        None,
        None,
    ));
    let file = kw.path("sdk-calls.json");
    std::fs::write(&file, serde_json::to_string(&calls).unwrap()).unwrap();

    let seed = crate::seeds::example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[]);
    let env = [
        ("KEYWARD_BASE", server.base.clone()),
        ("KEYWARD_CALLS", file.display().to_string()),
        ("KEY_ID", "ACMECI0001".to_owned()),
        ("KEY_P8", crate::seeds::example_key()),
        ("ISSUER", "6a9d2c0e-1f3b-4c55-8e77-0123456789ab".to_owned()),
    ];
    let path = format!("{}/../../tests/node/sdk_whole_api.mjs", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(crate::common::node()).arg(&path).envs(env).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
});

// Spec F2, F3 with F6: the SDK generated from Apple's document uploads a build by Apple's REST
// flow, finds it processed (test mode) under the app, adds it to a beta group and submits it to
// beta review, then submits the seeded App Store version for review.
cli_test!(f6_the_sdk_uploads_a_build_and_adds_it_to_a_beta_group, |kw: crate::common::Keyward| async move {
    against_the_example_seed(&kw, &crate::common::node(), "node/sdk_testflight.mjs");
});
