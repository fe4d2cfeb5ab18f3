//! I1, I2: invitations never hand over an account.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{InvitationStore, MemberStore, SessionStore};
use keyward_core::role::Role;

use super::*;

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
