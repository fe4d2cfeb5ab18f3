//! A team from its first day: request access and approval, an app, an invitation accepted, the
//! member's individual key, and the audit log; an operator creating a team for someone new.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{MemberStore, NewPerson, TeamStore};

use super::*;

server_test!(request_access_invite_accept_profile_and_audit, |srv: Server| async move {
    // A team without API access yet, whose Account Holder has a password and is an operator.
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
    let issuer = created.team.issuer_id.to_string();
    let api = format!("/teams/{issuer}/integrations/api");
    let mut holder = Browser::new(&srv);
    assert_eq!(holder.login("holder@zeta.test", PASSWORD).await, 303);
    let (_, html) = holder.get(&api).await;
    assert!(html.contains("Request Access"));
    let csrf = holder.csrf(&api).await;
    assert_eq!(
        holder.post(&format!("{api}/request-access"), &[("csrf", &csrf)]).await.status().as_u16(),
        422,
        "the terms must be accepted"
    );
    assert_eq!(
        holder
            .post(&format!("{api}/request-access"), &[("csrf", &csrf), ("terms", "accepted")])
            .await
            .status()
            .as_u16(),
        303
    );
    assert!(holder.get(&api).await.1.contains("awaiting review"));
    let (status, operator_page) = holder.get("/operator").await;
    assert_eq!(status, 200);
    assert!(operator_page.contains("Approve"));
    assert_eq!(
        holder
            .post(&format!("/operator/teams/{issuer}/review"), &[("csrf", &csrf), ("decision", "approve")])
            .await
            .status()
            .as_u16(),
        303
    );
    assert!(!holder.get(&api).await.1.contains("Request Access"));

    // An app, then an invitation for a Developer.
    let apps = format!("/teams/{issuer}/apps");
    assert_eq!(
        holder
            .post(
                &apps,
                &[
                    ("csrf", &csrf),
                    ("name", "Fizz"),
                    ("bundle_id", "com.zeta.fizz"),
                    ("sku", "FIZZ"),
                    ("primary_locale", "en-US")
                ]
            )
            .await
            .status()
            .as_u16(),
        303
    );
    assert!(holder.get(&apps).await.1.contains("com.zeta.fizz"));
    let users = format!("/teams/{issuer}/users");
    let r = holder
        .post(
            &format!("{users}/invite"),
            &[
                ("csrf", &csrf),
                ("email", "dev@zeta.test"),
                ("first_name", "Dev"),
                ("last_name", "Z"),
                ("roles", "DEVELOPER"),
                ("all_apps", "yes"),
                ("individual_keys", "yes"),
            ],
        )
        .await;
    let html = holder.follow(r).await;
    let link = link_in(&html, "/invitations/");
    assert!(html.contains("it is shown only now and works once"), "{html}");
    assert!(!holder.get(&users).await.1.contains(&link), "the link is shown once, at creation");

    // A second browser accepts it.
    let mut dev = Browser::new(&srv);
    let (status, page) = dev.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Join Zeta"));
    let r = dev.post(&link, &[("first_name", "Dev"), ("last_name", "Zed"), ("password", PASSWORD)]).await;
    assert_eq!(r.status().as_u16(), 303);
    dev.cookie = Some(r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned());
    assert_eq!(dev.get(&link).await.0, 404, "an accepted invitation is gone");

    // The Developer's individual key on the profile: generate, a second refused, revoke.
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
    assert_eq!(dev.get(&users).await.0, 200, "members see Users and Access");
    assert!(!dev.get(&users).await.1.contains("Invite User"), "but a Developer cannot invite");
    let r = dev.post(&format!("{profile}/key"), &[("csrf", &dcsrf), ("action", "revoke"), ("confirm", "yes")]).await;
    assert!(dev.follow(r).await.contains("Revoked"));
    assert!(dev.get(&profile).await.1.contains("Generate API Key"));

    // The Account Holder removes the permission: the Generate button disappears.
    let member = srv.store().member_by_email(created.team.id, "dev@zeta.test").await.unwrap();
    let r = holder.post(&format!("{users}/{}", member.id), &[("csrf", &csrf), ("roles", "DEVELOPER")]).await;
    assert!(holder.follow(r).await.contains("Saved the roles of dev@zeta.test."), "Post/Redirect/Get");
    let (_, page) = dev.get(&profile).await;
    assert!(!page.contains("Generate API Key"), "no Generate button without the permission");
    assert!(page.contains("Generate Individual API Keys permission"));

    // The audit log shows every step; the export is JSON Lines; a Developer cannot see it.
    let (_, audit) = holder.get(&format!("/teams/{issuer}/audit")).await;
    for event in [
        "access_requested",
        "access_approved",
        "app_created",
        "invitation_created",
        "invitation_accepted",
        "key_generated",
        "key_revoked",
        "member_updated",
    ] {
        assert!(audit.contains(event), "{event} missing from the audit page");
    }
    // Dates read as App Store Connect writes them, with the ISO value for machines (#12 item 5).
    let year = time::OffsetDateTime::now_utc().year().to_string();
    assert!(audit.contains("<time datetime=\"") && audit.contains(&format!(", {year} at ")), "{audit}");
    assert!(!audit.contains("&lt;time"), "not escaped");
    let (_, users_page) = holder.get(&users).await;
    assert!(!users_page.contains("+00:00<"), "no raw ISO dates shown to people");

    // Removing a member answers with a redirect too; the page it names says so once.
    let r = holder.post(&format!("{users}/{}/remove", member.id), &[("csrf", &csrf)]).await;
    let html = holder.follow(r).await;
    assert!(html.contains("Removed dev@zeta.test.") && !html.contains("<td>dev@zeta.test</td>"), "{html}");
    assert!(!holder.get(&users).await.1.contains("Removed dev@zeta.test"), "shown once");
    let (status, export) = holder.get(&format!("/teams/{issuer}/audit.jsonl")).await;
    assert_eq!(status, 200);
    let lines: Vec<serde_json::Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 8);
    assert_eq!(dev.get(&format!("/teams/{issuer}/audit")).await.0, 404);
});

server_test!(operator_creates_a_team_whose_account_holder_sets_a_password_once, |srv: Server| async move {
    let hash = keyward_token::password::hash_password(PASSWORD).unwrap();
    srv.store()
        .create_team(
            keyward_core::ports::NewTeam {
                name: "Home".into(),
                account_holder: NewPerson {
                    email: "op@home.test".into(),
                    first_name: "O".into(),
                    last_name: "P".into(),
                    password_hash: Some(hash),
                },
                holder_is_operator: true,
            },
            &operator(),
        )
        .await
        .unwrap();
    let mut op = Browser::new(&srv);
    assert_eq!(op.login("op@home.test", PASSWORD).await, 303);
    let csrf = op.csrf("/operator").await;
    let r =
        op.post("/operator/teams", &[("csrf", &csrf), ("name", "Newco"), ("account_holder", "boss@newco.test")]).await;
    let html = op.follow(r).await;
    let link = link_in(&html, "/activate/");
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
