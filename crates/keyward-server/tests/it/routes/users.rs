//! `/v1/users`, `/v1/users/{id}` and their `visibleApps`: lists and paging, filters, fields and include,
//! K6b roles, PATCH and its relationship, bad bodies.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::MemberStore;
use keyward_core::role::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::follow_all;

server_test!(users_list_pages_to_the_end_and_roles_decide_access, |srv: Server| async move {
    let team = srv.team("Acme").await;
    for i in 0..4 {
        srv.individual_key(&team, &format!("dev{i}@acme.test"), "DEVELOPER", None).await;
    }
    let admin = srv.team_key(&team, "ADMIN").await;
    let users = follow_all(&srv, "/v1/users?limit=2&sort=username", &admin.token()).await;
    let names: Vec<&str> = users.iter().map(|u| u["attributes"]["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev0@acme.test", "dev1@acme.test", "dev2@acme.test", "dev3@acme.test", "holder@acme.test"]);
    assert_eq!(users[0]["type"], "users");
    assert_eq!(users[0]["attributes"]["roles"], json!(["DEVELOPER"]), "K6b: the default grant is not listed");
    assert!(users[0]["relationships"]["visibleApps"]["links"]["related"].as_str().unwrap().ends_with("/visibleApps"));
    assert!(users[0]["relationships"]["visibleApps"].get("data").is_none(), "no data without include");
    let (_, _, body) = parts(srv.get("/v1/users?limit=2", &admin.token()).await).await;
    assert_eq!(body["meta"]["paging"], json!({"total": 5, "limit": 2}));
    let dev = srv.team_key(&team, "DEVELOPER").await;
    let (status, _, body) = parts(srv.get("/v1/users", &dev.token()).await).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN_ERROR"), "A2: a DEVELOPER key may not read users");
    let manager = srv.team_key(&team, "APP_MANAGER").await;
    assert_eq!(srv.get("/v1/users", &manager.token()).await.status().as_u16(), 200);
    let (status, _, _) =
        parts(srv.request(Method::DELETE, &format!("/v1/users/{}", team.member_id), Some(&manager.token())).await)
            .await;
    assert_eq!(status, 403, "users (manage) is Account Holder and Admin only");
});

server_test!(users_filters_fields_and_include, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let fizz = srv.app(&team, "Fizz").await;
    let buzz = srv.app(&team, "Buzz").await;
    srv.individual_key(&team, "dev@acme.test", "DEVELOPER", Some(vec![fizz])).await;
    srv.individual_key(&team, "mkt@acme.test", "MARKETING", Some(vec![buzz])).await;
    let admin = srv.team_key(&team, "ADMIN").await;
    let (_, _, body) = parts(srv.get("/v1/users?filter[roles]=MARKETING", &admin.token()).await).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    let (_, _, body) =
        parts(srv.get(&format!("/v1/users?filter[visibleApps]={fizz}&sort=-username"), &admin.token()).await).await;
    let names: Vec<&str> =
        body["data"].as_array().unwrap().iter().map(|u| u["attributes"]["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["holder@acme.test", "dev@acme.test"], "the Account Holder sees all apps");
    let (_, _, body) =
        parts(srv.get("/v1/users?fields[users]=username&filter[username]=dev@acme.test", &admin.token()).await).await;
    assert_eq!(body["data"][0]["attributes"], json!({"username": "dev@acme.test"}));
    assert!(body["data"][0].get("relationships").is_none());
    let (_, _, body) = parts(
        srv.get("/v1/users?include=visibleApps&filter[username]=dev@acme.test&fields[apps]=name", &admin.token()).await,
    )
    .await;
    assert_eq!(
        body["data"][0]["relationships"]["visibleApps"]["data"],
        json!([{"type": "apps", "id": fizz.to_string()}])
    );
    assert_eq!(body["data"][0]["relationships"]["visibleApps"]["meta"]["paging"]["total"], 1);
    assert_eq!(body["included"][0]["attributes"], json!({"name": "Fizz"}));
    for (query, parameter) in [
        ("filter[emaill]=x", "filter[emaill]"),
        ("limit=500", "limit"),
        ("sort=email", "sort"),
        ("filter[roles]=BOSS", "filter[roles]"),
        ("cursor=zzz", "cursor"),
        ("limit[visibleApps]=51&include=visibleApps", "limit[visibleApps]"),
    ] {
        let (status, _, body) = parts(srv.get(&format!("/v1/users?{query}"), &admin.token()).await).await;
        assert_eq!((status, code(&body)), (400, "PARAMETER_ERROR.INVALID"), "{query}");
        assert_eq!(body["errors"][0]["source"]["parameter"], parameter, "{query}");
    }
    let (_, _, body) = parts(srv.get("/v1/users?filter[emaill]=x", &admin.token()).await).await;
    assert_eq!(body["errors"][0]["detail"], "'emaill' is not a valid filter type");
});

server_test!(k6b_roles_list_only_explicit_grants_and_a_patch_withdraws_only_those, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", None).await;
    let member = dev.member.unwrap();
    let admin = srv.team_key(&team, "ADMIN").await;
    let roles_of = |body: &Value| body["data"]["attributes"]["roles"].clone();
    macro_rules! held {
        () => {
            srv.store().member(team.team.id, member).await.unwrap().roles
        };
    }
    // As Apple lists them: the Account Holder without the permission it holds by its roles, a
    // member without the one granted by default when joining.
    let (_, _, holder) = parts(srv.get("/v1/users?filter[username]=holder@acme.test", &admin.token()).await).await;
    assert_eq!(holder["data"][0]["attributes"]["roles"], json!(["ACCOUNT_HOLDER", "ADMIN"]));
    let path = format!("/v1/users/{member}");
    let (_, _, body) = parts(srv.get(&path, &admin.token()).await).await;
    assert_eq!(roles_of(&body), json!(["DEVELOPER"]));
    assert!(held!().contains(Role::GenerateIndividualKeys), "held all the same");
    let patch =
        |roles: Value| json!({"data": {"type": "users", "id": member.to_string(), "attributes": {"roles": roles}}});
    // A PATCH that omits it, as a client that read the list sends it, keeps the default grant.
    let (status, body) = srv.json(Method::PATCH, &path, &admin.token(), patch(json!(["APP_MANAGER"]))).await;
    assert_eq!((status, roles_of(&body)), (200, json!(["APP_MANAGER"])));
    assert!(held!().contains(Role::GenerateIndividualKeys), "a default grant survives the PATCH");
    // Named, it is granted explicitly and listed; then a PATCH that omits it withdraws it.
    let (status, body) =
        srv.json(Method::PATCH, &path, &admin.token(), patch(json!(["APP_MANAGER", "GENERATE_INDIVIDUAL_KEYS"]))).await;
    assert_eq!((status, roles_of(&body)), (200, json!(["APP_MANAGER", "GENERATE_INDIVIDUAL_KEYS"])));
    let (_, _, listed) = parts(srv.get("/v1/users?filter[roles]=GENERATE_INDIVIDUAL_KEYS", &admin.token()).await).await;
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [member.to_string()], "the filter matches where the permission is listed");
    let (status, body) = srv.json(Method::PATCH, &path, &admin.token(), patch(json!(["APP_MANAGER"]))).await;
    assert_eq!((status, roles_of(&body)), (200, json!(["APP_MANAGER"])));
    assert!(!held!().contains(Role::GenerateIndividualKeys), "an explicit grant is withdrawn");
});

server_test!(user_updates_and_visible_apps_take_effect_for_the_members_key, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let fizz = srv.app(&team, "Fizz").await;
    let buzz = srv.app(&team, "Buzz").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", Some(vec![fizz])).await;
    let member = dev.member.unwrap();
    let admin = srv.team_key(&team, "ADMIN").await;
    let path = format!("/v1/users/{member}");
    let body = json!({"data": {"type": "users", "id": member.to_string(), "attributes": {"roles": ["APP_MANAGER", "GENERATE_INDIVIDUAL_KEYS"], "provisioningAllowed": true}, "relationships": {"visibleApps": {"data": [{"type": "apps", "id": buzz.to_string()}]}}}});
    let (status, body) = srv.json(Method::PATCH, &path, &admin.token(), body).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["roles"], json!(["APP_MANAGER", "GENERATE_INDIVIDUAL_KEYS"]));
    assert_eq!(body["links"]["self"], body["data"]["links"]["self"]);
    // K14: the individual key acts with the new roles and apps from the next request.
    assert_eq!(srv.get(&format!("/v1/apps/{buzz}"), &dev.token()).await.status().as_u16(), 200);
    assert_eq!(srv.get(&format!("/v1/apps/{fizz}"), &dev.token()).await.status().as_u16(), 404);
    assert_eq!(srv.get("/v1/users", &dev.token()).await.status().as_u16(), 200, "APP_MANAGER now reads users");
    let rel = format!("{path}/relationships/visibleApps");
    let linkage = |ids: &[u64]| json!({"data": ids.iter().map(|i| json!({"type": "apps", "id": i.to_string()})).collect::<Vec<_>>()});
    let (status, _) = srv.json(Method::POST, &rel, &admin.token(), linkage(&[fizz.0 as u64])).await;
    assert_eq!(status, 204);
    let (_, _, body) = parts(srv.get(&rel, &admin.token()).await).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (status, _) = srv.json(Method::DELETE, &rel, &admin.token(), linkage(&[buzz.0 as u64])).await;
    assert_eq!(status, 204);
    let (_, _, body) = parts(srv.get(&format!("{path}/visibleApps"), &admin.token()).await).await;
    assert_eq!(body["data"][0]["id"], fizz.to_string());
    let (status, _) = srv.json(Method::PATCH, &rel, &admin.token(), linkage(&[buzz.0 as u64])).await;
    assert_eq!(status, 204);
    assert_eq!(srv.store().member(team.team.id, member).await.unwrap().visible_apps, vec![buzz]);
    // Nobody grants ACCOUNT_HOLDER; the Account Holder is neither demoted nor removed.
    let promote =
        json!({"data": {"type": "users", "id": member.to_string(), "attributes": {"roles": ["ACCOUNT_HOLDER"]}}});
    let (status, body) = srv.json(Method::PATCH, &path, &admin.token(), promote).await;
    assert_eq!((status, body["errors"][0]["source"]["pointer"].as_str()), (409, Some("/data/attributes/roles")));
    let holder = format!("/v1/users/{}", team.member_id);
    let demote =
        json!({"data": {"type": "users", "id": team.member_id.to_string(), "attributes": {"roles": ["ADMIN"]}}});
    assert_eq!(srv.json(Method::PATCH, &holder, &admin.token(), demote).await.0, 409);
    assert_eq!(srv.request(Method::DELETE, &holder, Some(&admin.token())).await.status().as_u16(), 409);
    // K14: removal revokes the individual key at once.
    assert_eq!(srv.request(Method::DELETE, &path, Some(&admin.token())).await.status().as_u16(), 204);
    assert_eq!(srv.get("/v1/apps", &dev.token()).await.status().as_u16(), 401);
    assert_eq!(srv.get(&path, &admin.token()).await.status().as_u16(), 404);
});

server_test!(bad_bodies_get_apples_errors_and_change_nothing, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", None).await;
    let member = dev.member.unwrap().to_string();
    let admin = srv.team_key(&team, "ADMIN").await;
    let path = format!("/v1/users/{member}");
    let before = srv.store().member(team.team.id, dev.member.unwrap()).await.unwrap();
    let cases: Vec<(&str, String, u16, &str, Option<&str>)> = vec![
        ("application/json", "{not json".into(), 422, "ENTITY_UNPROCESSABLE", Some("")),
        ("text/plain", json!({"data": {}}).to_string(), 415, "ENTITY_ERROR.MEDIA_TYPE", None),
        ("application/json", json!({"data": {"type": "apps", "id": member}}).to_string(), 409, "ENTITY_ERROR.ATTRIBUTE.INVALID", Some("/data/type")),
        ("application/json", json!({"data": {"type": "users", "id": "other"}}).to_string(), 409, "ENTITY_ERROR.ATTRIBUTE.INVALID", Some("/data/id")),
        ("application/json", json!({"data": {"type": "users", "id": member, "attributes": {"roles": "ADMIN"}}}).to_string(), 409, "ENTITY_ERROR.ATTRIBUTE.INVALID", Some("/data/attributes/roles")),
        ("application/json", json!({"data": {"type": "users", "id": member, "attributes": {"username": "x"}}}).to_string(), 409, "ENTITY_ERROR.ATTRIBUTE.UNKNOWN", Some("/data/attributes/username")),
        ("application/json", json!({"data": {"type": "users", "id": member, "relationships": {"apps": {"data": []}}}}).to_string(), 409, "ENTITY_ERROR.RELATIONSHIP.UNKNOWN", Some("/data/relationships/apps")),
        ("application/json", json!({"data": {"type": "users", "id": member, "attributes": {"roles": ["SALES"]}, "relationships": {"visibleApps": {"data": [{"type": "apps", "id": "1"}]}}}}).to_string(), 409, "ENTITY_ERROR.RELATIONSHIP.INVALID", Some("/data/relationships/visibleApps")),
        ("application/json", format!("{{\"data\":{{\"type\":\"users\",\"id\":\"{member}\",\"pad\":\"{}\"}}}}", "x".repeat(1_100_000)), 413, "ENTITY_ERROR.TOO_LARGE", None),
    ];
    for (content_type, body, status, expected, pointer) in cases {
        let (got, _, body) =
            parts(srv.send(Method::PATCH, &path, &admin.token(), Some((content_type, body))).await).await;
        assert_eq!((got, code(&body)), (status, expected), "{body}");
        assert_eq!(body["errors"][0]["source"]["pointer"].as_str(), pointer, "{body}");
    }
    assert_eq!(srv.store().member(team.team.id, dev.member.unwrap()).await.unwrap(), before, "nothing was written");
    let (status, _, body) =
        parts(srv.send(Method::POST, "/v1/apps", &admin.token(), Some(("application/json", "{}".into()))).await).await;
    assert_eq!(
        (status, body["errors"][0]["detail"].as_str()),
        (
            403,
            Some(
                "The resource 'apps' does not allow 'CREATE'. Allowed operations are: GET_COLLECTION, GET_INSTANCE, UPDATE"
            )
        )
    );
});

// Lists of IDs have documented maximums: 100 values per list parameter, 1,000 linkages per
// relationship array. Beyond them a 400 or 409 naming the limit, never a 500 from the database.
server_test!(id_lists_have_a_documented_maximum, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let admin = srv.team_key(&team, "ADMIN").await;
    let dev = srv.individual_key(&team, "dev@acme.test", "DEVELOPER", None).await;
    let ids = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let (status, _, _) = parts(srv.get(&format!("/v1/apps?filter[id]={}", ids(100)), &admin.token()).await).await;
    assert_eq!(status, 200);
    for path in ["/v1/apps?filter[id]=", "/v1/users?filter[visibleApps]=", "/v1/userInvitations?filter[visibleApps]="] {
        let (status, _, body) = parts(srv.get(&format!("{path}{}", ids(101)), &admin.token()).await).await;
        assert_eq!((status, code(&body)), (400, "PARAMETER_ERROR.INVALID"), "{path}");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains("at most 100"), "{body}");
    }
    let linkages: Vec<Value> = (1..=1001).map(|i| json!({"type": "apps", "id": i.to_string()})).collect();
    let path = format!("/v1/users/{}/relationships/visibleApps", dev.member.unwrap());
    let (status, body) = srv.json(Method::POST, &path, &admin.token(), json!({ "data": linkages })).await;
    assert_eq!((status, code(&body)), (409, "ENTITY_ERROR.RELATIONSHIP.INVALID"), "{body}");
    assert!(body["errors"][0]["detail"].as_str().unwrap().contains("at most 1000"), "{body}");
});
