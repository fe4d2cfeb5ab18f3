//! Spec X1 through the real binary: the key API driven by a platform team's automation written
//! with `requests`, PyJWT and `cryptography` (tests/python/key_api_client.py) against two
//! `keyward serve` nodes on one PostgreSQL: who gets in, every K-rule as in the console (the
//! 50-key cap and one individual key under racing requests on both nodes, revocation), the audit
//! log naming the acting key, and a withdrawn grant taking effect on every node.
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use keyward_store::Backend;
use serde_json::Value;

use crate::common::{Keyward, python};

fn key_api_client(args: &[&str]) -> Value {
    let script = format!("{}/../../tests/python/key_api_client.py", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python()).arg(&script).args(args).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "key_api_client.py: {stderr}{stdout}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

async fn key_api_status(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    client.get(format!("{base}/keyward/v1/apiKeys")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn x1_automation_manages_keys_through_the_key_api_under_the_consoles_rules() {
    let kw = Keyward::new(Backend::Postgres).await;
    let init = kw.approved_team("Acme", "ana@acme.test");
    let issuer = init["issuer_id"].as_str().unwrap().to_owned();
    let member = kw
        .ok(&["admin", "member", "add", "--team", "Acme", "--email", "dev@acme.test", "--roles", "DEVELOPER", "--json"])
        .json()["member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (manager, manager_file) = kw.team_key("Acme", "Automation", "ADMIN");
    let (plain, plain_file) = kw.team_key("Acme", "Plain admin", "ADMIN");
    let (developer, _) = kw.team_key("Acme", "Builds", "DEVELOPER");

    // Only working ADMIN team keys hold KEY_MANAGER; nothing else is a capability.
    let refused = kw.refused(&["admin", "key", "capability", "--team", "Acme", &developer, "--grant", "KEY_MANAGER"]);
    assert!(refused.stderr.contains("ADMIN role"), "{}", refused.stderr);
    let unknown = kw.run(&["admin", "key", "capability", "--team", "Acme", &manager, "--grant", "WIZARD"]);
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("not a capability"), "{}", unknown.stderr);
    let granted =
        kw.ok(&["admin", "key", "capability", "--team", "Acme", &manager, "--grant", "KEY_MANAGER", "--json"]).json();
    assert_eq!(granted["capabilities"], serde_json::json!(["KEY_MANAGER"]));

    let nodes = [kw.serve(&[]), kw.serve(&[])];
    let bases = nodes.iter().map(|n| n.base.clone()).collect::<Vec<_>>().join(",");
    let report = key_api_client(&[
        "--nodes",
        &bases,
        "--p8",
        &manager_file,
        "--kid",
        &manager,
        "--iss",
        &issuer,
        "--member",
        &member,
        "--plain-p8",
        &plain_file,
        "--plain-kid",
        &plain,
    ]);

    // T6: a token for one API does not open the other; an ADMIN key needs the grant.
    assert_eq!(report["wrong_audience"], 401, "{report}");
    assert_eq!(report["keyward_token_on_v1"], 401, "{report}");
    assert_eq!(report["without_capability"], 403, "{report}");
    assert_eq!(report["without_capability_code"], "FORBIDDEN_ERROR");
    assert_eq!(report["without_capability_create"], 403, "{report}");
    // X2 through the API: a pair once used is never taken again; other curves are refused.
    assert_eq!(report["reused_public_key"], serde_json::json!([409, "/data/attributes/publicKey"]));
    assert_eq!(report["p384_public_key"], 409);
    // Bad requests: Apple's error shape, pointing at the fault, and nothing made.
    let bad = &report["bad_requests"];
    assert_eq!(bad["no_name"], serde_json::json!([409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED", "/data/attributes/name"]));
    assert_eq!(bad["account_holder"][2], "/data/attributes/roles", "{bad}");
    assert_eq!(bad["unknown_role"][2], "/data/attributes/roles", "{bad}");
    assert_eq!(bad["unknown_attribute"][1], "ENTITY_ERROR.ATTRIBUTE.UNKNOWN", "{bad}");
    assert_eq!(bad["past_expiry"][2], "/data/attributes/expirationDate", "{bad}");
    assert_eq!(bad["bad_kind"][2], "/data/attributes/kind", "{bad}");
    assert_eq!(bad["individual_without_member"][2], "/data/relationships/member", "{bad}");
    assert_eq!(bad["unknown_member"][2], "/data/relationships/member", "{bad}");
    assert_eq!(bad["grace_without_successor"][2], "/data/attributes/gracePeriod", "{bad}");
    for (name, answer) in bad.as_object().unwrap() {
        assert_eq!(answer[0], 409, "{name}: {answer}");
    }
    assert_eq!(report["not_json"], 415);
    assert_eq!(report["unknown_key"], 404);
    assert_eq!(report["bad_filter"], 400);
    assert_eq!(report["made_by_refusals"], 0, "refusals make nothing: {report}");
    // K6 under racing requests on both nodes: one individual key.
    let race = report["individual_race"].as_array().unwrap();
    assert_eq!(race.iter().filter(|s| **s == 201).count(), 1, "{report}");
    assert!(race.iter().all(|s| *s == 201 || *s == 409), "{report}");
    assert_eq!(report["listed_individual"], serde_json::json!([report["individual_key"]]));
    assert_eq!(report["individual_with_public_key"], 409, "a member's pair is theirs: {report}");
    // X4: one hand-over at a time; a successor inherits, so naming it again is refused.
    assert_eq!(report["rotate_again"], 409, "{report}");
    assert_eq!(report["successor_with_name"], 409, "{report}");
    // K11: refused on the revoking node at once, elsewhere from the feed; K13: listed as revoked.
    assert_eq!(report["after_revoke_same_node"], 401, "{report}");
    assert!(report["after_revoke_other_node_seconds"].as_f64().unwrap() < 2.0, "{report}");
    assert_eq!(report["revoke_again"], 409, "{report}");
    assert_eq!(report["revoke_unknown"][0], 404, "{report}");
    assert!(report["revoke_unknown"][1].as_str().unwrap().contains("'apiKeys'"), "{report}");
    assert_eq!(report["revoked_listed"], "REVOKED");
    // K5 under racing creates on both nodes: the team ends with exactly 50 counted team keys.
    let cap = &report["cap_race"];
    assert!(cap["201"].as_u64().unwrap() >= 1 && cap["409"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(cap.as_object().unwrap().len(), 2, "only 201 and 409: {report}");
    assert!(report["cap_race_refusal"].as_str().unwrap().contains("50 active team keys"), "{report}");
    let keys = kw.ok(&["admin", "key", "list", "--team", "Acme", "--json"]).json_lines();
    let counted =
        keys.iter().filter(|k| k["kind"] == "team" && k["state"] == "active" && k["revoke_at"].is_null()).count();
    assert_eq!(counted, 50, "the cap held under the race");
    let paged = report["paged"].as_array().unwrap();
    assert_eq!(paged[0], paged[2], "every key once across pages: {report}");
    assert_eq!(paged[1], paged[2], "no key twice: {report}");

    // K15: every call is audited with the acting key.
    let audit = kw.ok(&["admin", "audit", "--team", "Acme", "--json"]).json_lines();
    let by_manager = |event: &str, subject: &Value| {
        audit
            .iter()
            .any(|e| e["event"] == event && e["actor"] == format!("key manager {manager}") && e["subject"] == *subject)
    };
    assert!(by_manager("key_generated", &report["team_key"]), "{audit:?}");
    assert!(by_manager("key_downloaded", &report["team_key"]), "{audit:?}");
    assert!(by_manager("key_rotated", &report["team_key"]), "{audit:?}");
    assert!(by_manager("key_revoked", &report["uploaded_key"]), "{audit:?}");
    assert!(by_manager("key_generated", &report["individual_key"]), "{audit:?}");
    assert!(audit.iter().any(|e| e["event"] == "key_capability_changed" && e["actor"] == "operator (cli)"));
    let shown = kw.ok(&["admin", "key", "show", report["team_key"].as_str().unwrap(), "--json"]).json();
    assert_eq!(shown["created_by"], format!("key manager {manager}"));

    // A withdrawn grant: refused on every node, from the next request on the feed.
    let token = kw
        .ok(&["token", "--key-file", &manager_file, "--issuer-id", &issuer, "--audience", "keyward-v1"])
        .stdout
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    for node in &nodes {
        assert_eq!(key_api_status(&client, &node.base, &token).await, 200);
    }
    kw.ok(&["admin", "key", "capability", "--team", "Acme", &manager, "--withdraw", "KEY_MANAGER"]);
    for node in &nodes {
        let deadline = Instant::now() + Duration::from_secs(2);
        while key_api_status(&client, &node.base, &token).await != 403 {
            assert!(Instant::now() < deadline, "{} kept the withdrawn grant", node.base);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
