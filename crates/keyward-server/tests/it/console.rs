//! The console over real HTTP: sign-in (throttled, rotating sessions), the team keys page, CSRF and
//! Origin checks, the single download, revocation with confirmation, roles and team isolation.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{InvitationStore, KeyStore, MemberStore, NewMember, NewPerson, SessionStore, TeamStore};
use keyward_core::role::{Role, RoleSet};
use reqwest::redirect::Policy;

const PASSWORD: &str = "a long console password";

/// A browser: its own cookie, no automatic redirects.
/// The path of the one-time link a page shows (`…/invitations/SECRET`), without scheme and host.
fn link_in(html: &str, prefix: &str) -> String {
    let at = html.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in {html}"));
    html[at..].split(|c: char| c == '<' || c.is_whitespace()).next().unwrap().to_owned()
}

struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(srv: &Server) -> Browser {
        Browser {
            client: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            base: srv.base.clone(),
            cookie: None,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        let resp = r.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut r = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }

    async fn login(&mut self, email: &str, password: &str) -> u16 {
        let r = self.post("/login", &[("email", email), ("password", password)]).await;
        let status = r.status().as_u16();
        if let Some(set) = r.headers().get("set-cookie") {
            let set = set.to_str().unwrap();
            assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
        }
        status
    }

    /// Post/Redirect/Get: `r` must be a 303; the page it names is fetched with the one-time flash
    /// cookie it set, as a browser would.
    async fn follow(&self, r: reqwest::Response) -> String {
        assert_eq!(r.status().as_u16(), 303, "a form answers with a redirect");
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        let flash = r.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
        let cookies = [self.cookie.clone(), flash].into_iter().flatten().collect::<Vec<_>>().join("; ");
        let resp = self.client.get(format!("{}{to}", self.base)).header("cookie", cookies).send().await.unwrap();
        resp.text().await.unwrap()
    }

    /// The CSRF token of the page at `path`.
    async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get(path).await;
        html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    }
}

async fn person_with_password(
    srv: &Server,
    team: &keyward_core::ports::TeamCreated,
    email: &str,
    roles: &[Role],
) -> keyward_core::member::Member {
    srv.store().add_member(team.team.id, member_of(email, roles), &operator()).await.unwrap()
}

/// A new member who signs in to the console with `PASSWORD`.
fn member_of(email: &str, roles: &[Role]) -> NewMember {
    NewMember {
        person: NewPerson {
            email: email.into(),
            first_name: "P".into(),
            last_name: "Q".into(),
            password_hash: Some(keyward_token::password::hash_password(PASSWORD).unwrap()),
        },
        roles: RoleSet::of(roles),
        individual_keys: true,
        all_apps_visible: true,
        visible_apps: vec![],
        provisioning_allowed: false,
    }
}

server_test!(sign_in_keys_page_generate_download_revoke, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(&srv);
    let (status, _) = b.get("/").await;
    assert_eq!(status, 303, "signed out: to the sign-in page");
    assert_eq!(b.login("admin@acme.test", "wrong password").await, 401);
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 303);
    let first_cookie = b.cookie.clone();
    let (status, home) = b.get("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Acme") && home.contains(&team.team.issuer_id.to_string()));
    let page = format!("/teams/{}/integrations/api", team.team.issuer_id);
    let r = b.client.get(format!("{}{page}", b.base)).header("cookie", b.cookie.clone().unwrap()).send().await.unwrap();
    let h = r.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("referrer-policy").is_some());
    let html = r.text().await.unwrap();
    for label in ["App Store Connect API", "Issuer ID", "Team Keys", "Generate API Key", "Revoked"] {
        assert!(html.contains(label), "{label} missing");
    }

    // CSRF: without or with a wrong token, or from another origin, nothing is created.
    let csrf = b.csrf(&page).await;
    let generate = format!("{page}/keys");
    assert_eq!(
        b.post(&generate, &[("name", "CI"), ("roles", "DEVELOPER")]).await.status().as_u16(),
        422,
        "no csrf field"
    );
    assert_eq!(
        b.post(&generate, &[("csrf", "forged"), ("name", "CI"), ("roles", "DEVELOPER")]).await.status().as_u16(),
        403
    );
    let cross = b
        .client
        .post(format!("{}{generate}", b.base))
        .header("cookie", b.cookie.clone().unwrap())
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("name", "CI"), ("roles", "DEVELOPER")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    assert!(
        srv.store().keys(team.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap().is_empty(),
        "nothing was written"
    );

    // The Generate API Key dialog: closed on the page, open at ?generate (no JavaScript), and open
    // with the reason when the server refuses what was submitted.
    let dialog_open = |html: &str| html.contains("aria-labelledby=\"generate-key-title\" open>");
    assert!(!dialog_open(&html) && html.contains("<dialog id=\"generate-key\""));
    assert!(dialog_open(&b.get(&format!("{page}?generate")).await.1));
    let (status, odd) = b.get(&format!("{page}?generate=%ZZ&generate&x")).await;
    assert!(status == 200 && dialog_open(&odd), "an odd query is no reason to refuse the page");
    let r = b.post(&generate, &[("csrf", &csrf), ("name", "CI")]).await;
    assert_eq!(r.status().as_u16(), 422, "a key without roles is refused");
    let refused = r.text().await.unwrap();
    assert!(dialog_open(&refused), "the refusal is explained in the open dialog");
    assert!(srv.store().keys(team.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap().is_empty());

    // Generate two team keys.
    for name in ["CI", "Release"] {
        let r = b
            .post(&generate, &[("csrf", &csrf), ("name", name), ("roles", "APP_MANAGER"), ("roles", "DEVELOPER")])
            .await;
        assert!(b.follow(r).await.contains("Download it now"), "Post/Redirect/Get with the outcome shown once");
        assert!(!b.get(&page).await.1.contains("Download it now"), "and only once");
    }
    let keys = srv.store().keys(team.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].roles, RoleSet::of(&[Role::AppManager, Role::Developer]));

    // The single download: a .p8 with no-store; the link is gone after it; the key works.
    let download = format!("{page}/keys/{}/download", keys[0].id);
    let r = b.post(&download, &[("csrf", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(
        r.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"AuthKey_{}.p8\"", keys[0].id)
    );
    let pem = r.text().await.unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(b.post(&download, &[("csrf", &csrf)]).await.status().as_u16(), 409, "second download refused");
    let (_, html) = b.get(&page).await;
    assert_eq!(html.matches("Download API Key").count(), 1, "only the undownloaded key keeps its link");
    srv.sync().await;
    let key = Key {
        id: keys[0].id.clone(),
        team: team.team.id,
        issuer: team.team.issuer_id,
        private: keyward_token::PrivateKeyPem::from_pem(&pem).unwrap(),
        member: None,
    };
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);

    // Edit shows the checkboxes and Revoke Key; the plain page has neither.
    let (_, plain) = b.get(&page).await;
    assert!(plain.contains("?edit") && !plain.contains("name=\"keys\"") && !plain.contains("Revoke Key"));
    let (_, editing) = b.get(&format!("{page}?edit")).await;
    assert_eq!(editing.matches("name=\"keys\"").count(), 2);
    assert!(editing.contains("Revoke Key"));

    // Revoke both: a confirmation first, then one transaction; listed under Revoked; 401 at once.
    let revoke = format!("{page}/revoke");
    let ids = [keys[0].id.to_string(), keys[1].id.to_string()];
    let r = b.post(&revoke, &[("csrf", &csrf), ("keys", &ids[0]), ("keys", &ids[1])]).await;
    let confirm = r.text().await.unwrap();
    assert!(confirm.contains("Revoke 2 keys?"), "{confirm}");
    assert!(srv.store().key(&keys[0].id).await.unwrap().is_active(), "nothing revoked before confirming");
    let r = b.post(&revoke, &[("csrf", &csrf), ("confirm", "yes"), ("keys", &ids[0]), ("keys", &ids[1])]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 401, "revoked before the page answered");
    let (_, html) = b.get(&page).await;
    let revoked_section = html.split("id=\"revoked\"").nth(1).unwrap();
    assert!(
        revoked_section.contains(&ids[0])
            && revoked_section.contains(&ids[1])
            && revoked_section.contains("admin@acme.test")
    );

    // Sign-in rotates the session; sign-out ends it.
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 303);
    assert_ne!(b.cookie, first_cookie);
    let old = Browser { client: b.client.clone(), base: b.base.clone(), cookie: first_cookie };
    assert_eq!(old.get("/").await.0, 303, "the previous session ended at sign-in");
    let csrf = b.csrf("/").await;
    assert_eq!(b.post("/logout", &[("csrf", &csrf)]).await.status().as_u16(), 303);
    assert_eq!(b.get("/").await.0, 303);
});

server_test!(developers_and_other_teams_cannot_reach_admin_actions, |srv: Server| async move {
    let a = srv.team("Acme").await;
    let b_team = srv.team("Bolt").await;
    person_with_password(&srv, &a, "dev@acme.test", &[Role::Developer]).await;
    person_with_password(&srv, &b_team, "admin@bolt.test", &[Role::Admin]).await;
    let key = srv.team_key(&a, "DEVELOPER").await;
    let page_a = format!("/teams/{}/integrations/api", a.team.issuer_id);

    let mut dev = Browser::new(&srv);
    assert_eq!(dev.login("dev@acme.test", PASSWORD).await, 303);
    let (status, html) = dev.get(&page_a).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Generate API Key") && !html.contains("Revoke Key"), "no admin controls for a Developer");
    let csrf = dev.csrf(&page_a).await;
    let r = dev.post(&format!("{page_a}/keys"), &[("csrf", &csrf), ("name", "x"), ("roles", "ADMIN")]).await;
    assert_eq!(r.status().as_u16(), 422);
    let r =
        dev.post(&format!("{page_a}/revoke"), &[("csrf", &csrf), ("confirm", "yes"), ("keys", key.id.as_str())]).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(srv.store().keys(a.team.id, time::OffsetDateTime::now_utc(), 30).await.unwrap().len(), 1);
    assert!(srv.store().key(&key.id).await.unwrap().is_active());

    let mut intruder = Browser::new(&srv);
    assert_eq!(intruder.login("admin@bolt.test", PASSWORD).await, 303);
    let csrf = intruder.csrf(&format!("/teams/{}/integrations/api", b_team.team.issuer_id)).await;
    assert_eq!(intruder.get(&page_a).await.0, 404);
    assert_eq!(
        intruder.post(&format!("{page_a}/keys/{}/download", key.id), &[("csrf", &csrf)]).await.status().as_u16(),
        404
    );
    assert_eq!(
        intruder
            .post(&format!("{page_a}/revoke"), &[("csrf", &csrf), ("confirm", "yes"), ("keys", key.id.as_str())])
            .await
            .status()
            .as_u16(),
        404
    );
    assert!(srv.store().key(&key.id).await.unwrap().is_active(), "nothing changed");
    let _ = srv.store().team(&keyward_core::ports::TeamRef::Name("Acme".into())).await.unwrap();
});

server_test!(sign_in_throttling_engages, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(&srv);
    for _ in 0..5 {
        assert_eq!(b.login("admin@acme.test", "wrong").await, 401);
    }
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 429, "throttled even with the right password");
    assert!(b.cookie.is_none());
});

// Attempts count before the password is checked: after 4 failures, 40 concurrent guesses get one
// check between them, however long argon2 takes.
server_test!(sign_in_throttling_holds_under_concurrent_guesses, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(&srv);
    for _ in 0..4 {
        assert_eq!(b.login("admin@acme.test", "wrong").await, 401);
    }
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let b = Browser::new(&srv);
            let password = if i == 39 { PASSWORD.to_owned() } else { format!("guess {i}") };
            tokio::spawn(async move {
                b.post("/login", &[("email", "admin@acme.test"), ("password", &password)]).await.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert_eq!(checked, 1, "exactly one guess was evaluated: {statuses:?}");
});

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

server_test!(key_details_show_usage_and_recent_failures_to_their_owners, |srv: Server| async move {
    let team = srv.team("Acme").await;
    person_with_password(&srv, &team, "admin@acme.test", &[Role::Admin]).await;
    person_with_password(&srv, &team, "dev@acme.test", &[Role::Developer]).await;
    let key = srv.team_key(&team, "DEVELOPER").await;
    for _ in 0..3 {
        assert_eq!(srv.get("/v1/apps", &key.token()).await.status().as_u16(), 200);
    }
    assert_eq!(srv.get("/v1/apps", &key.token_with(1260, vec![])).await.status().as_u16(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut admin = Browser::new(&srv);
    assert_eq!(admin.login("admin@acme.test", PASSWORD).await, 303);
    let details = format!("/teams/{}/integrations/api/keys/{}", team.team.issuer_id, key.id);
    let (status, html) = admin.get(&details).await;
    assert_eq!(status, 200);
    assert!(html.contains("lifetime 1260 s exceeds 1200 s") && html.contains("T9"), "the failure and its reason");
    assert!(html.contains("3 in all"), "three accepted requests in the chart");
    // #12 item 7: a visible total and the axis maximum, and each bar's hour and count.
    assert!(html.contains("3 requests in the last 24 hours; at most 3 in one hour."), "{html}");
    assert!(html.contains(">3</text>") && html.contains(": 3 requests</title>"), "axis maximum and bar count");
    assert!(html.contains("class=\"chart\" role=\"img\""));
    let mut dev = Browser::new(&srv);
    assert_eq!(dev.login("dev@acme.test", PASSWORD).await, 303);
    assert_eq!(dev.get(&details).await.0, 404, "a Developer does not see team keys' details");
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

server_test!(people_in_several_teams_switch_between_them, |srv: Server| async move {
    let acme = srv.team("Acme").await;
    let globex = srv.team("Globex").await;
    let initech = srv.team("Initech").await;
    person_with_password(&srv, &acme, "both@teams.test", &[Role::Developer]).await;
    let mut second = member_of("both@teams.test", &[Role::Admin]);
    second.person.password_hash = None;
    srv.store().add_member(globex.team.id, second, &operator()).await.unwrap();
    person_with_password(&srv, &initech, "solo@teams.test", &[Role::Developer]).await;
    let mut b = Browser::new(&srv);
    assert_eq!(b.login("both@teams.test", PASSWORD).await, 303);
    let (status, html) = b.get(&format!("/teams/{}/apps", acme.team.issuer_id)).await;
    assert_eq!(status, 200);
    let switcher = html.split("Switch Team").nth(1).expect("a switcher for a person in two teams");
    assert!(switcher.contains(&format!("/teams/{}/integrations/api", globex.team.issuer_id)));
    assert!(switcher.contains("Globex"));
    assert!(!switcher.contains(&initech.team.issuer_id.to_string()), "only the person's own teams");
    let (status, html) = b.get(&format!("/teams/{}/integrations/api", globex.team.issuer_id)).await;
    assert_eq!(status, 200);
    assert!(html.split("Switch Team").nth(1).unwrap().contains(&acme.team.issuer_id.to_string()));

    let mut solo = Browser::new(&srv);
    assert_eq!(solo.login("solo@teams.test", PASSWORD).await, 303);
    let (_, html) = solo.get(&format!("/teams/{}/apps", initech.team.issuer_id)).await;
    assert!(html.contains("Initech") && !html.contains("Switch Team"), "no switcher with a single team");
});

/// Invites `email` from the console as `inviter` and returns the one-time link's path.
async fn invite(inviter: &Browser, issuer: &str, email: &str, role: &str) -> String {
    let users = format!("/teams/{issuer}/users");
    let csrf = inviter.csrf(&users).await;
    let r = inviter
        .post(
            &format!("{users}/invite"),
            &[("csrf", &csrf), ("email", email), ("first_name", "I"), ("last_name", "N"), ("roles", role)],
        )
        .await;
    link_in(&inviter.follow(r).await, "/invitations/")
}

// I1, I2: the account takeover through invitations. An Admin of team A invites people who have no
// password yet (another team's Account Holder before activation) or who have one; neither the
// invitation's ID, nor the secret link opened by the inviter, nor a password typed on the accept
// page gives the inviter their account.
server_test!(invitations_never_hand_over_an_account, |srv: Server| async move {
    let a = srv.team("Alpha").await;
    let b = srv.team("Beta").await; // holder@beta.test: no password yet
    person_with_password(&srv, &a, "admin@alpha.test", &[Role::Admin]).await;
    person_with_password(&srv, &b, "dev@beta.test", &[Role::Developer]).await;
    let issuer = a.team.issuer_id.to_string();
    let mut attacker = Browser::new(&srv);
    assert_eq!(attacker.login("admin@alpha.test", PASSWORD).await, 303);

    // A person without a password: the inviter's own session is refused, the secret link signed
    // out asks them to activate first, and a password posted anyway changes nothing.
    let link = invite(&attacker, &issuer, "holder@beta.test", "ADMIN").await;
    let (status, page) = attacker.get(&link).await;
    assert_eq!(status, 403);
    assert!(page.contains("This invitation is for someone else") && page.contains("holder@beta.test"), "{page}");
    let stranger = Browser::new(&srv);
    let (status, page) = stranger.get(&link).await;
    assert_eq!(status, 409);
    assert!(page.contains("Activate your account first"), "{page}");
    let r = stranger.post(&link, &[("first_name", "M"), ("last_name", "M"), ("password", "attacker password")]).await;
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.headers().get("set-cookie").is_none(), "nobody was signed in");
    let (_, password) = srv.store().login_identity("holder@beta.test").await.unwrap().unwrap();
    assert!(password.is_none(), "the victim's password was not set");
    assert_eq!(Browser::new(&srv).login("holder@beta.test", "attacker password").await, 401);

    // The invitation's resource ID (what the API returns) opens nothing.
    let inv = srv
        .store()
        .list_invitations(
            a.team.id,
            &keyward_core::paging::InvitationFilter::default(),
            &keyward_core::paging::PageRequest {
                sort: keyward_core::paging::InvitationSort::Email,
                descending: false,
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(stranger.get(&format!("/invitations/{}", inv.id)).await.0, 404);
    let r = stranger.post(&format!("/invitations/{}", inv.id), &[("password", "attacker password")]).await;
    assert_eq!(r.status().as_u16(), 404);

    // A person with a password: signed out, the link asks them to sign in (their password is never
    // asked for, set or checked here); a password posted anyway accepts nothing.
    let link = invite(&attacker, &issuer, "dev@beta.test", "ADMIN").await;
    let (status, page) = stranger.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Sign In") && page.contains("/login?next=/invitations/"), "{page}");
    let r = stranger.post(&link, &[("first_name", "M"), ("last_name", "M"), ("password", "attacker password")]).await;
    assert!(r.headers().get("set-cookie").is_none());
    assert!(srv.store().member_by_email(a.team.id, "dev@beta.test").await.is_err(), "not accepted");
    assert_eq!(Browser::new(&srv).login("dev@beta.test", "attacker password").await, 401);
    // They sign in, come back to the link, and accept with one click.
    let mut dev = Browser::new(&srv);
    let r = dev.post("/login", &[("email", "dev@beta.test"), ("password", PASSWORD), ("next", &link)]).await;
    assert_eq!(r.headers()["location"], link.as_str(), "back to the invitation after signing in");
    dev.cookie = Some(r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned());
    let (status, page) = dev.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Join Alpha") && !page.contains("name=\"password\""), "{page}");
    let csrf = dev.csrf(&link).await;
    assert_eq!(dev.post(&link, &[("csrf", "wrong")]).await.status().as_u16(), 403, "CSRF checked");
    let r = dev.post(&link, &[("csrf", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], format!("/teams/{issuer}/profile").as_str());
    assert!(srv.store().member_by_email(a.team.id, "dev@beta.test").await.is_ok());
    assert_eq!(dev.get(&link).await.0, 404, "the link works once");

    // `next` never leaves the site.
    let r = Browser::new(&srv)
        .post("/login", &[("email", "dev@beta.test"), ("password", PASSWORD), ("next", "//evil.test/x")])
        .await;
    assert_eq!(r.headers()["location"], "/");
});
