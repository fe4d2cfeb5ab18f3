//! Spec R6 over real HTTP: every family of Apple's document has a row in the role table
//! (`keyward_core::families`), and each group of families answers to its own roles.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_asc::Api;
use reqwest::Method;
use serde_json::{Value, json};

#[test]
fn r6_every_family_of_the_document_has_a_row_in_the_role_table() {
    let api = Api::shared().unwrap();
    let families: std::collections::BTreeSet<&str> = api.operations().iter().map(|o| o.family.as_str()).collect();
    let missing: Vec<&&str> = families.iter().filter(|f| keyward_core::families::group_of(f).is_none()).collect();
    assert!(missing.is_empty(), "families without a row in keyward-core/src/families.rs: {missing:?}");
    assert_eq!(families.len(), keyward_core::families::FAMILIES.len(), "and no row for a family Apple does not have");
}

server_test!(r6_each_group_of_families_has_its_roles, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let marketing = srv.team_key(&team, "MARKETING").await;
    let finance = srv.team_key(&team, "FINANCE").await;
    let developer = srv.team_key(&team, "DEVELOPER").await;
    let status = |r: (u16, Option<String>, Value)| r.0;
    // App metadata: Marketing writes, Finance does not even read.
    let version = json!({"data": {"type": "appStoreVersions", "attributes": {"platform": "IOS", "versionString": "2.0"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (created, body) = srv.json(Method::POST, "/v1/appStoreVersions", &marketing.token(), version).await;
    assert_eq!(created, 201, "{body}");
    assert_eq!(status(parts(srv.get("/v1/appStoreVersions/x", &finance.token()).await).await), 403);
    // Commerce: Finance reads, Marketing may not create.
    assert_eq!(status(parts(srv.get("/v1/inAppPurchases/x", &finance.token()).await).await), 404, "read, and absent");
    let purchase = json!({"data": {"type": "inAppPurchases", "attributes": {"name": "Coins", "productId": "coins", "inAppPurchaseType": "CONSUMABLE"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (refused, body) = srv.json(Method::POST, "/v2/inAppPurchases", &marketing.token(), purchase).await;
    assert_eq!((refused, code(&body)), (403, "FORBIDDEN_ERROR"), "{body}");
    // Xcode Cloud: a Developer reads; Finance does not.
    assert_eq!(status(parts(srv.get("/v1/ciProducts", &developer.token()).await).await), 200);
    assert_eq!(status(parts(srv.get("/v1/ciProducts", &finance.token()).await).await), 403);
});
