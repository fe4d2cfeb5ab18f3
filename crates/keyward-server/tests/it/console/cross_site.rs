//! Forms that sign a browser in without a session (first-run setup, activation) refuse posts made
//! by another site's page: otherwise a page could sign its visitor in to an account its author
//! controls (login CSRF) and watch what they do there.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::ports::TeamStore;
use keyward_store::testing::TestDatabase;

use super::*;

/// The two ways a browser says a post came from another site.
const CROSS_SITE: [(&str, &str); 2] = [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")];

async fn post_from(srv_base: &str, path: &str, form: &[(&str, &str)], header: (&str, &str)) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    client.post(format!("{srv_base}{path}")).header(header.0, header.1).form(form).send().await.unwrap()
}

server_test!(activation_refuses_a_cross_site_post_and_the_link_still_works, |srv: Server| async move {
    let (_op, link) = operator_creates_team(&srv, "Attacker", "mallory@evil.test").await;
    let form = [("first_name", "M"), ("last_name", "X"), ("password", PASSWORD)];
    for header in CROSS_SITE {
        let r = post_from(&srv.base, &link, &form, header).await;
        assert_eq!(r.status().as_u16(), 403, "{header:?}");
        assert!(r.headers().get("set-cookie").is_none(), "no session from a cross-site post ({header:?})");
    }
    // Nothing changed: the link is unused, and works from this site.
    let owner = Browser::new(&srv);
    assert_eq!(owner.get(&link).await.0, 200, "a refused post does not use the link up");
    let r = owner.post(&link, &form).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(r.headers().get("set-cookie").is_some());
});

/// First-run setup on an empty database: the URL's token alone must not let another site's page
/// create the operator in this browser.
async fn setup_refuses_cross_site_posts(backend: keyward_store::Backend) {
    let db = TestDatabase::new(backend).await;
    let url = db.url.clone();
    let token = "setup-token-for-the-test";
    let srv = Server::start_configured(url, keyward_core::settings::Settings::default(), Some(db), |state| {
        state.setup = Some(std::sync::Arc::new(std::sync::Mutex::new(Some(token.to_owned()))));
    })
    .await;
    let form = [
        ("token", token),
        ("team", "Acme"),
        ("first_name", "A"),
        ("last_name", "B"),
        ("email", "ana@acme.test"),
        ("password", PASSWORD),
    ];
    for header in CROSS_SITE {
        let r = post_from(&srv.base, "/setup", &form, header).await;
        assert_eq!(r.status().as_u16(), 403, "{header:?}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    assert!(srv.store().teams().await.unwrap().is_empty(), "a refused setup creates nothing");
    let browser = Browser::new(&srv);
    let r = browser.post("/setup", &form).await;
    assert_eq!(r.status().as_u16(), 303, "the token still works from this site");
    assert_eq!(srv.store().teams().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_refuses_cross_site_posts_sqlite() {
    setup_refuses_cross_site_posts(keyward_store::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_refuses_cross_site_posts_postgres() {
    setup_refuses_cross_site_posts(keyward_store::Backend::Postgres).await;
}
