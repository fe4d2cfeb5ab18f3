//! Snapshots (insta) of every endpoint's success and error bodies, on both backends (the same
//! snapshot serves both), one test per body. Each starts from the same team: two apps, a Developer
//! with an individual key who sees Alpha, an ADMIN and a DEVELOPER team key, and an invitation.
//! Generated IDs, the server's address and times are replaced by names.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The team every snapshot starts from, and the names that replace its generated IDs.
struct Fixture {
    admin: String,
    developer: String,
    member: String,
    alpha: String,
    bravo: String,
    invitation: String,
    names: Vec<(String, &'static str)>,
}

async fn fixture(srv: &Server) -> Fixture {
    let team = srv.team("Acme").await;
    let alpha = srv.app(&team, "Alpha").await;
    let bravo = srv.app(&team, "Bravo").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", Some(vec![alpha])).await;
    let member = dev.member.unwrap();
    let admin = srv.team_key(&team, "ADMIN").await.token();
    let developer = srv.team_key(&team, "DEVELOPER").await.token();
    let invite = json!({"data": {"type": "userInvitations", "attributes": {"email": "new@acme.test", "firstName": "New", "lastName": "Person", "roles": ["SALES"]}, "relationships": {"visibleApps": {"data": [{"type": "apps", "id": bravo.to_string()}]}}}});
    let (_, created) = srv.json(Method::POST, "/v1/userInvitations", &admin, invite).await;
    let invitation = created["data"]["id"].as_str().unwrap().to_owned();
    let names = vec![
        (srv.base.clone(), "http://keyward.test"),
        (alpha.to_string(), "APP_ALPHA"),
        (bravo.to_string(), "APP_BRAVO"),
        (member.to_string(), "MEMBER_DEV"),
        (team.member_id.to_string(), "MEMBER_HOLDER"),
        (invitation.clone(), "INVITATION"),
    ];
    Fixture {
        admin,
        developer,
        member: member.to_string(),
        alpha: alpha.to_string(),
        bravo: bravo.to_string(),
        invitation,
        names,
    }
}

/// Replaces every `(actual, name)` in the serialized body, so snapshots do not depend on random IDs.
fn normalize(body: &Value, names: &[(String, &str)]) -> Value {
    let mut text = body.to_string();
    for (actual, name) in names {
        text = text.replace(actual.as_str(), name);
    }
    serde_json::from_str(&text).unwrap()
}

/// One request, its status and body compared with the snapshot `name`.
async fn assert_snapshot(srv: &Server, fx: &Fixture, name: &str, request: Request) {
    let (method, path, body, token) = request;
    let response = srv.send(method, &path, &token, body.map(|b| ("application/json", b.to_string()))).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    let snapshot = json!({ "status": status, "body": normalize(&body, &fx.names) });
    // Named after the test alone (`snapshots/apps_list.snap`), the same file for both backends.
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!(name, snapshot, {
            ".body.errors[].id" => "[error id]",
            ".body.**.expirationDate" => "[date]",
            ".body.links.next" => "[next page: the same URL with an opaque cursor]",
        });
    });
}

type Request = (Method, String, Option<Value>, String);

/// A test named after its snapshot: a fresh fixture, then `$request` built from it.
macro_rules! snapshot {
    ($name:ident, |$fx:ident| $request:expr) => {
        server_test!($name, |srv: Server| async move {
            let $fx = fixture(&srv).await;
            let request: Request = $request;
            assert_snapshot(&srv, &$fx, stringify!($name), request).await;
        });
    };
}

fn get(path: impl Into<String>, token: &str) -> Request {
    (Method::GET, path.into(), None, token.to_owned())
}

snapshot!(apps_list, |fx| get("/v1/apps?limit=1", &fx.admin));
snapshot!(apps_list_bad_filter, |fx| get("/v1/apps?filter[nam]=x", &fx.admin));
snapshot!(apps_get, |fx| get(format!("/v1/apps/{}?fields[apps]=name,bundleId,sku", fx.alpha), &fx.admin));
snapshot!(apps_get_not_found, |fx| get("/v1/apps/1", &fx.admin));
snapshot!(apps_patch, |fx| (
    Method::PATCH,
    format!("/v1/apps/{}", fx.alpha),
    Some(
        json!({"data": {"type": "apps", "id": fx.alpha, "attributes": {"contentRightsDeclaration": "DOES_NOT_USE_THIRD_PARTY_CONTENT"}}})
    ),
    fx.admin.clone()
));
snapshot!(apps_patch_forbidden, |fx| (
    Method::PATCH,
    format!("/v1/apps/{}", fx.alpha),
    Some(json!({})),
    fx.developer.clone()
));
snapshot!(apps_create_not_allowed, |fx| (Method::POST, "/v1/apps".into(), Some(json!({})), fx.admin.clone()));
snapshot!(apps_delete_not_allowed, |fx| (Method::DELETE, format!("/v1/apps/{}", fx.alpha), None, fx.admin.clone()));
snapshot!(users_list, |fx| get(
    "/v1/users?include=visibleApps&fields[apps]=name&fields[users]=username,roles,visibleApps",
    &fx.admin
));
snapshot!(users_list_forbidden, |fx| get("/v1/users", &fx.developer));
snapshot!(users_get, |fx| get(format!("/v1/users/{}", fx.member), &fx.admin));
snapshot!(users_get_not_found, |fx| get("/v1/users/nobody", &fx.admin));
snapshot!(users_patch, |fx| (
    Method::PATCH,
    format!("/v1/users/{}", fx.member),
    Some(json!({"data": {"type": "users", "id": fx.member, "attributes": {"roles": ["DEVELOPER", "MARKETING"]}}})),
    fx.admin.clone()
));
snapshot!(users_patch_unknown_attribute, |fx| (
    Method::PATCH,
    format!("/v1/users/{}", fx.member),
    Some(json!({"data": {"type": "users", "id": fx.member, "attributes": {"email": "x"}}})),
    fx.admin.clone()
));
snapshot!(users_visible_apps, |fx| get(format!("/v1/users/{}/visibleApps?fields[apps]=name", fx.member), &fx.admin));
snapshot!(users_relationships_get, |fx| get(format!("/v1/users/{}/relationships/visibleApps", fx.member), &fx.admin));
snapshot!(users_relationships_post, |fx| (
    Method::POST,
    format!("/v1/users/{}/relationships/visibleApps", fx.member),
    Some(json!({"data": [{"type": "apps", "id": fx.bravo}]})),
    fx.admin.clone()
));
snapshot!(users_relationships_bad_type, |fx| (
    Method::PATCH,
    format!("/v1/users/{}/relationships/visibleApps", fx.member),
    Some(json!({"data": [{"type": "users", "id": "1"}]})),
    fx.admin.clone()
));
snapshot!(users_relationships_delete, |fx| (
    Method::DELETE,
    format!("/v1/users/{}/relationships/visibleApps", fx.member),
    Some(json!({"data": [{"type": "apps", "id": fx.bravo}]})),
    fx.admin.clone()
));
snapshot!(invitations_list, |fx| get("/v1/userInvitations?fields[userInvitations]=email,roles", &fx.admin));
snapshot!(invitations_get, |fx| get(
    format!(
        "/v1/userInvitations/{}?include=visibleApps&fields[apps]=name&fields[userInvitations]=email,visibleApps",
        fx.invitation
    ),
    &fx.admin
));
snapshot!(invitations_visible_apps, |fx| get(
    format!("/v1/userInvitations/{}/visibleApps?fields[apps]=sku", fx.invitation),
    &fx.admin
));
snapshot!(invitations_create_missing_roles, |fx| (
    Method::POST,
    "/v1/userInvitations".into(),
    Some(
        json!({"data": {"type": "userInvitations", "attributes": {"email": "x@acme.test", "firstName": "X", "lastName": "Y"}}})
    ),
    fx.admin.clone()
));
snapshot!(invitations_delete, |fx| (
    Method::DELETE,
    format!("/v1/userInvitations/{}", fx.invitation),
    None,
    fx.admin.clone()
));
snapshot!(users_delete, |fx| (Method::DELETE, format!("/v1/users/{}", fx.member), None, fx.admin.clone()));
snapshot!(path_error, |fx| get("/v1/nothing", &fx.admin));
snapshot!(method_not_allowed, |fx| (Method::PUT, "/v1/users".into(), None, fx.admin.clone()));

// A token that is not a JWT: 401 with Apple's body.
server_test!(unauthorized, |srv: Server| async move {
    let fx = fixture(&srv).await;
    assert_snapshot(&srv, &fx, "unauthorized", get("/v1/apps", "garbage")).await;
});

// A deleted invitation is gone: 404 with Apple's body.
server_test!(invitations_get_gone, |srv: Server| async move {
    let fx = fixture(&srv).await;
    let path = format!("/v1/userInvitations/{}", fx.invitation);
    assert_eq!(srv.send(Method::DELETE, &path, &fx.admin, None).await.status().as_u16(), 204);
    assert_snapshot(&srv, &fx, "invitations_get_gone", get(path, &fx.admin)).await;
});
