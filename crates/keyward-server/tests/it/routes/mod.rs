//! The Users and Access API (spec section 7) over real HTTP, one module per route: users,
//! userInvitations, apps, and what holds across them (team isolation, A4).
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use crate::common::*;

mod apps;
mod isolation;
mod user_invitations;
mod users;

/// Every page of a list, following `links.next`; each page's `links.self` must repeat its URL.
async fn follow_all(srv: &Server, first: &str, token: &str) -> Vec<Value> {
    let mut url = format!("{}{first}", srv.base);
    let mut all = Vec::new();
    loop {
        let r = srv.client.get(&url).bearer_auth(token).send().await.unwrap();
        let (status, _, body) = parts(r).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["links"]["self"], url.as_str(), "links.self repeats the request URL");
        all.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return all,
        }
    }
}
