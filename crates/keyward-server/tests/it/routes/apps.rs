//! `/v1/apps`: PATCH, filters and paging.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

use super::follow_all;

server_test!(apps_patch_filters_and_paging, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let mut apps = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"] {
        apps.push(srv.app(&team, name).await);
    }
    let manager = srv.team_key(&team, "APP_MANAGER").await;
    let all = follow_all(&srv, "/v1/apps?limit=2&fields[apps]=name", &manager.token()).await;
    assert_eq!(
        all.iter().map(|a| a["attributes"]["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    );
    assert!(all[0].get("relationships").is_none(), "fields[apps]=name drops relationships");
    let (_, _, body) = parts(srv.get("/v1/apps?filter[name]=Charlie,Echo&sort=-name", &manager.token()).await).await;
    assert_eq!(
        body["data"].as_array().unwrap().iter().map(|a| a["attributes"]["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["Echo", "Charlie"]
    );
    let path = format!("/v1/apps/{}", apps[0]);
    let patch = |attrs: Value| json!({"data": {"type": "apps", "id": apps[0].to_string(), "attributes": attrs}});
    let (status, body) = srv
        .json(
            Method::PATCH,
            &path,
            &manager.token(),
            patch(json!({"contentRightsDeclaration": "USES_THIRD_PARTY_CONTENT", "primaryLocale": "de-DE"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["contentRightsDeclaration"], "USES_THIRD_PARTY_CONTENT");
    assert_eq!(body["data"]["attributes"]["primaryLocale"], "de-DE");
    let (status, body) =
        srv.json(Method::PATCH, &path, &manager.token(), patch(json!({"contentRightsDeclaration": "MAYBE"}))).await;
    assert_eq!(
        (status, body["errors"][0]["source"]["pointer"].as_str()),
        (409, Some("/data/attributes/contentRightsDeclaration"))
    );
    let (status, body) = srv.json(Method::PATCH, &path, &manager.token(), patch(json!({"name": "Renamed"}))).await;
    assert_eq!((status, code(&body)), (409, "ENTITY_ERROR.ATTRIBUTE.UNKNOWN"));
});

// #13: every node keeps every app in memory, so the subscription status URLs a client sets are
// bounded; a refused PATCH changes nothing, and an accepted one is read back at once.
server_test!(subscription_status_urls_are_bounded_and_read_back_at_once, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Alpha").await;
    let manager = srv.team_key(&team, "APP_MANAGER").await;
    let path = format!("/v1/apps/{app}");
    let patch = |url: String| json!({"data": {"type": "apps", "id": app.to_string(), "attributes": {"subscriptionStatusUrl": url}}});
    let huge = format!("https://example.com/{}", "a".repeat(100_000));
    let (status, body) = srv.json(Method::PATCH, &path, &manager.token(), patch(huge)).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["errors"][0]["detail"].as_str().unwrap().contains("2048"), "{body}");
    let (_, _, read) = parts(srv.get(&path, &manager.token()).await).await;
    assert_eq!(read["data"]["attributes"]["subscriptionStatusUrl"], Value::Null, "nothing changed");

    let url = "https://example.com/notifications".to_owned();
    let (status, _) = srv.json(Method::PATCH, &path, &manager.token(), patch(url.clone())).await;
    assert_eq!(status, 200);
    let (_, _, read) = parts(srv.get(&path, &manager.token()).await).await;
    assert_eq!(read["data"]["attributes"]["subscriptionStatusUrl"], url.as_str(), "read back from this node at once");
});
