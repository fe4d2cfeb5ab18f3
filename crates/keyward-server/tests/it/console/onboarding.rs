//! A team from its first day, one behaviour per test: request access and approval, an app, an
//! invitation accepted, the member's individual key, withdrawing the permission, removing the
//! member, and the audit log of it all; an operator creating a team for someone new.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{MemberStore, NewPerson, TeamCreated, TeamStore};

use super::*;

/// Team Zeta, without API access yet, whose Account Holder has a password, is an operator and is
/// signed in: the team, the holder's browser and its CSRF token.
async fn zeta(srv: &Server) -> (TeamCreated, Browser, String) {
    let hash = keyward_token::password::hash_password(PASSWORD).unwrap();
    let created = srv
        .store()
        .create_team(
            keyward_core::ports::NewTeam {
                name: "Zeta".into(),
                account_holder: NewPerson {
                    email: "holder@zeta.test".into(),
                    first_name: "Zoe".into(),
                    last_name: "Z".into(),
                    password_hash: Some(hash),
                },
                holder_is_operator: true,
            },
            &operator(),
        )
        .await
        .unwrap();
    let mut holder = Browser::new(srv);
    assert_eq!(holder.login("holder@zeta.test", PASSWORD).await, 303);
    let csrf = holder.csrf("/").await;
    (created, holder, csrf)
}

/// Requests API access as the holder and approves it as the operator, through the forms.
async fn request_and_approve(holder: &Browser, issuer: &str, csrf: &str) {
    let api = format!("/teams/{issuer}/integrations/api");
    let r = holder.post(&format!("{api}/request-access"), &[("csrf", csrf), ("terms", "accepted")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let r = holder.post(&format!("/operator/teams/{issuer}/review"), &[("csrf", csrf), ("decision", "approve")]).await;
    assert_eq!(r.status().as_u16(), 303);
}

/// Invites dev@zeta.test as a Developer with the Generate Individual API Keys permission from the
/// holder's browser: the page shown after the redirect.
async fn invite_developer(holder: &Browser, issuer: &str, csrf: &str) -> String {
    let form = [
        ("csrf", csrf),
        ("email", "dev@zeta.test"),
        ("first_name", "Dev"),
        ("last_name", "Z"),
        ("roles", "DEVELOPER"),
        ("all_apps", "yes"),
        ("individual_keys", "yes"),
    ];
    let r = holder.post(&format!("/teams/{issuer}/users/invite"), &form).await;
    holder.follow(r).await
}

/// Submits New App (Fizz, com.zeta.fizz) on the apps page at `apps`: the answer's status.
async fn new_app(holder: &Browser, apps: &str, csrf: &str) -> u16 {
    let form = [
        ("csrf", csrf),
        ("name", "Fizz"),
        ("bundle_id", "com.zeta.fizz"),
        ("sku", "FIZZ"),
        ("primary_locale", "en-US"),
    ];
    holder.post(apps, &form).await.status().as_u16()
}

/// Accepts the invitation at `link` in a new browser, which is then signed in.
async fn accept(srv: &Server, link: &str) -> Browser {
    let mut dev = Browser::new(srv);
    let r = dev.post(link, &[("first_name", "Dev"), ("last_name", "Zed"), ("password", PASSWORD)]).await;
    assert_eq!(r.status().as_u16(), 303);
    dev.cookie = Some(r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned());
    dev
}

/// Zeta with API access and a Developer who joined by invitation and is signed in.
async fn zeta_with_developer(srv: &Server) -> (TeamCreated, Browser, String, Browser) {
    let (team, holder, csrf) = zeta(srv).await;
    let issuer = team.team.issuer_id.to_string();
    request_and_approve(&holder, &issuer, &csrf).await;
    let link = link_in(&invite_developer(&holder, &issuer, &csrf).await, "/invitations/");
    let dev = accept(srv, &link).await;
    (team, holder, csrf, dev)
}

server_test!(l1_access_is_requested_with_the_terms_accepted_and_approved_by_an_operator, |srv: Server| async move {
    let (team, holder, csrf) = zeta(&srv).await;
    let issuer = team.team.issuer_id.to_string();
    let api = format!("/teams/{issuer}/integrations/api");
    assert!(holder.get(&api).await.1.contains("Request Access"));
    let refused = holder.post(&format!("{api}/request-access"), &[("csrf", &csrf)]).await;
    assert_eq!(refused.status().as_u16(), 422, "the terms must be accepted");
    assert!(holder.get(&api).await.1.contains("Request Access"), "a refusal changes nothing");

    let r = holder.post(&format!("{api}/request-access"), &[("csrf", &csrf), ("terms", "accepted")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(holder.get(&api).await.1.contains("awaiting review"));
    let (status, operator_page) = holder.get("/operator").await;
    assert_eq!(status, 200);
    assert!(operator_page.contains("Approve"));
    let r = holder.post(&format!("/operator/teams/{issuer}/review"), &[("csrf", &csrf), ("decision", "approve")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(!holder.get(&api).await.1.contains("Request Access"));
});

server_test!(an_app_created_in_the_console_is_listed, |srv: Server| async move {
    let (team, holder, csrf) = zeta(&srv).await;
    let apps = format!("/teams/{}/apps", team.team.issuer_id);
    assert_eq!(new_app(&holder, &apps, &csrf).await, 303);
    assert!(holder.get(&apps).await.1.contains("com.zeta.fizz"));
});

server_test!(i1_an_invitation_link_is_shown_once_and_accepted_once, |srv: Server| async move {
    let (team, holder, csrf) = zeta(&srv).await;
    let issuer = team.team.issuer_id.to_string();
    let html = invite_developer(&holder, &issuer, &csrf).await;
    let link = link_in(&html, "/invitations/");
    assert!(html.contains("it is shown only now and works once"), "{html}");
    assert!(!holder.get(&format!("/teams/{issuer}/users")).await.1.contains(&link), "shown once, at creation");

    let (status, page) = Browser::new(&srv).get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Join Zeta"));
    let dev = accept(&srv, &link).await;
    assert_eq!(dev.get(&link).await.0, 404, "an accepted invitation is gone");
    assert!(srv.store().member_by_email(team.team.id, "dev@zeta.test").await.is_ok());
});

server_test!(k6_a_developer_generates_one_individual_key_on_the_profile_and_revokes_it, |srv: Server| async move {
    let (team, holder, _, dev) = zeta_with_developer(&srv).await;
    let issuer = team.team.issuer_id.to_string();
    let profile = format!("/teams/{issuer}/profile");
    let dcsrf = dev.csrf(&profile).await;
    assert!(dev.get(&profile).await.1.contains("Generate API Key"));
    let r = dev.post(&format!("{profile}/key"), &[("csrf", &dcsrf), ("action", "generate")]).await;
    assert!(dev.follow(r).await.contains("Generated your individual key"));
    let r = dev.post(&format!("{profile}/key"), &[("csrf", &dcsrf), ("action", "generate")]).await;
    assert_eq!(r.status().as_u16(), 409, "a second individual key is refused");

    let (_, team_tab) = holder.get(&format!("/teams/{issuer}/integrations/api")).await;
    assert!(!team_tab.contains("<td>Developer</td>"), "the Team Keys tab lists team keys only");
    let (_, keys_page) = holder.get(&format!("/teams/{issuer}/integrations/api/individual")).await;
    let individual = keys_page.split("id=\"active\"").nth(1).unwrap().split("id=\"revoked\"").next().unwrap();
    assert!(individual.contains("<td>Developer</td>"), "the member's roles: {individual}");
    assert!(keys_page.contains("/integrations/api/individual\" aria-current=\"page\">Individual Keys</a>"));

    let r = dev.post(&format!("{profile}/key"), &[("csrf", &dcsrf), ("action", "revoke"), ("confirm", "yes")]).await;
    assert!(dev.follow(r).await.contains("Revoked"));
    assert!(dev.get(&profile).await.1.contains("Generate API Key"), "a new one may be generated");
});

server_test!(a_developer_sees_users_and_access_but_cannot_invite, |srv: Server| async move {
    let (team, _, _, dev) = zeta_with_developer(&srv).await;
    let (status, users) = dev.get(&format!("/teams/{}/users", team.team.issuer_id)).await;
    assert_eq!(status, 200, "members see Users and Access");
    assert!(!users.contains("Invite User"), "but a Developer cannot invite");
});

server_test!(k6_withdrawing_the_permission_hides_generate_on_the_profile, |srv: Server| async move {
    let (team, holder, csrf, dev) = zeta_with_developer(&srv).await;
    let issuer = team.team.issuer_id.to_string();
    let member = srv.store().member_by_email(team.team.id, "dev@zeta.test").await.unwrap();
    let r =
        holder.post(&format!("/teams/{issuer}/users/{}", member.id), &[("csrf", &csrf), ("roles", "DEVELOPER")]).await;
    assert!(holder.follow(r).await.contains("Saved the roles of dev@zeta.test."), "Post/Redirect/Get");
    let (_, page) = dev.get(&format!("/teams/{issuer}/profile")).await;
    assert!(!page.contains("Generate API Key"), "no Generate button without the permission");
    assert!(page.contains("Generate Individual API Keys permission"));
});

server_test!(removing_a_member_redirects_and_says_so_once, |srv: Server| async move {
    let (team, holder, csrf, dev) = zeta_with_developer(&srv).await;
    let users = format!("/teams/{}/users", team.team.issuer_id);
    let member = srv.store().member_by_email(team.team.id, "dev@zeta.test").await.unwrap();
    let r = holder.post(&format!("{users}/{}/remove", member.id), &[("csrf", &csrf)]).await;
    let html = holder.follow(r).await;
    assert!(html.contains("Removed dev@zeta.test.") && !html.contains("<td>dev@zeta.test</td>"), "{html}");
    assert!(!holder.get(&users).await.1.contains("Removed dev@zeta.test"), "shown once");
    assert_eq!(dev.get(&users).await.0, 404, "a removed member's session reaches nothing of the team");
});

server_test!(the_audit_log_shows_every_step_and_exports_json_lines, |srv: Server| async move {
    let (team, holder, csrf, dev) = zeta_with_developer(&srv).await;
    let issuer = team.team.issuer_id.to_string();
    assert_eq!(new_app(&holder, &format!("/teams/{issuer}/apps"), &csrf).await, 303);
    let profile = format!("/teams/{issuer}/profile");
    let dcsrf = dev.csrf(&profile).await;
    for action in [
        &[("csrf", &*dcsrf), ("action", "generate")][..],
        &[("csrf", &dcsrf), ("action", "revoke"), ("confirm", "yes")],
    ] {
        assert_eq!(dev.post(&format!("{profile}/key"), action).await.status().as_u16(), 303);
    }
    let member = srv.store().member_by_email(team.team.id, "dev@zeta.test").await.unwrap();
    let r =
        holder.post(&format!("/teams/{issuer}/users/{}", member.id), &[("csrf", &csrf), ("roles", "DEVELOPER")]).await;
    assert_eq!(r.status().as_u16(), 303);

    let (_, audit) = holder.get(&format!("/teams/{issuer}/audit")).await;
    let events = [
        "access_requested",
        "access_approved",
        "app_created",
        "invitation_created",
        "invitation_accepted",
        "key_generated",
        "key_revoked",
        "member_updated",
    ];
    for event in events {
        assert!(audit.contains(event), "{event} missing from the audit page");
    }
    // Dates read as App Store Connect writes them, with the ISO value for machines (#12 item 5).
    let year = time::OffsetDateTime::now_utc().year().to_string();
    assert!(audit.contains("<time datetime=\"") && audit.contains(&format!(", {year} at ")), "{audit}");
    assert!(!audit.contains("&lt;time"), "not escaped");
    assert!(!holder.get(&format!("/teams/{issuer}/users")).await.1.contains("+00:00<"), "no raw ISO dates");

    let (status, export) = holder.get(&format!("/teams/{issuer}/audit.jsonl")).await;
    assert_eq!(status, 200);
    let lines: Vec<serde_json::Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for event in events {
        assert!(lines.iter().any(|l| l.to_string().contains(event)), "{event} missing from the export");
    }
    assert_eq!(dev.get(&format!("/teams/{issuer}/audit")).await.0, 404, "a Developer cannot see it");
});

server_test!(operator_creates_a_team_whose_account_holder_sets_a_password_once, |srv: Server| async move {
    let (_op, link) = operator_creates_team(&srv, "Newco", "boss@newco.test").await;
    let boss = Browser::new(&srv);
    assert_eq!(boss.get(&link).await.0, 200);
    let r = boss.post(&link, &[("first_name", "Bo"), ("last_name", "Ss"), ("password", PASSWORD)]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(boss.get(&link).await.0, 404, "the link works once");
    let mut boss = Browser::new(&srv);
    assert_eq!(boss.login("boss@newco.test", PASSWORD).await, 303);
    assert!(boss.get("/").await.1.contains("Newco"));
    let team = srv.store().team(&keyward_core::ports::TeamRef::Name("Newco".into())).await.unwrap();
    let holder = srv.store().account_holder(team.id).await.unwrap();
    assert_eq!(holder.email, "boss@newco.test");
    // Someone who is not an operator cannot create teams.
    let csrf = boss.csrf("/").await;
    assert_eq!(boss.get("/operator").await.0, 404);
    assert_eq!(
        boss.post("/operator/teams", &[("csrf", &csrf), ("name", "Evil"), ("account_holder", "e@evil.test")])
            .await
            .status()
            .as_u16(),
        404
    );
});
