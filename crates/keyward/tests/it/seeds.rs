//! Seed files and test mode: applying twice changes nothing; a file that breaks a rule is refused
//! whole, naming the entry; a supplied public key accepts the test's own tokens; reset restores
//! the seed exactly; without --test-mode the /_keyward routes do not exist.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

const TEST_KEY: &str = "AuthKey_ACMECI0001.p8";

pub(crate) fn example(kw: &crate::common::Keyward) -> String {
    // A copy next to the work directory, so generated keys land there.
    let text = std::fs::read_to_string(format!("{}/../../examples/seed.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let path = kw.path("seed.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

pub(crate) fn example_key() -> String {
    format!("{}/../../examples/{TEST_KEY}", env!("CARGO_MANIFEST_DIR"))
}

/// Everything a seed writes, without times: teams, keys and audit events as the CLI shows them.
fn state(kw: &crate::common::Keyward) -> String {
    let strip = |v: &mut Value| {
        if let Some(o) = v.as_object_mut() {
            for k in ["created_at", "downloaded_at", "at", "seq", "last_used_at"] {
                o.remove(k);
            }
        }
    };
    let mut out = String::new();
    for args in [
        vec!["admin", "team", "list", "--json"],
        vec!["admin", "key", "list", "--team", "Acme", "--json"],
        vec!["admin", "audit", "--team", "Acme", "--json"],
    ] {
        for mut v in kw.ok(&args).json_lines() {
            strip(&mut v);
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    out
}

async fn get(base: &str, path: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

pub(crate) fn token(kw: &crate::common::Keyward) -> String {
    kw.ok(&["token", "--key-file", &example_key(), "--issuer-id", "6a9d2c0e-1f3b-4c55-8e77-0123456789ab"])
        .stdout
        .trim()
        .to_owned()
}

cli_test!(applying_a_seed_twice_changes_nothing, |kw: crate::common::Keyward| async move {
    let seed = example(&kw);
    let first = kw.ok(&["admin", "seed", &seed, "--json"]).json();
    assert!(first["changes"].as_u64().unwrap() > 0);
    assert_eq!(first["files"].as_array().unwrap().len(), 1, "the generated key's .p8 was written once");
    let after_first = state(&kw);
    let second = kw.ok(&["admin", "seed", &seed, "--json"]).json();
    assert_eq!((second["changes"].as_u64(), second["files"].as_array().unwrap().len()), (Some(0), 0));
    assert_eq!(state(&kw), after_first);
    let keys = kw.ok(&["admin", "key", "list", "--team", "Acme", "--json"]).json_lines();
    assert_eq!(keys.iter().map(|k| k["key_id"].as_str().unwrap()).collect::<Vec<_>>(), ["ACMECI0001", "ACMEDEV001"]);
});

cli_test!(a_seed_that_breaks_a_rule_is_refused_whole_naming_the_entry, |kw: crate::common::Keyward| async move {
    let seed = example(&kw);
    let text = std::fs::read_to_string(&seed).unwrap();
    let before = kw.ok(&["admin", "team", "list", "--json"]).stdout;
    let cases = [
        (text.replace("roles = [\"APP_MANAGER\"]", "roles = [\"APP_MANAGER\", \"BOSS\"]"), "teams[0].keys[0].roles[1]"),
        (text.replace("key_id = \"ACMEDEV001\"", "key_id = \"ACMECI0001\""), "teams[0].keys[1].key_id"),
        (text.replace("MFkwEwYHKoZIzj0CAQYI", "MFkwEwYHKoZIzj0CAQYX"), "teams[0].keys[0].public_key"),
        (text.replace("name = \"Acme\"", "name = \"Acme\"\nbogus = 1"), "bogus"),
        (text.replace("version = \"100\"", "versoin = \"100\""), "teams[0].resources[1].attributes.versoin"),
        (
            text.replace("processingState = \"VALID\"", "processingState = \"DONE\""),
            "teams[0].resources[1].attributes.processingState",
        ),
        (text.replace("type = \"betaGroups\"", "type = \"betaGroupz\""), "teams[0].resources[2].type"),
        (
            text.replace("id = \"acme-build-100\" }]", "id = \"no-such-build\" }]"),
            "teams[0].resources[2].relationships.builds[0]",
        ),
        // R7: data for a path Apple does not answer with data, or not in the operation's shape.
        (text.replace("acme-build-100/perfPowerMetrics", "acme-build-100/perfPowerMetricz"), "teams[0].data[0].path"),
        (
            text.replace("path = \"/v1/builds/acme-build-100/perfPowerMetrics", "path = \"/v1/builds/acme-build-100"),
            "teams[0].data[0].path",
        ),
        (text.replace("value = 0.42", "value = \"fast\""), "teams[0].data[0].json/productData/0"),
        (text.replace("crashCount = 1,", "crashCount = \"one\","), "teams[0].data[1].json/0/dataPoints/0"),
        (text.replace("text = \"code,expirationDate", "json = \"code,expirationDate"), "teams[0].data[3].text"),
    ];
    for (bad, named) in cases {
        let path = kw.path("bad.toml");
        std::fs::write(&path, bad).unwrap();
        let run = kw.refused(&["admin", "seed", path.to_str().unwrap()]);
        assert!(run.stderr.contains(named), "{named} not named in: {}", run.stderr);
    }
    // K5: with a cap of one team key, the second team key of the file is refused.
    let mut cmd = kw.command(&["admin", "seed", &seed]);
    let capped = cmd.env("KEYWARD_MAX_ACTIVE_TEAM_KEYS", "0").output().unwrap();
    assert_eq!(capped.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&capped.stderr).contains("teams[0].keys[0]"));
    assert_eq!(kw.ok(&["admin", "team", "list", "--json"]).stdout, before, "nothing was written");
    assert!(!kw.path("keys").exists(), "no key file for a refused seed");
});

cli_test!(test_mode_reset_restores_the_seed_and_requests_are_listed, |kw: crate::common::Keyward| async move {
    let seed = example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[]);
    let token = token(&kw);
    assert_eq!(
        get(&server.base, "/v1/apps", &token).await.0,
        200,
        "a supplied public key accepts the test's own token"
    );
    let seeded = state(&kw);
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", "ACMECI0001"]);
    kw.ok(&["admin", "member", "remove", "--team", "Acme", "--email", "dev@acme.test"]);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(get(&server.base, "/v1/apps", &token).await.0, 401);
    let client = reqwest::Client::new();
    // A web page cannot reset: a form post from another origin, another port of localhost
    // (same-site), or through a rebound DNS name is refused, and nothing is reset.
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let url = format!("{}/_keyward/reset", server.base);
    for (name, value) in [
        ("origin", "http://attacker.test".to_owned()),
        ("origin", "http://localhost:3000".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
        ("sec-fetch-site", "same-site".to_owned()),
        ("host", format!("rebind.attacker.test:{port}")),
    ] {
        let r = client
            .post(&url)
            .header(name, &value)
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{name}: {value}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "FORBIDDEN_ERROR");
    }
    assert_eq!(get(&server.base, "/v1/apps", &token).await.0, 401, "nothing was reset");
    let (status, body) = {
        let r = client.post(format!("{}/_keyward/reset", server.base)).send().await.unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!((status, body["reset"].as_bool()), (200, Some(true)));
    let (status, users) = get(&server.base, "/v1/users", &token).await;
    assert_eq!(status, 200, "the revoked key works again after the reset");
    assert!(
        users["data"].as_array().unwrap().iter().any(|u| u["attributes"]["username"] == "dev@acme.test"),
        "the removed member is back"
    );
    let strip_audit = |s: &str| s.lines().filter(|l| !l.contains("\"event\"")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip_audit(&state(&kw)), strip_audit(&seeded), "teams and keys exactly as seeded");
    get(&server.base, "/v1/apps", "garbage").await;
    let log: Value =
        client.get(format!("{}/_keyward/requests", server.base)).send().await.unwrap().json().await.unwrap();
    let entries = log["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "the log starts afresh at reset: {log}");
    assert_eq!((entries[0]["key_id"].as_str(), entries[0]["status"].as_u64()), (Some("ACMECI0001"), Some(200)));
    assert_eq!(entries[1]["status"], 401);
    assert!(
        entries[1]["failure"].as_str().unwrap().contains("3 dot-separated segments")
            || entries[1]["failure"].as_str().unwrap().contains("segments")
    );
});

cli_test!(without_test_mode_the_keyward_routes_do_not_exist, |kw: crate::common::Keyward| async move {
    let seed = example(&kw);
    let server = kw.serve_with(&["--seed", &seed], &[]);
    let r = reqwest::Client::new().post(format!("{}/_keyward/reset", server.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = reqwest::Client::new().get(format!("{}/_keyward/requests", server.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(get(&server.base, "/v1/apps", &token(&kw)).await.0, 200, "the seed was applied at start");
});

// A seed with generate_into starts on a fresh database after an earlier run wrote the .p8: the
// file's public half is used, the file is left as it is, and the same .p8 signs tokens that both
// installations accept. A file that is not a P-256 private key is refused, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_key_file_is_reused_by_a_fresh_data_directory() {
    let shared = tempfile::tempdir().unwrap();
    let seed = shared.path().join("seed.toml");
    let text = std::fs::read_to_string(format!("{}/../../examples/seed.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    std::fs::write(&seed, text).unwrap();
    let seed = seed.display().to_string();
    let p8 = shared.path().join("keys/AuthKey_ACMEDEV001.p8");
    let mut servers = Vec::new();
    for run in 0..2 {
        let kw = crate::common::Keyward::new(keyward_store::Backend::Sqlite).await;
        let applied = kw.ok(&["admin", "seed", &seed, "--json"]).json();
        let written = applied["files"].as_array().unwrap().len();
        assert_eq!(written, usize::from(run == 0), "written on the first run only");
        let before = std::fs::read(&p8).unwrap();
        let server = kw.serve(&[]);
        let token = kw.ok(&["token", "--key-file", &p8.display().to_string(), "--individual"]).stdout.trim().to_owned();
        assert_eq!(get(&server.base, "/v1/apps", &token).await.0, 200, "run {run} accepts the same .p8");
        assert_eq!(std::fs::read(&p8).unwrap(), before, "the file is left untouched");
        servers.push((kw, server));
    }
    std::fs::write(&p8, "not a key\n").unwrap();
    let kw = crate::common::Keyward::new(keyward_store::Backend::Sqlite).await;
    let refused = kw.refused(&["admin", "seed", &seed]);
    assert!(
        refused.stderr.contains("AuthKey_ACMEDEV001.p8") && refused.stderr.contains("not a P-256 private key"),
        "{}",
        refused.stderr
    );
}

// R2: a seed's resources of several types are served as Apple serves them (related paths
// included), and test mode's reset brings back exactly those, dropping what the API added.
cli_test!(r2_seeded_resources_are_served_and_reset_restores_them, |kw: crate::common::Keyward| async move {
    let seed = example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[]);
    let token = token(&kw);
    let (status, builds) = get(&server.base, "/v1/apps/1500000001/builds", &token).await;
    assert_eq!(status, 200, "{builds}");
    assert_eq!(builds["data"][0]["id"], "acme-build-100");
    assert_eq!(builds["data"][0]["attributes"]["processingState"], "VALID");
    let (_, in_group) = get(&server.base, "/v1/betaGroups/acme-group-qa/builds", &token).await;
    assert_eq!(in_group["data"][0]["id"], "acme-build-100", "{in_group}");
    let (_, reviews) = get(&server.base, "/v1/apps/1500000001/customerReviews", &token).await;
    assert_eq!(reviews["data"][0]["attributes"]["rating"], 5, "{reviews}");
    let (_, version) = get(&server.base, "/v1/builds/acme-build-100/preReleaseVersion", &token).await;
    assert_eq!(version["data"]["attributes"]["version"], "1.0", "{version}");

    // R7: the seeded sales report, in Apple's format, for exactly its filters.
    let report = |date: &str| {
        format!(
            "{}/v1/salesReports?filter[vendorNumber]=85000000&filter[reportType]=SALES&filter[reportSubType]=SUMMARY&filter[frequency]=DAILY&filter[reportDate]={date}",
            server.base
        )
    };
    let sales = kw
        .ok(&[
            "admin", "key", "create", "--team", "Acme", "--name", "sales", "--roles", "SALES", "--out", "keys",
            "--json",
        ])
        .json();
    let sales_token = kw
        .ok(&[
            "token",
            "--key-file",
            &kw.path(sales["file"].as_str().unwrap()).display().to_string(),
            "--issuer-id",
            "6a9d2c0e-1f3b-4c55-8e77-0123456789ab",
        ])
        .stdout
        .trim()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let client = reqwest::Client::new();
    for (date, rows) in [("2026-12-01", 2), ("2026-12-02", 1)] {
        let r = client.get(report(date)).bearer_auth(&sales_token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "application/a-gzip");
        let gz = r.bytes().await.unwrap();
        let mut tsv = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut tsv).unwrap();
        assert!(tsv.starts_with("Provider\tProvider Country\tSKU"), "{tsv}");
        assert_eq!(tsv.lines().count(), rows, "{date}: {tsv}");
    }

    // R7: seeded metrics, logs and one-time codes at their paths, in Apple's media types.
    let r = client.get(format!("{}/v1/builds/acme-build-100/perfPowerMetrics", server.base)).bearer_auth(&token);
    let r = r.send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/vnd.apple.xcode-metrics+json");
    let metrics: Value = r.json().await.unwrap();
    assert_eq!(metrics["productData"][0]["metricCategories"][0]["identifier"], "LAUNCH", "{metrics}");
    let (status, usages) = get(&server.base, "/v1/builds/acme-build-100/metrics/betaBuildUsages", &token).await;
    assert_eq!(status, 200, "{usages}");
    assert_eq!(usages["data"][0]["dataPoints"][0]["values"]["installCount"], 12, "{usages}");
    assert_eq!(usages["meta"]["paging"]["total"], 1, "{usages}");
    assert!(usages["links"]["self"].as_str().unwrap().ends_with("/metrics/betaBuildUsages"), "{usages}");
    let (_, none) = get(&server.base, "/v1/apps/1500000001/metrics/betaTesterUsages", &token).await;
    assert_eq!(none["data"], serde_json::json!([]), "a path not seeded answers no figures: {none}");
    let (_, logs) = get(&server.base, "/v1/diagnosticSignatures/acme-signature-1/logs", &token).await;
    assert_eq!(logs["productData"][0]["signatureId"], "acme-signature-1", "{logs}");
    let r = client.get(format!("{}/v1/inAppPurchaseOfferCodeOneTimeUseCodes/acme-codes-1/values", server.base));
    let r = r.bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv");
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "the header and two codes: {csv}");
    assert!(csv.contains("FIZZ-7Q2K-PL9X"), "{csv}");
    // The seeded data is no resource of Apple's: no list shows it.
    let (_, codes) = get(&server.base, "/v1/diagnosticSignatures/no-such/logs", &token).await;
    assert_eq!(codes["errors"][0]["code"], "NOT_FOUND", "{codes}");

    let body = serde_json::json!({"data": {"type": "betaGroups", "attributes": {"name": "Added"},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    let r = client.post(format!("{}/v1/betaGroups", server.base)).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(get(&server.base, "/v1/betaGroups", &token).await.1["meta"]["paging"]["total"], 2);
    let r = client.post(format!("{}/_keyward/reset", server.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, groups) = get(&server.base, "/v1/betaGroups", &token).await;
    assert_eq!(groups["meta"]["paging"]["total"], 1, "only the seeded group after a reset: {groups}");
    assert_eq!(groups["data"][0]["id"], "acme-group-qa");
});
