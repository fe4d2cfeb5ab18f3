//! Reviews and metadata for ASO tools (spec F4) over real HTTP, on SQLite and PostgreSQL:
//! customer reviews filtered and sorted as at Apple, a response replacing the earlier one and
//! published later, and App Store Connect's lengths for keywords, descriptions and responses.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

async fn get(srv: &Server, path: &str, token: &str) -> (u16, Value) {
    let (status, _, body) = parts(srv.get(path, token).await).await;
    (status, body)
}

/// Customer reviews of `app` with these ratings, as seeds bring them.
async fn reviews(srv: &Server, team: keyward_core::ids::TeamId, app: &str, ratings: &[u8]) {
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::{Link, Resource};
    for (i, rating) in ratings.iter().enumerate() {
        let now = time::OffsetDateTime::now_utc();
        let attributes = json!({"rating": rating, "title": format!("Review {i}"), "body": "…", "territory": "USA",
            "createdDate": format!("2026-12-0{}T10:00:00+00:00", i + 1)});
        let review = Resource {
            team_id: team,
            kind: "customerReviews".into(),
            id: format!("review-{app}-{i}"),
            app: None,
            attributes: attributes.as_object().cloned().unwrap(),
            relationships: [("app".to_owned(), vec![Link { kind: "apps".into(), id: app.to_owned() }])]
                .into_iter()
                .collect(),
            created_at: now,
            updated_at: now,
        };
        srv.store().create_resource(review, Default::default()).await.unwrap();
    }
    srv.sync().await;
}

fn respond(review: &str, text: &str) -> Value {
    json!({"data": {"type": "customerReviewResponses", "attributes": {"responseBody": text},
        "relationships": {"review": {"data": {"type": "customerReviews", "id": review}}}}})
}

server_test!(f4_reviews_are_filtered_and_sorted_and_a_response_replaces_the_earlier_one, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "CUSTOMER_SUPPORT").await.token();
    reviews(&srv, team.team.id, &app, &[5, 1, 4]).await;
    let (_, fives) = get(&srv, &format!("/v1/apps/{app}/customerReviews?filter[rating]=5"), &token).await;
    assert_eq!(fives["data"].as_array().unwrap().len(), 1, "{fives}");
    let (_, sorted) = get(&srv, &format!("/v1/apps/{app}/customerReviews?sort=-rating"), &token).await;
    let ratings: Vec<u64> =
        sorted["data"].as_array().unwrap().iter().map(|r| r["attributes"]["rating"].as_u64().unwrap()).collect();
    assert_eq!(ratings, [5, 4, 1], "{sorted}");
    let (_, newest) = get(&srv, &format!("/v1/apps/{app}/customerReviews?sort=-createdDate&limit=1"), &token).await;
    assert_eq!(newest["data"][0]["attributes"]["title"], "Review 2", "{newest}");

    let review = format!("review-{app}-1");
    let (status, first) =
        srv.json(Method::POST, "/v1/customerReviewResponses", &token, respond(&review, "Sorry!")).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["data"]["attributes"]["state"], "PENDING_PUBLISH", "published later, as at Apple");
    let (status, second) =
        srv.json(Method::POST, "/v1/customerReviewResponses", &token, respond(&review, "Fixed in 1.1.")).await;
    assert_eq!(status, 201, "{second}");
    let (_, current) = get(&srv, &format!("/v1/customerReviews/{review}/response"), &token).await;
    assert_eq!(current["data"]["attributes"]["responseBody"], "Fixed in 1.1.", "the new one replaces: {current}");
    let old = first["data"]["id"].as_str().unwrap();
    assert_eq!(get(&srv, &format!("/v1/customerReviewResponses/{old}"), &token).await.0, 404);
    let new = second["data"]["id"].as_str().unwrap();
    let (status, _, _) =
        parts(srv.request(Method::DELETE, &format!("/v1/customerReviewResponses/{new}"), Some(&token)).await).await;
    assert_eq!(status, 204);
    let (_, none) = get(&srv, &format!("/v1/customerReviews/{review}/response"), &token).await;
    assert!(none["data"].is_null(), "{none}");
    let (status, long) =
        srv.json(Method::POST, "/v1/customerReviewResponses", &token, respond(&review, &"x".repeat(5971))).await;
    assert_eq!((status, long["errors"][0]["source"]["pointer"].as_str()), (409, Some("/data/attributes/responseBody")));
});

server_test!(f4_localizations_keep_app_store_connects_lengths, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "APP_MANAGER").await.token();
    let body = json!({"data": {"type": "appStoreVersions", "attributes": {"platform": "IOS", "versionString": "1.0"},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (_, version) = srv.json(Method::POST, "/v1/appStoreVersions", &token, body).await;
    let localization = |keywords: &str| {
        json!({"data": {"type": "appStoreVersionLocalizations", "attributes": {"locale": "fr-FR", "keywords": keywords},
            "relationships": {"appStoreVersion": {"data": {"type": "appStoreVersions", "id": version["data"]["id"]}}}}})
    };
    let (status, body) =
        srv.json(Method::POST, "/v1/appStoreVersionLocalizations", &token, localization(&"k".repeat(101))).await;
    assert_eq!(
        (status, body["errors"][0]["source"]["pointer"].as_str()),
        (409, Some("/data/attributes/keywords")),
        "{body}"
    );
    let (status, made) =
        srv.json(Method::POST, "/v1/appStoreVersionLocalizations", &token, localization(&"é".repeat(100))).await;
    assert_eq!(status, 201, "100 characters are fine, whatever their bytes: {made}");
    let id = made["data"]["id"].as_str().unwrap();
    let patch = |attributes: Value| json!({"data": {"type": "appStoreVersionLocalizations", "id": id, "attributes": attributes}});
    let path = format!("/v1/appStoreVersionLocalizations/{id}");
    let (status, body) =
        srv.json(Method::PATCH, &path, &token, patch(json!({"promotionalText": "p".repeat(171)}))).await;
    assert_eq!(
        (status, body["errors"][0]["source"]["pointer"].as_str()),
        (409, Some("/data/attributes/promotionalText"))
    );
    let (status, body) =
        srv.json(Method::PATCH, &path, &token, patch(json!({"description": "Counts.", "whatsNew": "Faster."}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, read) = get(&srv, &path, &token).await;
    assert_eq!(read["data"]["attributes"]["keywords"], "é".repeat(100), "the refused PATCH changed nothing");
    assert_eq!(read["data"]["attributes"]["whatsNew"], "Faster.");
});

// Two answers to one review at once leave one response: the earlier ones are found in the
// write's own transaction.
server_test!(f4_racing_responses_to_one_review_leave_one, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let token = srv.team_key(&team, "ADMIN").await.token();
    reviews(&srv, team.team.id, &app, &[3]).await;
    let review = format!("review-{app}-0");
    let answers = (0..4).map(|i| {
        srv.json(Method::POST, "/v1/customerReviewResponses", &token, respond(&review, &format!("Answer {i}")))
    });
    for (status, body) in futures::future::join_all(answers).await {
        assert_eq!(status, 201, "{body}");
    }
    srv.sync().await;
    let (_, all) = get(&srv, &format!("/v1/customerReviews/{review}/response"), &token).await;
    assert!(all["data"].is_object(), "{all}");
    use keyward_core::ports::ResourceStore;
    let stored = srv.store().all_resources().await.unwrap();
    let kept = stored.iter().filter(|r| r.kind == "customerReviewResponses").count();
    assert_eq!(kept, 1, "one response per review");
});
