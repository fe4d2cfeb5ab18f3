//! `GET /openapi.json` is Apple's whole document; `GET /openapi/users-and-access.json` describes
//! exactly what section 7's hand-made routes serve, and every response body
//! validates, with a real JSON Schema validator, against our document and against Apple's.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_server::openapi::{OPERATIONS, apple_document, document};
use reqwest::Method;
use serde_json::{Value, json};

const METHODS: [&str; 4] = ["get", "post", "patch", "delete"];

fn method(m: &str) -> Method {
    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap()
}

server_test!(every_route_is_documented_and_every_documented_route_is_served, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let admin = srv.team_key(&team, "ADMIN").await;
    let (status, _, whole) = parts(srv.request(Method::GET, "/openapi.json", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(&whole, keyward_asc::Api::shared().unwrap().document().root(), "R1: Apple's document, as committed");
    let (status, _, served) = parts(srv.request(Method::GET, "/openapi/users-and-access.json", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(&served, document());
    let paths = served["paths"].as_object().unwrap();
    assert_eq!(paths.values().map(|p| p.as_object().unwrap().len()).sum::<usize>(), OPERATIONS.len());
    for (template, ops) in paths {
        let path = template.replace("{id}", "00000000-0000-4000-8000-000000000000");
        for m in METHODS {
            let body = Some(("application/json", json!({"data": []}).to_string()));
            let (status, _, body) = parts(srv.send(method(m), &path, &admin.token(), body).await).await;
            if ops.get(m).is_some() {
                assert_ne!(status, 405, "{m} {template} is documented but not routed");
                assert_ne!(code(&body), "PATH_ERROR", "{m} {template} is documented but not routed");
            } else {
                assert_eq!(status, 405, "{m} {template} is routed but not documented: {body}");
            }
        }
    }
    let (status, _, body) = parts(srv.get("/v1/users/x/somethingElse", &admin.token()).await).await;
    assert_eq!((status, code(&body)), (404, "PATH_ERROR"), "undocumented paths are not served");
});

/// The schema of an operation's response, with the document's components for `$ref`s.
fn response_schema(doc: &Value, template: &str, m: &str, status: u16) -> Option<Value> {
    let schema =
        doc["paths"][template][m]["responses"][status.to_string()]["content"]["application/json"]["schema"].clone();
    if schema.is_null() {
        return None;
    }
    Some(json!({ "$ref": schema["$ref"], "components": doc["components"] }))
}

/// Apple's schema omits `nullable` although its responses carry explicit nulls (spec section 7):
/// against Apple's document, null attributes are left out before validating.
fn without_null_attributes(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| {
                    let x = if k == "attributes" {
                        Value::Object(
                            x.as_object()
                                .map(|a| {
                                    a.iter()
                                        .filter(|(_, v)| !v.is_null())
                                        .map(|(k, v)| (k.clone(), v.clone()))
                                        .collect()
                                })
                                .unwrap_or_default(),
                        )
                    } else {
                        without_null_attributes(x)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_null_attributes).collect()),
        other => other.clone(),
    }
}

fn check(doc: &Value, name: &str, template: &str, m: &str, status: u16, body: &Value) -> bool {
    let Some(schema) = response_schema(doc, template, m, status) else { return false };
    let body = if name.starts_with("Apple") { &without_null_attributes(body) } else { body };
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{m} {template} {status} does not validate against {name}: {errors:?}\n{body}");
    true
}

server_test!(responses_validate_against_our_document_and_apples, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", Some(vec![app])).await;
    let member = dev.member.unwrap();
    let admin = srv.team_key(&team, "ADMIN").await;
    let developer_key = srv.team_key(&team, "DEVELOPER").await;
    let (_, invitation) = srv
        .json(Method::POST, "/v1/userInvitations", &admin.token(), json!({"data": {"type": "userInvitations", "attributes": {"email": "n@acme.test", "firstName": "N", "lastName": "New", "roles": ["SALES"]}}}))
        .await;
    let inv = invitation["data"]["id"].as_str().unwrap().to_owned();
    let user_patch =
        json!({"data": {"type": "users", "id": member.to_string(), "attributes": {"provisioningAllowed": true}}});
    let app_patch = json!({"data": {"type": "apps", "id": app.to_string(), "attributes": {"primaryLocale": "en-GB"}}});
    let cases: Vec<(&str, &str, String, Option<Value>, &str)> = vec![
        ("/v1/apps", "get", "/v1/apps?limit=1&fields[apps]=name,bundleId".into(), None, "admin"),
        ("/v1/apps", "get", "/v1/apps".into(), None, "admin"),
        ("/v1/apps", "get", "/v1/apps?filter[emaill]=x".into(), None, "admin"),
        ("/v1/apps/{id}", "get", format!("/v1/apps/{app}"), None, "admin"),
        ("/v1/apps/{id}", "get", "/v1/apps/999".into(), None, "admin"),
        ("/v1/apps/{id}", "patch", format!("/v1/apps/{app}"), Some(app_patch), "admin"),
        ("/v1/users", "get", "/v1/users?include=visibleApps".into(), None, "admin"),
        ("/v1/users", "get", "/v1/users?limit=1".into(), None, "admin"),
        ("/v1/users", "get", "/v1/users".into(), None, "developer"),
        ("/v1/users/{id}", "get", format!("/v1/users/{member}?include=visibleApps"), None, "admin"),
        ("/v1/users/{id}", "patch", format!("/v1/users/{member}"), Some(user_patch), "admin"),
        ("/v1/users/{id}/visibleApps", "get", format!("/v1/users/{member}/visibleApps"), None, "admin"),
        (
            "/v1/users/{id}/relationships/visibleApps",
            "get",
            format!("/v1/users/{member}/relationships/visibleApps"),
            None,
            "admin",
        ),
        ("/v1/userInvitations", "get", "/v1/userInvitations?include=visibleApps".into(), None, "admin"),
        ("/v1/userInvitations/{id}", "get", format!("/v1/userInvitations/{inv}"), None, "admin"),
        (
            "/v1/userInvitations/{id}/visibleApps",
            "get",
            format!("/v1/userInvitations/{inv}/visibleApps"),
            None,
            "admin",
        ),
        ("/v1/userInvitations", "get", "/v1/userInvitations".into(), None, "nobody"),
    ];
    let ours = document();
    let apple = apple_document();
    let mut against_apple = 0;
    for (template, m, path, body, who) in cases {
        let token = match who {
            "admin" => admin.token(),
            "developer" => developer_key.token(),
            _ => "not-a-token".to_owned(),
        };
        let (status, _, response) =
            parts(srv.send(method(m), &path, &token, body.map(|b| ("application/json", b.to_string()))).await).await;
        assert!(
            check(ours, "our document", template, m, status, &response),
            "our document has no schema for {m} {template} {status}"
        );
        if check(&apple, "Apple's document", template, m, status, &response) {
            against_apple += 1;
        }
    }
    assert!(against_apple >= 14, "most responses were checked against Apple's schema too ({against_apple})");
});
