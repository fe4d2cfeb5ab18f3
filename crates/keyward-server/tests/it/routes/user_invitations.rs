//! `/v1/userInvitations`: create, read, list, delete; the acceptance secret never shown (I1).
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::InvitationStore;
use keyward_core::role::Role;
use reqwest::Method;
use serde_json::{Value, json};

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
