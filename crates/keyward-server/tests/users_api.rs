//! The Users and Access API (spec section 7) over real HTTP: users, invitations, visibleApps,
//! apps updates; paging by links.next; bad input; team isolation.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use keyward_core::ports::{InvitationStore, MemberStore};
use keyward_core::role::Role;
use reqwest::Method;
use serde_json::{Value, json};

async fn follow_all(srv: &Server, first: &str, token: &str) -> Vec<Value> {
    let mut url = format!("{}{first}", srv.base);
    let mut all = Vec::new();
    loop {
        let r = srv.client.get(&url).bearer_auth(token).send().await.unwrap();
        let (status, _, body) = parts(r).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["links"]["self"], url.as_str(), "links.self repeats the request URL");
        all.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return all,
        }
    }
}

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

fn new_person() -> keyward_core::ports::Acceptance {
    keyward_core::ports::Acceptance::NewPerson(keyward_core::ports::NewPerson {
        email: String::new(),
        first_name: "Nia".into(),
        last_name: "New".into(),
        password_hash: Some(keyward_core::secret::PasswordHash::new("$argon2id$test".into())),
    })
}

server_test!(invitations_create_read_list_delete, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let fizz = srv.app(&team, "Fizz").await;
    let admin = srv.team_key(&team, "ADMIN").await;
    let create = |email: &str, roles: Value| json!({"data": {"type": "userInvitations", "attributes": {"email": email, "firstName": "Nia", "lastName": "New", "roles": roles}, "relationships": {"visibleApps": {"data": [{"type": "apps", "id": fizz.to_string()}]}}}});
    let r = srv
        .send(
            Method::POST,
            "/v1/userInvitations",
            &admin.token(),
            Some((
                "application/json",
                create("nia@acme.test", json!(["DEVELOPER", "GENERATE_INDIVIDUAL_KEYS"])).to_string(),
            )),
        )
        .await;
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let (status, _, body) = parts(r).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), body["data"]["links"]["self"].as_str());
    assert_eq!(body["data"]["attributes"]["allAppsVisible"], false);
    let expires = body["data"]["attributes"]["expirationDate"].as_str().unwrap();
    assert!(expires.ends_with("+00:00") && !expires.contains('.'), "{expires}");
    let (status, _, body) =
        parts(srv.get(&format!("/v1/userInvitations/{id}?include=visibleApps"), &admin.token()).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["included"][0]["id"], fizz.to_string());
    let (_, _, body) = parts(srv.get("/v1/userInvitations?filter[email]=nia@acme.test", &admin.token()).await).await;
    assert_eq!(body["meta"]["paging"]["total"], 1);
    let (_, _, body) = parts(srv.get(&format!("/v1/userInvitations/{id}/visibleApps"), &admin.token()).await).await;
    assert_eq!(body["data"][0]["attributes"]["name"], "Fizz");
    let (status, body) = srv
        .json(Method::POST, "/v1/userInvitations", &admin.token(), create("boss@acme.test", json!(["ACCOUNT_HOLDER"])))
        .await;
    assert_eq!((status, body["errors"][0]["source"]["pointer"].as_str()), (409, Some("/data/attributes/roles")));
    let missing = json!({"data": {"type": "userInvitations", "attributes": {"email": "x@acme.test", "firstName": "X", "roles": ["SALES"]}}});
    let (status, body) = srv.json(Method::POST, "/v1/userInvitations", &admin.token(), missing).await;
    assert_eq!((status, code(&body)), (409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED"));
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/lastName");
    // I1: the response carries no acceptance secret; the resource ID opens nothing.
    let created_text = body.to_string();
    assert!(
        !created_text.to_lowercase().contains("secret") && !created_text.contains("/invitations/"),
        "{created_text}"
    );
    assert!(srv.store().accept_invitation(&id, new_person()).await.is_err(), "the ID is not the secret");
    // Accepting with the secret (renewed here, as the console's Send Again does) makes a member.
    srv.store()
        .renew_invitation_secret(team.team.id, id.parse().unwrap(), "test-secret-hash", &operator())
        .await
        .unwrap();
    let member = srv.store().accept_invitation("test-secret-hash", new_person()).await.unwrap();
    assert!(member.roles.contains(Role::GenerateIndividualKeys));
    assert_eq!(srv.get(&format!("/v1/userInvitations/{id}"), &admin.token()).await.status().as_u16(), 404);
    let (status, body) =
        srv.json(Method::POST, "/v1/userInvitations", &admin.token(), create("two@acme.test", json!(["SALES"]))).await;
    assert_eq!(status, 201);
    let two = body["data"]["id"].as_str().unwrap();
    assert_eq!(
        srv.request(Method::DELETE, &format!("/v1/userInvitations/{two}"), Some(&admin.token()))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        srv.request(Method::DELETE, &format!("/v1/userInvitations/{two}"), Some(&admin.token()))
            .await
            .status()
            .as_u16(),
        404
    );
});

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

server_test!(team_isolation_other_teams_ids_are_404_and_unchanged, |srv: Server| async move {
    let a = srv.team("Acme").await;
    let b = srv.team("Bolt").await;
    let app = srv.app(&a, "Fizz").await;
    let dev = srv.individual_key(&a, "dev@acme.test", "DEVELOPER", None).await;
    let member = dev.member.unwrap();
    let admin_a = srv.team_key(&a, "ADMIN").await;
    let (_, body) = srv.json(Method::POST, "/v1/userInvitations", &admin_a.token(), json!({"data": {"type": "userInvitations", "attributes": {"email": "n@acme.test", "firstName": "N", "lastName": "N", "roles": ["SALES"]}}})).await;
    let invitation = body["data"]["id"].as_str().unwrap().to_owned();
    let intruder = srv.team_key(&b, "ADMIN").await;
    let before = (
        srv.store().member(a.team.id, member).await.unwrap(),
        srv.store().invitation(a.team.id, invitation.parse().unwrap()).await.unwrap(),
    );
    let user = format!("/v1/users/{member}");
    let users_patch = json!({"data": {"type": "users", "id": member.to_string(), "attributes": {"roles": ["SALES"]}}});
    let linkage = json!({"data": [{"type": "apps", "id": app.to_string()}]});
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/apps/{app}"), None),
        (
            Method::PATCH,
            format!("/v1/apps/{app}"),
            Some(json!({"data": {"type": "apps", "id": app.to_string(), "attributes": {"primaryLocale": "fr-FR"}}})),
        ),
        (Method::GET, user.clone(), None),
        (Method::PATCH, user.clone(), Some(users_patch)),
        (Method::DELETE, user.clone(), None),
        (Method::GET, format!("{user}/visibleApps"), None),
        (Method::GET, format!("{user}/relationships/visibleApps"), None),
        (Method::POST, format!("{user}/relationships/visibleApps"), Some(linkage.clone())),
        (Method::PATCH, format!("{user}/relationships/visibleApps"), Some(linkage.clone())),
        (Method::DELETE, format!("{user}/relationships/visibleApps"), Some(linkage)),
        (Method::GET, format!("/v1/userInvitations/{invitation}"), None),
        (Method::DELETE, format!("/v1/userInvitations/{invitation}"), None),
        (Method::GET, format!("/v1/userInvitations/{invitation}/visibleApps"), None),
    ];
    for (method, path, body) in requests {
        let r =
            srv.send(method.clone(), &path, &intruder.token(), body.map(|b| ("application/json", b.to_string()))).await;
        let (status, _, body) = parts(r).await;
        assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "{method} {path}");
    }
    let (_, _, list) = parts(srv.get("/v1/users", &intruder.token()).await).await;
    assert!(list["data"].as_array().unwrap().iter().all(|u| u["attributes"]["username"] != "dev@acme.test"));
    let (_, _, list) = parts(srv.get("/v1/apps", &intruder.token()).await).await;
    assert_eq!(list["meta"]["paging"]["total"], 0, "lists hold nothing of another team");
    let (_, _, list) = parts(srv.get("/v1/userInvitations", &intruder.token()).await).await;
    assert_eq!(list["meta"]["paging"]["total"], 0);
    let (_, _, list) = parts(srv.get(&format!("/v1/users?filter[visibleApps]={app}"), &intruder.token()).await).await;
    assert!(list["data"].as_array().unwrap().iter().all(|u| u["attributes"]["username"] != "dev@acme.test"));
    let after = (
        srv.store().member(a.team.id, member).await.unwrap(),
        srv.store().invitation(a.team.id, invitation.parse().unwrap()).await.unwrap(),
    );
    assert_eq!(before, after, "nothing changed");
    assert_eq!(srv.get(&format!("/v1/apps/{app}"), &admin_a.token()).await.status().as_u16(), 200);
});

// A4 wherever apps appear: an individual key of an App Manager who sees only Fizz gets only Fizz
// from users and invitations (included, related lists, linkage, counts), and an app hidden from it
// is answered like one that does not exist.
server_test!(individual_keys_see_only_their_apps_in_users_and_invitations, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let fizz = srv.app(&team, "Fizz").await;
    let buzz = srv.app(&team, "Buzz").await;
    let admin = srv.team_key(&team, "ADMIN").await;
    let limited = srv.individual_key(&team, "am@acme.test", "APP_MANAGER", Some(vec![fizz])).await;
    let everyone = srv.individual_key(&team, "all@acme.test", "DEVELOPER", None).await;
    let all_id = everyone.member.unwrap().to_string();
    let invite = json!({"data": {"type": "userInvitations", "attributes": {"email": "nia@acme.test", "firstName": "Nia", "lastName": "New", "roles": ["DEVELOPER"], "allAppsVisible": true}}});
    let (status, body) = srv.json(Method::POST, "/v1/userInvitations", &admin.token(), invite).await;
    assert_eq!(status, 201, "{body}");
    let inv = body["data"]["id"].as_str().unwrap().to_owned();

    let mentions =
        |body: &Value| body.to_string().contains(&format!("\"{buzz}\"")) || body.to_string().contains("Buzz");
    for path in [
        "/v1/users?include=visibleApps".to_owned(),
        format!("/v1/users/{all_id}?include=visibleApps"),
        format!("/v1/users/{all_id}/visibleApps"),
        format!("/v1/users/{all_id}/relationships/visibleApps"),
        "/v1/userInvitations?include=visibleApps".to_owned(),
        format!("/v1/userInvitations/{inv}?include=visibleApps"),
        format!("/v1/userInvitations/{inv}/visibleApps"),
    ] {
        let (status, _, body) = parts(srv.get(&path, &limited.token()).await).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!mentions(&body), "{path} shows a hidden app: {body}");
        let (_, _, seen_by_admin) = parts(srv.get(&path, &admin.token()).await).await;
        assert!(mentions(&seen_by_admin), "{path}: a team key sees every app");
    }
    let (_, _, body) = parts(srv.get(&format!("/v1/users/{all_id}/visibleApps"), &limited.token()).await).await;
    assert_eq!(body["meta"]["paging"]["total"], 1, "counts too");
    let (_, _, body) = parts(srv.get(&format!("/v1/users/{all_id}?include=visibleApps"), &limited.token()).await).await;
    assert_eq!(body["data"]["relationships"]["visibleApps"]["meta"]["paging"]["total"], 1);
    assert_eq!(body["data"]["relationships"]["visibleApps"]["data"], json!([{"type": "apps", "id": fizz.to_string()}]));
    // A hidden app in a filter is an app that does not exist.
    let hidden = parts(srv.get(&format!("/v1/users?filter[visibleApps]={buzz}"), &limited.token()).await).await.2;
    let missing = parts(srv.get("/v1/users?filter[visibleApps]=999999", &limited.token()).await).await.2;
    assert_eq!(hidden["meta"]["paging"]["total"], missing["meta"]["paging"]["total"]);

    // Writes: an Admin's individual key that sees only Fizz cannot grant itself (or anyone) all apps,
    // cannot name Buzz, and replacing someone's apps keeps Buzz where it was.
    let lead = srv.individual_key(&team, "lead@acme.test", "ADMIN", Some(vec![fizz])).await;
    let lead_id = lead.member.unwrap().to_string();
    let both = srv.individual_key(&team, "both@acme.test", "DEVELOPER", Some(vec![fizz, buzz])).await;
    let both_id = both.member.unwrap().to_string();
    let patch = |id: &str, body: Value| json!({"data": {"type": "users", "id": id, "attributes": body}});
    let (status, body) = srv
        .json(
            Method::PATCH,
            &format!("/v1/users/{lead_id}"),
            &lead.token(),
            patch(&lead_id, json!({"allAppsVisible": true})),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["source"]["pointer"].as_str()),
        (409, Some("/data/attributes/allAppsVisible")),
        "{body}"
    );
    let all_apps_invite = json!({"data": {"type": "userInvitations", "attributes": {"email": "alt@acme.test", "firstName": "A", "lastName": "L", "roles": ["ADMIN"]}}});
    let (status, _) = srv.json(Method::POST, "/v1/userInvitations", &lead.token(), all_apps_invite).await;
    assert_eq!(status, 409, "an invitation without apps would see all apps");
    let named_buzz = json!({"data": [{"type": "apps", "id": buzz.to_string()}]});
    let (status, body) = srv
        .json(Method::POST, &format!("/v1/users/{both_id}/relationships/visibleApps"), &lead.token(), named_buzz)
        .await;
    assert_eq!((status, code(&body)), (409, "ENTITY_ERROR.RELATIONSHIP.INVALID"), "{body}");
    let only_fizz = json!({"data": [{"type": "apps", "id": fizz.to_string()}]});
    let (status, body) = srv
        .json(Method::PATCH, &format!("/v1/users/{both_id}/relationships/visibleApps"), &lead.token(), only_fizz)
        .await;
    assert_eq!(status, 204, "{body}");
    let member = srv.store().member(team.team.id, both.member.unwrap()).await.unwrap();
    assert!(
        member.visible_apps.contains(&buzz) && member.visible_apps.contains(&fizz),
        "Buzz kept: {:?}",
        member.visible_apps
    );
    let (_, _, seen) = parts(srv.get(&format!("/v1/users/{lead_id}"), &admin.token()).await).await;
    assert_eq!(seen["data"]["attributes"]["allAppsVisible"], false, "unchanged");
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
