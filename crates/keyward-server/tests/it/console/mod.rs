//! The console over real HTTP, one module per page or flow: sign-in (throttled, rotating sessions),
//! the keys page (CSRF and Origin checks, Generate, the single download, revocation), onboarding
//! (request access, invitations, profile, audit), key details, who may reach what, and the
//! invitation takeover attempts of I1 and I2. This file holds the browser they share.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{KeyStore, MemberStore, NewMember, NewPerson, TeamStore};
use keyward_core::role::{Role, RoleSet};
use reqwest::redirect::Policy;

mod access;
mod cross_site;
mod invitations;
mod key_details;
mod key_terms;
mod key_webhooks;
mod keys;
mod onboarding;
mod sign_in;

const PASSWORD: &str = "a long console password";

/// The path of the one-time link a page shows (`…/invitations/SECRET`), without scheme and host.
fn link_in(html: &str, prefix: &str) -> String {
    let at = html.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in {html}"));
    html[at..].split(|c: char| c == '<' || c.is_whitespace()).next().unwrap().to_owned()
}

/// A browser: its own cookie, no automatic redirects.
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

/// The operator (op@home.test, the Account Holder of "Home") creates team `name` for `holder` on
/// the operator's page: the operator's browser and the activation link the page shows once.
async fn operator_creates_team(srv: &Server, name: &str, holder: &str) -> (Browser, String) {
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
    let mut op = Browser::new(srv);
    assert_eq!(op.login("op@home.test", PASSWORD).await, 303);
    let csrf = op.csrf("/operator").await;
    let r = op.post("/operator/teams", &[("csrf", &csrf), ("name", name), ("account_holder", holder)]).await;
    let link = link_in(&op.follow(r).await, "/activate/");
    (op, link)
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

/// Team Acme with an Admin signed in: the browser, the keys page's path and its CSRF token.
async fn admin_on_keys_page(srv: &Server) -> (keyward_core::ports::TeamCreated, Browser, String, String) {
    let team = srv.team("Acme").await;
    person_with_password(srv, &team, "admin@acme.test", &[Role::Admin]).await;
    let mut b = Browser::new(srv);
    assert_eq!(b.login("admin@acme.test", PASSWORD).await, 303);
    let page = format!("/teams/{}/integrations/api", team.team.issuer_id);
    let csrf = b.csrf(&page).await;
    (team, b, page, csrf)
}

/// Generates a team key with Generate API Key, as the browser would, and returns its Key ID.
async fn generate(
    srv: &Server,
    b: &Browser,
    team: keyward_core::ids::TeamId,
    page: &str,
    csrf: &str,
    name: &str,
) -> keyward_core::ids::KeyId {
    let r = b.post(&format!("{page}/keys"), &[("csrf", csrf), ("name", name), ("roles", "APP_MANAGER")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let keys = srv.store().keys(team, time::OffsetDateTime::now_utc(), 30).await.unwrap();
    keys.into_iter().find(|k| k.name == name).unwrap().id
}
