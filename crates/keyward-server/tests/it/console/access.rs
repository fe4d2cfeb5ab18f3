//! Who may reach what: Developers and other teams' Admins are refused admin actions; people in
//! several teams switch between them.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::{KeyStore, MemberStore, TeamStore};
use keyward_core::role::Role;

use super::*;

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
    // X5: nor can they see or remove Acme's key webhooks.
    let events = keyward_core::key_event::EVENT_TYPES.map(str::to_owned);
    let now = time::OffsetDateTime::now_utc();
    let hook = keyward_core::key_event::webhook(
        a.team.id,
        "acme-hook".into(),
        "https://h.example/e",
        "whsec_eA==",
        &events,
        now,
    );
    srv.store().add_key_webhook(hook, &operator()).await.unwrap();
    assert_eq!(intruder.get(&format!("{page_a}/key-events")).await.0, 404);
    let removal = [("csrf", csrf.as_str()), ("id", "acme-hook")];
    assert_eq!(intruder.post(&format!("{page_a}/key-events/remove"), &removal).await.status().as_u16(), 404);
    assert_eq!(srv.store().key_webhooks(a.team.id).await.unwrap().len(), 1, "Acme's hook is still there");
    let _ = srv.store().team(&keyward_core::ports::TeamRef::Name("Acme".into())).await.unwrap();
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

// F1: a member downloads the signing CA from the Apps page, which shows the Team ID; a member of
// another team, or nobody signed in, cannot reach another team's download.
server_test!(f1_members_download_the_signing_ca_from_the_apps_page, |srv: Server| async move {
    use keyward_core::ports::SigningStore;
    let acme = srv.team("Acme").await;
    let initech = srv.team("Initech").await;
    person_with_password(&srv, &acme, "dev@acme.test", &[Role::Developer]).await;
    person_with_password(&srv, &initech, "solo@initech.test", &[Role::Developer]).await;
    let mut b = Browser::new(&srv);
    assert_eq!(b.login("dev@acme.test", PASSWORD).await, 303);
    let (status, html) = b.get(&format!("/teams/{}/apps", acme.team.issuer_id)).await;
    assert_eq!(status, 200);
    assert!(html.contains(&keyward_core::team::team_identifier(acme.team.id)), "the Team ID is shown");
    let download = format!("/teams/{}/signing-ca.pem", acme.team.issuer_id);
    assert!(html.contains(&download), "linked from the page");
    let (status, pem) = b.get(&download).await;
    assert_eq!(status, 200);
    let (stored, _) = srv.store().signing_ca(("x".into(), "x".into())).await.unwrap();
    assert_eq!(pem, stored, "the CA every node signs with");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !pem.contains("PRIVATE KEY"), "{pem}");
    let mut other = Browser::new(&srv);
    assert_eq!(other.login("solo@initech.test", PASSWORD).await, 303);
    let (status, body) = other.get(&download).await;
    assert_ne!(status, 200, "another team's member: {body}");
    let (status, _) = Browser::new(&srv).get(&download).await;
    assert_ne!(status, 200, "nobody signed in");
});
