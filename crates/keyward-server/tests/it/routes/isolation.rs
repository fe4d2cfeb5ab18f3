//! Across routes: another team's IDs are 404 and change nothing; an individual key sees only its
//! member's apps (A4) in users and invitations too.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{InvitationStore, MemberStore};
use reqwest::Method;
use serde_json::{Value, json};

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
