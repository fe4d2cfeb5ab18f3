//! Key details: requests per hour and recent authentication failures, for the key's owners.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::role::Role;

use super::*;

server_test!(key_details_show_usage_and_recent_failures_to_their_owners, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    person_with_password(&srv, &team, "dev@acme.test", &[Role::Developer]).await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    for _ in 0..3 {
        assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);
    }
    assert_eq!(srv.get("/v1/apps", &key.token_with(1260, vec![])).await.status().as_u16(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut admin = Browser::new(&srv);
    assert_eq!(admin.login("admin@acme.test", PASSWORD).await, 303);
    let details = format!("/teams/{}/integrations/api/keys/{}", team.team.issuer_id, key.id);
    let (status, html) = admin.get(&details).await;
    assert_eq!(status, 200);
    assert!(html.contains("lifetime 1260 s exceeds 1200 s") && html.contains("T9"), "the failure and its reason");
    assert!(html.contains("3 in all"), "three accepted requests in the chart");
    // #12 item 7: a visible total and the axis maximum, and each bar's hour and count.
    assert!(html.contains("3 requests in the last 24 hours; at most 3 in one hour."), "{html}");
    assert!(html.contains(">3</text>") && html.contains(": 3 requests</title>"), "axis maximum and bar count");
    assert!(html.contains("class=\"chart\" role=\"img\""));
    let mut dev = Browser::new(&srv);
    assert_eq!(dev.login("dev@acme.test", PASSWORD).await, 303);
    assert_eq!(dev.get(&details).await.0, 404, "a Developer does not see team keys' details");
});

// #14: requests through the gateway are shown per route area.
server_test!(key_details_show_requests_per_gateway_route_area, |srv: Server| async move {
    use keyward_core::gateway::{Draft, DraftArea, DraftRoute};
    let draft = Draft {
        routes: vec![DraftRoute { prefix: "/widgets".into(), area: "widgets".into() }],
        areas: vec![DraftArea {
            name: "widgets".into(),
            read: vec!["DEVELOPER".into()],
            write: vec![],
            individual_keys: None,
            websockets: None,
        }],
        ..Draft::default()
    };
    let gateway = keyward_server::gateway::Gateway::new(
        draft.check().unwrap(),
        keyward_server::gateway::UpstreamOptions::with_timeout(std::time::Duration::from_secs(5)),
    )
    .unwrap();
    let db = srv.url.clone();
    let srv = Server::start_configured(db, keyward_core::settings::Settings::default(), None, |state| {
        state.gateway = Some(std::sync::Arc::new(gateway));
    })
    .await;
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    for _ in 0..3 {
        assert_eq!(srv.get("/_keyward/authz/widgets/1", &key.token()).await.status().as_u16(), 200);
    }
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200, "not a gateway request");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut admin = Browser::new(&srv);
    assert_eq!(admin.login("admin@acme.test", PASSWORD).await, 303);
    let (status, html) = admin.get(&format!("/teams/{}/integrations/api/keys/{}", team.team.issuer_id, key.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Requests per route area") && html.contains("<td>widgets</td><td>3</td>"), "{html}");
});
