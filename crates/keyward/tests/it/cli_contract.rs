//! The command line of spec section 9, through the real binary, on SQLite and PostgreSQL: every
//! command, its `--json` output, and exit code 1 with an unchanged database for refused actions.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 36 && uuid::Uuid::try_parse(s).is_ok() && s == s.to_lowercase())
}

cli_test!(every_command_and_its_json, |kw: crate::common::Keyward| async move {
    // admin init
    let init = kw.run_with_stdin(
        &[
            "admin",
            "init",
            "--team",
            "Acme",
            "--email",
            "Ana@Acme.test",
            "--first-name",
            "Ana",
            "--last-name",
            "Lopez",
            "--password-stdin",
            "--json",
        ],
        Some("correct horse battery\n"),
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    let init = init.json();
    for field in ["team_id", "issuer_id", "person_id", "member_id"] {
        assert!(is_uuid(&init[field]), "{field}: {init}");
    }
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    kw.refused(&["admin", "init", "--team", "Again", "--email", "x@y.test"]);

    // admin team create / list
    let bolt =
        kw.ok(&["admin", "team", "create", "--name", "Bolt", "--account-holder", "bo@bolt.test", "--json"]).json();
    for field in ["team_id", "issuer_id", "person_id", "member_id"] {
        assert!(is_uuid(&bolt[field]), "{field}: {bolt}");
    }
    let teams = kw.ok(&["admin", "team", "list", "--json"]).json_lines();
    assert_eq!(teams.iter().map(|t| t["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Acme", "Bolt"]);
    assert_eq!(teams[0]["api_access"], "not_requested");
    assert_eq!(teams[0]["issuer_id"], issuer.as_str());

    // admin team set-rate-limit (L1's per-team override)
    let limited = kw.ok(&["admin", "team", "set-rate-limit", "--team", "Bolt", "--per-hour", "100", "--json"]).json();
    assert_eq!(limited["rate_limit_per_hour"], 100);
    let reset = kw.ok(&["admin", "team", "set-rate-limit", "--team", "Bolt", "--default", "--json"]).json();
    assert_eq!(reset["rate_limit_per_hour"], Value::Null);
    assert_eq!(kw.run(&["admin", "team", "set-rate-limit", "--team", "Bolt", "--per-hour", "0"]).code, 1);

    // admin access request / reject / request / approve, by name and by Issuer ID
    assert_eq!(kw.ok(&["admin", "access", "request", "--team", &issuer, "--json"]).json()["api_access"], "requested");
    assert_eq!(kw.ok(&["admin", "access", "reject", "--team", "Acme", "--json"]).json()["api_access"], "rejected");
    assert_eq!(kw.ok(&["admin", "access", "request", "--team", "Acme", "--json"]).json()["api_access"], "requested");
    assert_eq!(kw.ok(&["admin", "access", "approve", "--team", "Acme", "--json"]).json()["api_access"], "approved");
    kw.refused(&["admin", "access", "approve", "--team", "Acme"]);

    // admin app create
    let app = kw
        .ok(&[
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
            "--json",
        ])
        .json();
    let app_id = app["id"].as_str().unwrap().to_owned();
    assert!(app_id.chars().all(|c| c.is_ascii_digit()), "numeric app ID: {app}");
    assert_eq!(app["bundle_id"], "com.acme.fizz");

    // admin member add / set-roles
    let dev = kw
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
            &app_id,
            "--json",
        ])
        .json();
    assert_eq!(dev["roles"], serde_json::json!(["DEVELOPER", "GENERATE_INDIVIDUAL_KEYS"]));
    assert_eq!(
        (dev["all_apps_visible"].as_bool(), dev["visible_apps"][0].as_str()),
        (Some(false), Some(app_id.as_str()))
    );
    let mkt = kw
        .ok(&[
            "admin",
            "member",
            "add",
            "--team",
            "Acme",
            "--email",
            "mkt@acme.test",
            "--roles",
            "MARKETING",
            "--no-individual-keys",
            "--json",
        ])
        .json();
    assert_eq!(mkt["roles"], serde_json::json!(["MARKETING"]));
    let changed = kw
        .ok(&[
            "admin",
            "member",
            "set-roles",
            "--team",
            "Acme",
            "--email",
            "mkt@acme.test",
            "--roles",
            "MARKETING,SALES",
            "--json",
        ])
        .json();
    assert_eq!(changed["roles"], serde_json::json!(["MARKETING", "SALES"]));

    // admin key create (team, with --out; individual, without) / download / list / show
    let keys_dir = kw.path("keys");
    let keys_dir = keys_dir.to_str().unwrap();
    let team_key = kw
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
            keys_dir,
            "--json",
        ])
        .json();
    let team_key_id = team_key["key_id"].as_str().unwrap().to_owned();
    assert_eq!((team_key["kind"].as_str(), team_key["issuer_id"].as_str()), (Some("team"), Some(issuer.as_str())));
    let file = team_key["file"].as_str().unwrap();
    assert!(file.ends_with(&format!("AuthKey_{team_key_id}.p8")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let individual = kw
        .ok(&["admin", "key", "create", "--team", "Acme", "--individual", "--member", "dev@acme.test", "--json"])
        .json();
    assert_eq!(individual["kind"], "individual");
    assert!(individual.get("file").is_none(), "no --out, no file: {individual}");
    let individual_id = individual["key_id"].as_str().unwrap().to_owned();
    let downloaded = kw.ok(&["admin", "key", "download", &individual_id, "--out", keys_dir, "--json"]).json();
    assert!(downloaded["file"].as_str().unwrap().ends_with(&format!("AuthKey_{individual_id}.p8")));
    let listed = kw.ok(&["admin", "key", "list", "--team", "Acme", "--json"]).json_lines();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|k| k["state"] == "active" && k["downloaded"] == true));
    let shown = kw.ok(&["admin", "key", "show", &individual_id, "--json"]).json();
    assert_eq!((shown["member"].as_str(), shown["kind"].as_str()), (Some("dev@acme.test"), Some("individual")));
    assert_eq!(shown["last_used_at"], Value::Null);

    // admin key revoke: several at once, then listed as revoked
    let revoked =
        kw.ok(&["admin", "key", "revoke", "--team", "Acme", &team_key_id, &individual_id, "--json"]).json_lines();
    assert_eq!(revoked.len(), 2);
    let listed = kw.ok(&["admin", "key", "list", "--team", "Acme", "--json"]).json_lines();
    assert!(listed.iter().all(|k| k["state"] == "revoked" && k["revoked_by"] == "operator (cli)"));

    // admin member remove, admin audit
    kw.ok(&["admin", "member", "remove", "--team", "Acme", "--email", "mkt@acme.test", "--json"]);
    kw.refused(&["admin", "member", "remove", "--team", "Acme", "--email", "ana@acme.test"]);
    let audit = kw.ok(&["admin", "audit", "--team", "Acme", "--json"]).json_lines();
    let events: Vec<&str> = audit.iter().map(|e| e["event"].as_str().unwrap()).collect();
    for expected in [
        "team_created",
        "access_requested",
        "access_rejected",
        "access_approved",
        "app_created",
        "member_added",
        "member_updated",
        "key_generated",
        "key_downloaded",
        "key_revoked",
        "member_removed",
    ] {
        assert!(events.contains(&expected), "{expected} missing from {events:?}");
    }
    assert!(audit.iter().all(|e| e["at"].as_str().unwrap().ends_with("+00:00")));

    // migrate is idempotent
    kw.ok(&["migrate"]);
    kw.ok(&["migrate"]);
});

cli_test!(k5_the_51st_key_is_refused_and_changes_nothing, |kw: crate::common::Keyward| async move {
    kw.approved_team("Acme", "ana@acme.test");
    for i in 0..50 {
        kw.ok(&["admin", "key", "create", "--team", "Acme", "--name", &format!("key {i}"), "--roles", "DEVELOPER"]);
    }
    let before = kw.snapshot("Acme");
    let run =
        kw.refused(&["admin", "key", "create", "--team", "Acme", "--name", "one too many", "--roles", "DEVELOPER"]);
    assert!(run.stderr.contains("50 active team keys"), "{}", run.stderr);
    assert_eq!(kw.snapshot("Acme"), before);
});

cli_test!(k6_k9_k1_refusals_change_nothing, |kw: crate::common::Keyward| async move {
    // K1: no key before access is approved.
    kw.ok(&["admin", "init", "--team", "Acme", "--email", "ana@acme.test"]);
    let before = kw.snapshot("Acme");
    kw.refused(&["admin", "key", "create", "--team", "Acme", "--name", "early", "--roles", "DEVELOPER"]);
    assert_eq!(kw.snapshot("Acme"), before);
    kw.ok(&["admin", "access", "request", "--team", "Acme"]);
    kw.ok(&["admin", "access", "approve", "--team", "Acme"]);

    // K6: a second individual key.
    kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", "dev@acme.test", "--roles", "DEVELOPER"]);
    kw.ok(&["admin", "key", "create", "--team", "Acme", "--individual", "--member", "dev@acme.test"]);
    let before = kw.snapshot("Acme");
    let run = kw.refused(&["admin", "key", "create", "--team", "Acme", "--individual", "--member", "dev@acme.test"]);
    assert!(run.stderr.contains("already has an active individual key"), "{}", run.stderr);
    assert_eq!(kw.snapshot("Acme"), before);

    // K9: a second download, with --out into the same and into another directory.
    let key = kw
        .ok(&[
            "admin", "key", "create", "--team", "Acme", "--name", "CI", "--roles", "ADMIN", "--out", "keys", "--json",
        ])
        .json();
    let id = key["key_id"].as_str().unwrap();
    let before = kw.snapshot("Acme");
    let run = kw.refused(&["admin", "key", "download", id, "--out", "keys"]);
    assert!(run.stderr.contains("already downloaded"), "{}", run.stderr);
    kw.refused(&["admin", "key", "download", id, "--out", "elsewhere"]);
    assert!(!kw.path("elsewhere").join(format!("AuthKey_{id}.p8")).exists(), "no file for a refused download");
    assert_eq!(kw.snapshot("Acme"), before);

    // K11/K12: revoking an unknown key, or another team's key, or a mix: nothing is revoked.
    kw.ok(&["admin", "team", "create", "--name", "Bolt", "--account-holder", "bo@bolt.test"]);
    let before = kw.snapshot("Acme");
    kw.refused(&["admin", "key", "revoke", "--team", "Acme", "ZZZZZZZZZZ"]);
    kw.refused(&["admin", "key", "revoke", "--team", "Bolt", id]);
    kw.refused(&["admin", "key", "revoke", "--team", "Acme", id, "ZZZZZZZZZZ"]);
    assert_eq!(kw.snapshot("Acme"), before);
});

cli_test!(bad_usage_exits_2, |kw: crate::common::Keyward| async move {
    kw.ok(&["admin", "init", "--team", "Acme", "--email", "ana@acme.test"]);
    for args in [
        vec!["admin", "key", "create", "--team", "Acme", "--name", "x", "--roles", "ADMN"],
        vec!["admin", "key", "show", "not-a-key"],
        vec!["admin", "key", "create", "--team", "Acme"],
        vec!["admin", "frobnicate"],
    ] {
        let run = kw.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty());
    }
    let run = kw.run_with_stdin(
        &["admin", "team", "create", "--name", "B", "--account-holder", "b@b.test", "--password-stdin"],
        Some("short\n"),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(kw.ok(&["admin", "team", "list", "--json"]).json_lines().len() == 1, "nothing written");
});
