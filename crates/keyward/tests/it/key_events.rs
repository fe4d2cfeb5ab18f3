//! Spec X5 through the binary: key events posted to a team's key webhook, verified by a receiver
//! using the Standard Webhooks reference library; a failing receiver is retried under the same
//! `webhook-id`; an event written while no node runs is delivered when one starts (the outbox);
//! URLs to metadata addresses and unknown events are refused.
#![allow(clippy::unwrap_used)]

use keyward_store::Backend;
use serde_json::Value;

use crate::common::Keyward;
use crate::common::receiver::Receiver;

const RECEIVER: &str = "standard_webhook_receiver.py";

const ALLOW_PRIVATE: (&str, &str) = ("KEYWARD_WEBHOOK_ALLOW_PRIVATE", "true");

fn cli(kw: &Keyward, args: &[&str]) -> crate::common::Run {
    let out = kw.command(args).env(ALLOW_PRIVATE.0, ALLOW_PRIVATE.1).output().unwrap();
    crate::common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn of_type<'a>(events: &'a [Value], kind: &str, key: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["body"]["type"] == kind && e["body"]["data"]["keyId"] == key).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_key_events_reach_a_standard_webhooks_receiver_at_least_once() {
    let kw = Keyward::new(Backend::Postgres).await;
    let issuer = kw.approved_team("Acme", "ana@acme.test")["issuer_id"].as_str().unwrap().to_owned();

    let metadata = cli(&kw, &["admin", "key-webhook", "add", "--team", "Acme", "--url", "http://169.254.169.254/x"]);
    assert_eq!(metadata.code, 1, "{metadata:?}");
    assert!(metadata.stderr.contains("not taken"), "{}", metadata.stderr);
    let unknown = cli(
        &kw,
        &["admin", "key-webhook", "add", "--team", "Acme", "--url", "http://127.0.0.1:9/x", "--events", "key.stolen"],
    );
    assert_ne!(unknown.code, 0);
    assert!(
        kw.ok(&["admin", "key-webhook", "list", "--team", "Acme", "--json"]).stdout.trim().is_empty(),
        "nothing added"
    );

    // The secret is made by the CLI; the receiver learns it the way a team would, from its output.
    let placeholder = Receiver::launch(&kw, RECEIVER, "whsec_AAAA", 0, 0);
    let port = placeholder.port;
    drop(placeholder);
    let url = format!("http://127.0.0.1:{port}/key-events");
    let added = cli(&kw, &["admin", "key-webhook", "add", "--team", "Acme", "--url", &url, "--json"]);
    assert_eq!(added.code, 0, "{added:?}");
    let hook: Value = serde_json::from_str(added.stdout.trim()).unwrap();
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{hook}");
    let listed = kw.ok(&["admin", "key-webhook", "list", "--team", "Acme", "--json"]).stdout;
    assert!(listed.contains(&url) && !listed.contains(&secret), "listed, never with its secret: {listed}");

    let receiver = Receiver::launch(&kw, RECEIVER, &secret, 1, port);
    let node = kw.serve(&[ALLOW_PRIVATE]);
    let (key_id, _) = kw.team_key("Acme", "CI", "DEVELOPER");
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &key_id]);
    // The first attempt is answered 500: its retry comes under the same webhook-id.
    let retried = |e: &[Value]| e.iter().filter(|x| x["id"] == e[0]["id"]).count() >= 2;
    let events = receiver
        .received_within(20, |e| {
            !of_type(e, "key.revoked", &key_id).is_empty()
                && !of_type(e, "key.downloaded", &key_id).is_empty()
                && retried(e)
        })
        .await;
    for kind in ["key.created", "key.downloaded", "key.revoked"] {
        let seen = of_type(&events, kind, &key_id);
        assert!(!seen.is_empty(), "{kind}: {events:?}");
        assert!(seen.iter().any(|e| e["signature_ok"] == true), "{kind} verified: {events:?}");
        assert!(seen.iter().all(|e| e["wrong_secret_refused"] == true), "another secret does not verify");
    }
    let revoked = of_type(&events, "key.revoked", &key_id)[0];
    assert_eq!(revoked["body"]["data"]["actor"], "operator (cli)");
    assert_eq!(revoked["body"]["data"]["name"], "CI");
    let first = &events[0];
    let again: Vec<&Value> = events.iter().filter(|e| e["id"] == first["id"]).collect();
    assert!(again.len() >= 2 && again.last().unwrap()["signature_ok"] == true, "{events:?}");
    let ids: std::collections::BTreeSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(ids.len() >= 3, "one message per event: {events:?}");

    // The outbox: an event written while no node runs is sent when one starts.
    drop(node);
    let (late, _) = kw.team_key("Acme", "Late", "DEVELOPER");
    kw.ok(&["admin", "key", "revoke", "--team", "Acme", &late]);
    let _node = kw.serve(&[ALLOW_PRIVATE]);
    let events = receiver.received(|e| !of_type(e, "key.revoked", &late).is_empty()).await;
    assert!(of_type(&events, "key.revoked", &late).iter().all(|e| e["signature_ok"] == true));

    // X5: a key made with less than 7 days left is announced as expiring at once, then as
    // expired from its second on, each once although two nodes sweep.
    let node2 = kw.serve(&[ALLOW_PRIVATE]);
    let soon = kw
        .ok(&[
            "admin",
            "key",
            "create",
            "--team",
            "Acme",
            "--name",
            "Soon",
            "--roles",
            "DEVELOPER",
            "--expires",
            "4s",
            "--json",
        ])
        .json()["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = receiver.received(|e| !of_type(e, "key.expired", &soon).is_empty()).await;
    let ok_once = |kind: &str| {
        let seen = of_type(&events, kind, &soon);
        let ids: std::collections::BTreeSet<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 1, "{kind} once: {events:?}");
        assert!(seen.iter().all(|e| e["signature_ok"] == true));
    };
    ok_once("key.expiring");
    ok_once("key.expired");
    assert_eq!(of_type(&events, "key.expired", &soon)[0]["body"]["data"]["actor"], "keyward (expiry)");

    // A burst of refused tokens naming a key (here signed with another key's private key) is
    // announced once, with its count.
    let (target, _) = kw.team_key("Acme", "Target", "DEVELOPER");
    let (_, other_file) = kw.team_key("Acme", "Other", "DEVELOPER");
    let forged = kw
        .ok(&["token", "--key-file", &other_file, "--key-id", &target, "--issuer-id", &issuer])
        .stdout
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    for _ in 0..12 {
        let status = client.get(format!("{}/v1/apps", node2.base)).bearer_auth(&forged).send().await.unwrap().status();
        assert_eq!(status.as_u16(), 401);
    }
    let events = receiver.received(|e| !of_type(e, "key.authentication_failures", &target).is_empty()).await;
    let burst = of_type(&events, "key.authentication_failures", &target);
    assert_eq!(burst.len(), 1, "{events:?}");
    assert!(burst[0]["body"]["data"]["failures"].as_i64().unwrap() >= 10, "{burst:?}");
    assert!(burst[0]["signature_ok"] == true);

    // K14: a member's removal revokes their individual key, and says so.
    kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", "dev@acme.test", "--roles", "DEVELOPER"]);
    let (individual, _) = kw.individual_key("Acme", "dev@acme.test");
    kw.ok(&["admin", "member", "remove", "--team", "Acme", "--email", "dev@acme.test"]);
    let events = receiver.received(|e| !of_type(e, "key.revoked", &individual).is_empty()).await;
    let gone = of_type(&events, "key.revoked", &individual)[0];
    assert_eq!(gone["body"]["data"]["kind"], "INDIVIDUAL");
    assert!(gone["signature_ok"] == true);

    let id = hook["id"].as_str().unwrap();
    kw.ok(&["admin", "key-webhook", "remove", "--team", "Acme", id]);
    assert!(kw.ok(&["admin", "key-webhook", "list", "--team", "Acme", "--json"]).stdout.trim().is_empty());
    let gone = kw.run(&["admin", "key-webhook", "remove", "--team", "Acme", id]);
    assert_eq!(gone.code, 1, "removed once: {gone:?}");
    let audit = kw.ok(&["admin", "audit", "--team", "Acme", "--json"]).json_lines();
    for event in ["key_webhook_added", "key_webhook_removed"] {
        assert!(audit.iter().any(|e| e["event"] == event && e["subject"] == id), "{event}: {audit:?}");
    }
}

// X5 through the key API: a key manager's automation adds a hook (the secret in that answer only),
// a Standard Webhooks receiver verifies what it is sent with that secret, and the rules the CLI
// keeps hold here too: URL checks, known events, the cap, KEY_MANAGER, the audit naming the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_key_webhooks_through_the_key_api() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let issuer = kw.approved_team("Acme", "ana@acme.test")["issuer_id"].as_str().unwrap().to_owned();
    let (manager, manager_file) = kw.team_key("Acme", "Automation", "ADMIN");
    let (plain, plain_file) = kw.team_key("Acme", "Plain admin", "ADMIN");
    kw.ok(&["admin", "key", "capability", "--team", "Acme", &manager, "--grant", "KEY_MANAGER"]);
    let placeholder = Receiver::launch(&kw, RECEIVER, "whsec_AAAA", 0, 0);
    let port = placeholder.port;
    drop(placeholder);
    let url = format!("http://127.0.0.1:{port}/key-events");
    let node = kw.serve(&[ALLOW_PRIVATE]);

    let script = format!("{}/../../tests/python/key_webhooks_client.py", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(crate::common::python())
        .args([&script, "--node", &node.base, "--p8", &manager_file, "--kid", &manager, "--iss", &issuer])
        .args(["--url", &url, "--plain-p8", &plain_file, "--plain-kid", &plain])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(report["document_lists_it"], true);
    assert_eq!(report["without_capability"], 403, "{report}");
    for (name, pointer) in [
        ("metadata_url", "/data/attributes/url"),
        ("keyward_itself", "/data/attributes/url"),
        ("unknown_event", "/data/attributes/eventTypes"),
        ("no_events", "/data/attributes/eventTypes"),
        ("no_url", "/data/attributes/url"),
    ] {
        assert_eq!(report[name][0], 409, "{name}: {report}");
        assert_eq!(report[name][2], pointer, "{name}: {report}");
    }
    assert!(report["keyward_itself"][3].as_str().unwrap().contains("Keyward itself"), "{report}");
    assert_eq!(report["made_by_refusals"], 0, "refusals add nothing: {report}");

    assert_eq!(report["created"], 201, "{report}");
    assert_eq!(report["cache_control"], "no-store");
    let hook = &report["hook"];
    let id = hook["id"].as_str().unwrap();
    assert!(report["location"].as_str().unwrap().ends_with(&format!("/keyward/v1/keyWebhooks/{id}")), "{report}");
    let secret = hook["attributes"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{hook}");
    assert_eq!(hook["attributes"]["eventTypes"].as_array().unwrap().len(), 6, "every event when none named");
    for shown in [&report["listed"][0], &report["read"]] {
        assert_eq!(shown["id"], id, "{report}");
        assert!(shown["attributes"].get("secret").is_none(), "the secret is shown once: {shown}");
    }
    assert_eq!(report["unknown_id"], 404);
    let cap = report["cap"].as_array().unwrap();
    assert_eq!(cap.iter().filter(|s| **s == 201).count(), 9, "ten hooks at most: {report}");
    assert_eq!(report["cap_refusal"][0], 409);
    assert!(report["cap_refusal"][3].as_str().unwrap().contains("10 key webhooks"), "{report}");
    assert!(report["removed_extra"].as_array().unwrap().iter().all(|s| *s == 204), "{report}");
    assert_eq!(report["remove_unknown"], 404);
    assert_eq!(report["remove_without_capability"], 403);

    // The hook added through the API is the one the team's events go to, signed with its secret.
    let receiver = Receiver::launch(&kw, RECEIVER, &secret, 0, port);
    let (key_id, _) = kw.team_key("Acme", "CI", "DEVELOPER");
    let events = receiver.received(|e| !of_type(e, "key.downloaded", &key_id).is_empty()).await;
    assert!(of_type(&events, "key.downloaded", &key_id).iter().all(|e| e["signature_ok"] == true), "{events:?}");

    let audit = kw.ok(&["admin", "audit", "--team", "Acme", "--json"]).json_lines();
    let by_manager = |event: &str| {
        audit
            .iter()
            .any(|e| e["event"] == event && e["actor"] == format!("key manager {manager}") && e["subject"] == id)
    };
    assert!(by_manager("key_webhook_added"), "{audit:?}");

    // Another team's hook is, to this key manager, one that does not exist: same answer, and
    // still there afterwards.
    kw.ok(&["admin", "team", "create", "--name", "Bolt", "--account-holder", "bo@bolt.test"]);
    let bolt = cli(&kw, &["admin", "key-webhook", "add", "--team", "Bolt", "--url", "https://h.example/e", "--json"]);
    let bolt_id = serde_json::from_str::<Value>(bolt.stdout.trim()).unwrap()["id"].as_str().unwrap().to_owned();
    let token = kw
        .ok(&["token", "--key-file", &manager_file, "--issuer-id", &issuer, "--audience", "keyward-v1"])
        .stdout
        .trim()
        .to_owned();
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for id in [bolt_id.as_str(), "no-such-hook"] {
        let url = format!("{}/keyward/v1/keyWebhooks/{id}", node.base);
        for request in [http.get(&url), http.delete(&url)] {
            let answer = request.bearer_auth(&token).send().await.unwrap();
            let status = answer.status().as_u16();
            let body: Value = answer.json().await.unwrap();
            answers.push((status, body["errors"][0]["code"].clone()));
        }
    }
    assert_eq!(answers[..2], answers[2..], "another team's hook looks like a missing one");
    assert_eq!(answers[0].0, 404);
    let listed = kw.ok(&["admin", "key-webhook", "list", "--team", "Bolt", "--json"]).stdout;
    assert!(listed.contains(&bolt_id), "Bolt's hook is untouched: {listed}");
}
