//! Snapshots (insta) of every endpoint's success and error bodies, on both backends (the same
//! snapshot serves both). Generated IDs, the server's address and times are replaced by names.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Replaces every `(actual, name)` in the serialized body, so snapshots do not depend on random IDs.
fn normalize(body: &Value, names: &[(String, &str)]) -> Value {
    let mut text = body.to_string();
    for (actual, name) in names {
        text = text.replace(actual.as_str(), name);
    }
    serde_json::from_str(&text).unwrap()
}

server_test!(every_endpoint_success_and_error_bodies, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let alpha = srv.app(&team, "Alpha").await;
    let bravo = srv.app(&team, "Bravo").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", Some(vec![alpha])).await;
    let member = dev.member.unwrap();
    let admin = srv.team_key(&team, "ADMIN").await;
    let developer = srv.team_key(&team, "DEVELOPER").await;
    let (_, created) = srv
        .json(Method::POST, "/v1/userInvitations", &admin.token(), json!({"data": {"type": "userInvitations", "attributes": {"email": "new@acme.test", "firstName": "New", "lastName": "Person", "roles": ["SALES"]}, "relationships": {"visibleApps": {"data": [{"type": "apps", "id": bravo.to_string()}]}}}}))
        .await;
    let inv = created["data"]["id"].as_str().unwrap().to_owned();
    let names = vec![
        (srv.base.clone(), "http://keyward.test"),
        (alpha.to_string(), "APP_ALPHA"),
        (bravo.to_string(), "APP_BRAVO"),
        (member.to_string(), "MEMBER_DEV"),
        (team.member_id.to_string(), "MEMBER_HOLDER"),
        (inv.clone(), "INVITATION"),
    ];
    let m = member.to_string();
    let user_patch = json!({"data": {"type": "users", "id": m, "attributes": {"roles": ["DEVELOPER", "MARKETING"]}}});
    let linkage = json!({"data": [{"type": "apps", "id": bravo.to_string()}]});
    let cases: Vec<(&str, Method, String, Option<Value>, String)> = vec![
        ("apps_list", Method::GET, "/v1/apps?limit=1".into(), None, admin.token()),
        ("apps_list_bad_filter", Method::GET, "/v1/apps?filter[nam]=x".into(), None, admin.token()),
        ("apps_get", Method::GET, format!("/v1/apps/{alpha}?fields[apps]=name,bundleId,sku"), None, admin.token()),
        ("apps_get_not_found", Method::GET, "/v1/apps/1".into(), None, admin.token()),
        (
            "apps_patch",
            Method::PATCH,
            format!("/v1/apps/{alpha}"),
            Some(
                json!({"data": {"type": "apps", "id": alpha.to_string(), "attributes": {"contentRightsDeclaration": "DOES_NOT_USE_THIRD_PARTY_CONTENT"}}}),
            ),
            admin.token(),
        ),
        ("apps_patch_forbidden", Method::PATCH, format!("/v1/apps/{alpha}"), Some(json!({})), developer.token()),
        ("apps_create_not_allowed", Method::POST, "/v1/apps".into(), Some(json!({})), admin.token()),
        ("apps_delete_not_allowed", Method::DELETE, format!("/v1/apps/{alpha}"), None, admin.token()),
        (
            "users_list",
            Method::GET,
            "/v1/users?include=visibleApps&fields[apps]=name&fields[users]=username,roles,visibleApps".into(),
            None,
            admin.token(),
        ),
        ("users_list_forbidden", Method::GET, "/v1/users".into(), None, developer.token()),
        ("users_get", Method::GET, format!("/v1/users/{member}"), None, admin.token()),
        ("users_get_not_found", Method::GET, "/v1/users/nobody".into(), None, admin.token()),
        ("users_patch", Method::PATCH, format!("/v1/users/{member}"), Some(user_patch), admin.token()),
        (
            "users_patch_unknown_attribute",
            Method::PATCH,
            format!("/v1/users/{member}"),
            Some(json!({"data": {"type": "users", "id": m, "attributes": {"email": "x"}}})),
            admin.token(),
        ),
        (
            "users_visible_apps",
            Method::GET,
            format!("/v1/users/{member}/visibleApps?fields[apps]=name"),
            None,
            admin.token(),
        ),
        (
            "users_relationships_get",
            Method::GET,
            format!("/v1/users/{member}/relationships/visibleApps"),
            None,
            admin.token(),
        ),
        (
            "users_relationships_post",
            Method::POST,
            format!("/v1/users/{member}/relationships/visibleApps"),
            Some(linkage.clone()),
            admin.token(),
        ),
        (
            "users_relationships_bad_type",
            Method::PATCH,
            format!("/v1/users/{member}/relationships/visibleApps"),
            Some(json!({"data": [{"type": "users", "id": "1"}]})),
            admin.token(),
        ),
        (
            "users_relationships_delete",
            Method::DELETE,
            format!("/v1/users/{member}/relationships/visibleApps"),
            Some(linkage),
            admin.token(),
        ),
        (
            "invitations_list",
            Method::GET,
            "/v1/userInvitations?fields[userInvitations]=email,roles".into(),
            None,
            admin.token(),
        ),
        (
            "invitations_get",
            Method::GET,
            format!(
                "/v1/userInvitations/{inv}?include=visibleApps&fields[apps]=name&fields[userInvitations]=email,visibleApps"
            ),
            None,
            admin.token(),
        ),
        (
            "invitations_visible_apps",
            Method::GET,
            format!("/v1/userInvitations/{inv}/visibleApps?fields[apps]=sku"),
            None,
            admin.token(),
        ),
        (
            "invitations_create_missing_roles",
            Method::POST,
            "/v1/userInvitations".into(),
            Some(
                json!({"data": {"type": "userInvitations", "attributes": {"email": "x@acme.test", "firstName": "X", "lastName": "Y"}}}),
            ),
            admin.token(),
        ),
        ("invitations_delete", Method::DELETE, format!("/v1/userInvitations/{inv}"), None, admin.token()),
        ("invitations_get_gone", Method::GET, format!("/v1/userInvitations/{inv}"), None, admin.token()),
        ("users_delete", Method::DELETE, format!("/v1/users/{member}"), None, admin.token()),
        ("unauthorized", Method::GET, "/v1/apps".into(), None, "garbage".into()),
        ("path_error", Method::GET, "/v1/nothing".into(), None, admin.token()),
        ("method_not_allowed", Method::PUT, "/v1/users".into(), None, admin.token()),
    ];
    for (name, method, path, body, token) in cases {
        let response = srv.send(method, &path, &token, body.map(|b| ("application/json", b.to_string()))).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        let snapshot = json!({ "status": status, "body": normalize(&body, &names) });
        insta::assert_json_snapshot!(name, snapshot, {
            ".body.errors[].id" => "[error id]",
            ".body.**.expirationDate" => "[date]",
            ".body.links.next" => "[next page: the same URL with an opaque cursor]",
        });
    }
});
