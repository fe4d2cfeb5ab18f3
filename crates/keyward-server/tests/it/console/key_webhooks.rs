//! X5 in the console: the Key Events page, where the Account Holder and Admins add a key webhook
//! (its secret shown once, on the page the form redirects to) and remove one. Each form is
//! CSRF-checked and answers a redirect; a Developer is told the page does not exist.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::AuditStore;
use keyward_core::role::Role;

use super::*;

server_test!(x5_admins_add_and_remove_key_webhooks_on_the_key_events_page, |srv: Server| async move {
    let (team, b, page, csrf) = admin_on_keys_page(&srv).await;
    let events = format!("{page}/key-events");
    assert!(b.get(&page).await.1.contains(&format!("href=\"{events}\"")), "the API page links to it");
    let (status, shown) = b.get(&events).await;
    assert_eq!(status, 200);
    assert!(shown.contains("No key events are sent yet"), "{shown}");
    let hooks = || async { srv.store().key_webhooks(team.team.id).await.unwrap() };

    let url = "https://hooks.example.com/key-events";
    let forged = b.post(&events, &[("csrf", "forged"), ("url", url), ("events", "key.revoked")]).await;
    assert_eq!(forged.status().as_u16(), 403);
    let metadata = [("csrf", csrf.as_str()), ("url", "http://169.254.169.254/x"), ("events", "key.revoked")];
    let refused = b.follow(b.post(&events, &metadata).await).await;
    assert!(refused.contains("not taken"), "{refused}");
    let none = b.follow(b.post(&events, &[("csrf", &csrf), ("url", url)]).await).await;
    assert!(none.contains("Choose at least one event"), "{none}");
    assert!(hooks().await.is_empty(), "refusals add nothing");

    let form = [("csrf", csrf.as_str()), ("url", url), ("events", "key.created"), ("events", "key.revoked")];
    let added = b.post(&events, &form).await;
    assert_eq!(added.status().as_u16(), 303, "Post/Redirect/Get");
    let shown = b.follow(added).await;
    let stored = hooks().await;
    assert_eq!(stored.len(), 1, "{shown}");
    let secret = stored[0].attributes["secret"].as_str().unwrap().to_owned();
    assert!(shown.contains(&format!("shown this once: {secret}")), "{shown}");
    assert_eq!(stored[0].attributes["eventTypes"], serde_json::json!(["key.created", "key.revoked"]));
    let again = b.get(&events).await.1;
    assert!(!again.contains(&secret), "a reload shows the secret no more");
    assert!(again.contains(url) && again.contains("key.created, key.revoked"), "{again}");
    assert_eq!(hooks().await.len(), 1, "a reload adds nothing");

    person_with_password(&srv, &team, "dev@acme.test", &[Role::Developer]).await;
    let mut dev = Browser::new(&srv);
    assert_eq!(dev.login("dev@acme.test", PASSWORD).await, 303);
    let dev_csrf = dev.csrf(&format!("/teams/{}/profile", team.team.issuer_id)).await;
    assert_eq!(dev.get(&events).await.0, 404, "a Developer is told it does not exist");
    let by_dev = dev.post(&events, &[("csrf", &dev_csrf), ("url", url), ("events", "key.revoked")]).await;
    assert_eq!(by_dev.status().as_u16(), 404);
    let id = stored[0].id.clone();
    let removed_by_dev = dev.post(&format!("{events}/remove"), &[("csrf", &dev_csrf), ("id", &id)]).await;
    assert_eq!(removed_by_dev.status().as_u16(), 404);
    assert_eq!(hooks().await.len(), 1, "a Developer changes nothing");

    let removed = b.follow(b.post(&format!("{events}/remove"), &[("csrf", &csrf), ("id", &id)]).await).await;
    assert!(removed.contains("no longer go there"), "{removed}");
    assert!(hooks().await.is_empty());
    let audit = srv.store().audit(team.team.id).await.unwrap();
    for event in ["key_webhook_added", "key_webhook_removed"] {
        assert!(
            audit.iter().any(|e| e.event.as_str() == event && e.actor == "admin@acme.test"),
            "{event} audited with the person: {audit:?}"
        );
    }
});
