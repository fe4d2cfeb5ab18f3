//! Spec F5 and F6 through the binary: a webhook on the example app, its ping and the events of a
//! review submission delivered to a real HTTP receiver, which checks `x-apple-signature` with
//! Python's hmac module; a receiver failing first is retried; deliveries are listed with their
//! answers and can be redelivered; URLs to metadata addresses or Keyward itself are refused.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::common::receiver::Receiver as Shared;
use crate::common::send;

struct Receiver;

impl Receiver {
    fn start(kw: &crate::common::Keyward, secret: &str, fail_first: u32) -> Shared {
        Shared::launch(kw, "webhook_receiver.py", secret, fail_first, 0)
    }

    /// A receiver on a given port (one the test chose before anything listened there).
    fn start_on(kw: &crate::common::Keyward, secret: &str, port: u16) -> Shared {
        Shared::launch(kw, "webhook_receiver.py", secret, 0, port)
    }
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["body"]["data"]["type"] == kind).collect()
}

cli_test!(f5_webhooks_deliver_signed_events_to_a_real_receiver_with_retries, |kw: crate::common::Keyward| async move {
    let secret = "a-shared-secret-of-the-test";
    let receiver = Receiver::start(&kw, secret, 1);
    let seed = crate::seeds::example(&kw);
    let server = kw.serve_with(&["--test-mode", "--seed", &seed], &[("KEYWARD_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let base = server.base.clone();
    // Webhooks are account-level settings: an Admin key's to write (docs/roles.md).
    let (_, file) = kw.team_key("Acme", "hooks", "ADMIN");
    let issuer = "6a9d2c0e-1f3b-4c55-8e77-0123456789ab";
    let token = kw.ok(&["token", "--key-file", &file, "--issuer-id", issuer]).stdout.trim().to_owned();
    crate::common::until_accepted(&base, &token).await;
    let hook = |url: String| {
        json!({"data": {"type": "webhooks", "attributes": {"enabled": true, "name": "CI", "secret": secret, "url": url,
            "eventTypes": ["BUILD_UPLOAD_STATE_UPDATED", "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED"]},
            "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}})
    };
    for refused in ["http://169.254.169.254/latest/meta-data".to_owned(), format!("{base}/v1/apps")] {
        let (status, body) =
            send(reqwest::Method::POST, format!("{base}/v1/webhooks"), &token, Some(hook(refused))).await;
        assert_eq!(
            (status, body["errors"][0]["source"]["pointer"].as_str()),
            (409, Some("/data/attributes/url")),
            "{body}"
        );
    }
    let url = format!("http://127.0.0.1:{}/hook", receiver.port);
    let (status, made) = send(reqwest::Method::POST, format!("{base}/v1/webhooks"), &token, Some(hook(url))).await;
    assert_eq!(status, 201, "{made}");
    assert!(made["data"]["attributes"].get("secret").is_none(), "the secret is never shown: {made}");
    let webhook = made["data"]["id"].as_str().unwrap().to_owned();

    // A ping: the receiver fails the first try; Keyward tries again and it is received, signed.
    let ping = json!({"data": {"type": "webhookPings", "relationships": {"webhook": {"data": {"type": "webhooks", "id": webhook}}}}});
    assert_eq!(send(reqwest::Method::POST, format!("{base}/v1/webhookPings"), &token, Some(ping)).await.0, 201);
    let lines = receiver.received(|l| of_type(l, "webhookPingCreated").len() >= 2).await;
    let pings = of_type(&lines, "webhookPingCreated");
    assert!(pings.iter().all(|p| p["signature_ok"] == true), "{pings:?}");
    assert_eq!(pings[0]["body"], pings[1]["body"], "the retry sends the same event");

    // A review submission: each move of the version is an event.
    let body = json!({"data": {"type": "reviewSubmissions", "attributes": {"platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    let (_, submission) = send(reqwest::Method::POST, format!("{base}/v1/reviewSubmissions"), &token, Some(body)).await;
    let id = submission["data"]["id"].as_str().unwrap().to_owned();
    let item = json!({"data": {"type": "reviewSubmissionItems", "relationships": {
        "reviewSubmission": {"data": {"type": "reviewSubmissions", "id": id}},
        "appStoreVersion": {"data": {"type": "appStoreVersions", "id": "acme-version-1-0"}}}}});
    send(reqwest::Method::POST, format!("{base}/v1/reviewSubmissionItems"), &token, Some(item)).await;
    let submit = json!({"data": {"type": "reviewSubmissions", "id": id, "attributes": {"submitted": true}}});
    assert_eq!(
        send(reqwest::Method::PATCH, format!("{base}/v1/reviewSubmissions/{id}"), &token, Some(submit)).await.0,
        200
    );
    let moved =
        reqwest::Client::new().post(format!("{base}/_keyward/review/{id}")).json(&json!({"state": "IN_REVIEW"}));
    assert_eq!(moved.send().await.unwrap().status().as_u16(), 200);
    let lines = receiver.received(|l| of_type(l, "appStoreVersionAppVersionStateUpdated").len() >= 2).await;
    let events = of_type(&lines, "appStoreVersionAppVersionStateUpdated");
    // (Delivered in any order, as Apple's are.)
    let mut values: Vec<&str> =
        events.iter().map(|e| e["body"]["data"]["attributes"]["newValue"].as_str().unwrap()).collect();
    values.sort_unstable();
    assert_eq!(values, ["IN_REVIEW", "WAITING_FOR_REVIEW"], "{events:?}");
    let instance = &events[0]["body"]["data"]["relationships"]["instance"];
    assert_eq!(instance["data"]["id"], "acme-version-1-0");
    // Without a public URL the link is a path: never the Host a client sent.
    assert_eq!(instance["links"]["self"], "/v1/appStoreVersions/acme-version-1-0", "{instance}");
    assert!(events.iter().all(|e| e["signature_ok"] == true));

    // Deliveries are listed with the receiver's answers, and one can be delivered again.
    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = send(reqwest::Method::GET, format!("{base}/v1/webhooks/{webhook}/deliveries"), &token, None).await.1;
        let states: Vec<&Value> =
            listed["data"].as_array().unwrap().iter().map(|d| &d["attributes"]["deliveryState"]).collect();
        if states.len() == 3 && states.iter().all(|s| *s == "SUCCEEDED") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let deliveries = listed["data"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3, "{listed}");
    assert!(deliveries.iter().all(|d| d["attributes"]["response"]["httpStatusCode"] == 200), "{listed}");
    assert!(deliveries.iter().all(|d| d["attributes"].get("_body").is_none()), "internal attributes stay inside");
    let template = deliveries[0]["id"].as_str().unwrap();
    let again = json!({"data": {"type": "webhookDeliveries", "relationships": {"template": {"data": {"type": "webhookDeliveries", "id": template}}}}});
    let (status, redelivery) =
        send(reqwest::Method::POST, format!("{base}/v1/webhookDeliveries"), &token, Some(again)).await;
    assert_eq!(status, 201, "{redelivery}");
    assert_eq!(redelivery["data"]["attributes"]["redelivery"], true);
    let before = lines.len();
    receiver.received(|l| l.len() > before).await;
});

// F5 on two nodes sharing PostgreSQL: events made on a node that is then killed are delivered by
// the other (the outbox is the database, a dead node's claims expire), each exactly once here
// (every attempt before the receiver came up failed to connect, so none was half-sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f5_a_killed_node_loses_no_event_and_two_nodes_send_each_once() {
    let kw = crate::common::Keyward::new(keyward_store::Backend::Postgres).await;
    let seed = crate::seeds::example(&kw);
    kw.ok(&["admin", "seed", &seed]);
    let env = [("KEYWARD_WEBHOOK_ALLOW_PRIVATE", "true")];
    let a = kw.serve_with(&[], &env);
    let b = kw.serve_with(&[], &env);
    let (_, file) = kw.team_key("Acme", "hooks", "ADMIN");
    let issuer = "6a9d2c0e-1f3b-4c55-8e77-0123456789ab";
    let token = kw.ok(&["token", "--key-file", &file, "--issuer-id", issuer]).stdout.trim().to_owned();
    for node in [&a, &b] {
        crate::common::until_accepted(&node.base, &token).await;
    }
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let secret = "two-nodes-one-secret";
    let hook = json!({"data": {"type": "webhooks", "attributes": {"enabled": true, "name": "CI", "secret": secret,
        "url": format!("http://127.0.0.1:{port}/hook"), "eventTypes": ["BUILD_UPLOAD_STATE_UPDATED"]},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    let (status, made) = send(reqwest::Method::POST, format!("{}/v1/webhooks", a.base), &token, Some(hook)).await;
    assert_eq!(status, 201, "{made}");
    let webhook = made["data"]["id"].as_str().unwrap().to_owned();
    for i in 0..6 {
        let node = if i % 2 == 0 { &a.base } else { &b.base };
        let ping = json!({"data": {"type": "webhookPings", "relationships": {"webhook": {"data": {"type": "webhooks", "id": webhook}}}}});
        assert_eq!(send(reqwest::Method::POST, format!("{node}/v1/webhookPings"), &token, Some(ping)).await.0, 201);
    }
    // Nothing listens yet: every attempt fails to connect and is retried. Node a dies meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    a.kill();
    let receiver = Receiver::start_on(&kw, secret, port);
    // A claim held by the killed node expires after a minute; the other node then sends it.
    let lines = receiver.received_within(120, |l| l.len() >= 6).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let lines = receiver.received(|l| l.len() >= lines.len()).await;
    let mut ids: Vec<&str> = lines.iter().map(|l| l["body"]["data"]["id"].as_str().unwrap()).collect();
    assert!(lines.iter().all(|l| l["signature_ok"] == true));
    ids.sort_unstable();
    let all = ids.len();
    ids.dedup();
    assert_eq!((ids.len(), all), (6, 6), "six events, each once: {lines:?}");
    drop(b);
}

// F2 and F5 on two nodes sharing PostgreSQL: both run the processing loop, yet each uploaded
// build is processed once (one beta detail) and its upload's COMPLETE event is sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_two_nodes_process_each_build_once_and_tell_it_once() {
    let kw = crate::common::Keyward::new(keyward_store::Backend::Postgres).await;
    let seed = crate::seeds::example(&kw);
    kw.ok(&["admin", "seed", &seed]);
    let secret = "processed-once";
    let receiver = Receiver::start(&kw, secret, 0);
    let env = [("KEYWARD_WEBHOOK_ALLOW_PRIVATE", "true"), ("KEYWARD_BUILD_PROCESSING_SECONDS", "1")];
    let (a, b) = (kw.serve_with(&[], &env), kw.serve_with(&[], &env));
    let (_, file) = kw.team_key("Acme", "hooks", "ADMIN");
    let issuer = "6a9d2c0e-1f3b-4c55-8e77-0123456789ab";
    let token = kw.ok(&["token", "--key-file", &file, "--issuer-id", issuer]).stdout.trim().to_owned();
    for node in [&a, &b] {
        crate::common::until_accepted(&node.base, &token).await;
    }
    let hook = json!({"data": {"type": "webhooks", "attributes": {"enabled": true, "name": "CI", "secret": secret,
        "url": format!("http://127.0.0.1:{}/hook", receiver.port), "eventTypes": ["BUILD_UPLOAD_STATE_UPDATED"]},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    assert_eq!(send(reqwest::Method::POST, format!("{}/v1/webhooks", a.base), &token, Some(hook)).await.0, 201);
    for number in 0..4 {
        let node = if number % 2 == 0 { &a.base } else { &b.base };
        crate::common::upload_four_bytes(node, &token, "4.0", &format!("40{number}")).await;
    }
    let complete = |lines: &[Value]| -> Vec<String> {
        of_type(lines, "buildUploadStateUpdated")
            .into_iter()
            .filter(|e| e["body"]["data"]["attributes"]["newState"] == "COMPLETE")
            .map(|e| e["body"]["data"]["relationships"]["instance"]["data"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    receiver.received(|l| complete(l).len() >= 4).await;
    // Both loops have had several more turns by now.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let lines = receiver.received(|_| true).await;
    let mut uploads = complete(&lines);
    uploads.sort_unstable();
    let all = uploads.len();
    uploads.dedup();
    assert_eq!((uploads.len(), all), (4, 4), "four uploads completed, each told once: {lines:?}");
    for node in [&a.base, &b.base] {
        let (_, details) =
            send(reqwest::Method::GET, format!("{node}/v1/buildBetaDetails?include=build&limit=200"), &token, None)
                .await;
        let (_, builds) = send(reqwest::Method::GET, format!("{node}/v1/builds?limit=200"), &token, None).await;
        let processed: Vec<&Value> = builds["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["attributes"]["version"].as_str().is_some_and(|v| v.starts_with("40")))
            .collect();
        assert!(processed.iter().all(|b| b["attributes"]["processingState"] == "VALID"), "{builds}");
        let of_these = details["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| processed.iter().any(|b| b["id"] == d["relationships"]["build"]["data"]["id"]))
            .count();
        assert_eq!((processed.len(), of_these), (4, 4), "one beta detail per build: {details}");
    }
}
